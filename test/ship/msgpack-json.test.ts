// The collector's msgpack → JSON-lines transcoder must give exactly JSON.stringify(decode(record)).
import { encode, Encoder } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { alertRecord, flowRecord } from '../../bench/synthetic.mjs';
import { decodeBatch, BatchBuilder, inflateBatch } from '../../sensor/ship/batch.js';
import { JsonLinesWriter } from '../../sensor/ship/msgpack-json.js';
import { rng } from './helpers.js';

function viaLibrary(records: unknown[]): string {
  const b = new BatchBuilder();
  for (const r of records) b.append(b.encode(r), 0);
  const { payload } = b.take(1);
  const fast = new JsonLinesWriter(16).transcode(inflateBatch(payload));
  const slow = decodeBatch(payload).map((r) => JSON.stringify(r) + '\n').join('');
  expect(fast.count).toBe(records.length);
  expect(fast.text.toString('utf8')).toBe(slow);
  return slow;
}

describe('msgpack → JSON lines', () => {
  it('matches JSON.stringify on flow and alert records', () => {
    const recs = [];
    for (let i = 0; i < 3000; i++) recs.push(flowRecord(i * 7919, 'T'), alertRecord(i));
    const text = viaLibrary(recs);
    // And equals what the sensor would write with --flows-out (JSON.stringify of the same object).
    expect(text.split('\n')[0]).toBe(JSON.stringify(flowRecord(0, 'T')));
  });

  it('matches on edge values: escapes, unicode, numbers, nesting, odd keys, binary, dates', () => {
    const odd = [
      { s: 'quote " backslash \\ nl \n tab \t ctl \u0001 del \u007f', e: '' },
      { u: 'Grüße 東京 😀', [`k\u00e9y`]: 1 },
      { lone: '\ud800x' },
      { n: [0, -0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, -(2 ** 53), 1.5, -1e-7, 1e21, 123456789.125, Number.MAX_VALUE, Number.MIN_VALUE] },
      { nan: NaN, inf: Infinity, ninf: -Infinity },
      { nested: { a: [{ b: [[], {}, [null, true, false]] }] }, nul: null, und: undefined },
      { '10': 'index-like key', b: 2, '__proto__': 3 } as Record<string, unknown>,
      { bin: new Uint8Array([1, 2, 3]) },
      { d: new Date(1700000000123) },
      { long: 'x'.repeat(70000), k: 'y'.repeat(40) },
      'a bare string', 42, null, [1, 'two'],
    ];
    viaLibrary(odd);
  });

  it('matches on random records', () => {
    const r = rng(42);
    const val = (d: number): unknown => {
      const t = Math.floor(r() * (d > 2 ? 6 : 8));
      switch (t) {
        case 0: return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1);
        case 1: return r() * 1e6;
        case 2: return String.fromCharCode(...Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * (r() < 0.9 ? 128 : 0x3000))));
        case 3: return r() < 0.5;
        case 4: return null;
        case 5: return Math.floor(r() * 300);
        case 6: return Array.from({ length: Math.floor(r() * 5) }, () => val(d + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 6) }, (_, i) => [`k${i}_${Math.floor(r() * 99)}`, val(d + 1)]));
      }
    };
    const recs = Array.from({ length: 2000 }, () => ({ a: val(0), b: val(0), c: val(1) }));
    viaLibrary(recs);
  });

  it('rejects malformed payloads with an error, not a crash or hang', () => {
    const w = new JsonLinesWriter();
    const good = Buffer.from(encode([{ a: 'x'.repeat(20) }, 1, 2]));
    for (let n = 0; n < good.length; n++) expect(() => w.transcode(good.subarray(0, n))).toThrow();
    expect(() => w.transcode(Buffer.from([0x92, 0x01]))).toThrow(/truncated/);
    expect(() => w.transcode(Buffer.concat([good, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => w.transcode(Buffer.from([0x01]))).toThrow(/not an array/);
    expect(() => w.transcode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow();
    // Deep nesting: an error (stack), caught by the collector as a bad batch.
    const deep = Buffer.concat([Buffer.from([0x91]), Buffer.alloc(200000, 0x91), Buffer.from([0xc0])]);
    expect(() => w.transcode(deep)).toThrow();
    void Encoder;
  });
});
