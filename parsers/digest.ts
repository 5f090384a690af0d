/**
 * One-shot message digests. Node ≥ 20.12 has `crypto.hash()`, about 2.5× cheaper per call than
 * `createHash().update().digest()` (measured here: 0.8 µs vs 1.9 µs for a 40-byte SHA-1) — which
 * matters for per-flow hashes (Community ID) and per-handshake fingerprints (JA3, JA4, HASSH).
 */
import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'base64') => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

export function digest(algorithm: 'md5' | 'sha1' | 'sha256', data: string | Uint8Array, encoding: 'hex' | 'base64'): string {
  if (oneShot !== undefined) return oneShot(algorithm, data, encoding);
  return crypto.createHash(algorithm).update(data).digest(encoding);
}
