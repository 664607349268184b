import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isNonPublicIp } from '@rampart/core';

/** Options of {@link IsSafeUrl} and {@link isSafeUrl}. @publicApi */
export interface SafeUrlOptions {
  /** Schemes accepted, without the colon. @default ['https'] */
  protocols?: readonly string[];
  /**
   * Accept hosts that name this machine or a private network (localhost, 10.0.0.0/8, 169.254.169.254, fc00::/7…).
   * @default false
   */
  allowPrivateHosts?: boolean;
  /** @default 2048 */
  maxLength?: number;
}

function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  const nonPublic = isNonPublicIp(host);
  if (nonPublic !== undefined) return nonPublic;
  // Single-label names (intranet, metadata) resolve inside the network; so does *.localhost.
  return !host.includes('.') || host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal');
}

/**
 * True when `value` is an absolute URL with an allowed scheme, no credentials, and (unless
 * allowed) a host outside private networks. The WHATWG parser canonicalises the host first, so
 * `http://2130706433/` and `http://0x7f.1/` are seen as 127.0.0.1. This is a check on the text:
 * a public name can still resolve to a private address (DNS rebinding), so code that fetches the
 * URL must also pin and check the resolved address.
 * @publicApi
 * @example
 * isSafeUrl('https://example.com/a') // true
 */
export function isSafeUrl(value: unknown, options: SafeUrlOptions = {}): boolean {
  if (typeof value !== 'string' || value.length > (options.maxLength ?? 2048)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const protocols = options.protocols ?? ['https'];
  if (!protocols.includes(url.protocol.slice(0, -1))) return false;
  // user:pass@ in a link is a phishing device ("https://bank.example@evil.example").
  if (url.username !== '' || url.password !== '') return false;
  if (url.hostname === '' && url.protocol !== 'mailto:') return false;
  return options.allowPrivateHosts === true || url.hostname === '' || !isPrivateHost(url.hostname);
}

/**
 * Accepts only safe absolute URLs: see {@link isSafeUrl}.
 * @publicApi
 * @example
 * @IsSafeUrl({ protocols: ['https'] }) website!: string;
 */
export function IsSafeUrl(options: SafeUrlOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  const protocols = options.protocols ?? ['https'];
  return ValidateBy(
    {
      name: 'isSafeUrl',
      validator: {
        validate: (value: unknown) => isSafeUrl(value, options),
        defaultMessage: () => `$property must be an absolute ${protocols.join(' or ')} URL to a public host`,
      },
    },
    validationOptions,
  );
}
