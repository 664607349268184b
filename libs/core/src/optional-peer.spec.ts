import { describe, expect, it } from 'vitest';
import { loadOptionalPeer, MissingPeerDependencyError } from './optional-peer';

describe('loadOptionalPeer', () => {
  it('loads an installed package synchronously', () => {
    const ioredis = loadOptionalPeer('ioredis', 'Redis storage') as typeof import('ioredis');
    expect(typeof ioredis.Redis).toBe('function');
  });

  it('names the missing package and how to install it', () => {
    const load = () => loadOptionalPeer('rampart-no-such-package', 'Redis storage');
    expect(load).toThrow(MissingPeerDependencyError);
    expect(load).toThrow('Redis storage needs the package "rampart-no-such-package"');
    expect(load).toThrow('npm install rampart-no-such-package');
  });
});
