import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { strictCors } from './cors';

describe('strictCors', () => {
  it.each(['*', 'null', 'app.example.com', 'https://app.example.com/', 'https://*.example.com'])(
    'refuses %j as an origin',
    (origin) => {
      expect(() => strictCors({ origins: [origin] })).toThrow(TypeError);
    },
  );

  it('allows only exact origins', () => {
    const options = strictCors({ origins: ['https://app.example.com'] });
    const decide = (origin: string | undefined): boolean | undefined => {
      let allowed: boolean | undefined;
      options.origin(origin, (_e, allow) => {
        allowed = allow;
      });
      return allowed;
    };
    expect(decide('https://app.example.com')).toBe(true);
    expect(decide('https://app.example.com.evil.net')).toBe(false);
    expect(decide('http://app.example.com')).toBe(false);
    expect(decide(undefined)).toBe(false);
  });
});

describe('strictCors on both platforms', () => {
  // Typed as each platform's application, as users declare them: `enableCors(strictCors(…))`
  // must type-check on both (it did not on NestFastifyApplication, TS2345), and answer preflights.
  it.each(['express', 'fastify'] as const)('type-checks and answers a preflight on %s', async (platform) => {
    const moduleRef = await Test.createTestingModule({}).compile();
    const app =
      platform === 'fastify'
        ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    app.enableCors(strictCors({ origins: ['https://app.example.com'] }));
    await app.init();
    if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    try {
      const preflight = (origin: string) =>
        request(app.getHttpServer())
          .options('/anything')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST');
      const allowed = await preflight('https://app.example.com');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const refused = await preflight('https://app.example.com.evil.net');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

describe('strictCors with DPoP', () => {
  it('allows the DPoP header and exposes DPoP-Nonce and WWW-Authenticate only when asked', () => {
    const plain = strictCors({ origins: ['https://app.example.com'] });
    expect(plain.allowedHeaders).not.toContain('DPoP');
    expect(plain.exposedHeaders).not.toContain('DPoP-Nonce');
    const dpop = strictCors({ origins: ['https://app.example.com'], dpop: true });
    expect(dpop.allowedHeaders).toEqual(['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'DPoP']);
    expect(dpop.exposedHeaders).toEqual(expect.arrayContaining(['X-Request-Id', 'DPoP-Nonce', 'WWW-Authenticate']));
  });

  it('adds DPoP to custom allowed headers once, whatever its case', () => {
    const options = strictCors({ origins: ['https://app.example.com'], allowedHeaders: ['dpop'], dpop: true });
    expect(options.allowedHeaders).toEqual(['dpop']);
  });
});
