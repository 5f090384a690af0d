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
 *
 * A worker that dies (uncaught exception, out of memory, thread terminated) closes its end of the
 * channel. Without `restart` (replay) every pending and later task of the shard fails, so the
 * run ends incomplete and says so. With `restart` (live) the shard gets a new Piscina pool and a
 * new channel at once — tasks sent from then on queue on the new channel until the new thread
 * attaches, so order is kept — and the tasks that were pending are rejected with
 * `WorkerLostError` and reported through `onRestart`. What the dead worker held is gone: its flow
 * table (those flows are never emitted; their later packets start new, partial flows) and the
 * pending tasks' packets. A crash loop (more than `maxRestarts` within `restartWindowMs`) stops
 * restarting: the shard then fails like a replay shard.
 */
import { Piscina } from 'piscina';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ShardConfig } from './shard-engine.js';
import type { ShardResult, ShardTask } from './shard-task.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * Threads started by `prestartShardWorkers`, not yet claimed by a ShardPool. A worker thread needs
 * ~120 ms here to boot and load the engine's modules; started at the top of a command, that
 * overlaps the main thread's own module loading and configuration instead of following it (an
 * eighth of a one-million-packet replay).
 */
const prestarted: Piscina[] = [];
/** Errors of prestarted threads before a ShardPool claimed them (reported as the shard's cause). */
const earlyErrors = new WeakMap<Piscina, unknown>();

