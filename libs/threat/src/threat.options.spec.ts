import { describe, expect, it } from 'vitest';
import { resolveThreatOptions, type ThreatModuleOptions } from './threat.options';

describe('resolveThreatOptions', () => {
  it('defaults to blocking, with CRS-style scores and the design notes’ windows', () => {
    const options = resolveThreatOptions();
    expect(options.mode).toBe('block');
    expect(options.threshold).toBe(70);
    expect(options.inspect.scores).toEqual({ critical: 70, high: 50, medium: 30, low: 10 });
    expect(options.behaviour.scanning).toEqual({ limit: 50, windowMs: 300_000, score: 70 });
    expect(options.behaviour.failedLogins.score).toBeGreaterThanOrEqual(options.threshold);
    expect(options.banTtlMs).toBe(900_000);
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('merges partial signal options with the defaults', () => {
    const options = resolveThreatOptions({ behaviour: { requestRate: { limit: 5 } } });
    expect(options.behaviour.requestRate).toEqual({ limit: 5, windowMs: 60_000, score: 30 });
  });

  it.each<[string, ThreatModuleOptions]>([
    ['an unknown mode', { mode: 'drop' as never }],
    ['a zero threshold', { threshold: 0 }],
    ['a paranoia level of 3', { paranoia: 3 as never }],
    ['a malformed trusted client', { trustedClients: ['10.0.0.0/33'] }],
    ['a negative window', { behaviour: { scanning: { windowMs: -1 } } }],
    ['an error ratio above 1', { behaviour: { errorRate: { ratio: 2 } } }],
    ['a NaN ban TTL', { banTtlMs: Number.NaN }],
    ['a negative observation flush interval', { store: { observationFlushMs: -1 } }],
    ['an empty observation batch', { store: { observationBatchSize: 0 } }],
  ])('refuses %s at bootstrap with THREAT_INVALID_OPTIONS', (_name, raw) => {
    expect(() => resolveThreatOptions(raw)).toThrow(expect.objectContaining({ code: 'THREAT_INVALID_OPTIONS' }));
  });
});
