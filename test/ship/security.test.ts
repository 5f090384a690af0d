// Hostile datagrams against a real collector socket: each rejected and counted under its reason,
// nothing written, memory bounded under a flood of partial batches.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowRecord } from '../../bench/synthetic.mjs';
import { BatchBuilder } from '../../sensor/ship/batch.js';
import { Collector } from '../../sensor/ship/collector.js';
import { loadKeyFile, parseKeyFile, type ShipKey } from '../../sensor/ship/keys.js';
import { NonceSource, TYPE_DATA, decodeAckBody, openDatagram, parseHeader, sealDatagram } from '../../sensor/ship/wire.js';
import { keyFile, readRecords, tmp, until } from './helpers.js';

let dir: string;
let c: Collector;
let key: ShipKey;
let sock: dgram.Socket;
let metricsPort = 0;
let srv: http.Server;
const acks: Buffer[] = [];

beforeAll(async () => {
  dir = tmp();
  const kf = keyFile(dir);
  key = loadKeyFile(kf).send;
  c = new Collector({
    host: '127.0.0.1', port: 0, outDir: `${dir}/out`, keys: loadKeyFile(kf), log: () => {},
    reassembly: { maxBatches: 200, maxBytes: 2 * 1024 * 1024, timeoutMs: 60_000 },
  });
  await c.start();
  srv = await c.serveMetrics('127.0.0.1', 0);
  metricsPort = (srv.address() as { port: number }).port;
  sock = dgram.createSocket('udp4');
  sock.on('message', (m) => acks.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  sock.close();
  await new Promise((r) => srv.close(r));
  await c.close();
});

const nonces = new NonceSource();
const session = randomBytes(8);
let nextSeq = 1;

/** A complete, valid batch of `n` flow records as datagrams (chunked at 1000 bytes). */
function batch(n: number, seq = nextSeq++, k: ShipKey = key, sensor = 'sec'): Buffer[] {
  const b = new BatchBuilder();
  for (let i = 0; i < n; i++) b.append(b.encode(flowRecord(seq * 1000 + i, 'S')), 0);
  const { payload } = b.take(1);
  const count = Math.ceil(payload.length / 1000);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(sealDatagram(k, nonces, {
      type: TYPE_DATA, stream: 1, sensorId: Buffer.from(sensor), session, seq, floor: 1, chunkIndex: i, chunkCount: count,
    }, payload.subarray(i * 1000, (i + 1) * 1000)));
  }
  return out;
}

async function send(ds: Buffer[]): Promise<void> {
  for (const d of ds) await new Promise<void>((r) => sock.send(d, c.port, '127.0.0.1', () => r()));
}

async function expectCount(result: string, before: number, delta: number): Promise<void> {
  await until(() => c.counts[result] >= before + delta, 2000);
  expect(c.counts[result] - before).toBe(delta);
}

async function scrape(): Promise<string> {
  return new Promise((res, rej) => {
    http.get(`http://127.0.0.1:${metricsPort}/metrics`, (r) => {
      let t = '';
      r.on('data', (d) => (t += d));
      r.on('end', () => res(t));
    }).on('error', rej);
  });
}

