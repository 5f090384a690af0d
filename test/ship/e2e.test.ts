// End to end on real loopback sockets: Shipper → Collector, exactly-once by record uid.
import { readdirSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { flowRecord, alertRecord } from '../../bench/synthetic.mjs';
import { Collector } from '../../sensor/ship/collector.js';
import { loadKeyFile } from '../../sensor/ship/keys.js';
import { Shipper } from '../../sensor/ship/shipper.js';
import { countBy, keyFile, LossyProxy, readRecords, tmp, until } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function collector(outDir: string, kf: string, extra: Partial<ConstructorParameters<typeof Collector>[0]> = {}) {
  const c = new Collector({ host: '127.0.0.1', port: 0, outDir, keys: loadKeyFile(kf), log: () => {}, ...extra });
  await c.start();
  cleanups.push(() => c.close());
  return c;
}

function expectExactlyOnce(outDir: string, sensor: string, stream: string, field: string, n: number, prefix: string) {
  const recs = readRecords(outDir, sensor, stream);
  const counts = countBy(recs, field);
  const missing: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = ((stream === 'alerts' ? alertRecord : flowRecord)(i, prefix) as unknown as Record<string, unknown>)[field];
    if (counts.get(String(id)) !== 1) missing.push(`${id}:${counts.get(String(id)) ?? 0}`);
  }
  expect(missing.slice(0, 10)).toEqual([]);
  expect(recs.length).toBe(n);
  return recs;
}

