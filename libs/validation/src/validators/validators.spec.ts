import { validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { IsSafeUrl, isSafeUrl } from './is-safe-url';
import { IsSecurePassword, passwordWeakness } from './is-secure-password';

describe('isSafeUrl', () => {
  it.each([
    'https://example.com',
    'https://example.com:8443/a?b=c#d',
    'https://1.1.1.1/',
    'https://[2606:4700::1111]/',
  ])('accepts %s', (url) => {
    expect(isSafeUrl(url)).toBe(true);
  });

  it.each([
    'http://example.com',
    'javascript:alert(1)',
    'data:text/html,x',
    '//example.com',
    '/relative',
    'https://user:pass@example.com',
    'https://bank.example@evil.example',
    'https://localhost/',
    'https://app.localhost/',
    'https://127.0.0.1/',
    'https://2130706433/',
    'https://0x7f.1/',
    'https://10.1.2.3/',
    'https://172.16.0.1/',
    'https://192.168.1.1/',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[::7f00:1]/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://metadata/',
    'https://metadata.google.internal/',
    `https://example.com/${'a'.repeat(3000)}`,
    42,
  ])('refuses %s', (url) => {
    expect(isSafeUrl(url)).toBe(false);
  });

  it('takes other protocols and may allow private hosts', () => {
    expect(isSafeUrl('http://example.com', { protocols: ['http', 'https'] })).toBe(true);
    expect(isSafeUrl('https://10.0.0.1/', { allowPrivateHosts: true })).toBe(true);
    expect(isSafeUrl('mailto:a@example.com', { protocols: ['mailto'] })).toBe(true);
  });

  it('works as a decorator', async () => {
    class Dto {
      @IsSafeUrl() website!: unknown;
    }
    const dto = Object.assign(new Dto(), { website: 'https://127.0.0.1' });
    const [error] = await validate(dto);
    expect(error?.constraints).toEqual({ isSafeUrl: 'website must be an absolute https URL to a public host' });
  });
});

describe('passwordWeakness', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(passwordWeakness('correct horse battery staple')).toBeUndefined();
  });

  it.each([
    ['short', 'must be 12 to 128 characters long'],
    ['x'.repeat(129), 'must be 12 to 128 characters long'],
    ['Password1234', 'is a commonly used password'],
    ['abababababab', 'must use more than 4 different characters'],
  ])('refuses %s', (password, reason) => {
    expect(passwordWeakness(password)).toBe(reason);
  });

  it('never quotes the password in its message', async () => {
    class Dto {
      @IsSecurePassword() password!: unknown;
    }
    const [error] = await validate(Object.assign(new Dto(), { password: 'Password1234' }));
    expect(JSON.stringify(error?.constraints)).not.toContain('Password1234');
  });
});
