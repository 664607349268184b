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