describe('shipper → collector on loopback', () => {
  it('delivers thousands of flow records and alerts exactly once, records unchanged', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const c = await collector(`${dir}/out`, kf);
    const s = new Shipper({ host: '127.0.0.1', port: c.port, keys: loadKeyFile(kf), sensorId: 'sensor-a', spoolDir: `${dir}/spool`, log: () => {} });
    await s.start();
    cleanups.push(() => void s.close());
    for (let i = 0; i < 20000; i++) {
      s.push('flows', flowRecord(i, 'E'));
      if (i % 40 === 0) s.push('alerts', alertRecord(i / 40, 'EA'));
    }
    const r = await s.drain(20000);
    expect(r.spooled).toBe(0);
    expect(r.unacked).toBe(0);
    expect(r.ackedRecords).toBe(20500);
    const recs = expectExactlyOnce(`${dir}/out`, 'sensor-a', 'flows', 'uid', 20000, 'E');
    expectExactlyOnce(`${dir}/out`, 'sensor-a', 'alerts', 'id', 500, 'EA');
    // The collector writes the pushed objects unchanged (same JSON as --flows-out would).
    const byUid = new Map(recs.map((x) => [x.uid, x]));
    for (const i of [0, 1, 777, 19999]) expect(byUid.get(flowRecord(i, 'E').uid)).toEqual(flowRecord(i, 'E'));
    expect(s.stats.spooledBatches).toBe(0);
    expect(c.counts.bad_tag + c.counts.replay + c.counts.bad_header).toBe(0);
  });

  it('survives 5 % datagram loss in both directions: nothing lost, nothing duplicated', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const c = await collector(`${dir}/out`, kf);
    const proxy = new LossyProxy(c.port, 0.05, 0.05, 7);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const s = new Shipper({ host: '127.0.0.1', port: proxy.port, keys: loadKeyFile(kf), sensorId: 'lossy', spoolDir: `${dir}/spool`, minRtoMs: 50, initialRtoMs: 100, log: () => {},
      limits: { flows: { maxRecords: 100 } } }); // ~100 batches: enough acks that some are lost too
    await s.start();
    cleanups.push(() => void s.close());
    for (let i = 0; i < 10000; i++) s.push('flows', flowRecord(i, 'L'));
    const r = await s.drain(30000);
    expect(r.unacked + r.spooled).toBe(0);
    expect(proxy.dropped[0]).toBeGreaterThan(10);
    expect(proxy.dropped[1]).toBeGreaterThan(0);
    expect(s.stats.batchesRetransmitted).toBeGreaterThan(0);
    expectExactlyOnce(`${dir}/out`, 'lossy', 'flows', 'uid', 10000, 'L');
    expect(c.counts.duplicate).toBeGreaterThan(0);
  });

  it('sends alerts before queued flows', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const c = await collector(`${dir}/out`, kf);
    // A window of one batch: the queue order decides what goes first.
    const s = new Shipper({ host: '127.0.0.1', port: c.port, keys: loadKeyFile(kf), sensorId: 'prio', maxInFlightBatches: 1, limits: { flows: { maxRecords: 100 } }, log: () => {} });
    await s.start();
    cleanups.push(() => void s.close());
    for (let i = 0; i < 3000; i++) s.push('flows', flowRecord(i, 'P'));
    s.push('alerts', alertRecord(0, 'PA'));
    s.flush();
    await until(() => readRecords(`${dir}/out`, 'prio', 'alerts').length === 1, 5000);
    const flowsWhenAlertArrived = readRecords(`${dir}/out`, 'prio', 'flows').length;
    expect(flowsWhenAlertArrived).toBeLessThan(3000);
    await s.drain(10000);
    expectExactlyOnce(`${dir}/out`, 'prio', 'flows', 'uid', 3000, 'P');
  });

  it('keeps payload memory under its cap by reading queued batches back from the spool', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const c = await collector(`${dir}/out`, kf);
    const s = new Shipper({ host: '127.0.0.1', port: c.port, keys: loadKeyFile(kf), sensorId: 'mem', spoolDir: `${dir}/spool`, maxMemoryBytes: 200_000, maxInFlightBatches: 2, log: () => {} });
    await s.start();
    cleanups.push(() => void s.close());
    let peak = 0;
    for (let i = 0; i < 20000; i++) {
      s.push('flows', flowRecord(i, 'M'));
      peak = Math.max(peak, s.stats.memoryBytes);
    }
    expect(s.stats.spooledBatches).toBeGreaterThan(5); // a queue built up
    const r = await s.drain(20000);
    expect(r.spooled + r.unacked).toBe(0);
    // Cap plus the two batches in flight (read back from disk when sent).
    expect(peak).toBeLessThan(200_000 + 2 * 80_000);
    expectExactlyOnce(`${dir}/out`, 'mem', 'flows', 'uid', 20000, 'M');
  });

  it('rotates output files by size; records stay exactly once across files and a collector restart', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const opts = { rotateBytes: 300_000 };
    const c1 = new Collector({ host: '127.0.0.1', port: 0, outDir: `${dir}/out`, keys: loadKeyFile(kf), log: () => {}, ...opts });
    await c1.start();
    const s = new Shipper({ host: '127.0.0.1', port: c1.port, keys: loadKeyFile(kf), sensorId: 'rot', log: () => {} });
    await s.start();
    cleanups.push(() => void s.close());
    for (let i = 0; i < 6000; i++) s.push('flows', flowRecord(i, 'O'));
    expect((await s.drain(10000)).unacked).toBe(0);
    await c1.close();
    const c2 = await collector(`${dir}/out`, kf, { port: c1.port, ...opts });
    void c2;
    for (let i = 6000; i < 9000; i++) s.push('flows', flowRecord(i, 'O'));
    expect((await s.drain(10000)).unacked).toBe(0);
    const files = readdirSync(`${dir}/out/rot`);
    expect(files.filter((f) => /^flows-\d{8}T\d{6}Z-\d+\.jsonl$/.test(f)).length).toBeGreaterThanOrEqual(5);
    expect(files).toContain('flows.jsonl');
    for (const f of files) expect(statSync(`${dir}/out/rot/${f}`).size).toBeLessThan(300_000 + 400_000); // one batch past the limit at most
    expectExactlyOnce(`${dir}/out`, 'rot', 'flows', 'uid', 9000, 'O');
  });
});
