/**
 * capture → dispatch → shard workers → outputs. Packet sources (file replay, live capture) hand
 * batches to `submit`/`submitBatch`; records that come back from the workers go to the registered
 * sinks. Backpressure runs the whole way: a batch's chunk is given back (its `release`) only when
 * every shard is done with it, so the source's fixed set of chunks bounds what is in flight (the
 * file reader waits for a chunk, live capture stops reading and lets the kernel ring absorb the
 * burst), and `submit` waits while an output is blocked.
 *
 * Observers (metrics, live self-audit) see each shard result and each finished batch on the main
 * thread — never a packet.
 */
import { ChunkPool } from './capture/chunk-pool.js';
import type { ReaderBatch } from './capture/file-reader.js';
import type { PacketBatch } from './capture/batch.js';
import { Dispatcher } from './pool/dispatcher.js';
import { ShardPool, TaskError, WorkerLostError, type WorkerRestart } from './pool/shard-pool.js';
import type { ShardConfig } from './pool/shard-engine.js';
import type { ShardResult, ShardTask } from './pool/shard-task.js';
import { decodeLines } from './output/record-lines.js';
import type { SensorConfig } from './config.js';
import { defaultFlowTableConfig, likelyServerPortTable } from '../models/flow/flow-table.js';
import { parseCidr } from '../models/net/networks.js';

export interface PipelineOptions {
  workers: number;
  /** Deterministic uids (tests). */
  uidSeed?: number;
  /**
   * Live: replace a worker that dies and count what it held (`stats.lost`, observers' `workerLost`)
   * instead of failing the run. Replay leaves this off: a replay is complete or fails (exit 1).
   */
  restartWorkers?: boolean;
}

/** A packet batch from any source: its bytes (the dispatcher reads them through `bytes`). */
export interface SourceBatch extends PacketBatch {
  bytes: Uint8Array;
}

/** What a worker's death cost (live). Flows: the shard's last reported active flows, never emitted. */
export interface WorkerLoss extends WorkerRestart {
  flows: number;
}

/**
 * A shard result on the main thread: the worker's counters, and its records decoded from their
 * JSON lines on first use (once, whoever asks first).
 */
export class ShardOutput {
  private f: readonly object[] | null = null;
  private e: readonly object[] | null = null;

  constructor(readonly res: ShardResult) {}

  get flows(): readonly object[] {
    return (this.f ??= decodeLines(this.res.flows));
  }

  get events(): readonly object[] {
    return (this.e ??= decodeLines(this.res.events));
  }
}

/** Main-thread hooks: per shard result and per finished batch, never per packet. */
export interface PipelineObserver {
  result?(shard: number, r: ShardOutput): void;
  /** Every shard finished the batch: `readAt` as given to submit (ms), packets in the batch. */
  batchDone?(readAt: number, packets: number): void;
  workerLost?(loss: WorkerLoss): void;
  /** Live: a worker reported an exception on a task (a bug); the task's packets are lost, the worker goes on. */
  taskFailed?(error: TaskError): void;
}

export interface RecordSink {
  flows?(records: readonly object[]): void;
  events?(records: readonly object[]): void;
  /**
   * The same records as JSON lines (UTF-8, one per record, "\n"-terminated), for sinks that write
   * them as they are: a sink with these never makes the pipeline decode the records.
   */
  flowLines?(bytes: Uint8Array, count: number): void;
  eventLines?(bytes: Uint8Array, count: number): void;
  /** Resolves when the sink can take more (backpressure). */
  ready?(): Promise<void>;
  /**
   * Each shard result whole: its flows and events, and the capture time `clock` up to which that
   * shard has handed over everything (for consumers that need both streams in one time order).
   */
  result?(shard: number, flows: readonly object[], events: readonly object[], clock: number): void;
}

export interface PipelineStats {
  /** Records emitted (final and interim). */
  flows: number;
  /** Final records by transport (each connection once). */
  finalByProto: Record<string, number>;
  events: number;
  activeFlows: number[];
  flowsCreated: number[];
  evicted: number[];
  expired: number[];
  interim: number;
  flowTableDrops: number;
  busyMs: number[];
  /** Lost to worker crashes and task errors (live): tasks, packets in them, flows the dead workers held. */
  lost: { restarts: number; tasks: number; packets: number; flows: number };
}