function newShardPiscina(): Piscina {
  return new Piscina({
    filename: WORKER,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Infinity,
    // An idle Piscina worker in 'sync' atomics mode blocks its event loop in Atomics.wait;
    // ours must keep serving the MessageChannel between Piscina tasks.
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
}

/**
 * Start `n` shard threads now, for the ShardPool created later (it takes them in order). The
 * configuration is not needed yet: each thread gets it with its attach task.
 */
export function prestartShardWorkers(n: number): void {
  while (prestarted.length < n) {
    const p = newShardPiscina();
    // Unhandled, an 'error' event would take the process down before anyone listens.
    p.on('error', (e: unknown) => { if (!earlyErrors.has(p)) earlyErrors.set(p, e); });
    prestarted.push(p);
  }
}

/** Threads prestarted and not yet claimed by a ShardPool. */
export function prestartedWorkers(): number {
  return prestarted.length;
}

/** Stop threads prestarted but never claimed (the command failed before it built its pool). */
export async function releasePrestartedWorkers(): Promise<void> {
  await Promise.all(prestarted.splice(0).map((p) => p.destroy()));
}

interface Pending {
  resolve: (r: ShardResult) => void;
  reject: (e: unknown) => void;
  packets: number;
  sentAt: number;
}

/** A task that was pending on a worker that died. */
export class WorkerLostError extends Error {
  constructor(readonly shard: number, override readonly cause: unknown) {
    super(`worker of shard ${shard} died: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The worker caught an exception while processing a task (a bug): that task's work is lost. */
export class TaskError extends Error {
  constructor(readonly shard: number, readonly packets: number, detail: string) {
    super(`shard ${shard}: ${detail}`);
  }
}

export interface WorkerRestart {
  shard: number;
  /** Tasks with packets that were pending on the dead worker (lost), and the packets in them. */
  tasks: number;
  packets: number;
  /** Why it died (the thread's error, or "exited"). */
  error: unknown;
  /** Restarts of this shard so far, this one included. */
  restarts: number;
}

export interface ShardPoolOptions {
  /** Replace a worker that died (live). Default false: the shard fails (replay). */
  restart?: boolean;
  onRestart?: (r: WorkerRestart) => void;
  /** Crash-loop guard: at most this many restarts of one shard within restartWindowMs. Default 5 / 60 s. */
  maxRestarts?: number;
  restartWindowMs?: number;
}

/** One shard's worker: its Piscina pool, the main thread's end of its channel, pending tasks. */
interface Slot {
  pool: Piscina;
  port: MessagePort;
  pending: Pending[];
  attached: Promise<unknown>;
  /** The attach task completed (the thread serves the channel). */
  up: boolean;
  /** Last error event of the thread (reported with the restart). */
  lastError: unknown;
}

export class ShardPool {
  private readonly slots: Slot[] = [];
  /** Tasks submitted but not finished, per shard (the `ndr_worker_queue_batches` gauge). */
  readonly queued: number[];
  /** Restarts per shard since start. */
  readonly restarts: number[];
  private readonly restartTimes: number[][];
  /** Shards whose worker died and will not be replaced (no restart, or crash loop). */
  private readonly dead: (Error | null)[];
  private closing = false;
  private cfg: ShardConfig;

  constructor(readonly shards: number, cfg: ShardConfig, private readonly opts: ShardPoolOptions = {}) {
    this.cfg = cfg;
    this.queued = new Array<number>(shards).fill(0);
    this.restarts = new Array<number>(shards).fill(0);
    this.restartTimes = Array.from({ length: shards }, () => []);
    this.dead = new Array<Error | null>(shards).fill(null);
    for (let i = 0; i < shards; i++) this.slots.push(this.spawn(i));
  }

  /** Every shard has a live worker attached to its channel (readiness). */
  get up(): boolean {
    return this.slots.every((s, i) => s.up && this.dead[i] === null);
  }

  /** Why shards are not up, e.g. "shard 1: starting" (empty when up). */
  problems(): string[] {
    const out: string[] = [];
    this.slots.forEach((s, i) => {
      if (this.dead[i] !== null) out.push(`shard ${i}: ${this.dead[i]!.message}`);
      else if (!s.up) out.push(`shard ${i}: starting`);
    });
    return out;
  }

  /** Milliseconds the oldest pending task of any shard has waited (0 when none): a hung worker shows here. */
  oldestPendingMs(now = Date.now()): number {
    let ms = 0;
    for (let i = 0; i < this.slots.length; i++) ms = Math.max(ms, this.pendingMs(i, now));
    return ms;
  }

  /** Milliseconds the oldest pending task of `shard` has waited (0 when none). */
  pendingMs(shard: number, now = Date.now()): number {
    const p = this.slots[shard]?.pending[0];
    return p === undefined ? 0 : now - p.sentAt;
  }

  /**
   * Makes a shard's worker hang (busy loop) on a pending task: the watchdog drill of `live`'s
   * NDR_TEST_HOOKS=1 (SIGUSR1). The worker honours it only with that variable set.
   */
  hangWorkerForTest(shard: number): void {
    const slot = this.slots[shard];
    this.queued[shard]++;
    slot.pending.push({ resolve: () => undefined, reject: () => undefined, packets: 0, sentAt: Date.now() });
    slot.port.postMessage({ testHang: true });
  }

  /** Configuration for workers started from now on (restarts); running workers keep theirs. */
  setConfig(cfg: ShardConfig): void {
    this.cfg = cfg;
  }

  /** Send a task to a shard; tasks of one shard run in submission order. */
  run(shard: number, task: ShardTask): Promise<ShardResult> {
    const dead = this.dead[shard];
    if (dead !== null) return Promise.reject(dead);
    const transfer: ArrayBuffer[] = [];
    if (task.ts.byteLength > 0) transfer.push(task.ts.buffer as ArrayBuffer);
    if (task.ent.byteLength > 0) transfer.push(task.ent.buffer as ArrayBuffer);
    if (task.side !== null && task.side.byteOffset === 0 && task.side.byteLength === task.side.buffer.byteLength) {
      transfer.push(task.side.buffer as ArrayBuffer);
    }
    this.queued[shard]++;
    const slot = this.slots[shard];
    return new Promise<ShardResult>((resolve, reject) => {
      slot.pending.push({ resolve, reject, packets: task.count, sentAt: Date.now() });
      slot.port.postMessage(task, transfer);
    });
  }

  /**
   * Terminates a shard's thread as a crash would (operations drills and tests: `live` calls it on
   * SIGUSR2 when NDR_TEST_HOOKS=1). The loss and restart follow the normal crash path.
   */
  async killWorker(shard: number): Promise<void> {
    const t = this.slots[shard].pool.threads[0];
    if (t !== undefined) await t.terminate();
  }

  private spawn(shard: number): Slot {
    const pool = prestarted.shift() ?? newShardPiscina();
    const { port1, port2 } = new MessageChannel();
    const slot: Slot = { pool, port: port1, pending: [], attached: Promise.resolve(), up: false, lastError: earlyErrors.get(pool) ?? null };
    // Piscina re-emits a thread's error outside any Piscina task on the pool; unhandled it would
    // take the whole process down. The channel's 'close' that follows does the accounting.
    pool.on('error', (e: unknown) => { slot.lastError = e; });
    port1.on('message', (r: ShardResult | { error: string }) => this.onReply(shard, slot, r));
    port1.on('close', () => this.onWorkerGone(shard, slot));
    slot.attached = pool.run({ attach: port2, cfg: this.cfg }, { transferList: [port2] }).then(
      () => { slot.up = true; },
      (e: unknown) => {
        slot.lastError ??= e;
        // The thread never attached: its end of the channel may never close by itself.
        port1.close();
      },
    );
    return slot;
  }

  private onReply(shard: number, slot: Slot, r: ShardResult | { error: string }): void {
    const p = slot.pending.shift();
    if (p === undefined) return;
    this.queued[shard]--;
    if ('error' in r) p.reject(new TaskError(shard, p.packets, r.error));
    else p.resolve(r);
  }

  private onWorkerGone(shard: number, slot: Slot): void {
    if (this.closing || this.slots[shard] !== slot) return;
    slot.up = false;
    const lost = slot.pending;
    slot.pending = [];
    this.queued[shard] -= lost.length;
    const cause = slot.lastError ?? new Error('worker thread exited');
    void slot.pool.destroy().catch(() => undefined);
    const now = Date.now();
    const window = this.opts.restartWindowMs ?? 60_000;
    const times = this.restartTimes[shard].filter((t) => now - t < window);
    this.restartTimes[shard] = times;
    if (this.opts.restart === true && times.length < (this.opts.maxRestarts ?? 5)) {
      times.push(now);
      this.restarts[shard]++;
      this.slots[shard] = this.spawn(shard);
      const err = new WorkerLostError(shard, cause);
      let packets = 0;
      let tasks = 0;
      for (const p of lost) {
        packets += p.packets;
        if (p.packets > 0) tasks++;
        p.reject(err);
      }
      this.opts.onRestart?.({ shard, tasks, packets, error: cause, restarts: this.restarts[shard] });
      return;
    }
    const why = this.opts.restart === true
      ? new Error(`worker of shard ${shard} keeps dying (${times.length} restarts within ${window / 1000} s), last: ${errorText(cause)}`)
      : new WorkerLostError(shard, cause);
    this.dead[shard] = why;
    for (const p of lost) p.reject(why);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.slots) {
      s.port.removeAllListeners('close');
      s.port.close();
    }
    await Promise.all(this.slots.map((s) => s.attached));
    await Promise.all(this.slots.map((s) => s.pool.destroy()));
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
