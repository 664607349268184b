import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type LocalServer } from './utils/outbound-servers';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

const QUOTE = { currency: 'EUR', amount: 1250, validUntil: '2030-01-01T00:00:00Z' };

/**
 * A fake partner on 127.0.0.1. The sample reaches it as `partner.test` through the test-only
 * escape (`allowPrivateNetworks: ['127.0.0.1/32']`); each scenario sets what `/quote` answers.
 */
let partner: LocalServer;
let answer: 'valid' | 'invalid' | 'slow' | 'metadata-redirect' | 'huge' = 'valid';
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  partner = await startHttpServer((req, res) => {
    seenAuthorization.push(req.headers.authorization);
    if (answer === 'valid') return res.end(JSON.stringify({ ...QUOTE, internalMargin: 0.31 }));
    if (answer === 'invalid') return res.end(JSON.stringify({ ...QUOTE, amount: '1250<script>' }));
    if (answer === 'metadata-redirect') {
      return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
    }
    if (answer === 'huge') return res.end(JSON.stringify({ ...QUOTE, padding: 'x'.repeat(200 * 1024) }));
    return undefined; // slow: headers never come
  });
});
afterAll(() => partner.close());

const LEAKS = ['partner.test', '127.0.0.1', '169.254', 'internalMargin', 'script', 'Outbound', 'ECONNREFUSED'];

describe.each(PLATFORMS)('outbound calls through the sample API (%s)', (platform) => {
  let t: TestApp;
  const key = 'k3y-0f-the-partner-api-rotation-1-xyz';
  beforeAll(async () => {
    // Read once, at bootstrap, by OutboundSecrets (this spec file runs in its own process).
    process.env.PARTNER_API_KEYS = `${key},older-key-still-active-during-rotation`;
    t = await startApp(platform, {
      partner: {
        url: `http://partner.test:${partner.port}/v1/`,
        totalTimeoutMs: 700,
        testOnly: {
          allowPrivateNetworks: ['127.0.0.1/32'],
          resolver: async () => [{ address: '127.0.0.1', family: 4 }],
        },
      },
    });
  });
  afterAll(async () => {
    delete process.env.PARTNER_API_KEYS;
    await t.close();
  });

  it('returns the partner quote, validated, with undeclared fields dropped; sends the current key', async () => {
    answer = 'valid';
    const res = await request(t.server).get('/integrations/partner/quote');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(QUOTE);
    expect(seenAuthorization.at(-1)).toBe(`Bearer ${key}`);
  });

  it.each([
    ['invalid', 502, 'BAD_GATEWAY', 'OutboundResponseInvalidError'],
    ['metadata-redirect', 502, 'BAD_GATEWAY', 'OutboundHostNotAllowedError'],
    ['huge', 502, 'BAD_GATEWAY', 'OutboundResponseTooLargeError'],
    ['slow', 504, 'TIMEOUT', 'OutboundTimeoutError'],
  ] as const)(
    'answers a partner that is %s with a bare %i problem, logged server-side',
    async (mode, status, code, logged) => {
      answer = mode;
      const res = await request(t.server).get('/integrations/partner/quote');
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status, code });
      for (const leak of LEAKS) expect(res.text).not.toContain(leak);
      expect(t.logs.lines.some((line) => line.includes(res.body.requestId) && line.includes(logged))).toBe(true);
    },
  );
});

describe.each(PLATFORMS)('the sample partner client without the test escape (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    // PARTNER_URL pointing at the loopback partner: a misconfiguration, or an attacker's doing.
    t = await startApp(platform, { partner: { url: `http://127.0.0.1:${partner.port}/v1/`, totalTimeoutMs: 2000 } });
  });
  afterAll(() => t.close());

  it('refuses to connect to a loopback PARTNER_URL: 502, nothing sent', async () => {
    const before = partner.connections();
    const res = await request(t.server).get('/integrations/partner/quote');
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('BAD_GATEWAY');
    for (const leak of LEAKS) expect(res.text).not.toContain(leak);
    expect(partner.connections()).toBe(before);
    expect(t.logs.lines.some((line) => line.includes('OutboundAddressDeniedError'))).toBe(true);
  });
});

describe.each(PLATFORMS)('the sample without PARTNER_URL (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform);
  });
  afterAll(() => t.close());

  it('answers 503 problem+json', async () => {
    const res = await request(t.server).get('/integrations/partner/quote');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
  });
});