/** One capture batch in flight: released when its last shard task is done. */
class InFlight {
  constructor(public remaining: number, readonly release: () => void, readonly readAt: number, readonly packets: number) {}
}

export function shardConfigFrom(cfg: SensorConfig, uidSeed?: number): ShardConfig {
  const flow = defaultFlowTableConfig();
  flow.tcpTimeout = cfg.timeouts.tcp;
  flow.udpTimeout = cfg.timeouts.udp;
  flow.icmpTimeout = cfg.timeouts.icmp;
  flow.tcpCloseDelay = cfg.timeouts.tcp_close_delay;
  flow.tcpAttemptDelay = cfg.timeouts.tcp_attempt_delay;
  flow.activeTimeout = cfg.timeouts.active;
  flow.maxFlows = cfg.limits.max_flows;
  flow.vlanInKey = cfg.flow.vlan_in_key;
  if (cfg.flow.likely_server_ports !== undefined) {
    flow.likelyServerPorts = likelyServerPortTable(cfg.flow.likely_server_ports.tcp, cfg.flow.likely_server_ports.udp);
  }
  flow.uidSeed = uidSeed;
  return { flow, internalNetworks: cfg.internal_networks.map(parseCidr), protocols: cfg.protocols.enabled, midstream: cfg.protocols.midstream };
}

export class Pipeline {
  readonly chunks: ChunkPool;
  readonly dispatcher: Dispatcher;
  readonly shards: ShardPool;
  readonly stats: PipelineStats;
  private readonly sinks: RecordSink[] = [];
  private readonly observers: PipelineObserver[] = [];
  private inflight = 0;
  /** Capture batches not yet finished by every shard. */
  batchesInFlight = 0;
  private idle: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(readonly config: SensorConfig, readonly opts: PipelineOptions) {
    const n = opts.workers;
    // Enough chunks to keep every shard busy while the reader fills the next ones.
    this.chunks = new ChunkPool(Math.max(8, 2 * n + 6), 4 << 20);
    this.dispatcher = new Dispatcher({
      shards: n,
      vlanInKey: config.flow.vlan_in_key,
      udpTimeout: config.timeouts.udp,
      ipTunnelTimeout: config.timeouts.ip_tunnel,
      defrag: {
        maxDatagrams: config.limits.defrag_max_datagrams,
        maxBytes: config.limits.defrag_max_bytes,
        timeout: config.limits.defrag_timeout,
      },
      uidSeed: opts.uidSeed,
    });
    this.shards = new ShardPool(n, shardConfigFrom(config, opts.uidSeed), {
      restart: opts.restartWorkers === true,
      onRestart: (r) => this.onWorkerRestart(r),
    });
    this.stats = {
      flows: 0, finalByProto: {}, events: 0, interim: 0, flowTableDrops: 0,
      activeFlows: new Array<number>(n).fill(0), flowsCreated: new Array<number>(n).fill(0),
      evicted: new Array<number>(n).fill(0), expired: new Array<number>(n).fill(0), busyMs: new Array<number>(n).fill(0),
      lost: { restarts: 0, tasks: 0, packets: 0, flows: 0 },
    };
  }

  addSink(s: RecordSink): void {
    this.sinks.push(s);
  }

  removeSink(s: RecordSink): void {
    const i = this.sinks.indexOf(s);
    if (i >= 0) this.sinks.splice(i, 1);
  }

  addObserver(o: PipelineObserver): void {
    this.observers.push(o);
  }

  /** A file reader's batch: its reference to the pipeline's chunk is released when the shards are done. */
  submit(batch: ReaderBatch): Promise<void> {
    return this.submitBatch(batch, () => this.chunks.release(batch.chunk));
  }

  /**
   * Split a batch from any source over the shards. `release` runs once, when every shard is done
   * with the batch's bytes (or at once if the batch cannot be dispatched). `readAt`: when the
   * batch's oldest packet was captured or read (ms since the epoch), for the latency metric.
   */
  async submitBatch(batch: SourceBatch, release: () => void, readAt = Date.now()): Promise<void> {
    if (this.failure !== null) {
      release();
      throw this.failure;
    }
    let tasks: ShardTask[];
    try {
      // The dispatcher reads only the PacketBatch fields and `bytes` (it is typed for the reader's batch).
      tasks = this.dispatcher.split(batch, readAt);
    } catch (e) {
      release();
      throw e;
    }
    const f = new InFlight(tasks.length, release, readAt, batch.count);
    this.batchesInFlight++;
    for (let i = 0; i < tasks.length; i++) this.send(i, tasks[i], f);
    for (const s of this.sinks) if (s.ready !== undefined) await s.ready();
  }

