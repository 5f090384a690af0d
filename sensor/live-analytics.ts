/**
 * The analytics stage (models/analytics: baselines, detections, alerts) as `live` runs it, through
 * the stage hook of sensor/live.ts:
 *   records   every shard result's flow records and events → Analytics.onFlow / onEvent
 *   tick      once a second with the capture clock → windows and aging; ndr_baseline_hosts
 *   alerts    → ctx.alert: ndr_alerts_total{category,severity}, the shipper's `alerts` stream,
 *               syslog; and --alerts-out / --cases-out (JSON lines, appended)
 *   reload    SIGHUP: the `analytics` section is validated (an invalid one refuses the whole
 *             reload); a changed valid one applies at the next start (the engine has no
 *             reconfiguration yet) and the reload log says so
 *   finish    SIGTERM: pending alert updates flushed, baseline saved (--baseline, atomic)
 * Loaded only when it runs (models/analytics is not needed by `--no-analytics`).
 */
import type { AnalyticsContext, AnalyticsStage } from './live.js';
import type { SensorConfig } from './config.js';

export interface LiveAnalyticsOptions {
  baselineFile?: string;
  learn: boolean;
  alertsOut?: string;
  casesOut?: string;
}

/** The `analytics` section with the sensor's id as the alerts' default sensor_id. */
function section(cfg: SensorConfig): unknown {
  const s = cfg.extra.analytics;
  if (s === undefined || s === null) return { sensorId: cfg.sensor_id };
  if (typeof s === 'object' && !Array.isArray(s) && !('sensorId' in s)) return { sensorId: cfg.sensor_id, ...s };
  return s;
}

export async function openLiveAnalytics(o: LiveAnalyticsOptions, ctx: AnalyticsContext): Promise<AnalyticsStage> {
  const { openAnalyticsSession, validateAnalyticsConfig, ConfigError } = await import('../models/analytics/index.js');
  const session = openAnalyticsSession({
    config: section(ctx.config),
    baselineFile: o.baselineFile,
    learn: o.learn,
    alertsOut: o.alertsOut,
    casesOut: o.casesOut,
    onAlert: (a) => ctx.alert(a),
    log: (m) => ctx.log.info(m),
  });
  ctx.log.info('analytics running', { baseline: o.baselineFile ?? null, baseline_status: session.baselineStatus, learn: o.learn });
  let running = JSON.stringify(section(ctx.config));
  const baseline = session.analytics.baseline;
  return {
    records(flows, events) {
      for (const f of flows) session.onFlow(f as never);
      for (const e of events) session.onEvent(e as never);
    },
    reload(cfg) {
      const next = section(cfg);
      const { errors } = validateAnalyticsConfig(next);
      if (errors.length > 0) throw new ConfigError(errors);
      if (JSON.stringify(next) !== running) {
        ctx.log.warn('the analytics section changed: it applies at the next start');
        running = JSON.stringify(next);
      }
    },
    tick(captureTs) {
      if (captureTs > 0) session.tick(captureTs);
      ctx.setBaselineHosts(baseline.hosts.size);
    },
    finish: () => session.close(),
  };
}
