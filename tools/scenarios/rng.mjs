// @ts-check
/** Seeded PRNG (mulberry32) and sampling helpers: same seed → same scenario bytes. */

export class Rng {
  /** @param {number} seed */
  constructor(seed) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** uniform [0,1) */
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** @param {number} a @param {number} b */
  uniform(a, b) {
    return a + (b - a) * this.next();
  }
  /** integer in [a, b] @param {number} a @param {number} b */
  int(a, b) {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  /** @template T @param {readonly T[]} arr @returns {T} */
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)];
  }
  /** @param {number} p */
  chance(p) {
    return this.next() < p;
  }
  /** exponential with mean m @param {number} m */
  exp(m) {
    return -m * Math.log(1 - this.next());
  }
  /** log-normal around median m with sigma s (log space) @param {number} m @param {number} s */
  lognormal(m, s) {
    // Box-Muller
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return m * Math.exp(s * z);
  }
  /** Poisson count with mean l (small l) @param {number} l */
  poisson(l) {
    if (l > 50) return Math.max(0, Math.round(l + Math.sqrt(l) * this.normal()));
    const L = Math.exp(-l);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > L);
    return k - 1;
  }
  normal() {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** @param {number} n */
  hex(n) {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
  /** @param {number} n @param {string} alphabet */
  str(n, alphabet = 'abcdefghijklmnopqrstuvwxyz') {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
  /** A new independent stream derived from this one and a label. @param {string} label */
  fork(label) {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
    return new Rng((h ^ Math.floor(this.next() * 4294967296)) >>> 0);
  }
}
