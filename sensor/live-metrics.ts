/**
 * Feeds SensorMetrics from the running pipeline. Everything here runs on the main thread per
 * capture batch, per shard result or once a second — never per packet:
 *   per batch   `afterDispatch()`: decode outcomes by reason (the dispatcher's cumulative counters,
 *               as deltas; ~30 comparisons)
 *   per result  flows created / evicted (deltas of the workers' cumulative counters), events by
 *               `_path`, parser counters, self-audit over the flow records
 *   per batch   `batchDone`: latency from the capture of the batch's first packet to the moment
 *               the last shard finished it
 *   per second  `periodic()`: active flows, queued batches, busy ratio
 *   per scrape  the self-audit gauges (SelfAudit.snapshot)
 * The workers only aggregate (ShardResult); prom-client is touched here, a few calls per result.
 */
import { Reason, REASON_NAMES, isBenign } from '../parsers/reasons.js';
import type { SensorMetrics } from './metrics/registry.js';
import type { Pipeline, PipelineObserver, ShardOutput, WorkerLoss } from './pipeline.js';
import type { TaskError } from './pool/shard-pool.js';
import type { SelfAudit } from './live-audit.js';

export class LiveMetrics implements PipelineObserver {
  private readonly lastCreated: number[];
  private readonly lastEvicted: number[];
  private readonly lastReasons = new Float64Array(Reason.COUNT);
  // Reused per call (the registry reads them synchronously and skips zeros).
  private readonly errs: Record<string, number> = {};
  private readonly skipped: Record<string, number> = {};
  private lastBusy = 0;
  private lastTick: number;

  constructor(
    private readonly metrics: SensorMetrics,
    private readonly pipeline: Pipeline,
    private readonly audit: SelfAudit,
    private readonly now: () => number = Date.now,
  ) {
    const n = pipeline.shards.shards;
    this.lastCreated = new Array<number>(n).fill(0);
    this.lastEvicted = new Array<number>(n).fill(0);
    for (let i = 1; i < Reason.COUNT; i++) (isBenign(i) ? this.skipped : this.errs)[REASON_NAMES[i]] = 0;
    this.lastTick = now();
    metrics.setSelfAuditSource(() => audit.snapshot());
  }

  /** After each capture batch was dispatched. */
  afterDispatch(): void {
    const r = this.pipeline.dispatcher.stats.reasons;
    const last = this.lastReasons;
    let changed = false;
    for (let i = 1; i < Reason.COUNT; i++) {
      const d = r[i] - last[i];
      (isBenign(i) ? this.skipped : this.errs)[REASON_NAMES[i]] = d;
      if (d !== 0) {
        changed = true;
        last[i] = r[i];
      }
    }
    if (changed) this.metrics.onBatch({ decodeErrors: this.errs, notFlowed: this.skipped });
  }

  result(shard: number, out: ShardOutput): void {
    const r = out.res;
    // Workers count from their start: a restarted worker starts again at 0 (see workerLost).
    const created = r.created - this.lastCreated[shard];
    const evicted = r.evicted - this.lastEvicted[shard];
    this.lastCreated[shard] = r.created;
    this.lastEvicted[shard] = r.evicted;
    this.metrics.onBatch({
      flowsCreated: created,
      flowEvictions: evicted,
      events: r.events.count > 0 ? r.eventsByPath : undefined,
      parserCounters: r.counters,
    });
    if (r.flows.count > 0) this.audit.flows(out.flows);
  }

  batchDone(readAt: number, packets: number): void {
    if (packets > 0) this.metrics.onBatch({ latencySeconds: Math.max(0, this.now() - readAt) / 1000 });
  }

  workerLost(loss: WorkerLoss): void {
    this.lastCreated[loss.shard] = 0;
    this.lastEvicted[loss.shard] = 0;
    this.metrics.onWorkerRestart({ batches: loss.tasks, packets: loss.packets, flows: loss.flows });
  }

  taskFailed(e: TaskError): void {
    this.metrics.onTaskError({ packets: e.packets });
  }

  /** Once a second: gauges. */
  periodic(): void {
    const p = this.pipeline;
    const t = this.now();
    let busy = 0;
    for (const b of p.stats.busyMs) busy += b;
    const wall = (t - this.lastTick) * p.shards.shards;
    this.metrics.setWorkers({
      queueBatches: Math.max(0, ...p.shards.queued),
      busyRatio: wall > 0 ? (busy - this.lastBusy) / wall : 0,
    });
    this.lastBusy = busy;
    this.lastTick = t;
    let active = 0;
    for (const a of p.stats.activeFlows) active += a;
    this.metrics.setFlowsActive(active);
  }
}
