import { subject as asSubject, type AnyAbility } from '@casl/ability';
import { Inject, Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError } from '@rampart/errors';
import { RAMPART_AUTH_OPTIONS } from '../auth.constants';
import type { ResolvedAuthOptions } from '../auth.options';
import { principalOf } from '../principal';

type Fields = Record<string, unknown>;

/**
 * Resource- and field-level authorization on CASL abilities (the module's `abilities` option):
 * object ownership and tenant checks (OWASP API1), per-caller response fields and writable
 * fields (API3).
 * @publicApi
 * @example
 * const note = this.notes.find(id);              // undefined when absent
 * this.policies.authorize(req, 'update', 'Note', note);  // 404 if unreadable, 403 if read-only
 */
@Injectable()
export class Policies {
  private readonly abilities = new WeakMap<object, AnyAbility>();

  constructor(@Inject(RAMPART_AUTH_OPTIONS) private readonly options: ResolvedAuthOptions) {}

  /** The caller's ability, built once per request. */
  abilityFor(req: object): AnyAbility {
    let ability = this.abilities.get(req);
    if (!ability) {
      if (!this.options.abilities) {
        throw new Error('Policies needs AuthModule.forRoot({ abilities }) to know what callers may do.');
      }
      ability = this.options.abilities(principalOf(req));
      this.abilities.set(req, ability);
    }
    return ability;
  }

  can(req: object, action: string, type: string, object?: object, field?: string): boolean {
    return this.abilityFor(req).can(action, object ? asSubject(type, { ...object }) : type, field);
  }

  /**
   * Throws unless the caller may `action` the object. An object the caller may not even read is
   * answered 404, exactly like one that does not exist, so ids of other users' objects cannot be
   * probed; one it may read but not change is 403.
   */
  authorize<T extends object>(req: object, action: string, type: string, object: T | undefined): asserts object is T {
    if (!object || !this.can(req, 'read', type, object))
      throw new NotFoundError(`No ${type.toLowerCase()} with this id.`);
    if (action !== 'read' && !this.can(req, action, type, object)) {
      throw new ForbiddenError('You are not allowed to do this.', { reason: 'policy_denied' });
    }
  }

  /** The fields of `object` the caller may read (and never an `alwaysHiddenFields` one). */
  readable(req: object, type: string, object: object): Fields {
    const ability = this.abilityFor(req);
    const subject = asSubject(type, { ...object });
    const out: Fields = {};
    for (const [field, value] of Object.entries(object)) {
      if (this.options.alwaysHiddenFields.includes(field)) continue;
      if (ability.can('read', subject, field)) out[field] = value;
    }
    return out;
  }

  /**
   * Refuses (403, listing the fields) a body that sets a field the caller may not write: mass
   * assignment (`{"role": "admin"}` on a profile update) is refused, not silently dropped, so the
   * client learns its request did not do what it asked.
   */
  assertWritable(req: object, action: string, type: string, object: object | undefined, body: object): void {
    const ability = this.abilityFor(req);
    const subject = object ? asSubject(type, { ...object }) : type;
    // A DTO instance declares every field it may hold; only those given a value are being written.
    const written = Object.keys(body).filter((field) => (body as Record<string, unknown>)[field] !== undefined);
    const denied = written.filter((field) => !ability.can(action, subject, field));
    if (denied.length > 0) {
      throw new ForbiddenError(`You may not set these fields: ${denied.join(', ')}.`, {
        reason: 'field_not_writable',
        extensions: { fields: denied },
      });
    }
  }
}
