/**
 * Flow-affine worker pool. Piscina hands a task to whichever worker is idle, but a flow's state
 * lives in exactly one worker, so the sensor runs one single-thread Piscina pool per shard: the
 * dispatcher picks the shard by flow hash, and that pool's one worker receives the shard's tasks
 * in order. Piscina still gives us worker lifecycle, error propagation and clean shutdown.
 *
 * Piscina does not promise to run queued tasks in submission order (measured: with one thread,
 * task 3 of a replay ran before task 2), but a flow table needs its packets in capture order. So
 * each shard has its own FIFO here and at most one task at a time inside Piscina; the next task is
 * posted the moment the previous one returns.
 *
 * In-flight work is bounded by the capture chunk pool (every task holds its chunk), so a slow
 * shard makes the reader wait instead of queueing without bound.
 */
import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import type { ShardConfig } from './shard-engine.js';
import type { ShardResult, ShardTask } from './shard-task.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Pending {
  task: ShardTask;
  resolve: (r: ShardResult) => void;
  reject: (e: unknown) => void;
}

export class ShardPool {
  private readonly pools: Piscina[] = [];
  /** Tasks submitted but not finished, per shard (the `ndr_worker_queue_batches` gauge). */
  readonly queued: number[];
  private readonly fifo: Pending[][];
  private readonly busy: boolean[];

  constructor(readonly shards: number, cfg: ShardConfig) {
    this.queued = new Array<number>(shards).fill(0);
    this.fifo = Array.from({ length: shards }, () => []);
    this.busy = new Array<boolean>(shards).fill(false);
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

  /** Queue a task for a shard; tasks of one shard run one after another in submission order. */
  run(shard: number, task: ShardTask): Promise<ShardResult> {
    this.queued[shard]++;
    return new Promise<ShardResult>((resolve, reject) => {
      this.fifo[shard].push({ task, resolve, reject });
      if (!this.busy[shard]) this.next(shard);
    });
  }

  private next(shard: number): void {
    const p = this.fifo[shard].shift();
    if (p === undefined) {
      this.busy[shard] = false;
      return;
    }
    this.busy[shard] = true;
    this.post(shard, p.task).then(
      (r) => { this.queued[shard]--; this.next(shard); p.resolve(r); },
      (e: unknown) => { this.queued[shard]--; this.next(shard); p.reject(e); },
    );
  }

  private post(shard: number, task: ShardTask): Promise<ShardResult> {
    const transfer: ArrayBuffer[] = [];
    if (task.ts.byteLength > 0) transfer.push(task.ts.buffer as ArrayBuffer);
    if (task.ent.byteLength > 0) transfer.push(task.ent.buffer as ArrayBuffer);
    if (task.side !== null && task.side.byteOffset === 0 && task.side.byteLength === task.side.buffer.byteLength) {
      transfer.push(task.side.buffer as ArrayBuffer);
    }
    return this.pools[shard].run(task, { transferList: transfer }) as Promise<ShardResult>;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy()));
  }
}
