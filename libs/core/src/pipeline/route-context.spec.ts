import { describe, expect, it } from 'vitest';
import { PerRoute } from './route-context';

class Base {
  handle = (): void => undefined;
}
class A extends Base {}
class B extends Base {}

describe('PerRoute', () => {
  it('derives once per controller and handler, an inherited handler once per controller', () => {
    const calls: string[] = [];
    const routes = new PerRoute((handler, controller) => {
      calls.push(`${controller.name}.${handler.name}`);
      return controller === A ? undefined : controller.name;
    });
    const handler = new Base().handle;
    expect([routes.get(A, handler), routes.get(A, handler)]).toEqual([undefined, undefined]);
    expect([routes.get(B, handler), routes.get(B, handler)]).toEqual(['B', 'B']);
    expect(calls).toEqual(['A.handle', 'B.handle']);
  });
});
