// Cost of Rampart's foundation (request context, security headers, CORS, problem+json errors) over
// bare Nest and over helmet alone, on the same route.  Run: npm run bench -- bench/headers.bench.ts
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { RampartCoreModule, useRequestContext } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { strictCors, useSecurityHeaders } from '@rampart/headers';
import { compare, printTable, type BenchCases } from './utils/harness';

@Controller('health')
class BareController {
  @Get()
  check(): { status: string; store: string } {
    return { status: 'ok', store: 'up' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

@Module({
  imports: [RampartCoreModule.forRoot({ logEvents: false }), ErrorsModule.forRoot({})],
  controllers: [BareController],
})
class RampartModule {}

export const cases: BenchCases = {
  'bare Nest (express)': () => NestFactory.create(BareModule, { logger: false }),
  'Nest + helmet()': async () => {
    const app = await NestFactory.create(BareModule, { logger: false });
    app.use(helmet());
    return app;
  },
  'Rampart core + errors + headers + CORS': async () => {
    const app = await NestFactory.create(RampartModule, { logger: false });
    useRequestContext(app);
    useSecurityHeaders(app);
    app.enableCors(strictCors({ origins: ['https://app.example.com'] }));
    return app;
  },
};

async function main(): Promise<void> {
  const names = Object.keys(cases);
  printTable(
    'Foundation: GET /health, 50 connections, medians of 5 × 5 s',
    await compare(__filename, names, { path: '/health' }),
  );
}

if (require.main === module) void main();
