import { Controller, Get } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { RateLimit, type RateLimitAlgorithm } from '@rampart/rate-limit';

/** The acceptance tests' policies: 100 per window per client, one route per algorithm. */
function exactRoute(algorithm: RateLimitAlgorithm, window: '1m' | '2s'): MethodDecorator {
  return RateLimit({ name: `exact-${algorithm}-${window}`, algorithm, tiers: [{ name: 'w', limit: 100, window }] });
}

/** Routes only the rate-limit tests mount. */
@Public()
@Controller('test/rl')
export class RateLimitedController {
  @exactRoute('sliding-log', '1m')
  @Get('sliding-log')
  log(): string {
    return 'ok';
  }

  @exactRoute('sliding-window', '1m')
  @Get('sliding-window')
  window(): string {
    return 'ok';
  }

  @exactRoute('token-bucket', '1m')
  @Get('token-bucket')
  bucket(): string {
    return 'ok';
  }

  @exactRoute('sliding-log', '2s')
  @Get('short')
  short(): string {
    return 'ok';
  }

  @RateLimit({ name: 'five', algorithm: 'sliding-log', tiers: [{ name: 'minute', limit: 5, window: '1m' }] })
  @Get('five')
  five(): string {
    return 'ok';
  }
}
