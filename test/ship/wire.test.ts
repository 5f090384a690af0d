// Wire format units: the documented test vector (docs/wire-protocol.md), nonces, replay window.
import { inflateSync } from 'node:zlib';
import { decode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { parseKeyFile } from '../../sensor/ship/keys.js';
import { NonceSource, ReplayWindow, decodeAckBody, encodeAckBody, openDatagram, parseHeader } from '../../sensor/ship/wire.js';

const KEY = parseKeyFile('k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f').send;
const DATA = '4e44525301010100026b31056963752d310102030405060708000000010000000100000001a0a1a2a3a4a5a6a70000000086587570e58a4616b2ee6978468a9766526dec1029ed3b9eacd744e5d0e50e16dfee31c2b00c2b06206f8f2d';
const ACK = '4e44525301020100026b31056963752d310102030405060708000000000000000000000001a0a1a2a3a4a5a6a70000000133835725748346627d3bfc63545193638b992ad5e3';

describe('wire format', () => {
  it('decodes the test vector of docs/wire-protocol.md', () => {
    const d = Buffer.from(DATA, 'hex');
    const h = parseHeader(d);
    if (typeof h === 'string') throw new Error(h);
    expect({ type: h.type, stream: h.stream, keyId: h.keyId, sensor: h.sensor, session: h.sessionHex, seq: h.seq, floor: h.floor, idx: h.chunkIndex, cnt: h.chunkCount, epoch: h.epochHex, ctr: h.counter, hl: h.headerLen })
      .toEqual({ type: 1, stream: 1, keyId: 'k1', sensor: 'icu-1', session: '0102030405060708', seq: 1, floor: 1, idx: 0, cnt: 1, epoch: 'a0a1a2a3a4a5a6a7', ctr: 0, hl: 49 });
    const plain = openDatagram(KEY, d, h)!;
    expect(decode(inflateSync(plain))).toEqual([{ uid: 'C1', orig_pkts: 3 }]);
    const a = Buffer.from(ACK, 'hex');
    const ah = parseHeader(a);
    if (typeof ah === 'string') throw new Error(ah);
    expect(ah.type).toBe(2);
    expect(decodeAckBody(openDatagram(KEY, a, ah)!)).toEqual({ cum: 1, selective: [] });
  });

  it('nonces never repeat: counter within an epoch, fresh epoch before wrap', () => {
    const n = new NonceSource();
    const seen = new Set<string>();
    const b = Buffer.alloc(12);
    for (let i = 0; i < 1000; i++) {
      n.next(b, 0);
      seen.add(b.toString('hex'));
    }
    n.setCounterForTest(0xfffffffe);
    n.next(b, 0);
    const last = b.toString('hex');
    expect(last.endsWith('fffffffe')).toBe(true);
    n.next(b, 0); // would be 0xffffffff: a new epoch instead
    expect(b.toString('hex').endsWith('00000000')).toBe(true);
    expect(b.subarray(0, 8).toString('hex')).not.toBe(last.slice(0, 16));
    expect(n.epochs).toBe(2);
    seen.add(last).add(b.toString('hex'));
    expect(seen.size).toBe(1002);
    expect(new NonceSource()['epoch' as never]).not.toEqual(new NonceSource()['epoch' as never]);
  });

  it('replay window: new counters pass once, repeats and too-old counters fail', () => {
    const w = new ReplayWindow();
    expect(w.check(5)).toBe(true);
    expect(w.check(5)).toBe(false);
    expect(w.check(3)).toBe(true); // out of order, inside the window
    expect(w.check(3)).toBe(false);
    expect(w.check(5000)).toBe(true);
    expect(w.check(5000 - 1023)).toBe(true);
    expect(w.check(5000 - 1024)).toBe(false); // fell out of the window: treated as replay
    expect(w.check(4999)).toBe(true);
    expect(w.check(4999)).toBe(false);
  });

  it('ack bodies round-trip and reject bad lengths', () => {
    expect(decodeAckBody(encodeAckBody(7, [9, 12]))).toEqual({ cum: 7, selective: [9, 12] });
    expect(decodeAckBody(Buffer.from([0, 0, 0, 1, 2, 0, 0, 0, 9]))).toBeNull();
    expect(decodeAckBody(Buffer.alloc(3))).toBeNull();
  });

  it('rejects sensor ids that would escape the output directory', () => {
    const d = Buffer.from(DATA, 'hex');
    const good = Buffer.concat([d.subarray(0, 11), Buffer.from([5]), Buffer.from('icu-2'), d.subarray(17)]);
    expect(typeof parseHeader(good)).toBe('object'); // the splice itself is sound
    for (const bad of ['..', '.x', 'a/b']) {
      const x = Buffer.concat([d.subarray(0, 11), Buffer.from([bad.length]), Buffer.from(bad), d.subarray(17)]);
      expect(x.length).toBe(d.length - 5 + bad.length);
      expect(parseHeader(x)).toBe('bad_header');
    }
  });
});

describe('reassembly', () => {
  it('refuses chunks cut differently from earlier ones of the same batch, and bounds memory', async () => {
    const { Reassembly } = await import('../../sensor/ship/reassembly.js');
    const r = new Reassembly({ maxBatches: 2, maxBytes: 1000, timeoutMs: 100 });
    expect(r.add('a', 0, 3, Buffer.alloc(10), 0).kind).toBe('stored');
    expect(r.add('a', 1, 3, Buffer.alloc(11), 0).kind).toBe('mismatch');
    expect(r.add('a', 2, 3, Buffer.alloc(11), 0).kind).toBe('mismatch');
    expect(r.add('a', 1, 4, Buffer.alloc(10), 0).kind).toBe('mismatch');
    expect(r.add('a', 0, 3, Buffer.alloc(10), 0).kind).toBe('duplicate');
    expect(r.add('a', 2, 3, Buffer.from('xyz'), 0).kind).toBe('stored');
    const done = r.add('a', 1, 3, Buffer.alloc(10, 1), 0);
    expect(done.kind).toBe('complete');
    if (done.kind === 'complete') expect(done.payload.length).toBe(23);
    expect(r.pending).toBe(0);
    r.add('b', 0, 5, Buffer.alloc(400), 0);
    r.add('c', 0, 5, Buffer.alloc(400), 0);
    r.add('d', 0, 5, Buffer.alloc(400), 0); // third batch: over maxBatches, oldest goes
    expect(r.pending).toBe(2);
    r.add('d', 1, 5, Buffer.alloc(400), 0); // 1200 bytes > 1000: 'c' goes, not the growing 'd'
    expect(r.pending).toBe(1);
    expect(r.bytes).toBe(800);
    expect(r.evictedCap).toBe(2);
    expect(r.expire(50)).toBe(0);
    expect(r.expire(100)).toBe(1);
    expect(r.bytes).toBe(0);
  });
});
