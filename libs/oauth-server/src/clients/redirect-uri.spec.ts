import { describe, expect, it } from 'vitest';
import { matchRedirectUri, redirectUriProblem } from './redirect-uri';

describe('matchRedirectUri', () => {
  const registered = [
    'https://app.example/cb',
    'http://127.0.0.1/native',
    'http://[::1]:8080/v6',
    'http://localhost:5173/cb',
  ];

  it('matches exact strings only', () => {
    expect(matchRedirectUri('https://app.example/cb', registered)).toBe('https://app.example/cb');
    for (const uri of [
      'https://app.example/cb/',
      'https://app.example/c',
      'https://APP.example/cb',
      'https://app.example/cb?x',
      'https://app.example/cb#f',
      'https://app.example:443/cb',
    ]) {
      expect(matchRedirectUri(uri, registered)).toBeUndefined();
    }
  });

  it('lets only the port of a loopback IP redirect URI vary (RFC 8252 §7.3)', () => {
    expect(matchRedirectUri('http://127.0.0.1:51004/native', registered)).toBe('http://127.0.0.1:51004/native');
    expect(matchRedirectUri('http://[::1]:1/v6', registered)).toBe('http://[::1]:1/v6');
    expect(matchRedirectUri('http://127.0.0.1:51004/nativeX', registered)).toBeUndefined();
    expect(matchRedirectUri('http://127.0.0.1:99999/native', registered)).toBeUndefined();
    expect(matchRedirectUri('https://127.0.0.1:51004/native', registered)).toBeUndefined();
    expect(matchRedirectUri('http://localhost:5174/cb', registered)).toBeUndefined();
    expect(matchRedirectUri('http://127.0.0.1.evil.example/native', registered)).toBeUndefined();
  });
});

describe('redirectUriProblem', () => {
  it('allows https, loopback http and reverse-domain private-use schemes', () => {
    for (const uri of [
      'https://app.example/cb',
      'http://127.0.0.1/cb',
      'http://localhost:3000/cb',
      'com.example.app:/cb',
    ]) {
      expect(redirectUriProblem(uri)).toBeUndefined();
    }
  });

  it('refuses http for other hosts, fragments, user info and bare schemes', () => {
    for (const uri of [
      'http://app.example/cb',
      'https://app.example/cb#x',
      'https://u:p@app.example/cb',
      'myapp:/cb',
      'javascript:alert(1)',
      'cb',
    ]) {
      expect(redirectUriProblem(uri)).toBeDefined();
    }
  });
});
