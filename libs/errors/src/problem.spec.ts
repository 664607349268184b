import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { StoreUnavailableError } from '@rampart/core';
import { describe, expect, it } from 'vitest';
import { toProblem } from './problem';
import { RateLimitedError, SecurityError, ServiceUnavailableError, ValidationError } from './security-error';

describe('toProblem', () => {
  it('keeps a Rampart error’s code, message, extensions and headers', () => {
    const problem = toProblem(
      new RateLimitedError('Slow down.', { headers: { 'Retry-After': '7' }, extensions: { limitedBy: 'minute' } }),
    );
    expect(problem).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      detail: 'Slow down.',
      headers: { 'Retry-After': '7' },
    });
    expect(problem.extensions).toEqual({ limitedBy: 'minute' });
  });

  it('adds field errors to a validation problem', () => {
    const problem = toProblem(new ValidationError([{ field: 'email', message: 'email must be an email' }]));
    expect(problem.extensions).toEqual({ errors: [{ field: 'email', message: 'email must be an email' }] });
  });

  it('sends nothing of a 5xx Rampart error but its title', () => {
    const problem = toProblem(
      new SecurityError('SERVICE_UNAVAILABLE', 503, 'redis at 10.0.0.7 down', { extensions: { host: 'x' } }),
    );
    expect(problem.detail).toBe('Service unavailable');
    expect(problem.extensions).toEqual({});
    expect(problem.internal).toBe(true);
  });

  it('answers a store outage, wherever it surfaced, as 503 with Retry-After and nothing of the cause', () => {
    const problem = toProblem(new StoreUnavailableError('get', new Error('connect ECONNREFUSED 10.0.0.7:6379')));
    expect(problem).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      headers: { 'Retry-After': '5' },
      internal: true,
    });
    expect(problem.detail).not.toContain('10.0.0.7');
  });

  it('gives every 503 a Retry-After, unless the thrower chose one', () => {
    expect(toProblem(new ServiceUnavailableError()).headers).toEqual({ 'Retry-After': '5' });
    expect(toProblem(new ServiceUnavailableError('x', { headers: { 'Retry-After': '1' } })).headers).toEqual({
      'Retry-After': '1',
    });
  });

  it('maps Nest exceptions by status and hides 5xx messages', () => {
    expect(toProblem(new NotFoundException('No such note'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No such note',
    });
    const internal = toProblem(new HttpException('db password=x', 500));
    expect(internal).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', internal: true });
    expect(internal.detail).not.toContain('password');
  });

  it('never uses a wrapped body-parser message, which can quote the body', () => {
    const parserError = Object.assign(new SyntaxError('Unexpected token s in "secret"'), { status: 400 });
    const problem = toProblem(new BadRequestException(parserError.message, { cause: parserError }));
    expect(problem.code).toBe('BAD_REQUEST');
    expect(problem.detail).not.toContain('secret');
  });

  it('turns anything unknown into an internal 500 with a generic detail', () => {
    for (const thrown of [new Error('ECONNREFUSED 10.0.0.5'), 'a string', null, { status: 502 }]) {
      const problem = toProblem(thrown);
      expect(problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', internal: true });
      expect(problem.detail).not.toMatch(/ECONNREFUSED|string/);
    }
  });
});
