/**
 * Connection uids in Zeek's shape: "C" followed by base62 characters. Generated from a fast
 * xorshift128+ stream seeded once per worker from node:crypto, so uids of different workers
 * and runs do not collide; a fixed seed makes runs reproducible for tests.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
const CODES = new Uint8Array(17);

export class UidGenerator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed?: number) {
    if (seed === undefined) {
      const b = randomBytes(16);
      this.s0 = b.readUInt32LE(0) | 1;
      this.s1 = b.readUInt32LE(4);
      this.s2 = b.readUInt32LE(8);
      this.s3 = b.readUInt32LE(12);
    } else {
      this.s0 = (seed ^ 0x9e3779b9) | 1;
      this.s1 = Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35;
      this.s2 = 0x27d4eb2f;
      this.s3 = 0x165667b1;
      for (let i = 0; i < 16; i++) this.next();
    }
  }

  /** xoshiro128** step: a uniformly distributed unsigned 32-bit integer. */
  next(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** "C" + 17 base62 characters (about 101 bits). */
  uid(prefix = 'C'): string {
    // One string from 17 character codes (appending a character at a time allocated 17 strings).
    const c = CODES;
    for (let i = 0; i < 17; i++) c[i] = ALPHABET_CODES[this.next() % 62];
    return prefix + String.fromCharCode(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12],
      c[13], c[14], c[15], c[16]);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
