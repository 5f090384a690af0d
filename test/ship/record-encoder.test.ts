/**
 * The shipping path's msgpack encoder must produce exactly the bytes of @msgpack/msgpack's
 * `Encoder({ ignoreUndefined: true })` (the library stays the reference and the fallback): on the
 * sensor's real records, and on seeded random JSON-like values with every number and string shape.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encoder, decode } from '@msgpack/msgpack';
import { RecordEncoder } from '../../sensor/ship/record-encoder.js';
import { BIN, REPO } from '../conformance/corpus.js';
import { rng } from './helpers.js';

const ref = new Encoder({ ignoreUndefined: true });
const ours = new RecordEncoder();
function same(v: unknown): void {
  const a = Buffer.from(ours.encode(v));
  const b = Buffer.from(ref.encode(v));
  // Buffer.equals, not toEqual: deep-comparing 100 KB buffers element by element takes minutes.
  if (!a.equals(b)) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    expect(`ours ${a.subarray(i, i + 16).toString('hex')}`).toBe(`lib  ${b.subarray(i, i + 16).toString('hex')} (at byte ${i} of ${b.length})`);
  }
}

const NUMBERS = [0, -0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -1, -32, -33, -128, -129,
  -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1, 0.5, -1.25, 1e300, NaN, Infinity, -Infinity, 1710234001.434988];
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u00e9', '\u00ff', '\u0100', '\u20ac', '\ud83d\ude00', '\ud800', '\udc00', '\u0000', '\u007f', '\u0080', '\uffff'];

function randomString(r: () => number): string {
  const n = r() < 0.01 ? 70000 : [0, 1, 5, 31, 32, 33, 51, 255, 256][Math.floor(r() * 9)];
  let s = '';
  const ascii = r() < 0.6;
  for (let i = 0; i < n; i++) s += ascii ? String.fromCharCode(32 + Math.floor(r() * 95)) : CHARS[Math.floor(r() * CHARS.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth >= 2 ? 6 : 9)); // containers two levels deep at most (sizes multiply)
  switch (k) {
    case 0: return NUMBERS[Math.floor(r() * NUMBERS.length)];
    case 1: return Math.floor((r() - 0.5) * 2 ** (Math.floor(r() * 60)));
    case 2: return randomString(r);
    case 3: return r() < 0.5;
    case 4: return null;
    case 5: return undefined;
    case 6: return Array.from({ length: [0, 1, 15, 16, 17][Math.floor(r() * 5)] }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = [0, 1, 15, 16, 17, 40][Math.floor(r() * 6)];
      for (let i = 0; i < n; i++) o[r() < 0.8 ? `k${Math.floor(r() * 50)}` : randomString(r)] = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('RecordEncoder', () => {
  it('encodes the sensor\'s own flow records, events and alerts byte for byte as @msgpack/msgpack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ndr-enc-'));
    try {
      const r = spawnSync(BIN, ['replay', join(REPO, 'pcaps', 'hospital-sample.pcap'), '--flows-out', join(dir, 'f'), '--events-out', join(dir, 'e'), '--alerts-out', join(dir, 'a'), '--quiet'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      let n = 0;
      for (const f of ['f', 'e', 'a']) {
        for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)) {
          const rec = JSON.parse(line) as unknown;
          same(rec);
          expect(decode(ours.encode(rec))).toEqual(rec);
          n++;
        }
      }
      expect(n).toBeGreaterThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches the library on every number and string shape and on random nested values (seeded)', () => {
    for (const x of NUMBERS) same({ x, a: [x] });
    for (const c of CHARS) { same(c); same(c.repeat(40)); same(c.repeat(60)); }
    const r = rng(20261126);
    for (let i = 0; i < 3000; i++) same(randomValue(r, 0));
  });

  it('leaves what is not plain data to the library (same bytes, same errors)', () => {
    same({ when: new Date(1710234001434), bin: new Uint8Array([1, 2, 3]) });
    let deep: unknown = 1;
    for (let i = 0; i < 120; i++) deep = [deep];
    expect(() => ours.encode(deep)).toThrow(/Too deep/);
    expect(() => ref.encode(deep)).toThrow(/Too deep/);
    const big = 10n;
    expect(() => ours.encode({ big })).toThrow();
  });
});
