/**
 * `ndr-sensor replay`: read capture files as one stream through the packet path, write flow
 * records, flush every flow at the end and print a one-screen summary.
 */
import { CaptureFileReader, CaptureOpenError } from './capture/file-reader.js';
import { Pipeline } from './pipeline.js';
import { JsonLinesWriter } from './output/json-lines.js';
import type { SensorConfig } from './config.js';
import { createOutputs, type Outputs } from './ship/outputs.js';
import type { ShipOptions } from './ship/options.js';
import { analyticsWanted, openAnalyticsStage, type AnalyticsFlags, type AnalyticsStage } from './analytics-stage.js';

export interface ReplayOptions {
  files: string[];
  config: SensorConfig;
  flowsOut?: string;
  eventsOut?: string;
  workers: number;
  /** 0 = as fast as possible; X = X times the recorded pace. */
  speed: number;
  uidSeed?: number;
  quiet?: boolean;
  /** SOC shipping, IPFIX and syslog (all optional). */
  ship?: ShipOptions;
  /** Baselines and detections (run when any flag is given or alerts have a destination). */
  analytics?: AnalyticsFlags;
}

export interface ReplaySummary {
  packets: number;
  bytes: number;
  /** Records written (final and interim). */
  records: number;
  /** Connections (final records), total and by transport. */
  flows: number;
  flowsByProto: Record<string, number>;
  events: number;
  elapsedS: number;
  pps: number;
  damage: Record<string, number>;
  damageNotes: string[];
  decode: Record<string, number>;
  /** One line about shipping (acknowledged, spooled) when outputs leave the box. */
  ship: string | null;
  /** Alerts raised (null when the analytics stage did not run) and by severity 0–10. */
  alerts: number | null;
  alertsBySeverity: number[];
  baseline: string | null;
  exitCode: number;
}

/** Where a pipeline's records go: JSON-lines files and the outputs that leave the box. */
export interface RecordOutputs {
  /** Shipping / IPFIX / syslog fan-out, or null when none is configured. */
  readonly outputs: Outputs | null;
  /** Close and reopen the JSON-lines files (live: SIGHUP after log rotation). */
  reopen(): Promise<void>;
  /** Drain shipping (bounded by --drain-timeout), close everything; the shipping summary line or null. */
  close(): Promise<string | null>;
}

/** Attaches the record outputs shared by `replay` and `live` to a pipeline. */
export async function attachRecordOutputs(
  pipeline: Pipeline,
  o: { flowsOut?: string; eventsOut?: string; ship?: ShipOptions; append?: boolean; log?: (m: string) => void },
): Promise<RecordOutputs> {
  const open = (path: string | undefined) => (path === undefined ? null : new JsonLinesWriter(path, { append: o.append }));
  let flowsOut = open(o.flowsOut);
  let eventsOut = open(o.eventsOut);
  // The sinks look the writers up on every call, so reopen() can swap them.
  // The workers send records as JSON lines: the files get those bytes as they are.
  if (o.flowsOut !== undefined) pipeline.addSink({ flowLines: (b, n) => flowsOut!.writeLines(b, n), ready: () => flowsOut!.ready() });
  if (o.eventsOut !== undefined) pipeline.addSink({ eventLines: (b, n) => eventsOut!.writeLines(b, n), ready: () => eventsOut!.ready() });
  let outputs: Outputs | null = null;
  const ship = o.ship;
  if (ship !== undefined && (ship.ship !== undefined || ship.ipfix !== undefined || ship.syslog !== undefined)) {
    outputs = await createOutputs(ship, o.log);
    const out = outputs;
    pipeline.addSink({
      flows: (recs) => { for (const r of recs) out.flow(r); },
      events: (recs) => { for (const r of recs) out.event(r); },
    });
  }
  return {
    outputs,
    async reopen() {
      if (flowsOut !== null && o.flowsOut !== '-') {
        const old = flowsOut;
        flowsOut = open(o.flowsOut);
        await old.close();
      }
      if (eventsOut !== null && o.eventsOut !== '-') {
        const old = eventsOut;
        eventsOut = open(o.eventsOut);
        await old.close();
      }
    },
    async close() {
      const line = outputs !== null ? (await outputs.finish()).summary : null;
      await flowsOut?.close();
      await eventsOut?.close();
      return line;
    },
  };
}

