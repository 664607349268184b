// Cost of Rampart's foundation (request context, headers, body limits, problem+json errors) over
// bare Nest and over helmet alone, on the same route.  Run: npm run bench -- bench/headers.bench.ts
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { createApp } from '../apps/sample-api/src/app.factory';
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

export const cases: BenchCases = {
  'bare Nest (express)': () => NestFactory.create(BareModule, { logger: false }),
  'Nest + helmet()': async () => {
    const app = await NestFactory.create(BareModule, { logger: false });
    app.use(helmet());
    return app;
  },
  'Rampart foundation (sample API)': () => createApp({ ...loadConfig({}), redisUrl: undefined }, 'express'),
};

async function main(): Promise<void> {
  const names = Object.keys(cases);
  printTable(
    'Foundation: GET /health, 50 connections, medians of 5 × 5 s',
    await compare(__filename, names, { path: '/health' }),
  );
}

if (require.main === module) void main();
