import type { INestApplication, Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { RouteInventory, type RouteProtection } from '@rampart/auth';
import { SKIP_RATE_LIMIT } from '@rampart/rate-limit';
import { AssertionError } from 'node:assert';
import { leaksStackTrace } from '../assertions';
import { createTestTokens, type TestTokenClaims, type TestTokens } from '../test-tokens';
import { HOSTILE_BODIES, HOSTILE_PARAMS } from './hostile-inputs';
import { listen, ProbeClients, send, type ProbeAnswer, type ProbeRequest } from './attack-http';
import type { ProbeCheck, ProbeFinding, ProbeObjectFixture, ProbeOptions, ProbeReport } from './probe-options';

type Check = Exclude<ProbeCheck, 'inconclusive'>;
const ALL_CHECKS: readonly Check[] = [
  'unexpected-public',
  'unauthenticated',
  'forged-credential',
  'bola',
  'rate-limit-headers',
  'mass-assignment',
  'hostile-input',
];
const WRITES = new Set(['POST', 'PUT', 'PATCH']);
/** A field no DTO declares: a write that accepts it would accept `isAdmin` or `ownerId` too. */
const UNKNOWN_FIELD = 'rampartProbeUnknownField';

/** `METHOD /path` patterns: `*` as the method matches any, a trailing `*` any rest of the path. */
export function matchesRoute(pattern: string, route: Pick<RouteProtection, 'method' | 'path'>): boolean {
  const space = pattern.indexOf(' ');
  const method = space < 0 ? '*' : pattern.slice(0, space).toUpperCase();
  const path = space < 0 ? pattern : pattern.slice(space + 1);
  if (method !== '*' && method !== route.method) return false;
  return path.endsWith('*') ? route.path.startsWith(path.slice(0, -1)) : route.path === path;
}

/** The path parameters of a route path (`:id`, `*path`, `{*path}`). */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/[:*](\w+)/g)].map((m) => m[1] ?? '');
}

function fillPath(path: string, value: (name: string) => string): string {
  return path.replace(/[:*](\w+)/g, (_all, name: string) => value(name)).replace(/[{}]/g, '');
}

/** The scopes and roles a route asks for, so a forged token fails on its forgery alone. */
function claimsFor(route: RouteProtection): TestTokenClaims {
  const names = (text: string): string[] => text.split(/[\s|&()]+/).filter((s) => s.length > 0 && s !== 'any');
  const roles = names(route.roles);
  return { scope: names(route.scopes).join(' '), ...(roles.length ? { roles } : {}) };
}

const describeAnswer = (answer: ProbeAnswer, timeoutMs: number): string =>
  answer.error === 'timeout'
    ? `no answer within ${timeoutMs} ms`
    : answer.error === 'reset'
      ? 'the connection was reset'
      : `${answer.status} ${answer.body.slice(0, 160)}`;

/** A 403 of threat detection (a block or a ban), as opposed to one of authorization. */
const isThreatRefusal = (answer: ProbeAnswer): boolean =>
  answer.status === 403 && /"code"\s*:\s*"THREAT_DETECTED"/.test(answer.body);

const hasRateLimitHeaders = (answer: ProbeAnswer): boolean =>
  ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit'].some((name) => answer.headers[name] !== undefined);

/** Whether `@SkipRateLimit()` exempts a route: a decision written down, not a missing limit. */
function rateLimitSkips(app: INestApplication): (route: RouteProtection) => boolean {
  const discovery = app.get(DiscoveryService, { strict: false });
  const reflector = app.get(Reflector, { strict: false });
  const classes = new Map<string, Type>();
  for (const wrapper of discovery.getControllers()) {
    const metatype = wrapper.metatype as Type | null;
    if (metatype) classes.set(metatype.name, metatype);
  }
  return (route) => {
    const controller = classes.get(route.controller);
    if (!controller) return false;
    const handler = (controller.prototype as Record<string, unknown>)[route.handler];
    const targets = typeof handler === 'function' ? [handler, controller] : [controller];
    return reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT, targets) === true;
  };
}

