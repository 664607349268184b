/** One hostile request body, and whether a 2xx answer to it is itself a finding. */
export interface HostileBody {
  name: string;
  contentType: string;
  body: (oversizedBytes: number) => string;
  /** Absurd input no handler should accept (a 2xx means a limit is missing). */
  mustBeRefused: boolean;
}

/** Deeper than any real document and than Rampart's shape limits; it overflows naive recursive code. */
const DEPTH = 5_000;

export const HOSTILE_BODIES: readonly HostileBody[] = [
  {
    name: 'injection strings in every common field',
    contentType: 'application/json',
    body: () => {
      const payloads = [
        "' OR '1'='1' --",
        '<script>alert(1)</script>',
        '{{7*7}}${7*7}',
        '../../../../etc/passwd',
        '; cat /etc/passwd',
      ];
      const fields = ['id', 'name', 'title', 'body', 'email', 'q', 'url', 'description'];
      return JSON.stringify(Object.fromEntries(fields.map((field, i) => [field, payloads[i % payloads.length]])));
    },
    mustBeRefused: false,
  },
  {
    name: 'NoSQL operators and a prototype-pollution key',
    contentType: 'application/json',
    body: () => '{"title":{"$ne":null},"owner":{"$gt":""},"__proto__":{"isAdmin":true}}',
    mustBeRefused: true,
  },
  {
    name: `JSON nested ${DEPTH} levels deep`,
    contentType: 'application/json',
    body: () => `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`,
    mustBeRefused: true,
  },
  {
    name: 'an oversized body',
    contentType: 'application/json',
    body: (bytes) => `{"title":"${'A'.repeat(bytes)}"}`,
    mustBeRefused: true,
  },
  {
    name: 'malformed JSON',
    contentType: 'application/json',
    body: () => '{"title": "unterminated',
    mustBeRefused: true,
  },
];

/**
 * Path parameter values, already percent-encoded, that break naive string building: SQL, an
 * encoded traversal, and bytes that are not UTF-8 (a decoder that throws must not become a 500).
 */
export const HOSTILE_PARAMS: readonly string[] = ["1'%20OR%20'1'%3D'1", '..%2F..%2F..%2Fetc%2Fpasswd', '%00%ff%fe'];
