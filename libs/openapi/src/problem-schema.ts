import type { HeaderObject, SchemaObject } from '@nestjs/swagger';

/** RFC 9457 problem details as Rampart's SafeExceptionFilter sends them (libs/errors `problemDocument`). */
export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details. Never carries a stack trace, an internal message or the request input.',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId', 'timestamp'],
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'Identifies the problem type.' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong and what to do next, written for the client.' },
    code: {
      type: 'string',
      description: 'Stable, documented error code (e.g. RATE_LIMITED).',
      example: 'RATE_LIMITED',
    },
    requestId: { type: 'string', description: 'The X-Request-Id of the request, to quote when reporting.' },
    timestamp: { type: 'string', format: 'date-time' },
    errors: {
      type: 'array',
      description: 'Field errors of a VALIDATION_ERROR.',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** RFC 6749 §5.2 error response, as the OAuth endpoints send it. */
export const OAUTH_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', example: 'invalid_grant' },
    error_description: { type: 'string' },
  },
};

/** The response headers Rampart sets, by name (draft-ietf-httpapi-ratelimit-headers, RFC 9110). */
export const RAMPART_HEADERS: Record<
  'RateLimit' | 'RateLimit-Policy' | 'Retry-After' | 'WWW-Authenticate',
  HeaderObject
> = {
  RateLimit: {
    description: 'The closest limit: `"<tier>";r=<remaining>;t=<seconds to reset>`.',
    schema: { type: 'string', example: '"minute";r=99;t=60' },
  },
  'RateLimit-Policy': {
    description: 'Every tier of the policy applied: `"<tier>";q=<quota>;w=<window seconds>`.',
    schema: { type: 'string', example: '"minute";q=100;w=60, "hour";q=1000;w=3600' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  },
  'WWW-Authenticate': {
    description: 'The authentication scheme and, for a refused token, the RFC 6750 error.',
    schema: { type: 'string' },
  },
};
