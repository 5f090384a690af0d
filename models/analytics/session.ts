/**
 * Runtime wiring for the CLI's `--baseline FILE`, `--learn`, `--alerts-out FILE` (and
 * `--cases-out FILE`): loads the baseline at start (a corrupt or unreadable file is reported,
 * moved aside and replaced by a fresh baseline), writes alerts/cases as JSON lines, saves the
 * baseline periodically (wall clock, `baseline.saveIntervalSec`) and atomically on close.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert, Case } from '../alerts/types.js';
import type { FlowRecord, ProtoEvent } from '../core/records.js';
import { Analytics, StateFormatError } from './engine.js';
import { quarantine, readStateFile, writeStateFile } from './persist.js';

export interface AnalyticsSessionOptions {
  /** The `analytics` config section (validated here; throws ConfigError naming bad keys). */
  config: unknown;
  baselineFile?: string;
  learn?: boolean;
  alertsOut?: string;
  casesOut?: string;
  /** Extra sinks (e.g. the SOC shipper). */
  onAlert?: (a: Alert) => void;
  onCase?: (c: Case) => void;
  /** Operator-facing messages (stderr by default). */
  log?: (msg: string) => void;
  /** Override the periodic save interval (seconds, wall clock); 0 disables. */
  saveIntervalSec?: number;
}

export interface AnalyticsSession {
  readonly analytics: Analytics;
  /** How the baseline was obtained: fresh, loaded, or fresh after moving a corrupt file aside. */
  readonly baselineStatus: 'none' | 'fresh' | 'loaded' | 'quarantined';
  readonly quarantinedTo?: string;
  onFlow(rec: FlowRecord): void;
  onEvent(ev: ProtoEvent): void;
  tick(captureTs: number): void;
  /** Save now (atomic); returns bytes written, 0 without a baseline file. */
  save(): number;
  /** Flush pending alert updates, save the baseline, close outputs. */
  close(): Promise<void>;
}

export function openAnalyticsSession(o: AnalyticsSessionOptions): AnalyticsSession {
  const log = o.log ?? ((m: string) => process.stderr.write(`ndr-sensor: ${m}\n`));
  const alertsOut: WriteStream | null = o.alertsOut ? createWriteStream(o.alertsOut, { flags: 'a' }) : null;
  const casesOut: WriteStream | null = o.casesOut ? createWriteStream(o.casesOut, { flags: 'a' }) : null;
  const a = new Analytics(
    o.config,
    {
      onAlert: (al) => {
        alertsOut?.write(JSON.stringify(al) + '\n');
        o.onAlert?.(al);
      },
      onCase: (c) => {
        casesOut?.write(JSON.stringify(c) + '\n');
        o.onCase?.(c);
      },
      onError: (type, err) => log(`detection ${type} failed on a record and skipped it: ${(err as Error)?.stack ?? String(err)}`),
    },
    { learn: o.learn },
  );
  let status: AnalyticsSession['baselineStatus'] = 'none';
  let quarantinedTo: string | undefined;
  if (o.baselineFile) {
    const r = readStateFile(o.baselineFile);
    let reason = '';
    if (r.status === 'missing') status = 'fresh';
    else if (r.status === 'corrupt') reason = r.reason;
    else {
      try {
        a.load(r.state);
        status = 'loaded';
      } catch (e) {
        reason = e instanceof StateFormatError ? e.message : `unreadable content (${(e as Error).message})`;
      }
    }
    if (reason) {
      quarantinedTo = quarantine(o.baselineFile);
      status = 'quarantined';
      log(`baseline ${o.baselineFile} is corrupt: ${reason}. Moved it aside to ${quarantinedTo}; starting with a fresh baseline.`);
      // a half-applied load must not leak into the fresh run
      const fresh = new Analytics(a.cfg, {}, { learn: o.learn });
      a.load(fresh.save());
    } else if (status === 'loaded') {
      log(`baseline ${o.baselineFile} loaded: ${a.baseline.hosts.size} hosts, ${a.baseline.edgeCount} edges, ${(a.baseline.ageSec(a.now) / 86400).toFixed(1)} days of history.`);
    }
  }
  const interval = (o.saveIntervalSec ?? a.cfg.config.baseline.saveIntervalSec) * 1000;
  let lastSave = Date.now();
  const save = (): number => {
    if (!o.baselineFile) return 0;
    lastSave = Date.now();
    return writeStateFile(o.baselineFile, a.save());
  };
  const maybeSave = () => {
    if (interval > 0 && o.baselineFile && Date.now() - lastSave >= interval) {
      try {
        save();
      } catch (e) {
        log(`periodic baseline save to ${o.baselineFile} failed: ${(e as Error).message}`);
      }
    }
  };
  return {
    analytics: a,
    baselineStatus: status,
    quarantinedTo,
    onFlow: (r) => a.onFlow(r),
    onEvent: (e) => a.onEvent(e),
    tick(ts) {
      a.tick(ts);
      maybeSave();
    },
    save,
    async close() {
      a.flush();
      if (o.baselineFile) save();
      await Promise.all([alertsOut, casesOut].map((s) => (s ? new Promise<void>((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res()))) : undefined)));
    },
  };
}
