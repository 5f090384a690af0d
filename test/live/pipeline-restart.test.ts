/**
 * Worker death in the pipeline itself (compiled dist/: the shard workers load dist/sensor/pool/worker.js),
 * on a real corpus file through the real reader and workers:
 *  - replay semantics (no restart): the run fails — `finish()` rejects naming the dead shard — so
 *    `replay` exits 1 instead of writing an incomplete result as if it were complete;
 *  - live semantics (restartWorkers): the shard gets a new worker, exactly the flows the dead one
 *    held are lost and reported, later batches are processed, a crash loop ends the run.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/transpile.js';

const WIKI = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus', 'zeek_wikipedia.pcap');
const dist = path.join(repoRoot, 'dist', 'sensor');
const { Pipeline } = await import(path.join(dist, 'pipeline.js'));
const { CaptureFileReader } = await import(path.join(dist, 'capture', 'file-reader.js'));
const { defaultConfig } = await import(path.join(dist, 'config.js'));

/* eslint-disable @typescript-eslint/no-explicit-any */
async function feed(p: any): Promise<void> {
  for await (const b of new CaptureFileReader([WIKI], p.chunks).batches()) await p.submit(b);
}

async function settle(p: any): Promise<void> {
  p.tick();
  for (let i = 0; i < 100 && p.shards.queued.some((q: number) => q > 0); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('a worker dies in the pipeline', () => {
  it('replay (no restart): the run fails and says which shard died', async () => {
    const p = new Pipeline(defaultConfig(), { workers: 2, uidSeed: 1 });
    try {
      await feed(p);
      await settle(p);
      await p.shards.killWorker(0);
      await expect(p.finish()).rejects.toThrow(/worker of shard 0 died/);
      expect(p.failed).not.toBeNull();
    } finally {
      await p.close();
    }
  });

  it('live (restartWorkers): a new worker takes over; exactly the held flows are lost and reported', async () => {
    const p = new Pipeline(defaultConfig(), { workers: 2, uidSeed: 1, restartWorkers: true });
    const losses: any[] = [];
    const flows: any[] = [];
    p.addObserver({ workerLost: (l: any) => losses.push(l) });
    p.addSink({ flows: (r: object[]) => flows.push(...r) });
    try {
      await feed(p);
      await settle(p);
      const held = [...p.stats.activeFlows];
      expect(held[0]).toBeGreaterThan(0);
      await p.shards.killWorker(0);
      for (let i = 0; i < 100 && losses.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(losses).toHaveLength(1);
      expect(losses[0]).toMatchObject({ shard: 0, flows: held[0], tasks: 0, packets: 0, restarts: 1 });
      expect(p.stats.lost).toEqual({ restarts: 1, tasks: 0, packets: 0, flows: held[0] });
      // The same traffic again: the new worker builds its flows; the old shard-1 flows just continue.
      await feed(p);
      await p.finish();
      expect(p.failed).toBeNull();
      expect(p.shards.restarts).toEqual([1, 0]);
      // Shard 1 emits its flows once (continued), shard 0 only the ones rebuilt after the restart.
      expect(flows.length).toBe(held[1] + held[0]);
    } finally {
      await p.close();
    }
  });

  it('live: a worker that keeps dying ends the run', async () => {
    const p = new Pipeline(defaultConfig(), { workers: 1, restartWorkers: true });
    try {
      for (let i = 0; i < 6; i++) {
        const before = p.shards.restarts[0];
        await p.shards.killWorker(0);
        for (let j = 0; j < 200 && p.shards.restarts[0] === before && p.shards.up; j++) await new Promise((r) => setTimeout(r, 10));
        for (let j = 0; j < 200 && !p.shards.up && i < 5; j++) await new Promise((r) => setTimeout(r, 10));
      }
      expect(p.shards.restarts[0]).toBe(5);
      expect(p.shards.up).toBe(false);
      expect(p.shards.problems()[0]).toMatch(/keeps dying \(5 restarts within 60 s\)/);
      await expect(p.finish()).rejects.toThrow(/keeps dying/);
    } finally {
      await p.close();
    }
  });
});
