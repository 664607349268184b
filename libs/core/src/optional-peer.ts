/**
 * Thrown when a feature needs an optional peer dependency that is not installed, e.g. Redis
 * storage without `ioredis`. The message names the package and the command that installs it.
 * @publicApi
 */
export class MissingPeerDependencyError extends Error {
  readonly code = 'MISSING_PEER_DEPENDENCY';

  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${feature} needs the package "${packageName}", which is not installed. Run: npm install ${packageName}`,
      options,
    );
    this.name = 'MissingPeerDependencyError';
  }
}

/**
 * Loads an optional peer dependency when a feature first needs it. `require`, not `import()`:
 * the packages are CommonJS, and Jest's CommonJS runtime refuses a dynamic `import()` unless it
 * runs with `--experimental-vm-modules`, which Nest projects do not set.
 */
export function loadOptionalPeer(packageName: string, feature: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous on purpose, see above
    return require(packageName);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const missing = code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(`'${packageName}'`);
    if (missing) throw new MissingPeerDependencyError(packageName, feature, { cause: error });
    throw error;
  }
}
