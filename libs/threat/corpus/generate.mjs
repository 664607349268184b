// Builds attacks.jsonl and benign.jsonl. Run: node libs/threat/corpus/generate.mjs
// Deterministic: the same file every time, so a change in the corpus is a reviewed diff.
import { writeFileSync } from 'node:fs';
import { ATTACKS } from './payloads.mjs';
import { BENIGN } from './benign.mjs';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const enc = encodeURIComponent;

/** Where a string payload goes; each returns a request. */
const PLACES = {
  query: (p) => ({
    method: 'GET',
    path: '/api/search',
    query: `q=${enc(p)}&page=1`,
    headers: { 'user-agent': CHROME },
  }),
  queryRaw: (p) => ({
    method: 'GET',
    path: '/api/items',
    query: `sort=name&filter=${p.replaceAll('&', '%26').replaceAll('#', '%23').replaceAll(' ', '+')}`,
  }),
  body: (p) => ({
    method: 'POST',
    path: '/api/notes',
    headers: { 'user-agent': CHROME },
    body: { title: 'Note', content: p, tags: ['a'] },
  }),
  nested: (p) => ({
    method: 'PUT',
    path: '/api/users/42',
    body: { profile: { name: 'Ann', address: { city: p } }, items: [{ id: 1, comment: p }] },
  }),
  form: (p) => ({ method: 'POST', path: '/login', body: { username: p, remember: 'on' } }),
  path: (p) => ({ method: 'GET', path: `/api/files/${enc(p)}` }),
  cookie: (p) => ({ method: 'GET', path: '/api/me', headers: { cookie: `theme=dark; prefs=${enc(p)}` } }),
  userAgent: (p) => ({ method: 'GET', path: '/', headers: { 'user-agent': p } }),
  referer: (p) => ({ method: 'GET', path: '/', headers: { referer: p } }),
  forwardedFor: (p) => ({ method: 'GET', path: '/', headers: { 'x-forwarded-for': p } }),
  urlField: (p) => ({ method: 'POST', path: '/api/webhooks', body: { name: 'ci', url: p, events: ['push'] } }),
  urlQuery: (p) => ({ method: 'GET', path: '/api/preview', query: `url=${enc(p)}` }),
  redirect: (p) => ({ method: 'GET', path: '/auth/callback', query: `next=${p}` }),
};

const LOCATIONS = {
  sqli: ['query', 'queryRaw', 'body', 'nested', 'form', 'path', 'cookie', 'userAgent'],
  xss: ['query', 'body', 'nested', 'form', 'path', 'cookie', 'referer', 'userAgent'],
  path_traversal: ['query', 'queryRaw', 'body', 'nested', 'path', 'cookie'],
  command_injection: ['query', 'body', 'nested', 'form', 'userAgent', 'cookie'],
  template_injection: ['query', 'body', 'nested', 'userAgent', 'forwardedFor', 'cookie'],
  ssrf: ['urlField', 'urlQuery', 'nested', 'body'],
  crlf_injection: ['redirect', 'path', 'redirect'],
};

const lines = [];
for (const [category, places] of Object.entries(LOCATIONS)) {
  for (const payload of ATTACKS[category]) {
    const seen = new Set();
    for (const place of places) {
      if (seen.has(place)) continue;
      seen.add(place);
      let p = payload;
      // CRLF payloads are written URL-encoded, as they travel; decode them for JSON bodies.
      if (category === 'crlf_injection' && place === 'path') p = decodeURIComponent(payload);
      const request = PLACES[place](p);
      if (category === 'crlf_injection' && place === 'path') request.path = `/api/r/${payload}`;
      lines.push({ label: 'attack', category, place, request });
    }
  }
}
for (const payload of ATTACKS.nosql_injection) {
  if (typeof payload === 'object') {
    const [op, value] = Object.entries(payload)[0];
    lines.push({
      label: 'attack',
      category: 'nosql_injection',
      place: 'body',
      request: { method: 'POST', path: '/login', body: { username: 'admin', password: payload } },
    });
    lines.push({
      label: 'attack',
      category: 'nosql_injection',
      place: 'nested',
      request: {
        method: 'POST',
        path: '/api/orders/search',
        body: { filter: { customer: { email: payload } }, limit: 10 },
      },
    });
    const scalar = Array.isArray(value) ? (value[0] ?? '') : typeof value === 'object' ? '1' : String(value);
    lines.push({
      label: 'attack',
      category: 'nosql_injection',
      place: 'queryKey',
      request: { method: 'GET', path: '/api/users', query: `username=admin&password${enc(`[${op}]`)}=${enc(scalar)}` },
    });
    lines.push({
      label: 'attack',
      category: 'nosql_injection',
      place: 'queryKeyRaw',
      request: { method: 'GET', path: '/api/users', query: `user[${op}]=${enc(scalar)}` },
    });
    lines.push({
      label: 'attack',
      category: 'nosql_injection',
      place: 'queryObject',
      request: { method: 'GET', path: '/api/users', query: { user: payload } },
    });
  } else {
    for (const place of ['query', 'body', 'nested', 'form']) {
      lines.push({ label: 'attack', category: 'nosql_injection', place, request: PLACES[place](payload) });
    }
  }
}
for (const payload of ATTACKS.prototype_pollution) {
  if (typeof payload === 'object') {
    const body = JSON.parse(`{"name":"x",${JSON.stringify(payload.key)}:${JSON.stringify(payload.value)}}`);
    lines.push({
      label: 'attack',
      category: 'prototype_pollution',
      place: 'body',
      request: { method: 'POST', path: '/api/settings', body },
    });
    lines.push({
      label: 'attack',
      category: 'prototype_pollution',
      place: 'nested',
      request: { method: 'PATCH', path: '/api/settings', body: { prefs: body } },
    });
    const inner = Object.keys(payload.value)[0];
    const q = payload.key === '__proto__' ? `__proto__[${inner}]=true` : `constructor[prototype][${inner}]=true`;
    lines.push({
      label: 'attack',
      category: 'prototype_pollution',
      place: 'queryKey',
      request: { method: 'GET', path: '/api/items', query: q },
    });
    lines.push({
      label: 'attack',
      category: 'prototype_pollution',
      place: 'queryKeyDotted',
      request: { method: 'GET', path: '/api/items', query: q.replace('[', '.').replace(']', '') },
    });
  } else {
    for (const place of ['query', 'body', 'nested', 'form']) {
      lines.push({ label: 'attack', category: 'prototype_pollution', place, request: PLACES[place](payload) });
    }
    lines.push({
      label: 'attack',
      category: 'prototype_pollution',
      place: 'queryKey',
      request: { method: 'GET', path: '/api/items', query: `${enc(payload)}=1` },
    });
  }
}

writeFileSync(new URL('./attacks.jsonl', import.meta.url), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
writeFileSync(
  new URL('./benign.jsonl', import.meta.url),
  BENIGN()
    .map((l) => JSON.stringify(l))
    .join('\n') + '\n',
);
console.log(`${lines.length} attacks, ${BENIGN().length} benign`);