/**
 * Attacks every route of the app's route inventory (`@rampart/auth`'s `RouteInventory`) over real
 * HTTP, in process: public routes nobody declared public, protected routes reachable without a
 * credential or with a forged one (alg none, a foreign key, expired, another audience or issuer,
 * HMAC keyed with the public key, an invented API key), another user's objects (BOLA, from the
 * fixtures you give), unknown fields on writes (mass assignment), hostile input (injection, NoSQL
 * operators, deep, oversized and malformed JSON, hostile path parameters: never a 5xx, a hang or a
 * stack trace) and protected routes answering without rate-limit headers. Returns a report; fail
 * the test with {@link assertNoFindings}. Run it on a test app (it creates and deletes data as the
 * routes do), with relaxed limits (`withRampartTesting(..., { rateLimit: 'relaxed' })`): a 429
 * proves nothing and is reported as `inconclusive`.
 * @publicApi
 * @example
 * const report = await probeApp(app, {
 *   tokens,
 *   credentials: await tokens.bearer('alice', { scope: 'notes:read notes:write' }),
 *   publicRoutes: ['GET /health'],
 *   objects: [{ params: { id: aliceNote.id }, owner: aliceHeaders, stranger: bobHeaders }],
 * });
 * assertNoFindings(report);
 */
