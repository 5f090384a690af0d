/**
 * Connection uids: Zeek's shape ("C" + 17 base62 characters), reproducible from a seed (tests and
 * --uid-seed rely on it), and drawn uniformly from the generator's stream. The reference for the
 * stream-to-characters mapping is written out here independently: character i is
 * ALPHABET[next() % 62] of the same xoshiro128** sequence.
 */
import { describe, expect, it } from 'vitest';
import { UidGenerator } from '../../models/flow/uid.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('UidGenerator', () => {
  it('builds "C" + 17 characters, each ALPHABET[next() % 62] of the stream, reproducibly from a seed', () => {
    const g = new UidGenerator(7);
    const ref = new UidGenerator(7);
    for (let i = 0; i < 20_000; i++) {
      let want = 'C';
      for (let k = 0; k < 17; k++) want += ALPHABET[ref.next() % 62];
      expect(g.uid()).toBe(want);
    }
    expect(new UidGenerator(7).uid()).toBe(new UidGenerator(7).uid());
    expect(new UidGenerator(7).uid()).not.toBe(new UidGenerator(8).uid());
    expect(new UidGenerator(1).uid('X')).toMatch(/^X[0-9A-Za-z]{17}$/);
  });

  it('unseeded generators differ, and every character position uses the whole alphabet', () => {
    const a = new UidGenerator();
    const b = new UidGenerator();
    const seen = new Set<string>();
    const chars = Array.from({ length: 18 }, () => new Set<string>());
    for (let i = 0; i < 5000; i++) {
      const u = a.uid();
      expect(u).toMatch(/^C[0-9A-Za-z]{17}$/);
      seen.add(u);
      for (let k = 0; k < 18; k++) chars[k].add(u[k]);
    }
    expect(seen.size).toBe(5000);
    expect(a.uid()).not.toBe(b.uid());
    for (let k = 1; k < 18; k++) expect(chars[k].size).toBe(62);
  });
});
