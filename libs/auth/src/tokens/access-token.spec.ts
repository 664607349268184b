import { describe, expect, it } from 'vitest';
import { clientSubject, principalKindOf } from './access-token';

describe('principalKindOf', () => {
  it("tells a client's own token (sub = client:<client_id>) from a user's", () => {
    expect(principalKindOf({ sub: clientSubject('backend'), client_id: 'backend' })).toBe('client');
    expect(principalKindOf({ sub: 'u-alice', client_id: 'backend' })).toBe('user');
    // A user whose id equals a client id is still a user, and a sub naming another client is no client.
    expect(principalKindOf({ sub: 'backend', client_id: 'backend' })).toBe('user');
    expect(principalKindOf({ sub: clientSubject('other'), client_id: 'backend' })).toBe('user');
    expect(principalKindOf({ sub: clientSubject('backend') })).toBe('user');
  });
});
