/**
 * capture → dispatch → shard workers → outputs. Packet sources (file replay, live capture) hand
 * batches to `submit`; records that come back from the workers go to the registered sinks.
 * Backpressure runs the whole way: the chunk pool bounds what is in flight, and `submit` waits
 * while an output is blocked.
 */
import { ChunkPool } from './capture/chunk-pool.js';
import type { ReaderBatch } from './capture/file-reader.js';
import { Dispatcher } from './pool/dispatcher.js';
import { ShardPool } from './pool/shard-pool.js';
import type { ShardConfig } from './pool/shard-engine.js';
import type { ShardResult, ShardTask } from './pool/shard-task.js';
import type { SensorConfig } from './config.js';
import { defaultFlowTableConfig, likelyServerPortTable } from '../models/flow/flow-table.js';
import { parseCidr } from '../models/net/networks.js';

export interface PipelineOptions {
  workers: number;
  /** Deterministic uids (tests). */
  uidSeed?: number;
}

export interface RecordSink {
  flows?(records: readonly object[]): void;
  events?(records: readonly object[]): void;
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
  private inflight = 0;
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
    this.shards = new ShardPool(n, shardConfigFrom(config, opts.uidSeed));
    this.stats = {
      flows: 0, finalByProto: {}, events: 0, interim: 0, flowTableDrops: 0,
      activeFlows: new Array<number>(n).fill(0), flowsCreated: new Array<number>(n).fill(0),
      evicted: new Array<number>(n).fill(0), expired: new Array<number>(n).fill(0), busyMs: new Array<number>(n).fill(0),
    };
  }

  addSink(s: RecordSink): void {
    this.sinks.push(s);
  }

  /** Split a capture batch over the shards. The caller's chunk reference is released here. */
  async submit(batch: ReaderBatch): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const tasks = this.dispatcher.split(batch, Date.now());
    for (let i = 0; i < tasks.length; i++) {
      this.chunks.retain(batch.chunk);
      this.send(i, tasks[i], batch.chunk);
    }
    this.chunks.release(batch.chunk);
    for (const s of this.sinks) if (s.ready !== undefined) await s.ready();
  }

  /** Advance every shard's clock (live capture with no traffic). */
  tick(): void {
    for (let i = 0; i < this.shards.shards; i++) this.send(i, this.dispatcher.emptyTask(false), -1);
  }

  /** Flush every flow and wait for all results. */
  async finish(): Promise<void> {
    for (let i = 0; i < this.shards.shards; i++) this.send(i, this.dispatcher.emptyTask(true), -1);
    await this.drain();
    for (const s of this.sinks) if (s.ready !== undefined) await s.ready();
    if (this.failure !== null) throw this.failure;
  }

  async close(): Promise<void> {
    await this.shards.close();
  }

  private drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => { this.idle = resolve; });
  }

  private send(shard: number, task: ShardTask, chunk: number): void {
    this.inflight++;
    this.shards.run(shard, task).then(
      (r) => this.onResult(shard, r),
      (e: unknown) => { this.failure ??= e instanceof Error ? e : new Error(String(e)); },
    ).finally(() => {
      if (chunk >= 0) this.chunks.release(chunk);
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
    st.flows += r.flows.length;
    for (const f of r.flows as { proto?: string; interim?: boolean }[]) {
      if (f.interim === true) continue;
      const p = f.proto ?? 'other';
      st.finalByProto[p] = (st.finalByProto[p] ?? 0) + 1;
    }
    st.events += r.events.length;
    st.activeFlows[shard] = r.active;
    st.flowsCreated[shard] = r.created;
    st.evicted[shard] = r.evicted;
    st.expired[shard] = r.expired;
    st.interim = r.interim;
    st.flowTableDrops = r.dropped;
    st.busyMs[shard] += r.busyMs;
    for (const s of this.sinks) {
      if (r.flows.length > 0 && s.flows !== undefined) s.flows(r.flows);
      if (r.events.length > 0 && s.events !== undefined) s.events(r.events);
      s.result?.(shard, r.flows, r.events, r.clock);
    }
  }
}
