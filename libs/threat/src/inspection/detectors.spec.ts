import { describe, expect, it } from 'vitest';
import { inspectRequest } from './inspect';
import type { ThreatCategory } from './types';

/** Payloads outside the corpus, one or two per rule family, and the look-alikes that must pass. */
const CASES: [ThreatCategory, string[], string[]][] = [
  [
    'sqli',
    [
      "' or ''='",
      '1 AND 5423=5423',
      'admin")--',
      "1;EXEC master..xp_cmdshell 'ping 10.10.1.2'--",
      "O'Brien' or 1=1 --",
      'constructor or 1=1',
    ],
    [
      "I'll be there at 5 or 6",
      'Select your seat; update your card',
      "rock 'n' roll",
      'between 5 and 10 people',
      '1 + 1 = 2',
    ],
  ],
  [
    'xss',
    [
      '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
      '<audio src onloadstart=alert(1)>',
      '\'"><img src=x onerror=alert(1)>',
    ],
    ['<b>bold</b> and <i>it</i>', 'x<y', 'JavaScript: The Good Parts', '<img src="https://cdn.example.com/a.png">'],
  ],
  [
    'path_traversal',
    [
      '/..%252f..%252f..%252fetc/passwd',
      '..%u2216..%u2216windows%u2216win.ini',
      '%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    ],
    ['report.v2.final.pdf', 'wait... what?', 'folder/sub.folder/file.txt'],
  ],
  [
    'command_injection',
    ['1.1.1.1|whoami', '; /bin/cat /etc/passwd', '|| ping -c 3 127.0.0.1', '\n/bin/ls -al\n', 'cmd /c dir c:\\'],
    ['dogs; cat people', 'Q&A; echo chamber', '| id | name |', 'data:image/png;base64,iVBORw0KGgo'],
  ],
  [
    'template_injection',
    ['{{4*4}}', '${jndi:dns://evil/a}', "<%= File.open('/etc/passwd').read %>", "#{7*'7'}"],
    ['Hello {{name}}', 'Total ${amount}', '{% raw %}', '50% off'],
  ],
  ['nosql_injection', ['{"$where": "sleep(100)"}', "'; return true; var x='"], ['$5 off', 'Use $ref for reuse']],
  [
    'ssrf',
    [
      'http://0251.0376.0251.0376/',
      'http://[0:0:0:0:0:ffff:169.254.169.254]',
      'http://spoof.127.0.0.1.nip.io',
      'gopher://localhost:25/_HELO',
    ],
    ['https://8.8.8.8/dns-query', 'https://example.com/callback', 'file: report.pdf'],
  ],
  ['crlf_injection', ['%0d%0aLocation: http://evil', '%0aX-Forwarded-Host: evil'], ['line one\nline two']],
  [
    'prototype_pollution',
    ['__proto__.isAdmin', 'constructor[prototype][x]'],
    ['prototype board v2', 'the constructor'],
  ],
];

describe.each(CASES)('%s', (category, attacks, benign) => {
  it.each(attacks)('detects %j', (payload) => {
    const result = inspectRequest({ query: `next=${encodeURIComponent(payload)}`, body: { url: payload } });
    expect(result.threat).toBe(true);
    expect(result.findings.map((f) => f.category)).toContain(category);
  });

  it.each(benign)('lets %j pass', (text) => {
    expect(inspectRequest({ body: { text } }).findings).toEqual([]);
  });
});
