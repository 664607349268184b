import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type Metadatas = ReturnType<Storage['getTargetValidationMetadatas']>;
type Grouped = ReturnType<Storage['groupByPropertyName']>;

const cached = new WeakSet<Storage>();

/**
 * Makes class-validator look up a DTO class's rules once instead of on every validation.
 * class-validator recomputes them for each object it validates (each nested DTO too): it filters
 * the class's rules and tests the class against every class that has rules, to find inherited
 * ones, then groups them by property. The answer depends only on the registered rules, so it is
 * kept per class and options, and dropped whenever a rule is registered (a class defined later).
 * The cached arrays are only read by class-validator. Idempotent; applies to the process's
 * class-validator storage.
 */
export function cacheValidationMetadata(): void {
  const storage = getMetadataStorage();
  if (cached.has(storage)) return;
  cached.add(storage);
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  let byTarget = new WeakMap<object, Map<string, Metadatas>>();
  let groups = new WeakMap<Metadatas, Grouped>();
  const forget = (): void => {
    byTarget = new WeakMap();
    groups = new WeakMap();
  };
  const addValidationMetadata = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    forget();
    addValidationMetadata(metadata);
  };

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groupNames) => {
    // Schemas (validation by schema name) are rare and keyed by string: not cached.
    if (typeof target !== 'function' || schema) return lookup(target, schema, always, strictGroups, groupNames);
    // The usual options (no groups) get constant keys: no string is built per validation.
    const options = groupNames?.length
      ? `${always}|${strictGroups}|${groupNames.join('\u0000')}`
      : always
        ? strictGroups
          ? 'tt'
          : 'tf'
        : strictGroups
          ? 'ft'
          : 'ff';
    let forTarget = byTarget.get(target);
    if (!forTarget) byTarget.set(target, (forTarget = new Map<string, Metadatas>()));
    let metadatas = forTarget.get(options);
    if (!metadatas) forTarget.set(options, (metadatas = lookup(target, schema, always, strictGroups, groupNames)));
    return metadatas;
  };
  storage.groupByPropertyName = (metadatas) => {
    let grouped = groups.get(metadatas);
    if (!grouped) groups.set(metadatas, (grouped = group(metadatas)));
    return grouped;
  };
}
