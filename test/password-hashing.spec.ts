import { describe, expect, it } from 'vitest';
import { UsersService } from '../apps/sample-api/src/users/users.service';

describe("the sample's password checks", () => {
  it('verify without blocking the event loop, right and wrong passwords alike', async () => {
    const users = new UsersService({ demoUsers: true });
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const started = Date.now();
    const checks = await Promise.all([
      users.verifyPassword('admin@acme.test', 'admin-password'),
      ...Array.from({ length: 12 }, (_, i) => users.verifyPassword('alice@acme.test', `wrong-${i}`)),
      users.verifyPassword('nobody@acme.test', 'whatever'),
    ]);
    spinning = false;
    const elapsed = Date.now() - started;
    expect(checks[0]?.id).toBe('u-admin');
    expect(checks.slice(1).every((c) => c === undefined)).toBe(true);
    // scryptSync held the loop for every check (0 turns in between); on the thread pool it keeps
    // turning — at least once per millisecond-ish of the checks, loosely, on a shared machine.
    expect(turns).toBeGreaterThan(Math.min(50, elapsed / 4));
  });
});
