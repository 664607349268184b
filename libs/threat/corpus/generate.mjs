// Builds attacks.jsonl and benign.jsonl. Run: node libs/threat/corpus/generate.mjs
// Deterministic: the same file every time, so a change in the corpus is a reviewed diff.
import { writeFileSync } from 'node:fs';
import { ATTACKS } from './payloads.mjs';
import { BENIGN } from './benign.mjs';
import { FAMILIES } from './families.mjs';
import { TRAFFIC } from './traffic.mjs';
import { splitOf } from './split.mjs';

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
  formUrl: (p) => ({ method: 'POST', path: '/api/imports', body: { source: p, format: 'csv' } }),
  customHeader: (p) => ({
    method: 'GET',
    path: '/api/orders',
    headers: { 'user-agent': CHROME, 'x-search-context': p },
  }),
  formLogin: (p) => ({ method: 'POST', path: '/login', body: { username: p, password: 'hunter2' } }),
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

// Second wave: families (families.mjs) in query, JSON, form, path, headers and cookies.
const WAVE2_PLACES = {
  sqli: ['query', 'body', 'form', 'path', 'cookie', 'customHeader'],
  xss: ['query', 'body', 'form', 'path', 'cookie', 'customHeader'],
  path_traversal: ['query', 'body', 'path', 'cookie', 'customHeader'],
  command_injection: ['query', 'body', 'form', 'userAgent', 'cookie', 'customHeader'],
  template_injection: ['query', 'body', 'form', 'userAgent', 'cookie', 'customHeader'],
  ssrf: ['urlField', 'urlQuery', 'formUrl', 'nested'],
  crlf_injection: ['redirect', 'path', 'formLogin', 'query'],
};
const wave2 = [];
for (const [category, families] of Object.entries(FAMILIES)) {
  for (const [family, { source, payloads = [], objects = [] }] of Object.entries(families)) {
    const tag = { family: `${category}.${family}`, source };
    for (const payload of payloads) {
      const split = splitOf(payload);
      const push = (place, request) => wave2.push({ label: 'attack', category, place, ...tag, split, request });
      if (category === 'nosql_injection') {
        for (const place of ['query', 'body', 'form', 'cookie']) push(place, PLACES[place](payload));
        continue;
      }
      if (category === 'prototype_pollution') {
        push('queryKey', { method: 'GET', path: '/api/items', query: `${payload}=1` });
        push('formKey', { method: 'POST', path: '/api/settings', body: { [decodeURIComponent(payload)]: 'true' } });
        push('query', PLACES.query(payload));
        continue;
      }
      for (const place of WAVE2_PLACES[category]) {
        // CRLF payloads are written URL-encoded, as they travel in a URL; bodies carry them decoded.
        if (category === 'crlf_injection') {
          const decoded = decodeURIComponent(payload);
          if (place === 'redirect') push(place, PLACES.redirect(payload));
          else if (place === 'path') push(place, { method: 'GET', path: `/api/r/${payload}` });
          else if (place === 'query') push(place, { method: 'GET', path: '/api/search', query: `q=${payload}` });
          else push(place, PLACES[place](decoded));
          continue;
        }
        push(place, PLACES[place](payload));
      }
    }
    for (const object of objects) {
      const split = splitOf(JSON.stringify(object));
      const push = (place, request) => wave2.push({ label: 'attack', category, place, ...tag, split, request });
      if (category === 'nosql_injection') {
        const [op] = Object.keys(object);
        push('body', { method: 'POST', path: '/login', body: { username: 'admin', password: object } });
        push('nested', {
          method: 'POST',
          path: '/api/orders/search',
          body: { filter: { customer: { email: object } } },
        });
        push('queryKey', { method: 'GET', path: '/api/users', query: `email[${op}]=x` });
        push('queryObject', { method: 'GET', path: '/api/users', query: { email: object } });
        push('cookie', {
          method: 'GET',
          path: '/api/me',
          headers: { cookie: `filter=${enc('j:' + JSON.stringify({ email: object }))}` },
        });
      } else {
        const body = JSON.parse(`{"name":"x",${JSON.stringify(object.key)}:${JSON.stringify(object.value)}}`);
        push('body', { method: 'POST', path: '/api/settings', body });
        push('nested', { method: 'PATCH', path: '/api/settings', body: { prefs: body } });
        push('cookie', {
          method: 'GET',
          path: '/api/me',
          headers: { cookie: `prefs=${enc('j:' + JSON.stringify(body))}` },
        });
      }
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

// The first wave (payloads.mjs, benign.mjs) was written while tuning the detectors: tuning split.
const attacks = [...lines.map((l) => ({ ...l, source: 'payloads.mjs', split: 'tuning' })), ...wave2];
const benign = [
  ...BENIGN().map((l) => ({ ...l, source: 'benign.mjs', split: 'tuning' })),
  ...TRAFFIC().map((l) => ({ ...l, split: splitOf(JSON.stringify(l.request)) })),
];
const write = (file, items) =>
  writeFileSync(new URL(file, import.meta.url), items.map((l) => JSON.stringify(l)).join('\n') + '\n');
write('./attacks.jsonl', attacks);
write('./benign.jsonl', benign);
const count = (items, split) => items.filter((l) => l.split === split).length;
console.log(
  `${attacks.length} attacks (${count(attacks, 'held-out')} held out), ${benign.length} benign (${count(benign, 'held-out')} held out)`,
);
