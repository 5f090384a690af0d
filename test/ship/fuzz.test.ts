// Deterministic fuzzing of the collector's input path: mutated and random datagrams must be refused
// with a reason (never a throw), and random msgpack must give an Error, never a crash or hang.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { flowRecord } from '../../bench/synthetic.mjs';
import { BatchBuilder, inflateBatch } from '../../sensor/ship/batch.js';
import { parseKeyFile } from '../../sensor/ship/keys.js';
import { JsonLinesWriter } from '../../sensor/ship/msgpack-json.js';
import { NonceSource, TYPE_DATA, openDatagram, parseHeader, sealDatagram } from '../../sensor/ship/wire.js';
import { rng } from './helpers.js';

const key = parseKeyFile(`k1 ${randomBytes(32).toString('hex')}`).send;

describe('fuzz', () => {
  it('mutated datagrams: parse → open never throws, and nothing but the original authenticates', () => {
    const r = rng(99);
    const d = sealDatagram(key, new NonceSource(), {
      type: TYPE_DATA, stream: 1, sensorId: Buffer.from('fz'), session: randomBytes(8), seq: 9, floor: 1, chunkIndex: 1, chunkCount: 3,
    }, randomBytes(300));
    let authenticated = 0;
    for (let i = 0; i < 20000; i++) {
      const x = Buffer.from(d);
      const kind = i % 4;
      if (kind === 0) x[Math.floor(r() * x.length)] ^= 1 << Math.floor(r() * 8);
      else if (kind === 1) for (let k = 0; k < 4; k++) x[Math.floor(r() * x.length)] = Math.floor(r() * 256);
      const y = kind === 2 ? x.subarray(0, Math.floor(r() * x.length)) : kind === 3 ? Buffer.concat([x, randomBytes(Math.floor(r() * 8) + 1)]) : x;
      const h = parseHeader(y);
      if (typeof h === 'string') continue;
      if (h.keyId !== 'k1') continue;
      if (openDatagram(key, y, h)) authenticated++;
    }
    expect(authenticated).toBe(0);
    for (let i = 0; i < 20000; i++) expect(typeof parseHeader(randomBytes(Math.floor(r() * 200)))).toBe('string');
  });

  it('random and mutated msgpack: the transcoder throws an Error or returns, in bounded time', () => {
    const r = rng(7);
    const b = new BatchBuilder();
    for (let i = 0; i < 50; i++) b.append(b.encode(flowRecord(i)), 0);
    const raw = inflateBatch(b.take(1).payload);
    const w = new JsonLinesWriter();
    const t0 = Date.now();
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      const x = Buffer.from(raw);
      for (let k = 0; k < 1 + (i % 5); k++) x[Math.floor(r() * x.length)] = Math.floor(r() * 256);
      try {
        w.transcode(i % 3 === 0 ? randomBytes(Math.floor(r() * 500)) : x);
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(20000);
  });
});