export async function probeApp(app: INestApplication, options: ProbeOptions = {}): Promise<ProbeReport> {
  const checks = new Set<Check>(options.checks ?? ALL_CHECKS);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const prefix = options.globalPrefix ? `/${options.globalPrefix.replace(/^\/+|\/+$/g, '')}` : '';
  const apiKeyHeader = options.apiKeyHeader ?? 'x-api-key';
  const routes = app
    .get(RouteInventory, { strict: false })
    .routes.filter((route) => !(options.exclude ?? []).some((pattern) => matchesRoute(pattern, route)));
  const skipsRateLimit = rateLimitSkips(app);
  // Without the app's own kit, forgeries come from a kit the app never trusted.
  const forger: TestTokens = options.tokens ?? (await createTestTokens());
  const findings: ProbeFinding[] = [];
  const coverage: ProbeReport['coverage'] = {
    'unexpected-public': 0,
    unauthenticated: 0,
    'forged-credential': 0,
    bola: 0,
    'rate-limit-headers': 0,
    'mass-assignment': 0,
    'hostile-input': 0,
  };
  let requests = 0;
  const server = await listen(app);

  const name = (route: RouteProtection): string => `${route.method} ${route.path}`;
  const defaultPath = (route: RouteProtection, params: Record<string, string> = {}): string =>
    prefix +
    fillPath(route.path, (param) => encodeURIComponent(params[param] ?? options.params?.[param] ?? 'rampart-probe'));
  const clients = new ProbeClients();
  const call = async (route: RouteProtection, req: Omit<ProbeRequest, 'method' | 'from'>): Promise<ProbeAnswer> => {
    requests++;
    const method = route.method === 'ALL' ? 'GET' : route.method;
    const answer = await send(server.port, { ...req, method, from: clients.next() }, timeoutMs);
    if (!answer.unbound) return answer;
    clients.unavailable();
    return send(server.port, { ...req, method }, timeoutMs);
  };
  const report = (check: ProbeCheck, route: RouteProtection, detail: string, answer: ProbeAnswer): void => {
    // A 429 means the probe was limited, a ban its own earlier hostile requests: whatever it was
    // testing stays unknown.
    const limited = answer.status === 429;
    const banned = !clients.isolated && isThreatRefusal(answer);
    findings.push({
      check: limited || banned ? 'inconclusive' : check,
      route: name(route),
      detail: limited
        ? `${check}: ${detail} was rate limited (429): relax limits for the probe`
        : banned
          ? `${check}: ${detail}: refused by threat detection, which the probe's own hostile requests may have set off (one source address here): run the probe with threat in monitor mode`
          : detail,
      status: answer.status,
    });
  };
  const expectRefused = (route: RouteProtection, check: Check, what: string, answer: ProbeAnswer): void => {
    if (answer.status !== 401)
      report(check, route, `${what}: ${describeAnswer(answer, timeoutMs)} (expected 401)`, answer);
  };
  const json = (body: unknown): Pick<ProbeRequest, 'body' | 'headers'> => ({
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  // Protected routes are attacked past authentication with the caller's credentials.
  const asCaller = (route: RouteProtection): Record<string, string> | undefined =>
    route.auth === 'public' ? {} : options.credentials;

  try {
    for (const route of routes) {
      if (route.auth === 'public') {
        if (!checks.has('unexpected-public')) continue;
        coverage['unexpected-public']++;
        if (!(options.publicRoutes ?? []).some((pattern) => matchesRoute(pattern, route))) {
          const answer = await call(route, { path: defaultPath(route) });
          report(
            'unexpected-public',
            route,
            `@Public() (${route.controller}.${route.handler}) but not in publicRoutes; without a credential: ${describeAnswer(answer, timeoutMs)}`,
            answer,
          );
        }
        continue;
      }
      if (checks.has('unauthenticated')) {
        coverage.unauthenticated++;
        expectRefused(route, 'unauthenticated', 'no credential', await call(route, { path: defaultPath(route) }));
      }
      if (checks.has('forged-credential')) {
        coverage['forged-credential']++;
        const path = defaultPath(route);
        const claims = claimsFor(route);
        const forged: [string, Record<string, string>][] = [];
        if (route.auth !== 'apiKey') {
          const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
          forged.push(['alg none', bearer(forger.algNone('rampart-probe', claims))]);
          forged.push(['a foreign key', bearer(await forger.foreignKey('rampart-probe', claims))]);
          forged.push(['a malformed token', bearer('rampart.probe.token')]);
          if (options.tokens) {
            const t = options.tokens;
            forged.push(['an expired token', bearer(await t.expired('rampart-probe', claims))]);
            forged.push(['another audience', bearer(await t.wrongAudience('rampart-probe', claims))]);
            forged.push(['another issuer', bearer(await t.wrongIssuer('rampart-probe', claims))]);
            // Algorithm confusion: HS256 keyed with the public key, which anyone holds.
            const publicKeyBytes = new TextEncoder().encode(JSON.stringify(t.publicJwk));
            const hmac = await t.sign(t.claimsFor('rampart-probe', claims), { alg: 'HS256' }, publicKeyBytes);
            forged.push(['HS256 keyed with the public key', bearer(hmac)]);
          }
        }
        if (route.auth !== 'jwt')
          forged.push(['an invented API key', { [apiKeyHeader]: 'rk_rampartprobe_0000000000000000' }]);
        for (const [what, headers] of forged) {
          expectRefused(route, 'forged-credential', what, await call(route, { path, headers }));
        }
      }
    }

    if (checks.has('bola')) {
      for (const fixture of options.objects ?? []) await probeObjects(fixture);
    }

    for (const route of routes) {
      const headers = asCaller(route);
      if (!headers) continue;
      if (checks.has('rate-limit-headers') && route.auth !== 'public' && !skipsRateLimit(route)) {
        const answer = await call(route, {
          path: defaultPath(route),
          headers,
          ...(WRITES.has(route.method) ? json({}) : {}),
        });
        // Only answers past authorization say anything: a 401/403 may come before the limits.
        if (answer.status !== 401 && answer.status !== 403) {
          coverage['rate-limit-headers']++;
          if (!hasRateLimitHeaders(answer)) {
            report('rate-limit-headers', route, `answered ${answer.status} without RateLimit headers`, answer);
          }
        }
      }
      if (!WRITES.has(route.method)) {
        if (checks.has('hostile-input') && pathParams(route.path).length > 0) await probeHostileParams(route, headers);
        continue;
      }
      if (checks.has('mass-assignment')) await probeMassAssignment(route, headers);
      if (checks.has('hostile-input')) await probeHostileBodies(route, headers);
    }
  } finally {
    await server.stop();
  }
  return { routes: routes.map(name), requests, coverage, findings };

  async function probeObjects(fixture: ProbeObjectFixture): Promise<void> {
    const names = Object.keys(fixture.params);
    const targets = routes.filter((route) => {
      if (route.auth === 'public') return false;
      if (fixture.routes) return fixture.routes.some((pattern) => matchesRoute(pattern, route));
      const params = pathParams(route.path);
      return params.length > 0 && params.every((param) => names.includes(param));
    });
    for (const route of targets) {
      coverage.bola++;
      const path = defaultPath(route, fixture.params);
      const body: Pick<ProbeRequest, 'body' | 'headers'> = WRITES.has(route.method)
        ? json(options.bodies?.[name(route)] ?? {})
        : {};
      // The stranger goes first: a write that succeeds is the finding, whatever it did to the object.
      const stolen = await call(route, { path, ...body, headers: { ...body.headers, ...fixture.stranger } });
      if (stolen.status < 300) {
        report(
          'bola',
          route,
          `another user's object (${JSON.stringify(fixture.params)}) answered ${stolen.status} to a stranger`,
          stolen,
        );
      } else if (stolen.status === 429) {
        report('bola', route, 'the stranger', stolen);
      }
      if (route.method === 'GET') {
        // Without this, a fixture naming no real object would make the check pass vacuously.
        const own = await call(route, { path, headers: fixture.owner });
        if (own.status >= 300) {
          findings.push({
            check: 'inconclusive',
            route: name(route),
            detail: `bola: the owner got ${describeAnswer(own, timeoutMs)} for ${JSON.stringify(fixture.params)}: the fixture proves nothing`,
            status: own.status,
          });
        }
      }
    }
  }

  async function probeMassAssignment(route: RouteProtection, headers: Record<string, string>): Promise<void> {
    coverage['mass-assignment']++;
    const valid = options.bodies?.[name(route)];
    const base = typeof valid === 'object' && valid !== null ? valid : {};
    const answer = await call(route, {
      path: defaultPath(route),
      ...json({ ...base, [UNKNOWN_FIELD]: true, isAdmin: true }),
      headers: { 'content-type': 'application/json', ...headers },
    });
    // With a valid body, the unknown field is the only thing wrong: the answer must be exactly 400.
    const refused = valid === undefined ? answer.status >= 400 && answer.status < 500 : answer.status === 400;
    if (!refused || answer.status === 429) {
      report(
        'mass-assignment',
        route,
        `unknown fields '${UNKNOWN_FIELD}', 'isAdmin': ${describeAnswer(answer, timeoutMs)} (expected 400)`,
        answer,
      );
    }
  }

  async function probeHostileBodies(route: RouteProtection, headers: Record<string, string>): Promise<void> {
    coverage['hostile-input']++;
    for (const hostile of HOSTILE_BODIES) {
      const answer = await call(route, {
        path: defaultPath(route),
        body: hostile.body(options.oversizedBytes ?? 2 * 1024 * 1024),
        headers: { 'content-type': hostile.contentType, ...headers },
      });
      // A body limit may reset the connection before reading an oversized body: that is a refusal.
      if (answer.error === 'reset' && hostile.name === 'an oversized body') continue;
      judgeHostile(route, hostile.name, answer, hostile.mustBeRefused);
    }
  }

  async function probeHostileParams(route: RouteProtection, headers: Record<string, string>): Promise<void> {
    coverage['hostile-input']++;
    for (const value of HOSTILE_PARAMS) {
      const path = prefix + fillPath(route.path, () => value);
      judgeHostile(route, `path parameters '${value}'`, await call(route, { path, headers }), false);
    }
  }

  function judgeHostile(route: RouteProtection, what: string, answer: ProbeAnswer, mustBeRefused: boolean): void {
    const description = describeAnswer(answer, timeoutMs);
    if (answer.error !== undefined || answer.status >= 500) {
      report('hostile-input', route, `${what}: ${description}`, answer);
    } else if (mustBeRefused && answer.status < 400) {
      report('hostile-input', route, `${what} was accepted: ${description}`, answer);
    } else if (answer.status === 429) {
      report('hostile-input', route, what, answer);
    } else if (answer.status >= 400 && leaksStackTrace(answer.body)) {
      report('hostile-input', route, `${what}: the error leaks a stack trace: ${description}`, answer);
    }
  }
}

/**
 * Fails the test (Node's `AssertionError`, any runner) when the probe found anything, listing
 * every finding.
 * @publicApi
 * @example
 * assertNoFindings(await probeApp(app, { tokens, credentials }));
 */
export function assertNoFindings(report: ProbeReport): void {
  if (report.findings.length === 0) return;
  const lines = report.findings.map((f) => `  [${f.check}] ${f.route}: ${f.detail}`);
  throw new AssertionError({
    message: `probeApp found ${report.findings.length} problem(s) in ${report.routes.length} routes:\n${lines.join('\n')}`,
    actual: report.findings,
    expected: [],
    stackStartFn: assertNoFindings,
  });
}