export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const pipeline = new Pipeline(o.config, { workers: o.workers, uidSeed: o.uidSeed });
  const fileReader = new CaptureFileReader(o.files, pipeline.chunks);
  const out = await attachRecordOutputs(pipeline, { flowsOut: o.flowsOut, eventsOut: o.eventsOut, ship: o.ship });
  let shipLine: string | null = null;
  let stage: AnalyticsStage | null = null;
  const af = o.analytics ?? {};
  const outputs = out.outputs;
  const ship = o.ship;
  if (analyticsWanted(af, outputs !== null && (ship?.ship !== undefined || ship?.syslog !== undefined))) {
    try {
      stage = await openAnalyticsStage(o.config, o.workers, { ...af, alert: outputs === null ? undefined : (a) => outputs.alert(a) });
    } catch (e) {
      await pipeline.close();
      await out.close();
      throw e;
    }
    const st = stage;
    pipeline.addSink({ result: (shard, flows, events, clock) => st.result(shard, flows, events, clock) });
  }

  const t0 = performance.now();
  const progress = process.stderr.isTTY && !o.quiet ? new Progress() : null;
  let exitCode = 0;
  try {
    await fileReader.checkReadable();
    let firstTs = -1;
    for await (const batch of fileReader.batches()) {
      if (o.speed > 0 && batch.count > 0) {
        // Pace by capture time: the batch starts when its first packet is due.
        const ts = batch.ts[0];
        if (firstTs < 0) firstTs = ts;
        const due = t0 + ((ts - firstTs) * 1000) / o.speed;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      await pipeline.submit(batch);
      progress?.update(pipeline.dispatcher.stats.packets, pipeline.dispatcher.stats.bytes, t0);
    }
    await pipeline.finish();
  } catch (e) {
    if (e instanceof CaptureOpenError) {
      process.stderr.write(`ndr-sensor: ${e.message}\n`);
      exitCode = 1;
    } else {
      throw e;
    }
  } finally {
    progress?.clear();
    await pipeline.close();
    // The stage goes first: its last alerts still go out through the outputs.
    await stage?.finish();
    shipLine = await out.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const d = pipeline.dispatcher.stats;
  const damage = fileReader.damage;
  if (exitCode === 0 && damage.unreadableFiles > 0 && damage.unreadableFiles === fileReader.stats.filesRead) exitCode = 1;
  return {
    packets: d.packets,
    bytes: d.bytes,
    records: pipeline.stats.flows,
    flows: Object.values(pipeline.stats.finalByProto).reduce((a, b) => a + b, 0),
    flowsByProto: { ...pipeline.stats.finalByProto },
    events: pipeline.stats.events,
    elapsedS,
    pps: d.packets / Math.max(elapsedS, 1e-9),
    damage: damage.toJSON(),
    damageNotes: damage.notes,
    decode: d.reasonCounts(),
    ship: shipLine,
    alerts: stage === null ? null : stage.alerts,
    alertsBySeverity: stage === null ? [] : [...stage.alertsBySeverity],
    baseline: stage === null || af.baseline === undefined ? null : `${af.baseline} (${stage.baselineStatus}${af.learn === true ? ', learning' : ''})`,
    exitCode,
  };
}

class Progress {
  private last = 0;

  update(packets: number, bytes: number, t0: number): void {
    const now = performance.now();
    if (now - this.last < 500) return;
    this.last = now;
    const s = (now - t0) / 1000;
    process.stderr.write(`\r${grouped(packets)} packets  ${(bytes / 1e6).toFixed(0)} MB  ${(packets / s / 1e6).toFixed(2)} Mpps  ${s.toFixed(1)} s   `);
  }

  clear(): void {
    process.stderr.write('\r\x1b[K');
  }
}

/**
 * An integer with thousands separators, as toLocaleString('en') prints it — whose first call
 * costs ~20 ms here (ICU's number formatter is loaded on demand), paid on every replay.
 */
export function grouped(n: number): string {
  const t = String(Math.abs(Math.trunc(n)));
  let out = '';
  for (let i = 0; i < t.length; i++) {
    if (i > 0 && (t.length - i) % 3 === 0) out += ',';
    out += t[i];
  }
  return n < 0 ? `-${out}` : out;
}

export function formatSummary(s: ReplaySummary): string {
  const lines = [
    `packets      ${grouped(s.packets)}`,
    `bytes        ${grouped(s.bytes)}`,
    `flows        ${grouped(s.flows)} (${Object.entries(s.flowsByProto).map(([k, v]) => `${k} ${grouped(v)}`).join(', ') || 'none'}; ${grouped(s.records)} records incl. interim)`,
    `events       ${grouped(s.events)}`,
    `elapsed      ${s.elapsedS.toFixed(2)} s`,
    `packets/s    ${grouped(Math.round(s.pps))}`,
  ];
  const dmg = Object.entries(s.damage).filter(([, v]) => v > 0);
  lines.push(`damage       ${dmg.length === 0 ? 'none' : dmg.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const n of s.damageNotes.slice(0, 10)) lines.push(`  ${n}`);
  const dec = Object.entries(s.decode);
  if (dec.length > 0) lines.push(`not flowed   ${dec.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s.alerts !== null) {
    const sev = s.alertsBySeverity.map((n, i) => [i, n]).filter(([, n]) => n > 0).reverse();
    lines.push(`alerts       ${grouped(s.alerts)}${sev.length > 0 ? ` (severity ${sev.map(([i, n]) => `${i}: ${n}`).join(', ')})` : ''}`);
  }
  if (s.baseline !== null) lines.push(`baseline     ${s.baseline}`);
  if (s.ship !== null) lines.push(`shipping     ${s.ship}`);
  return lines.join('\n') + '\n';
}