  /**
   * Advance every shard's clock without packets (live capture with no traffic). `clock` (capture
   * seconds) moves the dispatcher's clock forward first; it never goes backwards.
   */
  tick(clock?: number): void {
    if (clock !== undefined && clock > this.dispatcher.clock) this.dispatcher.clock = clock;
    for (let i = 0; i < this.shards.shards; i++) this.send(i, this.dispatcher.emptyTask(false), null);
  }

  /** Flush every flow and wait for all results. */
  async finish(): Promise<void> {
    for (let i = 0; i < this.shards.shards; i++) this.send(i, this.dispatcher.emptyTask(true), null);
    await this.drain();
    for (const s of this.sinks) if (s.ready !== undefined) await s.ready();
    if (this.failure !== null) throw this.failure;
  }

  async close(): Promise<void> {
    await this.shards.close();
  }

  /** The error that ended the run (a worker that cannot be restarted, a failing output), or null. */
  get failed(): Error | null {
    return this.failure;
  }

  private drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => { this.idle = resolve; });
  }

  private send(shard: number, task: ShardTask, batch: InFlight | null): void {
    this.inflight++;
    this.shards.run(shard, task).then(
      (r) => this.onResult(shard, r),
      (e: unknown) => {
        if (this.opts.restartWorkers === true) {
          // Live: a worker's death is counted in onWorkerRestart. A task error (an engine bug hit
          // by some input) costs that task, not the sensor: a packet that triggers it again and
          // again must not keep the whole sensor down.
          if (e instanceof WorkerLostError) return;
          if (e instanceof TaskError) {
            this.stats.lost.tasks++;
            this.stats.lost.packets += e.packets;
            for (const o of this.observers) o.taskFailed?.(e);
            return;
          }
        }
        throw e;
      },
    ).catch((e: unknown) => {
      // Replay's worker failures, and outputs that fail in a sink (disk full): the run ends.
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    }).finally(() => {
      if (batch !== null && --batch.remaining === 0) {
        this.batchesInFlight--;
        batch.release();
        for (const o of this.observers) o.batchDone?.(batch.readAt, batch.packets);
      }
      if (--this.inflight === 0 && this.idle !== null) {
        const f = this.idle;
        this.idle = null;
        f();
      }
    });
  }

  private onResult(shard: number, r: ShardResult): void {
    this.dispatcher.recycle(shard, r.ret);
    const st = this.stats;
    st.flows += r.flows.count;
    for (const p in r.finalByProto) st.finalByProto[p] = (st.finalByProto[p] ?? 0) + r.finalByProto[p];
    st.events += r.events.count;
    st.activeFlows[shard] = r.active;
    st.flowsCreated[shard] = r.created;
    st.evicted[shard] = r.evicted;
    st.expired[shard] = r.expired;
    st.interim = r.interim;
    st.flowTableDrops = r.dropped;
    st.busyMs[shard] += r.busyMs;
    const out = new ShardOutput(r);
    for (const o of this.observers) o.result?.(shard, out);
    const fl = r.flows.bytes;
    const ev = r.events.bytes;
    for (const s of this.sinks) {
      if (fl !== null) {
        if (s.flowLines !== undefined) s.flowLines(fl, r.flows.count);
        else if (s.flows !== undefined) s.flows(out.flows);
      }
      if (ev !== null) {
        if (s.eventLines !== undefined) s.eventLines(ev, r.events.count);
        else if (s.events !== undefined) s.events(out.events);
      }
      s.result?.(shard, out.flows, out.events, r.clock);
    }
  }

  private onWorkerRestart(r: WorkerRestart): void {
    const loss: WorkerLoss = { ...r, flows: this.stats.activeFlows[r.shard] };
    const l = this.stats.lost;
    l.restarts++;
    l.tasks += r.tasks;
    l.packets += r.packets;
    l.flows += loss.flows;
    this.stats.activeFlows[r.shard] = 0;
    for (const o of this.observers) o.workerLost?.(loss);
  }
}
