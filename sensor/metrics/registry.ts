/**
 * The sensor's Prometheus metrics: every family, in one registry, and the small API the runtime
 * calls to feed them.
 *
 * Feeding rules (hot path stays free of prom-client):
 *  - Workers never touch prom-client. They aggregate per batch; the main thread calls
 *    `onBatch(report)` once per finished batch (a few labelled increments, ~1 µs).
 *  - Cumulative counters owned by other modules (capture pcap_stats, dedup) are *pulled* at scrape
 *    time through source callbacks, so nothing is done per packet or per second. Shipping metrics
 *    are registered on `registry` by sensor/ship's `registerShipperMetrics` (one set of names for
 *    the sensor and the collector's relay).
 *  - Gauges are set when the owner knows the value (`setFlowsActive`, `setWorkers`, ...).
 *
 * Names follow Prometheus conventions: base units (seconds, bytes), `_total` on counters, a
 * bounded set of label values per family (excess values are folded into "other" and counted in
 * ndr_metrics_label_overflow_total, so a bug cannot blow up the series count).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets for ndr_batch_latency_seconds (capture of a batch's first packet → its flow update). */
export const BATCH_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Most distinct values per dynamic label (reason, path, category, zone, interface). */
const MAX_LABEL_VALUES = 256;

/** What a capture source reports: cumulative since it was opened. LiveCapture.counters() fits. */
export interface CaptureSnapshot {
  packets: number;
  bytes: number;
  kernelDrops: number;
  ifDrops?: number;
  /** Times reading stopped because the workers held every capture chunk (backpressure). */
  stalls?: number;
  /** Times the capture was opened again after it failed. */
  reopens?: number;
}

export interface CaptureSource {
  counters(): CaptureSnapshot;
  readonly isOpen?: boolean;
}

/** Cumulative counters of the duplicate detector (DuplicateDetector fits). */
export interface DedupSource {
  readonly checked: number;
  readonly duplicates: number;
  readonly overwrites?: number;
}

/** One finished batch, aggregated by the worker that processed it. All fields optional. */
export interface BatchReport {
  /** Decode errors in this batch by reason (parsers/reasons.ts names, e.g. "ipv4_truncated"). */
  decodeErrors?: Readonly<Record<string, number>>;
  /** Packets that are normal traffic but make no flow (non-IP, other IP protocols, held fragments), by reason. */
  notFlowed?: Readonly<Record<string, number>>;
  /** Application parser counters (skipped or malformed input, by counter name). */
  parserCounters?: Readonly<Record<string, number>>;
  /** Flows created (first packet seen) in this batch. */
  flowsCreated?: number;
  /** Flows evicted early because a table limit was reached. */
  flowEvictions?: number;
  /** Protocol events emitted, by Zeek log path (dns, http, ssl, ...). */
  events?: Readonly<Record<string, number>>;
  /** Seconds from the capture time of the batch's first packet to the end of its flow update. */
  latencySeconds?: number;
}

export interface SelfAudit {
  /** Share (0..1) of recent TCP flows seen in one direction only: a one-sided mirror. */
  tcpOneWayRatio?: number;
  /** All configured zones, and the ones that went silent (no flow record within the window). */
  zones?: readonly string[];
  silentZones?: readonly string[];
  /** Share (0..1) of packets that were double-SPAN duplicates; computed from the dedup source if set. */
  duplicateRatio?: number;
}

export interface SensorMetricsOptions {
  /** Sensor version for ndr_build_info; default: package.json's. */
  version?: string;
  /** libpcap version for ndr_build_info (pcapLibVersion() from sensor/capture/pcap-addon). */
  libpcapVersion?: string;
  /** Git commit for ndr_build_info; default env NDR_GIT_COMMIT or "unknown". */
  commit?: string;
  /** prom-client's default process/Node.js metrics. Default true. */
  defaultMetrics?: boolean;
}

function packageVersion(): string {
  // sensor/metrics/registry.ts or dist/sensor/metrics/registry.js: walk up to package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ndr-sensor' && pkg.version) return pkg.version;
    } catch {
      /* keep walking */
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** Caps the distinct values of one label; extra values become "other". */
class LabelCap {
  private readonly seen = new Set<string>();
  constructor(private readonly onOverflow: () => void) {}
  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= MAX_LABEL_VALUES) {
      this.onOverflow();
      return 'other';
    }
    this.seen.add(v);
    return v;
  }
}

