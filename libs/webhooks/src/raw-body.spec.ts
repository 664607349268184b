import { describe, expect, it } from 'vitest';
import { rawBodyOf } from './raw-body';

describe('rawBodyOf', () => {
  it("returns Nest's raw body bytes on Express (req) and Fastify (request.raw) alike", () => {
    const bytes = Buffer.from('{"a": 1}');
    expect(rawBodyOf({ rawBody: bytes, headers: { 'content-length': '8' } })).toBe(bytes);
    expect(rawBodyOf({ rawBody: bytes, raw: { headers: { 'content-length': '8' } } })).toBe(bytes);
  });

  it('is empty for a request without a body', () => {
    expect(rawBodyOf({ headers: {} })).toHaveLength(0);
    expect(rawBodyOf({ headers: { 'content-length': '0' } })).toHaveLength(0);
  });

  it('refuses to verify a body it cannot see as sent, and says how to fix it', () => {
    expect(() => rawBodyOf({ body: { a: 1 }, headers: { 'content-length': '8' } })).toThrow(/rawBody: true/);
    expect(() => rawBodyOf({ body: { a: 1 }, headers: { 'transfer-encoding': 'chunked' } })).toThrow(/rawBody: true/);
  });
});
