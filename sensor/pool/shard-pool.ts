/**
 * Flow-affine worker pool. Piscina hands a task to whichever worker is idle, but a flow's state
 * lives in exactly one worker, so the sensor runs one single-thread Piscina pool per shard: the
 * dispatcher picks the shard by flow hash, and that pool's one worker receives the shard's tasks
 * in order. Piscina still gives us worker lifecycle, error propagation and clean shutdown.
 *
 * In-flight work is bounded by the capture chunk pool (every task holds its chunk), so a slow
 * shard makes the reader wait instead of queueing without bound.
 */
import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import type { ShardConfig } from './shard-engine.js';
import type { ShardResult, ShardTask } from './shard-task.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export class ShardPool {
  private readonly pools: Piscina[] = [];
  /** Tasks submitted but not finished, per shard (the `ndr_worker_queue_batches` gauge). */
  readonly queued: number[];

  constructor(readonly shards: number, cfg: ShardConfig) {
    this.queued = new Array<number>(shards).fill(0);
    for (let i = 0; i < shards; i++) {
      this.pools.push(new Piscina({
        filename: WORKER,
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: 1,
        idleTimeout: Infinity,
        // The chunk pool bounds what is in flight; Piscina's own queue never fills beyond that.
        maxQueue: Infinity,
        workerData: cfg,
        resourceLimits: { maxOldGenerationSizeMb: 2048 },
      }));
    }
  }

  run(shard: number, task: ShardTask): Promise<ShardResult> {
    const transfer: ArrayBuffer[] = [];
    if (task.ts.byteLength > 0) transfer.push(task.ts.buffer as ArrayBuffer);
    if (task.ent.byteLength > 0) transfer.push(task.ent.buffer as ArrayBuffer);
    if (task.side !== null && task.side.byteOffset === 0 && task.side.byteLength === task.side.buffer.byteLength) {
      transfer.push(task.side.buffer as ArrayBuffer);
    }
    this.queued[shard]++;
    const p = this.pools[shard].run(task, { transferList: transfer }) as Promise<ShardResult>;
    return p.finally(() => { this.queued[shard]--; });
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy()));
  }
}