export class SensorMetrics {
  readonly registry = new Registry();

  private readonly captures = new Map<string, CaptureSource>();
  private dedup: DedupSource | undefined;
  private audit: SelfAudit = {};
  private auditSource: (() => SelfAudit) | undefined;

  private readonly labelOverflow: Counter;
  private readonly decodeErrors: Counter<'reason'>;
  private readonly notFlowed: Counter<'reason'>;
  private readonly parserCounters: Counter<'counter'>;
  private readonly flowsTotal: Counter;
  private readonly flowEvictions: Counter;
  private readonly flowsActive: Gauge;
  private readonly events: Counter<'path'>;
  private readonly alerts: Counter<'category' | 'severity'>;
  private readonly workerQueue: Gauge;
  private readonly workerBusy: Gauge;
  private readonly workerRestarts: Counter;
  private readonly workerLostBatches: Counter;
  private readonly workerLostPackets: Counter;
  private readonly workerLostFlows: Counter;
  private readonly workerTaskErrors: Counter;
  private readonly latency: Histogram;
  private readonly baselineHosts: Gauge;
  private readonly configReloads: Counter<'result'>;

  private readonly reasonCap: LabelCap;
  private readonly notFlowedCap: LabelCap;
  private readonly counterCap: LabelCap;
  private readonly pathCap: LabelCap;
  private readonly categoryCap: LabelCap;

