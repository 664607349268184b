/**
 * Expands `{ admin: ['editor'], editor: ['user'] }` to each role and everything it includes
 * (`admin → {admin, editor, user}`). Throws on a cycle, which would make every role in it equal.
 */
export function expandRoleHierarchy(hierarchy: Readonly<Record<string, readonly string[]>>): Map<string, Set<string>> {
  const expanded = new Map<string, Set<string>>();
  const visit = (role: string, path: readonly string[]): Set<string> => {
    if (path.includes(role)) throw new Error(`roleHierarchy has a cycle: ${[...path, role].join(' → ')}.`);
    const done = expanded.get(role);
    if (done) return done;
    const all = new Set([role]);
    const children = Object.hasOwn(hierarchy, role) ? (hierarchy[role] ?? []) : [];
    for (const child of children) for (const r of visit(child, [...path, role])) all.add(r);
    expanded.set(role, all);
    return all;
  };
  for (const role of Object.keys(hierarchy)) visit(role, []);
  return expanded;
}

/** The roles `roles` grant once the hierarchy is applied. */
export function effectiveRoles(
  roles: readonly string[],
  hierarchy: ReadonlyMap<string, ReadonlySet<string>>,
): Set<string> {
  const all = new Set<string>();
  for (const role of roles) for (const r of hierarchy.get(role) ?? [role]) all.add(r);
  return all;
}
