// The tuning / held-out split: by a hash of the payload (attacks) or of the request (benign), so
// every placement of one payload lands in the same split and the split never depends on what the
// detector says. Half of the second wave is held out. See README.md for the procedure.
import { createHash } from 'node:crypto';

export function splitOf(key) {
  return createHash('sha256').update(`rampart-threat-corpus:${key}`).digest()[0] % 2 === 0 ? 'held-out' : 'tuning';
}
