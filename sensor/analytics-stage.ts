/**
 * The analytics stage as the runtime drives it (replay and live): one instance on the main thread,
 * fed with the flow records and protocol events of every shard, raising alerts to the JSON-lines
 * file and to the outputs that leave the box (shipper `alerts` stream, syslog).
 *
 * Why a module of its own: the CLI flags (`--alerts-out`, `--cases-out`, `--baseline`, `--learn`)
 * and the config mapping (top-level `sensor_id`, `internal_networks`, `zones` are the defaults of
 * the `analytics` section) are the same for every command, and the analytics modules are loaded
 * only when the stage runs (they cost startup time a plain replay should not pay).
 */
import type { SensorConfig } from './config.js';
import { JsonLinesWriter } from './output/json-lines.js';

export interface AnalyticsFlags {
  alertsOut?: string;
  casesOut?: string;
  baseline?: string;
  learn?: boolean;
}

/** Alert fields the runtime relies on (models/alerts/types.ts has the full record). */
export interface StageAlert {
  ts: number;
  id: string;
  type: string;
  category: string;
  severity: number;
  summary: string;
  [k: string]: unknown;
}

/** Interim-record period (s) when the detections run and the config does not set timeouts.active. */
export const ANALYTICS_ACTIVE_TIMEOUT = 30;

export interface AnalyticsStageOptions extends AnalyticsFlags {
  /** Append to --alerts-out/--cases-out instead of truncating (live: restarts keep the history). */
  append?: boolean;
  /** Every alert, after it was written to --alerts-out (outputs, metrics). */
  alert?: (a: StageAlert) => void;
  log?: (m: string) => void;
  /** Periodic baseline save interval override (seconds of wall time; 0 = only at the end). */
  saveIntervalSec?: number;
}

export interface AnalyticsStage {
  /**
   * One shard result: its flow records and protocol events (each list in emission order), and the
   * capture time up to which the shard has handed over everything.
   */
  result(shard: number, flows: readonly object[], events: readonly object[], clock: number): void;
  /** Flush pending alert updates, save the baseline, close the files. */
  finish(): Promise<void>;
  readonly alerts: number;
  readonly alertsBySeverity: number[];
  /** Table sizes and counters for metrics and the summary. */
  stats(): Record<string, number>;
  readonly baselineStatus: string;
}

/** Does this command line (or the outputs) need the stage at all? */
export function analyticsWanted(f: AnalyticsFlags, alertDestination: boolean): boolean {
  return f.alertsOut !== undefined || f.casesOut !== undefined || f.baseline !== undefined || f.learn === true || alertDestination;
}

/** The `analytics` config section with the sensor-wide settings filled in where it does not set them. */
export function analyticsSection(cfg: SensorConfig): Record<string, unknown> {
  const own = cfg.extra.analytics;
  const section = own !== undefined && own !== null && typeof own === 'object' && !Array.isArray(own) ? own as Record<string, unknown> : {};
  return {
    sensorId: cfg.sensor_id,
    internalNetworks: cfg.internal_networks,
    zones: cfg.zones,
    ...section,
  };
}

/**
 * Validate the `analytics` section (if the config has one) without running the stage, so a bad
 * key is a configuration error (exit 2) whatever the command line asks for. Throws the analytics
 * ConfigError, whose message names every bad key.
 */
export async function checkAnalyticsConfig(cfg: SensorConfig): Promise<void> {
  if (cfg.extra.analytics === undefined) return;
  const { resolveAnalyticsConfig } = await import('../models/analytics/index.js');
  resolveAnalyticsConfig(analyticsSection(cfg));
}

export async function openAnalyticsStage(cfg: SensorConfig, shards: number, o: AnalyticsStageOptions): Promise<AnalyticsStage> {
  const { openAnalyticsSession } = await import('../models/analytics/index.js');
  const alertsOut = o.alertsOut !== undefined ? new JsonLinesWriter(o.alertsOut, { append: o.append }) : null;
  const casesOut = o.casesOut !== undefined ? new JsonLinesWriter(o.casesOut, { append: o.append }) : null;
  const bySeverity = new Array<number>(11).fill(0);
  let alerts = 0;
  const session = openAnalyticsSession({
    config: analyticsSection(cfg),
    baselineFile: o.baseline,
    learn: o.learn,
    log: o.log,
    saveIntervalSec: o.saveIntervalSec,
    onAlert: (a) => {
      alerts++;
      bySeverity[Math.max(0, Math.min(10, Math.round(a.severity)))]++;
      alertsOut?.write([a]);
      o.alert?.(a as unknown as StageAlert);
    },
    onCase: (c) => casesOut?.write([c]),
  });
  const clocks = new Float64Array(shards).fill(-Infinity);
  let ticked = -Infinity;
  return {
    get alerts() { return alerts; },
    alertsBySeverity: bySeverity,
    baselineStatus: session.baselineStatus,
    result(shard, flows, events, clock) {
      // The stage's clock is the latest time it has seen, so records must arrive in time order.
      // A result covers a whole batch (minutes of capture time on a quiet network): feeding all
      // its flows before its events would put the clock at the batch's end before the first
      // event, and every alert raised on an event would carry that later time. Merge the two
      // lists (each in emission order) by time: flows by their end, events by their ts.
      let i = 0;
      let j = 0;
      while (i < flows.length || j < events.length) {
        if (j >= events.length || (i < flows.length && flowEnd(flows[i]) <= eventTs(events[j]))) session.onFlow(flows[i++] as never);
        else session.onEvent(events[j++] as never);
      }
      // Advance to the oldest of the shards' clocks, so a window never closes before a slower
      // shard's records of the same period have arrived.
      if (!(clock > 0) || shard < 0 || shard >= shards) return;
      if (clock > clocks[shard]) clocks[shard] = clock;
      let min = Infinity;
      for (let k = 0; k < shards; k++) if (clocks[k] < min) min = clocks[k];
      if (min > ticked && Number.isFinite(min)) {
        ticked = min;
        session.tick(min);
      }
    },
    stats: () => session.analytics.stats(),
    async finish() {
      await session.close();
      await alertsOut?.close();
      await casesOut?.close();
    },
  };
}

function flowEnd(r: object): number {
  const f = r as { ts?: unknown; duration?: unknown };
  const ts = typeof f.ts === 'number' ? f.ts : 0;
  return typeof f.duration === 'number' ? ts + f.duration : ts;
}

function eventTs(r: object): number {
  const t = (r as { ts?: unknown }).ts;
  return typeof t === 'number' ? t : 0;
}
