/**
 * Flow-affine worker pool. A flow's state lives in exactly one worker, but Piscina hands a task
 * to whichever worker is idle — and, measured here, does not even run one thread's queued tasks in
 * submission order (task 3 of a replay ran before task 2, splitting flows). So each shard is a
 * single-thread Piscina pool (Piscina starts, watches and stops the thread) plus a MessageChannel
 * of its own: capture tasks go over the channel, which delivers in order, and several can be in
 * flight so the worker never waits for the dispatcher between tasks.
 *
 * In-flight work is bounded by the capture chunk pool (every task holds its chunk), so a slow
 * shard makes the reader wait instead of queueing without bound.
 */
import { Piscina } from 'piscina';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ShardConfig } from './shard-engine.js';
import type { ShardResult, ShardTask } from './shard-task.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Pending {
  resolve: (r: ShardResult) => void;
  reject: (e: unknown) => void;
}

export class ShardPool {
  private readonly pools: Piscina[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly pending: Pending[][];
  private readonly attached: Promise<unknown>[] = [];
  /** Tasks submitted but not finished, per shard (the `ndr_worker_queue_batches` gauge). */
  readonly queued: number[];

  constructor(readonly shards: number, cfg: ShardConfig) {
    this.queued = new Array<number>(shards).fill(0);
    this.pending = Array.from({ length: shards }, () => []);
    for (let i = 0; i < shards; i++) {
      const pool = new Piscina({
        filename: WORKER,
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Infinity,
        // An idle Piscina worker in 'sync' atomics mode blocks its event loop in Atomics.wait;
        // ours must keep serving the MessageChannel between Piscina tasks.
        atomics: 'disabled',
        workerData: cfg,
        resourceLimits: { maxOldGenerationSizeMb: 2048 },
      });
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (r: ShardResult | { error: string }) => this.onReply(i, r));
      port1.on('close', () => this.failAll(i, new Error(`worker of shard ${i} went away`)));
      this.attached.push(pool.run({ attach: port2 }, { transferList: [port2] }).catch((e: unknown) => {
        this.failAll(i, e);
      }));
      this.pools.push(pool);
      this.ports.push(port1);
    }
  }

  /** Send a task to a shard; tasks of one shard run in submission order. */
  run(shard: number, task: ShardTask): Promise<ShardResult> {
    const transfer: ArrayBuffer[] = [];
    if (task.ts.byteLength > 0) transfer.push(task.ts.buffer as ArrayBuffer);
    if (task.ent.byteLength > 0) transfer.push(task.ent.buffer as ArrayBuffer);
    if (task.side !== null && task.side.byteOffset === 0 && task.side.byteLength === task.side.buffer.byteLength) {
      transfer.push(task.side.buffer as ArrayBuffer);
    }
    this.queued[shard]++;
    return new Promise<ShardResult>((resolve, reject) => {
      this.pending[shard].push({ resolve, reject });
      this.ports[shard].postMessage(task, transfer);
    });
  }

  private onReply(shard: number, r: ShardResult | { error: string }): void {
    const p = this.pending[shard].shift();
    if (p === undefined) return;
    this.queued[shard]--;
    if ('error' in r) p.reject(new Error(`shard ${shard}: ${r.error}`));
    else p.resolve(r);
  }

  private failAll(shard: number, e: unknown): void {
    const l = this.pending[shard];
    this.pending[shard] = [];
    this.queued[shard] = 0;
    for (const p of l) p.reject(e);
  }

  async close(): Promise<void> {
    for (const p of this.ports) {
      p.removeAllListeners('close');
      p.close();
    }
    await Promise.all(this.attached);
    await Promise.all(this.pools.map((p) => p.destroy()));
  }
}
