import {
  Controller,
  Get,
  HttpException,
  Injectable,
  Module,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RampartCoreModule, useRequestContext } from '../core.module';
import { useRawMiddleware } from '../raw-middleware';
import { getRequestState } from '../request-context';
import type { GuardPhase } from './phases';
import { RampartPipeline } from './rampart-pipeline';
import { provideGuardPhase, RampartPipelineModule } from './rampart-pipeline.module';

/** What ran, in order, for the last request. */
const trace: string[] = [];

function recorder(phase: GuardPhase, fail?: () => Error): new () => CanActivate {
  @Injectable()
  class Recorder implements CanActivate {
    canActivate(context: ExecutionContext): Promise<boolean> | boolean {
      trace.push(phase);
      const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
      if (fail && req.headers['x-fail'] === phase) throw fail();
      // Half the steps answer asynchronously: the order must hold across both.
      return phase.length % 2 === 0 ? Promise.resolve(true) : true;
    }
  }
  Object.defineProperty(Recorder, 'name', { value: `${phase}Guard` });
  return Recorder;
}

const unauthorized = () => new HttpException('no', 401);

function phaseModule(phase: GuardPhase, fail?: () => Error): DynamicModule {
  return {
    module: class {},
    imports: [RampartPipelineModule],
    providers: provideGuardPhase(phase, recorder(phase, fail)),
  };
}

@Controller()
class TraceController {
  @Get('trace')
  get(): string[] {
    return trace;
  }
}

const PHASES: GuardPhase[] = [
  'threat',
  'preAuthenticationLimits',
  'authenticate',
  'authorize',
  'postAuthenticationLimits',
];

describe.each(['express', 'fastify'] as const)('Rampart pipeline (%s)', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    trace.length = 0;
  });

  async function boot(imports: unknown[], setup: (app: INestApplication) => void = useRequestContext): Promise<Server> {
    @Module({ imports: imports as [], controllers: [TraceController] })
    class AppModule {}
    app =
      platform === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false, abortOnError: false })
        : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    setup(app);
    await app.init();
    if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    return app.getHttpServer() as Server;
  }

  it('runs the phases in their fixed order whatever the order of the imports', async () => {
    const server = await boot([
      RampartCoreModule.forRoot({ logEvents: false }),
      ...[...PHASES].reverse().map((p) => phaseModule(p)),
    ]);
    const res = await request(server).get('/trace').expect(200);
    expect(res.body).toEqual(PHASES);
  });

  it('lets the later steps see a refused authentication (and stops at the refusal)', async () => {
    const calls: string[] = [];
    @Module({
      imports: [RampartPipelineModule],
      providers: [
        {
          provide: 'LIMITS',
          inject: [RampartPipeline],
          useFactory: (pipeline: RampartPipeline) => {
            pipeline.register({
              phase: 'postAuthenticationLimits',
              owner: 'Limits',
              canActivate: () => true,
              onAuthenticationFailed: (context) => {
                calls.push('failed');
                const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
                if (req.headers['x-flood']) throw new HttpException('slow down', 429);
              },
            });
            return true;
          },
        },
      ],
    })
    class LimitsModule {}
    const server = await boot([
      RampartCoreModule.forRoot({ logEvents: false }),
      LimitsModule,
      phaseModule('authenticate', unauthorized),
      phaseModule('authorize'),
    ]);
    await request(server).get('/trace').set('X-Fail', 'authenticate').expect(401);
    expect(trace).toEqual(['authenticate']);
    expect(calls).toEqual(['failed']);
    await request(server).get('/trace').set('X-Fail', 'authenticate').set('X-Flood', '1').expect(429);
    // Not an authentication refusal: no hook.
    await request(server).get('/trace').expect(200);
    expect(calls).toEqual(['failed', 'failed']);
  });

  it('runs the platform middleware by slot, not by call order, and refuses a slot filled twice', async () => {
    const seen: string[] = [];
    const mark = (label: string, next: () => void): void => {
      seen.push(label);
      next();
    };
    const server = await boot([RampartCoreModule.forRoot({ logEvents: false })], (nest) => {
      useRawMiddleware(nest, (_req, _res, next) => {
        mark('custom', next);
      });
      useRawMiddleware(
        nest,
        (_req, _res, next) => {
          mark('limits', next);
        },
        'limits',
      );
      useRawMiddleware(
        nest,
        (req, _res, next) => {
          mark(`headers:${getRequestState(req).context.id}`, next);
        },
        'headers',
      );
      useRequestContext(nest);
      expect(() => {
        useRequestContext(nest);
      }).toThrow(expect.objectContaining({ code: 'RAMPART_INSTALLED_TWICE' }));
    });
    const res = await request(server).get('/trace').set('X-Request-Id', 'abc-1').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-1');
    expect(seen).toEqual(['headers:abc-1', 'limits', 'custom']);
  });

  it('refuses a module installed twice', async () => {
    await expect(
      boot([phaseModule('threat'), phaseModule('threat'), RampartCoreModule.forRoot({})]),
    ).rejects.toMatchObject({
      code: 'RAMPART_INSTALLED_TWICE',
    });
  });

  it('refuses a phase that another step requires but nobody provides', async () => {
    @Module({
      imports: [RampartPipelineModule],
      providers: [
        {
          provide: 'NEEDY',
          inject: [RampartPipeline],
          useFactory: (pipeline: RampartPipeline) => {
            pipeline.register({
              phase: 'postAuthenticationLimits',
              owner: 'Needy',
              canActivate: () => true,
              requires: () => ['authenticate'],
            });
            return true;
          },
        },
      ],
    })
    class NeedyModule {}
    await expect(boot([RampartCoreModule.forRoot({}), NeedyModule])).rejects.toMatchObject({
      code: 'RAMPART_AUTHENTICATION_MISSING',
    });
  });

  it('refuses to start with trusted proxies but no request context (every client would be the proxy)', async () => {
    await expect(
      boot([RampartCoreModule.forRoot({ trustedProxies: ['loopback'] })], () => undefined),
    ).rejects.toMatchObject({
      code: 'RAMPART_REQUEST_CONTEXT_MISSING',
    });
  });
});
