import { Inject } from '@nestjs/common';
import { RATE_LIMIT_OPTIONS, RATE_LIMIT_STORAGE } from './rate-limit.constants';

/**
 * Injects the {@link RateLimitStorage} of {@link RateLimitModule}, e.g. to decide outside HTTP.
 * @publicApi
 * @example
 * constructor(@InjectRateLimitStorage() private readonly limits: RateLimitStorage) {}
 */
export const InjectRateLimitStorage = (): ParameterDecorator => Inject(RATE_LIMIT_STORAGE);

/**
 * Injects the resolved options of {@link RateLimitModule}.
 * @publicApi
 * @example
 * constructor(@InjectRateLimitOptions() private readonly options: ResolvedRateLimitOptions) {}
 */
export const InjectRateLimitOptions = (): ParameterDecorator => Inject(RATE_LIMIT_OPTIONS);
