/**
 * What `replay` does before and after the packets: shard threads start before the configuration
 * is read (so they must be stopped when the command fails early, or the process would never
 * exit), and the summary's numbers are grouped without ICU.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSensor } from './helpers/run-sensor.js';
import { grouped } from '../sensor/replay.js';
import type * as ShardPoolModule from '../sensor/pool/shard-pool.js';
import { Dispatcher } from '../sensor/pool/dispatcher.js';
import { shardConfigFrom } from '../sensor/pipeline.js';
import { defaultConfig } from '../sensor/config.js';
import { CaptureFileReader } from '../sensor/capture/file-reader.js';
import { ChunkPool } from '../sensor/capture/chunk-pool.js';
import { decodeLines } from '../sensor/output/record-lines.js';
import { mulberry32 } from './helpers/prng.js';

const SAMPLE = join(__dirname, '..', 'pcaps', 'hospital-sample.pcap');
const dir = mkdtempSync(join(tmpdir(), 'ndr-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay start-up and exit', () => {
  it('exits 2 at once on a bad configuration, although its shard threads were already started', () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, '{"internal_networks": ["10.0.0.0/33"]}');
    const r = runSensor(['replay', SAMPLE, '--config', cfg, '--workers', '2'], { timeoutMs: 20_000 });
    expect(r.signal, 'killed by the timeout: prestarted threads kept the process alive').toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/internal_networks/);
  });

  it('rejects a hostile limits.worker_hang_timeout with exit 2 naming the key', () => {
    for (const v of ['0', '"abc"', '-5', '1e99']) {
      const cfg = join(dir, 'hang.json');
      writeFileSync(cfg, `{"limits": {"worker_hang_timeout": ${v}}}`);
      const r = runSensor(['replay', SAMPLE, '--config', cfg], { timeoutMs: 20_000 });
      expect(r.status, v).toBe(2);
      expect(r.stderr).toMatch(/limits\.worker_hang_timeout: must be a number between 1 and/);
    }
  });

  it('exits 1 with one reason on an unreadable capture (no doubled error code)', () => {
    const r = runSensor(['replay', join(dir, 'missing.pcap')], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.pcap: ENOENT: no such file or directory/);
    expect(r.stderr).not.toMatch(/ENOENT ENOENT/);
  });

  it('a ShardPool takes prestarted threads, which get the configuration with the attach task', async () => {
    const cfg = defaultConfig();
    cfg.protocols.enabled = false;
    // From dist/ (built by `npm test`): the worker thread loads the compiled worker.js beside it.
    const { prestartShardWorkers, prestartedWorkers, ShardPool } = await import(join(__dirname, '..', 'dist', 'sensor', 'pool', 'shard-pool.js')) as typeof ShardPoolModule;
    prestartShardWorkers(1);
    expect(prestartedWorkers()).toBe(1);
    const pool = new ShardPool(1, shardConfigFrom(cfg, 7));
    expect(prestartedWorkers()).toBe(0);
    const dispatcher = new Dispatcher({ shards: 1, vlanInKey: false, udpTimeout: 60, ipTunnelTimeout: 3600, uidSeed: 7 });
    const chunks = new ChunkPool(8, 4 << 20);
    const reader = new CaptureFileReader([SAMPLE], chunks);
    let flows = 0;
    let packets = 0;
    for await (const b of reader.batches()) {
      const r = await pool.run(0, dispatcher.split(b, Date.now())[0]);
      chunks.release(b.chunk);
      packets += r.packets;
      flows += decodeLines(r.flows).length;
    }
    const last = await pool.run(0, dispatcher.emptyTask(true));
    flows += decodeLines(last.flows).length;
    await pool.close();
    expect(packets).toBe(dispatcher.stats.flowUpdates);
    // The same capture through the CLI (its own threads): the prestarted thread built the same flows.
    writeFileSync(join(dir, 'flows-only.json'), '{"protocols":{"enabled":false}}');
    const cli = runSensor(['replay', SAMPLE, '--config', join(dir, 'flows-only.json')]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(flows).toBe(cli.flows.length);
    expect(flows).toBeGreaterThan(100);
  });
});

describe('grouped', () => {
  it('prints integers as toLocaleString("en") does', () => {
    const next = mulberry32(12345);
    const values = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 99_999, 100_000, 999_999, 1_000_000, 2 ** 31, 2 ** 53 - 1, -1, -1000, -1_234_567];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(next() * 10 ** (1 + (i % 12))));
    for (const v of values) expect(grouped(v), String(v)).toBe(v.toLocaleString('en'));
  });
});
