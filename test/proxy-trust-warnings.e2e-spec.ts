import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

// Issue #19: the sample's TRUSTED_PROXIES default (loopback only) is said, at start-up and the first
// time a request with X-Forwarded-For comes from a peer trusted only by it.
const STARTUP = /warn TRUSTED_PROXIES is unset: X-Forwarded-For is believed only from loopback/;
const AT_RUN_TIME = /warn A request with X-Forwarded-For came from 127\.0\.0\.1, trusted only by the default/;

/** The sample's configuration as `TRUSTED_PROXIES` makes it (absent: the default). */
function proxies(
  value: string | undefined,
): Pick<ReturnType<typeof loadConfig>, 'trustedProxies' | 'trustedProxiesByDefault'> {
  const { trustedProxies, trustedProxiesByDefault } = loadConfig(value === undefined ? {} : { TRUSTED_PROXIES: value });
  return { trustedProxies, trustedProxiesByDefault };
}

const count = (lines: string[], pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;

describe.each(PLATFORMS)('TRUSTED_PROXIES warnings (%s)', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('unset: warns once at start-up, and once when a loopback peer forwards', async () => {
    t = await startApp(platform, proxies(undefined));
    expect(count(t.logs.lines, STARTUP)).toBe(1);
    await request(t.server).get('/health').expect(200);
    expect(count(t.logs.lines, AT_RUN_TIME)).toBe(0);
    for (let i = 0; i < 3; i++) await request(t.server).get('/health').set('X-Forwarded-For', '203.0.113.9');
    expect(count(t.logs.lines, AT_RUN_TIME)).toBe(1);
    expect(count(t.logs.lines, STARTUP)).toBe(1);
  });

  it('set (even to loopback, or empty): no warning at start-up nor for forwarded requests', async () => {
    for (const value of ['loopback', '', '10.0.0.0/8']) {
      t = await startApp(platform, proxies(value));
      await request(t.server).get('/health').set('X-Forwarded-For', '203.0.113.9');
      expect(t.logs.lines.filter((line) => /TRUSTED_PROXIES/.test(line))).toEqual([]);
      await t.close();
      t = undefined;
    }
  });
});