describe('collector security', () => {
  it('accepts a valid batch and acknowledges it with an authenticated ack', async () => {
    const before = c.records;
    await send(batch(50, 1000));
    await until(() => c.records === before + 50 && acks.length > 0, 2000);
    expect(c.records - before).toBe(50);
    const h = parseHeader(acks[0]);
    if (typeof h === 'string') throw new Error(h);
    const body = decodeAckBody(openDatagram(key, acks[0], h)!)!;
    expect(body.selective).toContain(1000);
  });

  it('a flipped bit anywhere (header or ciphertext or tag) is rejected as bad_tag', async () => {
    const before = c.counts.bad_tag;
    const rec = c.records;
    const d = batch(3)[0];
    const h = parseHeader(d);
    if (typeof h === 'string') throw new Error(h);
    // Bits in the authenticated header fields (session, seq, floor, nonce) and in the body/tag.
    const positions = [h.headerLen - 30, h.headerLen - 25, h.headerLen - 20, h.headerLen - 5, h.headerLen + 3, d.length - 1];
    for (const p of positions) {
      const x = Buffer.from(d);
      x[p] ^= 0x10;
      await send([x]);
    }
    await expectCount('bad_tag', before, positions.length);
    expect(c.records).toBe(rec);
  });

  it('a wrong key under a known id is bad_tag; an unknown key id is unknown_key', async () => {
    const bt = c.counts.bad_tag;
    const uk = c.counts.unknown_key;
    const wrong = parseKeyFile(`k1 ${randomBytes(32).toString('hex')}`).send;
    const other = parseKeyFile(`k9 ${randomBytes(32).toString('hex')}`).send;
    await send(batch(3, undefined, wrong));
    await send(batch(3, undefined, other));
    await expectCount('bad_tag', bt, 1);
    await expectCount('unknown_key', uk, 1);
  });

  it('a replayed batch is rejected as replay and written once', async () => {
    const ds = batch(20, 2000);
    await send(ds);
    await until(() => readRecords(`${dir}/out`, 'sec', 'flows').some((r) => r.uid === flowRecord(2000 * 1000, 'S').uid), 2000);
    const before = c.counts.replay;
    const rec = c.records;
    await send(ds);
    await send(ds);
    await expectCount('replay', before, 2 * ds.length);
    expect(c.records).toBe(rec);
    const uids = readRecords(`${dir}/out`, 'sec', 'flows').map((r) => r.uid).filter((u) => u === flowRecord(2000 * 1000, 'S').uid);
    expect(uids).toHaveLength(1);
  });

  it('truncated headers are bad_header, every length', async () => {
    const before = c.counts.bad_header;
    const d = batch(3)[0];
    const h = parseHeader(d);
    if (typeof h === 'string') throw new Error(h);
    const cuts: Buffer[] = [];
    for (let n = 1; n < h.headerLen + 16; n++) cuts.push(d.subarray(0, n));
    await send(cuts);
    await expectCount('bad_header', before, cuts.length);
  });

  it('chunk count 65,535 (and 0, and index >= count) is chunk_count', async () => {
    const before = c.counts.chunk_count;
    const mk = (idx: number, cnt: number) => sealDatagram(key, nonces, {
      type: TYPE_DATA, stream: 1, sensorId: Buffer.from('sec'), session, seq: 77, floor: 1, chunkIndex: idx, chunkCount: cnt,
    }, Buffer.alloc(100));
    await send([mk(0, 65535), mk(65534, 65535), mk(0, 0), mk(5, 5), mk(0, 1025)]);
    await expectCount('chunk_count', before, 5);
  });

  it('memory stays bounded under a flood of partial batches', async () => {
    const evBefore = c.counts.accepted;
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    // 5,000 different batches, each announcing 1,000 chunks and sending one 1,000-byte chunk.
    for (let i = 0; i < 5000; i++) {
      await send([sealDatagram(key, nonces, {
        type: TYPE_DATA, stream: 1, sensorId: Buffer.from('flood'), session, seq: 1 + i, floor: 1, chunkIndex: 0, chunkCount: 1000,
      }, randomBytes(1000))]);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 2)); // let the receiver drain its socket
    }
    await until(() => c.counts.accepted >= evBefore + 5000, 5000);
    expect(c.counts.accepted - evBefore).toBe(5000);
    const m = await scrape();
    const pending = Number(/ndr_collector_reassembly_pending (\d+)/.exec(m)![1]);
    const bytes = Number(/ndr_collector_reassembly_bytes (\d+)/.exec(m)![1]);
    const evicted = Number(/ndr_collector_reassembly_evictions\{reason="cap"\} (\d+)/.exec(m)![1]);
    expect(pending).toBeLessThanOrEqual(200);
    expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(evicted).toBeGreaterThanOrEqual(4800);
    // 5,000 × 1 kB would be 5 MB held without the cap; the heap did not grow by that.
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(20 * 1024 * 1024);
  });

  it('exposes every rejection reason in ndr_collector_datagrams_total{result}', async () => {
    const m = await scrape();
    for (const r of ['bad_tag', 'unknown_key', 'replay', 'bad_header', 'chunk_count']) {
      const v = Number(new RegExp(`ndr_collector_datagrams_total\\{result="${r}"\\} (\\d+)`).exec(m)![1]);
      expect(v).toBe(c.counts[r]);
      expect(v).toBeGreaterThan(0);
    }
    expect(m).toMatch(/ndr_collector_batches_total \d+/);
    expect(m).toMatch(/ndr_collector_records_total\{stream="flows"\} \d+/);
    expect(m).toMatch(/ndr_collector_sensor_last_seen_seconds\{sensor="sec"\} \d/);
  });
});
