export { useBodyLimits } from './body-limits';
export type { BodyLimitsOptions } from './body-limits';
