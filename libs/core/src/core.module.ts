import { Inject, Logger, Module, type INestApplication, type OnApplicationShutdown } from '@nestjs/common';
import { RAMPART_CORE_OPTIONS, RAMPART_STORE } from './core.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './core.module-definition';
import { resolveCoreOptions, type RampartCoreOptions, type ResolvedCoreOptions } from './core.options';
import { InvalidOptionsError } from './invalid-options.error';
import { MalformedRequestError } from './malformed-request.error';
import { capConnectionsPerClient } from './connection-cap';
import { CORE_PART, RampartPipelineModule } from './pipeline/rampart-pipeline.module';
import { pipelineOf, RampartPipeline } from './pipeline/rampart-pipeline';
import { useRawMiddleware } from './raw-middleware';
import { attachRequestContext } from './request-context';
import { SecurityEvents } from './security-events';
import { MemoryStore } from './store/memory.store';
import { RedisStore } from './store/redis.store';
import type { Store } from './store/store';

async function createStore(options: ResolvedCoreOptions): Promise<Store> {
  const logger = new Logger('RampartCore');
  if (options.store.type === 'redis') {
    const store = await RedisStore.create(options.store);
    logger.log('Shared state: Redis');
    return store;
  }
  logger.log('Shared state: in memory (this process only; configure Redis when running several instances)');
  return new MemoryStore(options.store);
}

/**
 * Request context (id, client identity), the shared {@link Store} and {@link SecurityEvents}.
 * Global by default: import it once, in the root module.
 *
 * @publicApi
 * @example
 * RampartCoreModule.forRoot({ trustedProxies: ['loopback'], store: { type: 'redis', url: process.env.REDIS_URL } })
 */
@Module({
  imports: [RampartPipelineModule],
  providers: [
    {
      provide: RAMPART_CORE_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN, RampartPipeline],
      useFactory: (raw: RampartCoreOptions, pipeline: RampartPipeline) => {
        const options = resolveCoreOptions(raw);
        pipeline.install(CORE_PART, options);
        return options;
      },
    },
    { provide: RAMPART_STORE, inject: [RAMPART_CORE_OPTIONS], useFactory: createStore },
    {
      provide: SecurityEvents,
      inject: [RAMPART_CORE_OPTIONS],
      useFactory: (options: ResolvedCoreOptions) => {
        const events = new SecurityEvents();
        events.setLogging(options.logEvents);
        return events;
      },
    },
  ],
  exports: [RAMPART_CORE_OPTIONS, RAMPART_STORE, SecurityEvents, RampartPipelineModule],
})
export class RampartCoreModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(RAMPART_STORE) private readonly store: Store) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Gives every request its context (request id, client IP, protocol) and echoes `X-Request-Id`,
 * ahead of body parsing and routing so that even a 404 or a parse error carries the id; with
 * `connections.perClient`, caps each client's open sockets on the server's `connection` event.
 * It runs first whenever it is called (its slot is `context`); call it before `listen()`, or call
 * `useRampart(app)`, which installs it.
 *
 * @publicApi
 * @example
 * const app = await NestFactory.create(AppModule);
 * useRequestContext(app);
 */
export function useRequestContext(app: INestApplication): void {
  const options = pipelineOf(app)?.part(CORE_PART);
  if (!options) {
    throw new InvalidOptionsError(
      'CORE_INVALID_OPTIONS',
      'useRequestContext(app) needs RampartCoreModule.forRoot() among the imports of the application module.',
    );
  }
  useRawMiddleware(
    app,
    (req, res, next) => {
      const context = attachRequestContext(req, res, options);
      if (!context.forwardedInvalid) return next();
      next(
        new MalformedRequestError(
          `The ${options.proxyHeader === 'forwarded' ? 'Forwarded' : 'X-Forwarded-For'} header from the proxy is not a list of addresses.`,
          'invalid_forwarding_header',
        ),
      );
    },
    'context',
  );
  capConnectionsPerClient(app, options);
}