  constructor(options: SensorMetricsOptions = {}) {
    const registers = [this.registry];
    const self = this;

    this.labelOverflow = new Counter({
      name: 'ndr_metrics_label_overflow_total',
      help: 'Label values folded into "other" because a family reached its limit of distinct values',
      registers,
    });
    const overflow = () => this.labelOverflow.inc();
    this.reasonCap = new LabelCap(overflow);
    this.notFlowedCap = new LabelCap(overflow);
    this.counterCap = new LabelCap(overflow);
    this.pathCap = new LabelCap(overflow);
    this.categoryCap = new LabelCap(overflow);

    new Gauge({
      name: 'ndr_build_info',
      help: 'Build information; the value is always 1',
      labelNames: ['version', 'node_version', 'libpcap_version', 'commit'],
      registers,
    }).set(
      {
        version: options.version ?? packageVersion(),
        node_version: process.version,
        libpcap_version: options.libpcapVersion ?? 'none',
        commit: options.commit ?? process.env.NDR_GIT_COMMIT ?? 'unknown',
      },
      1,
    );

    // --- capture (pulled from the sources at scrape time) ---
    const perCapture = (pick: (s: CaptureSnapshot) => number) =>
      function (this: Counter<'interface'>) {
        this.reset();
        for (const [iface, src] of self.captures) {
          try {
            this.inc({ interface: iface }, pick(src.counters()));
          } catch {
            /* a closed/failed capture keeps its last value in LiveCapture.counters(); others: skip */
          }
        }
      };
    new Counter({
      name: 'ndr_capture_packets_total',
      help: 'Packets captured and handed to decoding, per interface',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.packets),
    });
    new Counter({
      name: 'ndr_capture_bytes_total',
      help: 'Bytes (on the wire) of the packets captured, per interface',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.bytes),
    });
    new Counter({
      name: 'ndr_capture_kernel_drops_total',
      help: 'Packets dropped by the kernel because the capture ring was full (pcap_stats ps_drop), per interface',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.kernelDrops),
    });
    new Counter({
      name: 'ndr_capture_interface_drops_total',
      help: 'Packets dropped by the interface or driver (pcap_stats ps_ifdrop), per interface',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.ifDrops ?? 0),
    });
    new Counter({
      name: 'ndr_capture_stalls_total',
      help: 'Times reading stopped because the workers held every capture chunk (packets waited in the kernel ring)',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.stalls ?? 0),
    });
    new Counter({
      name: 'ndr_capture_reopens_total',
      help: 'Times the capture on the interface was opened again after it failed (link flap, NIC reset)',
      labelNames: ['interface'],
      registers,
      collect: perCapture((s) => s.reopens ?? 0),
    });
    new Gauge({
      name: 'ndr_capture_up',
      help: '1 while the capture on the interface is open and reading, 0 after it failed or closed',
      labelNames: ['interface'],
      registers,
      collect() {
        this.reset();
        for (const [iface, src] of self.captures) this.set({ interface: iface }, src.isOpen === false ? 0 : 1);
      },
    });
    new Counter({
      name: 'ndr_capture_duplicates_total',
      help: 'Packets recognised as double-SPAN duplicates (same network-layer bytes within the dedup window)',
      registers,
      collect() {
        this.reset();
        if (self.dedup) this.inc(self.dedup.duplicates);
      },
    });

    // --- decoding, flows, events, alerts (pushed per batch) ---
    this.decodeErrors = new Counter({
      name: 'ndr_decode_errors_total',
      help: 'Packets that could not be decoded (damaged, truncated, unsupported), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.notFlowed = new Counter({
      name: 'ndr_packets_not_flowed_total',
      help: 'Packets that are normal traffic but make no flow record (non-IP, other IP protocols, fragments held), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.parserCounters = new Counter({
      name: 'ndr_parser_counters_total',
      help: 'Application parser counters (skipped or malformed protocol input), by counter name',
      labelNames: ['counter'],
      registers,
    });
    this.flowsActive = new Gauge({ name: 'ndr_flows_active', help: 'Flows currently in the flow tables', registers });
    this.flowsTotal = new Counter({ name: 'ndr_flows_total', help: 'Flows created since start', registers });
    this.flowEvictions = new Counter({
      name: 'ndr_flow_evictions_total',
      help: 'Flows evicted before their timeout because a flow-table limit was reached',
      registers,
    });
    this.events = new Counter({
      name: 'ndr_events_total',
      help: 'Protocol events emitted, by Zeek log path',
      labelNames: ['path'],
      registers,
    });
    this.alerts = new Counter({
      name: 'ndr_alerts_total',
      help: 'Alerts raised, by category and severity (1-10)',
      labelNames: ['category', 'severity'],
      registers,
    });

    // --- worker pool ---
    this.workerQueue = new Gauge({ name: 'ndr_worker_queue_batches', help: 'Batches waiting for or being processed by workers', registers });
    this.workerBusy = new Gauge({
      name: 'ndr_worker_busy_ratio',
      help: 'Share of time (0-1) the decode workers spent processing batches over the last interval',
      registers,
    });
    this.workerRestarts = new Counter({ name: 'ndr_worker_restarts_total', help: 'Workers restarted after a crash', registers });
    this.workerLostBatches = new Counter({
      name: 'ndr_worker_lost_batches_total',
      help: 'Batches lost because the worker processing them crashed',
      registers,
    });
    this.workerLostPackets = new Counter({
      name: 'ndr_worker_lost_packets_total',
      help: 'Packets in batches lost because the worker processing them crashed',
      registers,
    });
    this.workerTaskErrors = new Counter({
      name: 'ndr_worker_task_errors_total',
      help: 'Batches a worker failed on with an exception (a bug; the batch is lost, the worker goes on)',
      registers,
    });
    this.workerLostFlows = new Counter({
      name: 'ndr_worker_lost_flows_total',
      help: 'Flows held by workers that crashed (their records are never emitted)',
      registers,
    });
    this.latency = new Histogram({
      name: 'ndr_batch_latency_seconds',
      help: 'Time from the capture of a batch\'s first packet to the end of its flow update',
      buckets: BATCH_LATENCY_BUCKETS,
      registers,
    });

    // --- baseline, operations ---
    this.baselineHosts = new Gauge({ name: 'ndr_baseline_hosts', help: 'Internal hosts with a behaviour baseline', registers });
    this.configReloads = new Counter({
      name: 'ndr_config_reloads_total',
      help: 'Configuration reloads (SIGHUP), by result',
      labelNames: ['result'],
      registers,
    });

    // --- sensor self-audit: gauges that reveal a broken mirror feed (a source is read at scrape time) ---
    const audit = (): SelfAudit => ({ ...self.audit, ...self.auditSource?.() });
    new Gauge({
      name: 'ndr_selfaudit_tcp_oneway_ratio',
      help: 'Share (0-1) of recent TCP flows seen in one direction only (one-sided SPAN)',
      registers,
      collect() {
        this.set(audit().tcpOneWayRatio ?? 0);
      },
    });
    new Gauge({
      name: 'ndr_selfaudit_silent_zones',
      help: 'Configured zones without any flow record within the self-audit window',
      registers,
      collect() {
        this.set(audit().silentZones?.length ?? 0);
      },
    });
    const zoneCap = new LabelCap(overflow);
    new Gauge({
      name: 'ndr_selfaudit_zone_silent',
      help: '1 if the zone went silent (no flow record within the self-audit window), else 0',
      labelNames: ['zone'],
      registers,
      collect() {
        this.reset();
        const a = audit();
        const silent = new Set(a.silentZones ?? []);
        for (const z of a.zones ?? []) this.set({ zone: zoneCap.value(z) }, silent.has(z) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ndr_selfaudit_duplicate_ratio',
      help: 'Share (0-1) of captured packets that were double-SPAN duplicates (since start)',
      registers,
      collect() {
        const d = self.dedup;
        this.set(d && d.checked > 0 ? d.duplicates / d.checked : (self.audit.duplicateRatio ?? 0));
      },
    });

    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Registers a capture (LiveCapture, or a replay reader with the same counters()) under its interface label. */
  addCapture(iface: string, source: CaptureSource): void {
    this.captures.set(iface, source);
  }

  removeCapture(iface: string): void {
    this.captures.delete(iface);
  }

  setDedupSource(source: DedupSource | undefined): void {
    this.dedup = source;
  }

  /** Once per finished batch (never per packet). */
  onBatch(r: BatchReport): void {
    if (r.decodeErrors) {
      for (const reason in r.decodeErrors) {
        const n = r.decodeErrors[reason];
        if (n > 0) this.decodeErrors.inc({ reason: this.reasonCap.value(reason) }, n);
      }
    }
    if (r.notFlowed) {
      for (const reason in r.notFlowed) {
        const n = r.notFlowed[reason];
        if (n > 0) this.notFlowed.inc({ reason: this.notFlowedCap.value(reason) }, n);
      }
    }
    if (r.parserCounters) {
      for (const c in r.parserCounters) {
        const n = r.parserCounters[c];
        if (n > 0) this.parserCounters.inc({ counter: this.counterCap.value(c) }, n);
      }
    }
    if (r.flowsCreated) this.flowsTotal.inc(r.flowsCreated);
    if (r.flowEvictions) this.flowEvictions.inc(r.flowEvictions);
    if (r.events) {
      for (const p in r.events) {
        const n = r.events[p];
        if (n > 0) this.events.inc({ path: this.pathCap.value(p) }, n);
      }
    }
    if (r.latencySeconds !== undefined && r.latencySeconds >= 0) this.latency.observe(r.latencySeconds);
  }

  /** Per alert (alerts are rare and deduplicated upstream). Severity 1-10. */
  onAlert(category: string, severity: number, count = 1): void {
    const sev = Math.min(10, Math.max(1, Math.round(severity)));
    this.alerts.inc({ category: this.categoryCap.value(category), severity: String(sev) }, count);
  }

  setFlowsActive(n: number): void {
    this.flowsActive.set(n);
  }

  /** Pool state: batches queued/in flight and the busy share over the last interval. */
  setWorkers(state: { queueBatches: number; busyRatio: number }): void {
    this.workerQueue.set(state.queueBatches);
    this.workerBusy.set(Math.min(1, Math.max(0, state.busyRatio)));
  }

  /** A worker crashed and was restarted; what it held is lost and counted here. */
  onWorkerRestart(lost: { batches?: number; packets?: number; flows?: number } = {}): void {
    this.workerRestarts.inc();
    if (lost.batches) this.workerLostBatches.inc(lost.batches);
    if (lost.packets) this.workerLostPackets.inc(lost.packets);
    if (lost.flows) this.workerLostFlows.inc(lost.flows);
  }

  /** A worker threw on a batch (counted as lost too; the worker itself goes on). */
  onTaskError(lost: { packets?: number } = {}): void {
    this.workerTaskErrors.inc();
    this.workerLostBatches.inc();
    if (lost.packets) this.workerLostPackets.inc(lost.packets);
  }

  setBaselineHosts(n: number): void {
    this.baselineHosts.set(n);
  }

  onConfigReload(ok: boolean): void {
    this.configReloads.inc({ result: ok ? 'ok' : 'error' });
  }

  /** Self-audit values read at every scrape (live: the SelfAudit over flow records). */
  setSelfAuditSource(read: (() => SelfAudit) | undefined): void {
    this.auditSource = read;
  }

  /** Merges the given self-audit values (keeps fields not given). */
  setSelfAudit(a: SelfAudit): void {
    this.audit = { ...this.audit, ...a };
  }

  /** The text exposition (what /metrics serves). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
