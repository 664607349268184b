import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { ServiceUnavailableError } from '@rampart/errors';
import { OutboundClients, OutboundSecrets } from '@rampart/outbound';
import { APP_CONFIG, type AppConfig } from '../app.config';
import { PartnerQuoteDto } from './partner-quote.dto';

/** Calls to third parties, all through `@rampart/outbound`'s safe client. */
@Controller('integrations')
export class IntegrationsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: OutboundClients,
    private readonly secrets: OutboundSecrets,
  ) {}

  /**
   * The partner's current quote, validated against {@link PartnerQuoteDto} before it is returned.
   * A partner that is down, slow, oversized, redirecting elsewhere or resolving to an internal
   * address answers 502/504 problem+json, with nothing of the partner in it.
   */
  @Get('partner/quote')
  @Public()
  async partnerQuote(): Promise<PartnerQuoteDto> {
    if (!this.config.partner.url) throw new ServiceUnavailableError('The partner integration is not configured.');
    const key = this.secrets.has('partner') ? this.secrets.get('partner').current : undefined;
    return this.clients.get('partner').json(new URL('quote', this.config.partner.url), {
      schema: PartnerQuoteDto,
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    });
  }
}
