import { Controller, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InvalidOptionsError, RampartCoreModule } from '@rampart/core';
import { describe, expect, it } from 'vitest';
import { WebhookEndpoint } from './webhook.decorator';
import { WebhookVerifier } from './webhook-verifier';
import { WebhooksModule } from './webhooks.module';
import { resolveWebhooksOptions, type WebhooksModuleOptions } from './webhooks.options';

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof InvalidOptionsError ? error.code : `not typed: ${(error as Error).message}`;
  }
  return undefined;
}

describe('resolveWebhooksOptions', () => {
  it('fills the safe defaults and freezes the result', () => {
    const options = resolveWebhooksOptions({
      endpoints: { billing: { scheme: 'standard-webhooks', secrets: [SECRET] } },
    });
    expect(options.replayDefence).toBe(true);
    expect(options.endpoints.get('billing')).toMatchObject({ toleranceMs: 300_000, maxBodyBytes: 256 * 1024 });
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.endpoints.get('billing'))).toBe(true);
  });

  it.each<[string, unknown]>([
    ['no endpoints', { endpoints: {} }],
    ['an unknown scheme', { endpoints: { a: { scheme: 'svix', secrets: [SECRET] } } }],
    ['a standard endpoint without keys', { endpoints: { a: { scheme: 'standard-webhooks' } } }],
    ['a short whsec_ secret', { endpoints: { a: { scheme: 'standard-webhooks', secrets: ['whsec_c2hvcnQ='] } } }],
    ['a stripe endpoint without secrets', { endpoints: { a: { scheme: 'stripe', secrets: [] } } }],
    ['a short github secret', { endpoints: { a: { scheme: 'github', secrets: ['abc'] } } }],
    ['a tolerance of 0', { toleranceMs: 0, endpoints: { a: { scheme: 'stripe', secrets: ['x'.repeat(16)] } } }],
    [
      'a tolerance of a day',
      { endpoints: { a: { scheme: 'stripe', secrets: ['x'.repeat(16)], toleranceMs: 86_400_000 } } },
    ],
    ['a fractional body cap', { maxBodyBytes: 1.5, endpoints: { a: { scheme: 'stripe', secrets: ['x'.repeat(16)] } } }],
    ['a bad endpoint name', { endpoints: { 'a b': { scheme: 'stripe', secrets: ['x'.repeat(16)] } } }],
    ['a strategy without verify', { endpoints: { a: { strategy: { scheme: 'x' } } } }],
  ])('refuses %s with WEBHOOKS_INVALID_OPTIONS', (_name, raw) => {
    expect(code(() => resolveWebhooksOptions(raw as WebhooksModuleOptions))).toBe('WEBHOOKS_INVALID_OPTIONS');
  });

  it('never puts a secret in the error message', () => {
    const secret = 'whsec_c2hvcnQ=';
    try {
      resolveWebhooksOptions({ endpoints: { a: { scheme: 'standard-webhooks', secrets: [secret] } } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('endpoints.a');
      expect((error as Error).message).not.toContain('c2hvcnQ');
    }
  });
});

describe('WebhooksModule', () => {
  @Controller('hooks')
  class Misnamed {
    @Post()
    @WebhookEndpoint('stripe')
    receive(): void {}
  }

  it('stops the app at bootstrap when a route names an endpoint that is not configured', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RampartCoreModule.forRoot({ logEvents: false }),
        WebhooksModule.forRoot({ endpoints: { billing: { scheme: 'standard-webhooks', secrets: [SECRET] } } }),
      ],
      controllers: [Misnamed],
    }).compile();
    await expect(moduleRef.init()).rejects.toMatchObject({ code: 'WEBHOOKS_INVALID_OPTIONS' });
    await moduleRef.close();
  });

  it('provides the verifier with forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RampartCoreModule.forRoot({ logEvents: false }),
        WebhooksModule.forRootAsync({
          useFactory: async () => ({
            endpoints: { billing: { scheme: 'standard-webhooks' as const, secrets: [SECRET] } },
          }),
        }),
      ],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(WebhookVerifier)).toBeInstanceOf(WebhookVerifier);
    await moduleRef.close();
  });
});
