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
    expect(matchRedirectUri('https://app.example/cb', registered, 'native')).toBe('https://app.example/cb');
    for (const uri of [
      'https://app.example/cb/',
      'https://app.example/c',
      'https://APP.example/cb',
      'https://app.example/cb?x',
      'https://app.example/cb#f',
      'https://app.example:443/cb',
    ]) {
      expect(matchRedirectUri(uri, registered, 'native')).toBeUndefined();
    }
  });

  it('gives a web client no port flexibility, loopback included (RFC 9700 §2.1)', () => {
    expect(matchRedirectUri('http://127.0.0.1/native', registered, 'web')).toBe('http://127.0.0.1/native');
    expect(matchRedirectUri('http://127.0.0.1:51004/native', registered, 'web')).toBeUndefined();
    expect(matchRedirectUri('http://[::1]:1/v6', registered, 'web')).toBeUndefined();
  });

  it("lets only the port of a native client's loopback IP redirect URI vary (RFC 8252 §7.3)", () => {
    expect(matchRedirectUri('http://127.0.0.1:51004/native', registered, 'native')).toBe(
      'http://127.0.0.1:51004/native',
    );
    expect(matchRedirectUri('http://[::1]:1/v6', registered, 'native')).toBe('http://[::1]:1/v6');
    expect(matchRedirectUri('http://127.0.0.1:51004/nativeX', registered, 'native')).toBeUndefined();
    expect(matchRedirectUri('http://127.0.0.1:99999/native', registered, 'native')).toBeUndefined();
    expect(matchRedirectUri('https://127.0.0.1:51004/native', registered, 'native')).toBeUndefined();
    expect(matchRedirectUri('http://localhost:5174/cb', registered, 'native')).toBeUndefined();
    expect(matchRedirectUri('http://127.0.0.1.evil.example/native', registered, 'native')).toBeUndefined();
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
