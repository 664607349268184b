import { InvalidOptionsError } from '@rampart/core';

/** Options of {@link ErrorsModule}. @publicApi */
export interface ErrorsModuleOptions {
  /**
   * Prefix of each problem's `type` URI; the code follows in kebab case
   * (`urn:rampart:problem:rate-limited`). Point it at your own documentation if you publish one.
   * @default 'urn:rampart:problem:'
   */
  problemTypeBase?: string;
}

export interface ResolvedErrorsOptions {
  readonly problemTypeBase: string;
}

export function resolveErrorsOptions(raw: ErrorsModuleOptions = {}): ResolvedErrorsOptions {
  const problemTypeBase = raw.problemTypeBase ?? 'urn:rampart:problem:';
  if (!/^[a-z][a-z0-9+.-]*:\S*$/i.test(problemTypeBase)) {
    throw new InvalidOptionsError(
      'ERRORS_INVALID_OPTIONS',
      'problemTypeBase must be an absolute URI such as https://example.com/problems/.',
    );
  }
  return Object.freeze({ problemTypeBase });
}
