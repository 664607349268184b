import { AbilityBuilder, createMongoAbility, type AnyAbility } from '@casl/ability';
import type { Principal } from '@rampart/auth';

/**
 * Who may do what to which object and field (CASL). Field lists are explicit everywhere: a rule
 * without fields would expose every field, present and future (a password hash added later).
 * - users: their own notes; the names of users of their tenant; their own profile (name writable);
 * - users: also the public profile (username, profile) of the accounts of their tenant;
 * - admins: read and delete any note of their tenant; read and manage users of their tenant;
 *   read accounts of their tenant with their e-mail, and edit their profile;
 * - API keys: note statistics of their tenant.
 */
export function defineAbilities({ user, apiKey }: Principal): AnyAbility {
  const { can, build } = new AbilityBuilder(createMongoAbility);
  if (user) {
    can('create', 'Note', ['title', 'body', 'blocks']);
    can(['read', 'delete'], 'Note', { ownerId: user.id });
    can('update', 'Note', ['title', 'body'], { ownerId: user.id });
    can('read', 'User', ['id', 'name'], { tenantId: user.tenantId });
    can('read', 'User', ['id', 'name', 'email', 'role', 'tenantId'], { id: user.id });
    can('update', 'User', ['name'], { id: user.id });
    can('read', 'Account', ['id', 'username', 'profile', 'createdAt'], { tenantId: user.tenantId });
    if (user.roles.includes('admin')) {
      can(['read', 'delete'], 'Note', { tenantId: user.tenantId });
      can('read', 'User', ['id', 'name', 'email', 'role', 'tenantId', 'status'], { tenantId: user.tenantId });
      can('update', 'User', ['name', 'role', 'status'], { tenantId: user.tenantId });
      can('read', 'Account', ['id', 'tenantId', 'email', 'username', 'profile', 'createdAt'], {
        tenantId: user.tenantId,
      });
      can('update', 'Account', ['profile'], { tenantId: user.tenantId });
    }
  }
  if (apiKey) can('read', 'NoteStats', { tenantId: apiKey.tenantId });
  return build();
}
