/**
 * The sensor's Prometheus metrics: every family, in one registry, and the small API the runtime
 * calls to feed them.
 *
 * Feeding rules (hot path stays free of prom-client):
 *  - Workers never touch prom-client. They aggregate per batch; the main thread calls
 *    `onBatch(report)` once per finished batch (a few labelled increments, ~1 µs).
 *  - Cumulative counters owned by other modules (capture pcap_stats, dedup, shipper) are *pulled*
 *    at scrape time through source callbacks, so nothing is done per packet or per second.
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

/** The subset of the shipper's ShipperStats (sensor/ship) exported as metrics. */
export interface ShipperStatsLike {
  recordsPushed: number;
  recordsAcked: number;
  recordsLost: number;
  batchesSent: number;
  batchesRetransmitted: number;
  batchesAcked: number;
  batchesLost: number;
  sendErrors: number;
  inFlightBatches: number;
  queuedBatches: number;
  spooledBatches: number;
  spooledBytes: number;
  srttMs: number;
}

/** One finished batch, aggregated by the worker that processed it. All fields optional. */
export interface BatchReport {
  /** Decode errors in this batch by reason (e.g. "truncated-ipv4", "bad-tcp-offset"). */
  decodeErrors?: Readonly<Record<string, number>>;
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
  /** All configured zones, and the ones that went silent (no packet within the silence window). */
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
  private shipper: (() => ShipperStatsLike) | undefined;
  private audit: SelfAudit = {};

  private readonly labelOverflow: Counter;
  private readonly decodeErrors: Counter<'reason'>;
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
  private readonly latency: Histogram;
  private readonly baselineHosts: Gauge;
  private readonly configReloads: Counter<'result'>;

  private readonly reasonCap: LabelCap;
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
      help: 'Packets or PDUs that could not be decoded, by reason',
      labelNames: ['reason'],
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

    // --- shipping (pulled from the shipper's stats) ---
    const shipCounter = (name: string, help: string, pick: (s: ShipperStatsLike) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          if (self.shipper) this.inc(pick(self.shipper()));
        },
      });
    const shipGauge = (name: string, help: string, pick: (s: ShipperStatsLike) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          if (self.shipper) this.set(pick(self.shipper()));
        },
      });
    shipCounter('ndr_ship_records_total', 'Records queued for shipping to the SOC', (s) => s.recordsPushed);
    shipCounter('ndr_ship_records_acked_total', 'Records acknowledged by the collector', (s) => s.recordsAcked);
    shipCounter('ndr_ship_records_lost_total', 'Records dropped before acknowledgement (spool cap reached): data loss', (s) => s.recordsLost);
    shipCounter('ndr_ship_batches_sent_total', 'Batches sent (first transmission)', (s) => s.batchesSent);
    shipCounter('ndr_ship_batches_retransmitted_total', 'Batch retransmissions after a missing acknowledgement', (s) => s.batchesRetransmitted);
    shipCounter('ndr_ship_batches_acked_total', 'Batches acknowledged by the collector', (s) => s.batchesAcked);
    shipCounter('ndr_ship_batches_lost_total', 'Batches dropped before acknowledgement: data loss', (s) => s.batchesLost);
    shipCounter('ndr_ship_send_errors_total', 'Datagram send errors reported by the socket', (s) => s.sendErrors);
    shipGauge('ndr_ship_inflight_batches', 'Batches sent and not yet acknowledged', (s) => s.inFlightBatches);
    shipGauge('ndr_ship_queue_batches', 'Batches waiting in memory to be sent', (s) => s.queuedBatches);
    shipGauge('ndr_ship_spool_batches', 'Batches waiting in the disk spool', (s) => s.spooledBatches);
    shipGauge('ndr_ship_spool_bytes', 'Bytes in the disk spool', (s) => s.spooledBytes);
    shipGauge('ndr_ship_rtt_seconds', 'Smoothed round-trip time to the collector', (s) => s.srttMs / 1000);

    // --- sensor self-audit: gauges that reveal a broken mirror feed ---
    new Gauge({
      name: 'ndr_selfaudit_tcp_oneway_ratio',
      help: 'Share (0-1) of recent TCP flows seen in one direction only (one-sided SPAN)',
      registers,
      collect() {
        this.set(self.audit.tcpOneWayRatio ?? 0);
      },
    });
    new Gauge({
      name: 'ndr_selfaudit_silent_zones',
      help: 'Configured zones from which no packet was seen within the silence window',
      registers,
      collect() {
        this.set(self.audit.silentZones?.length ?? 0);
      },
    });
    const zoneCap = new LabelCap(overflow);
    new Gauge({
      name: 'ndr_selfaudit_zone_silent',
      help: '1 if the zone went silent (no packet within the silence window), else 0',
      labelNames: ['zone'],
      registers,
      collect() {
        this.reset();
        const silent = new Set(self.audit.silentZones ?? []);
        for (const z of self.audit.zones ?? []) this.set({ zone: zoneCap.value(z) }, silent.has(z) ? 1 : 0);
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

  /** Shipper stats getter (sensor/ship Shipper#stats or equivalent), read at scrape time. */
  setShipperSource(read: (() => ShipperStatsLike) | undefined): void {
    this.shipper = read;
  }

  /** Once per finished batch (never per packet). */
  onBatch(r: BatchReport): void {
    if (r.decodeErrors) {
      for (const reason in r.decodeErrors) {
        const n = r.decodeErrors[reason];
        if (n > 0) this.decodeErrors.inc({ reason: this.reasonCap.value(reason) }, n);
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
  onWorkerRestart(lost: { batches?: number; packets?: number } = {}): void {
    this.workerRestarts.inc();
    if (lost.batches) this.workerLostBatches.inc(lost.batches);
    if (lost.packets) this.workerLostPackets.inc(lost.packets);
  }

  setBaselineHosts(n: number): void {
    this.baselineHosts.set(n);
  }

  onConfigReload(ok: boolean): void {
    this.configReloads.inc({ result: ok ? 'ok' : 'error' });
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
