/**
 * `ndr-sensor live`: the appliance. libpcap capture on one or more mirror ports → the same
 * pipeline as replay (dispatcher → flow-affine shard workers → record sinks) → JSON-lines files
 * and/or SOC shipping, IPFIX, syslog; Prometheus metrics, /healthz, /readyz; signals.
 *
 * Flags: those of sensor/live-runtime.ts (capture, metrics endpoint, --user, logging), the output
 * flags of sensor/ship/options.ts (--ship …, --ipfix, --syslog), and
 *   --config FILE       sensor configuration (YAML/JSON); SIGHUP reloads it
 *   --flows-out FILE    flow records as JSON lines, appended ("-" = stdout); reopened on SIGHUP
 *   --events-out FILE   protocol events as JSON lines, appended; reopened on SIGHUP
 *   --workers N         decoding worker threads (default: cores − 1, at least 1)
 *   --alerts-out FILE, --cases-out FILE, --baseline FILE, --learn
 *                       the analytics stage (sensor/analytics-stage.ts), as for replay: it runs when
 *                       one of these is given or alerts have a destination (--ship, --syslog); its
 *                       alerts also feed ndr_alerts_total, its baseline ndr_baseline_hosts, and the
 *                       baseline is saved at SIGTERM
 *
 * Time: flow timeouts run on capture time (kernel timestamps). When no packet arrives for a second
 * (and nothing is held back by backpressure), the capture clock is moved to wall time minus one
 * second — the most a packet can still sit in a kernel block — so idle flows expire and interim
 * records go out on a quiet network too. The clock never goes backwards.
 *
 * Backpressure: each capture owns a fixed set of chunks; a batch's chunk returns when every
 * shard is done with it. While the workers hold all chunks the capture stops reading and the
 * kernel ring absorbs the burst (overflow = ndr_capture_kernel_drops_total). A blocked output
 * pauses the captures the same way.
 *
 * Signals: SIGHUP reloads the config (validated; on any error the running one stays and the error
 * is logged) and reopens the output files; SIGTERM/SIGINT stop the capture (after one kernel block
 * timeout, so what arrived before the signal is read), flush every flow,
 * let the analytics stage save its state, drain shipping (bounded by --drain-timeout) and exit 0.
 * A second SIGTERM/SIGINT exits at once with 1. With NDR_TEST_HOOKS=1, SIGUSR2 kills the worker of
 * shard 0 (a crash drill: it is restarted and the loss counted) and SIGUSR1 makes it hang (the
 * watchdog drill: after limits.worker_hang_timeout it is terminated, then restarted the same way).
 *
 * Exit codes: 0 stopped by signal, 1 runtime failure, 2 usage or configuration error.
 */
import { closeSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, type SensorConfig } from './config.js';
import { Pipeline } from './pipeline.js';
import { attachRecordOutputs, type RecordOutputs } from './replay.js';
import { parseLiveFlags, startLiveRuntime, type LiveFlags, type LiveRuntime } from './live-runtime.js';
import { liveSettings, restartOnlyChanges, type LiveSettings } from './live-config.js';
import { LiveMetrics } from './live-metrics.js';
import { SelfAudit } from './live-audit.js';
import type { LiveBatch, LiveCapture } from './capture/live.js';
import { pcapLibVersion } from './capture/pcap-addon.js';
import { Logger, setRootLogger } from './log.js';
import { SensorMetrics } from './metrics/registry.js';
import { OptionError, parseShipOptions, takeOutputArgs, type ShipOptions } from './ship/options.js';
import { registerShipperMetrics } from './ship/outputs.js';
import {
  ANALYTICS_ACTIVE_TIMEOUT, analyticsSection, analyticsWanted, checkAnalyticsConfig, openAnalyticsStage, type AnalyticsFlags, type AnalyticsStage, type StageAlert,
} from './analytics-stage.js';
import type { Shipper } from './ship/shipper.js';

/** Capture clock lag behind wall time when idle: longer than a packet can wait in a kernel block. */
const IDLE_LAG_S = 1;
/** No batch for this long = idle (the clock then follows wall time). */
const IDLE_MS = 1000;
const PERIOD_MS = 1000;
/** Submissions waiting for a blocked output before the captures pause. */
const MAX_PENDING_SUBMITS = 4;
/** Shipping with batches waiting and no acknowledgement for this long = stalled (/readyz). */
const SHIP_STALL_MS = 60_000;
/** A shard task pending longer than this = a hung worker (/readyz). */
const WORKER_STALL_MS = 30_000;
/** Live capture chunks: 4 MiB of packet bytes, 16384 index entries. */
const CHUNK_BYTES = 4 << 20;
const CHUNK_PACKETS = 16384;

/** What an analytics stage gets from `live`. */
export interface AnalyticsContext {
  config: SensorConfig;
  log: Logger;
  /** Sends an alert to the outputs (shipper's `alerts` stream, syslog) and counts it in ndr_alerts_total. */
  alert(a: StageAlert): void;
}

/**
 * The analytics stage as `live` drives it: sensor/analytics-stage.ts's stage (records per shard
 * result with the shard's clock, finish at SIGTERM, stats().hosts → ndr_baseline_hosts), plus
 * SIGHUP: `reload` gets the new validated config; throwing refuses the whole reload.
 */
export interface LiveAnalyticsStage extends AnalyticsStage {
  reload?(config: SensorConfig): void | Promise<void>;
}

export interface LiveHooks {
  /** Replaces the default stage (openAnalyticsStage when analytics is wanted): embedding, tests. */
  analytics?: (ctx: AnalyticsContext) => LiveAnalyticsStage | Promise<LiveAnalyticsStage>;
}

class UsageError extends Error {}

interface LiveArgs {
  flags: LiveFlags;
  configPath?: string;
  config: SensorConfig;
  settings: LiveSettings;
  flowsOut?: string;
  eventsOut?: string;
  workers: number;
  uidSeed?: number;
  ship: ShipOptions;
  analytics: AnalyticsFlags;
}

function intArg(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}

/** `--config FILE` / `--config=FILE` from raw argv (the interfaces may come from the config). */
function configArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return undefined;
}

async function parseLiveArgs(argv: string[]): Promise<LiveArgs> {
  let taken;
  let flags: LiveFlags;
  try {
    taken = takeOutputArgs(argv);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let rest = taken.rest;
  if (!rest.some((x) => x === '--interface' || x.startsWith('--interface='))) {
    // No --interface: take capture.interfaces from the config (the Docker image's and the systemd unit's way).
    const path = configArg(rest);
    const ifs = path === undefined ? undefined : liveSettings(await loadConfig(path)).interfaces;
    if (ifs !== undefined) rest = [...rest, ...ifs.flatMap((i) => ['--interface', i])];
  }
  try {
    flags = parseLiveFlags(rest);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}${/--interface/.test((e as Error).message) ? ' (or capture.interfaces in the config)' : ''}`);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: flags.rest,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        'flows-out': { type: 'string' },
        'events-out': { type: 'string' },
        workers: { type: 'string' },
        'uid-seed': { type: 'string' },
        baseline: { type: 'string' },
        learn: { type: 'boolean' },
        'alerts-out': { type: 'string' },
        'cases-out': { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const config = await loadConfig(v.config);
  const settings = liveSettings(config);
  await checkAnalyticsConfig(config);
  if (taken.values['--sensor-id'] === undefined && taken.values['--ship'] !== undefined) taken.values['--sensor-id'] = config.sensor_id;
  let ship: ShipOptions;
  try {
    ship = parseShipOptions(taken.values);
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.message);
    throw e;
  }
  const analytics: AnalyticsFlags = { alertsOut: v['alerts-out'], casesOut: v['cases-out'], baseline: v.baseline, learn: v.learn === true };
  if (analyticsWanted(analytics, ship.ship !== undefined || ship.syslog !== undefined) && !config.given.includes('timeouts.active')) {
    config.timeouts.active = ANALYTICS_ACTIVE_TIMEOUT;
  }
  return {
    flags,
    configPath: v.config,
    config,
    settings,
    flowsOut: v['flows-out'],
    eventsOut: v['events-out'],
    workers: intArg(v.workers, 'workers', 1, 64) ?? Math.max(1, availableParallelism() - 1),
    uidSeed: intArg(v['uid-seed'], 'uid-seed', 0, 2 ** 31),
    ship,
    analytics,
  };
}

/** Runs the appliance until SIGTERM/SIGINT (or a fatal failure); resolves with the exit code. */
export async function runLive(argv: string[], hooks: LiveHooks = {}): Promise<number> {
  let a: LiveArgs;
  try {
    a = await parseLiveArgs(argv);
  } catch (e) {
    // The analytics section's validator has its own ConfigError (listing every bad key).
    if (e instanceof UsageError || e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError')) {
      process.stderr.write(`ndr-sensor: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = Logger.create({ level: a.settings.logLevel ?? a.flags.logLevel, bindings: { sensor_id: a.config.sensor_id } });
  setRootLogger(log);
  return new LiveSensor(a, log, hooks).run();
}

class LiveSensor {
  private readonly pipeline: Pipeline;
  private readonly metrics: SensorMetrics;
  private readonly audit: SelfAudit;
  private readonly liveMetrics: LiveMetrics;
  private out: RecordOutputs | null = null;
  private runtime: LiveRuntime | null = null;
  private stage: LiveAnalyticsStage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastBatchAt = Date.now();
  /** Shards whose hung worker is being terminated (the watchdog acts once per hang). */
  private readonly terminating = new Set<number>();
  private pendingSubmits = 0;
  private outputPaused = false;
  private stopping = false;
  private done!: (code: number) => void;
  private reloading: Promise<void> = Promise.resolve();
  /** The config the workers and the shipper were started with (restart-only keys compare to it). */
  private readonly startConfig: SensorConfig;
  private filter: string;
  private shipStall = { acked: -1, since: Date.now(), stalled: false };
  private readonly signals: [NodeJS.Signals, () => void][] = [];
  /** SIGTERM/SIGINT that arrived while starting: acted on once running. */
  private pendingStop: NodeJS.Signals | null = null;

  constructor(private readonly a: LiveArgs, private readonly log: Logger, private readonly hooks: LiveHooks) {
    this.startConfig = a.config;
    this.filter = a.flags.capture.filter ?? a.settings.bpf ?? '';
    this.pipeline = new Pipeline(a.config, { workers: a.workers, uidSeed: a.uidSeed, restartWorkers: true });
    this.metrics = new SensorMetrics({ libpcapVersion: pcapLibVersion() });
    this.audit = new SelfAudit(a.config.zones, a.settings.auditWindowS);
    this.liveMetrics = new LiveMetrics(this.metrics, this.pipeline, this.audit);
    this.pipeline.addObserver(this.liveMetrics);
    this.pipeline.addObserver({
      workerLost: (l) => this.log.error('worker died and was restarted; its flows and pending batches are lost', {
        shard: l.shard, restarts: l.restarts, lost_batches: l.tasks, lost_packets: l.packets, lost_flows: l.flows, err: l.error,
      }),
      taskFailed: (e) => this.log.errorLimited('task-error', 'worker failed on a batch (bug); the batch is lost', { err: e }),
    });
  }

  async run(): Promise<number> {
    const { a, log } = this;
    // Signals first: one that arrives while starting must not kill the process half-way.
    const exited = new Promise<number>((resolve) => { this.done = resolve; });
    const stop = (sig: NodeJS.Signals) => {
      if (this.runtime === null) this.pendingStop = sig;
      else void this.shutdown(0, sig);
    };
    this.on('SIGTERM', () => stop('SIGTERM'));
    this.on('SIGINT', () => stop('SIGINT'));
    this.on('SIGHUP', () => {
      if (this.runtime === null) log.warn('SIGHUP while starting: ignored');
      else this.reloading = this.reloading.then(() => this.reload());
    });
    if (process.env.NDR_TEST_HOOKS === '1') {
      this.on('SIGUSR2', () => {
        log.warn('test hook: killing the worker of shard 0');
        void this.pipeline.shards.killWorker(0);
      });
      this.on('SIGUSR1', () => {
        log.warn('test hook: making the worker of shard 0 hang');
        this.pipeline.shards.hangWorkerForTest(0);
      });
    }
    const code = await this.start();
    if (code !== null) {
      this.offSignals();
      return code;
    }
    this.timer = setInterval(() => this.periodic(), PERIOD_MS);
    if (this.pendingStop !== null) void this.shutdown(0, this.pendingStop);
    const exit = await exited;
    // Everything is closed; should a handle linger, do not hang the service manager.
    setTimeout(() => process.exit(exit), 5000).unref();
    return exit;
  }

  private offSignals(): void {
    for (const [sig, f] of this.signals) process.off(sig, f);
    this.signals.length = 0;
  }

  /** Outputs, analytics, captures, metrics endpoint; null when running, else the exit code. */
  private async start(): Promise<number | null> {
    const { a, log } = this;
    try {
      this.out = await attachRecordOutputs(this.pipeline, {
        flowsOut: a.flowsOut, eventsOut: a.eventsOut, ship: a.ship, append: true,
        log: (m) => log.info(m, { component: 'outputs' }),
      });
    } catch (e) {
      log.fatal('cannot start the outputs', { err: e });
      await this.pipeline.close();
      return 1;
    }
    const shipper = this.out.outputs?.shipper ?? null;
    if (shipper !== null) registerShipperMetrics(this.metrics.registry, shipper.stats);
    const outputs = this.out.outputs;
    const wanted = analyticsWanted(a.analytics, outputs !== null && (a.ship.ship !== undefined || a.ship.syslog !== undefined));
    const factory = this.hooks.analytics ?? (wanted ? (ctx: AnalyticsContext) => this.openStage(ctx) : undefined);
    if (factory !== undefined) {
      let stage: LiveAnalyticsStage;
      try {
        stage = await factory({
          config: a.config,
          log: log.child({ component: 'analytics' }),
          alert: (r) => {
            this.metrics.onAlert(r.category, r.severity);
            outputs?.alert(r);
          },
        });
      } catch (e) {
        log.fatal('cannot start the analytics stage', { err: e });
        process.stderr.write(`ndr-sensor: ${(e as Error).message}\n`);
        await this.pipeline.close();
        await this.out.close();
        return (e as Error).name === 'ConfigError' ? 2 : 1;
      }
      this.stage = stage;
      this.pipeline.addSink({ result: (shard, flows, events, clock) => stage.result(shard, flows, events, clock) });
      log.info('analytics running', { baseline: a.analytics.baseline ?? null, baseline_status: stage.baselineStatus, learn: a.analytics.learn === true });
    }

    const capture: LiveFlags['capture'] = {
      ...a.flags.capture,
      filter: this.filter === '' ? undefined : this.filter,
      chunkBytes: CHUNK_BYTES,
      chunkPackets: CHUNK_PACKETS,
      maxChunks: Math.max(8, 2 * a.workers + 6),
    };
    if (a.flags.capture.filter !== undefined && a.settings.bpf !== undefined) {
      log.warn('--bpf given: capture.bpf from the config is ignored (also on reload)', { bpf: a.flags.capture.filter });
    }
    try {
      this.runtime = await startLiveRuntime({
        flags: { ...a.flags, capture },
        log,
        metrics: this.metrics,
        onBatch: (b, c) => this.onBatch(b, c),
        readiness: {
          workers: () => this.workersReady(),
          shipper: () => this.shipperReady(shipper),
          running: () => !this.stopping || 'shutting down',
        },
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      log.fatal('cannot start live capture', { err: e });
      process.stderr.write(`ndr-sensor: ${(e as Error).message}\n`);
      await this.pipeline.close();
      await this.out.close();
      return code === 'EBPF' ? 2 : 1;
    }
    const rt = this.runtime;
    log.info('live sensor running', {
      interfaces: rt.captures.map((c) => c.interfaceName), workers: a.workers, filter: this.filter || null,
      metrics_port: rt.server.port, flows_out: a.flowsOut ?? null, events_out: a.eventsOut ?? null, analytics: this.stage !== null,
      ship: a.ship.ship ? `${a.ship.ship.host}:${a.ship.ship.port}` : null,
    });
    return null;
  }

  /** The default stage: sensor/analytics-stage.ts, with a reload that validates the analytics section. */
  private async openStage(ctx: AnalyticsContext): Promise<LiveAnalyticsStage> {
    const stage: LiveAnalyticsStage = await openAnalyticsStage(ctx.config, this.a.workers, {
      ...this.a.analytics, append: true, alert: (al) => ctx.alert(al), log: (m) => ctx.log.info(m),
    });
    let running = JSON.stringify(analyticsSection(ctx.config));
    stage.reload = async (cfg) => {
      await checkAnalyticsConfig(cfg);
      const next = JSON.stringify(analyticsSection(cfg));
      if (next !== running) {
        ctx.log.warn('the analytics section changed: the running stage keeps its settings until the next start');
        running = next;
      }
    };
    return stage;
  }

  private on(sig: NodeJS.Signals, f: () => void): void {
    process.on(sig, f);
    this.signals.push([sig, f]);
  }

  private onBatch(batch: LiveBatch, _cap: LiveCapture): void {
    this.lastBatchAt = Date.now();
    if (this.stopping) {
      batch.release();
      return;
    }
    const p = this.pipeline.submitBatch(batch, batch.release, batch.ts[0] * 1000);
    this.liveMetrics.afterDispatch();
    if (++this.pendingSubmits > MAX_PENDING_SUBMITS && !this.outputPaused) {
      // An output is blocked (slow disk, full pipe): stop reading until it drains.
      this.outputPaused = true;
      this.runtime?.pause();
    }
    p.then(
      () => this.submitted(),
      (e: unknown) => {
        this.submitted();
        this.fatal(e);
      },
    );
  }

  private submitted(): void {
    if (--this.pendingSubmits === 0 && this.outputPaused) {
      this.outputPaused = false;
      if (!this.stopping) this.runtime?.resume();
    }
  }

  private fatal(e: unknown): void {
    if (this.stopping) return;
    this.log.fatal('the pipeline failed; stopping', { err: e });
    void this.shutdown(1, 'failure');
  }

  private periodic(): void {
    const now = Date.now();
    const p = this.pipeline;
    if (p.failed !== null) {
      this.fatal(p.failed);
      return;
    }
    this.liveMetrics.periodic(); // before the tick: the queue gauge shows batches, not our own clock task
    const held = this.outputPaused || this.runtime!.captures.some((c) => c.isStalled) || p.batchesInFlight > 0;
    if (!this.stopping && !held && now - this.lastBatchAt >= IDLE_MS) p.tick(now / 1000 - IDLE_LAG_S);
    this.trackShipper(now);
    this.watchWorkers(now);
    if (this.stage !== null) this.metrics.setBaselineHosts(this.stage.stats().hosts ?? 0);
  }

  private workersReady(): true | string {
    const sh = this.pipeline.shards;
    if (!sh.up) return sh.problems().join('; ');
    const waited = sh.oldestPendingMs();
    if (waited > WORKER_STALL_MS) return `a worker has not finished a batch for ${Math.round(waited / 1000)} s`;
    return true;
  }

  /**
   * A worker busy with one batch for limits.worker_hang_timeout is hung (a parser loop the fuzzers
   * missed, a pathological input): terminate it, and the crash path restarts the shard and counts
   * what it held as lost. Without this the shard's batches would queue until the chunks ran out and
   * the capture stalled for good; /readyz has said so since WORKER_STALL_MS.
   */
  private watchWorkers(now: number): void {
    const sh = this.pipeline.shards;
    const limitMs = this.startConfig.limits.worker_hang_timeout * 1000;
    for (let s = 0; s < sh.shards; s++) {
      const waited = sh.pendingMs(s, now);
      if (waited < limitMs || this.terminating.has(s)) continue;
      this.terminating.add(s);
      this.log.error('worker hung; terminating it (it is restarted)', { shard: s, waited_s: Math.round(waited / 1000) });
      void sh.killWorker(s).finally(() => this.terminating.delete(s));
    }
  }

  private trackShipper(now: number): void {
    const s = this.out?.outputs?.shipper?.stats;
    if (s === undefined) return;
    const waiting = s.inFlightBatches + s.queuedBatches + s.spooledBatches;
    const st = this.shipStall;
    if (waiting === 0 || s.batchesAcked !== st.acked) {
      st.acked = s.batchesAcked;
      st.since = now;
    }
    const stalled = now - st.since > SHIP_STALL_MS;
    if (stalled && !st.stalled) this.log.warn('shipping stalled: no acknowledgement from the collector', { waiting_batches: waiting });
    st.stalled = stalled;
  }

  private shipperReady(shipper: Shipper | null): true | string {
    if (shipper === null || !this.shipStall.stalled) return true;
    const s = shipper.stats;
    return `no acknowledgement for ${Math.round((Date.now() - this.shipStall.since) / 1000)} s; ${s.inFlightBatches + s.queuedBatches + s.spooledBatches} batches waiting`;
  }

  /** SIGHUP: validate everything first, then apply; on any error nothing changes. */
  private async reload(): Promise<void> {
    if (this.stopping) return;
    const { log, a } = this;
    const captures = this.runtime!.captures;
    if (a.configPath === undefined) {
      log.info('SIGHUP: no --config to reload; reopening the output files');
      await this.reopenOutputs();
      this.metrics.onConfigReload(true);
      return;
    }
    let next: SensorConfig;
    let settings: LiveSettings;
    const before = this.filter;
    try {
      next = await loadConfig(a.configPath);
      settings = liveSettings(next);
      await checkAnalyticsConfig(next);
      const filter = a.flags.capture.filter ?? settings.bpf ?? '';
      if (filter !== before) this.setFilter(captures, filter, before);
      try {
        await this.stage?.reload?.(next);
      } catch (e) {
        if (filter !== before) this.setFilter(captures, before, filter);
        throw e;
      }
      this.filter = filter;
    } catch (e) {
      log.error('config reload failed; the running configuration stays', { config: a.configPath, err: e });
      this.metrics.onConfigReload(false);
      return;
    }
    this.audit.configure(next.zones, settings.auditWindowS);
    if (settings.logLevel !== undefined) log.setLevel(settings.logLevel);
    const later = restartOnlyChanges(this.startConfig, next);
    if (later.length > 0) log.warn('changed settings take effect at the next start (they live in the workers/shipper)', { keys: later });
    await this.reopenOutputs();
    this.metrics.onConfigReload(true);
    log.info('config reloaded', {
      config: a.configPath, filter: this.filter || null, zones: next.zones.length, audit_window: settings.auditWindowS,
      restart_needed: later,
    });
  }

  /**
   * Applies a BPF filter to every capture; if one refuses it, those already changed go back. A
   * failed capture (waiting to be reopened) keeps it for its reopen; the filter is checked on the
   * open ones first, and refused when none is open to check it.
   */
  private setFilter(captures: LiveCapture[], filter: string, previous: string): void {
    const open = captures.filter((c) => c.isOpen);
    if (open.length === 0) throw new Error('every capture is down, so the new BPF filter cannot be checked; the running filter stays');
    const done: LiveCapture[] = [];
    for (const c of open) {
      try {
        c.setFilter(filter);
        done.push(c);
      } catch (e) {
        for (const d of done) d.setFilter(previous);
        throw e;
      }
    }
    for (const c of captures) if (!c.isOpen) c.setFilter(filter);
  }

  private async reopenOutputs(): Promise<void> {
    // Only swap when the files can be opened (after log rotation the directory must be writable by
    // the sensor's user): a failing new file must not take the running sensor down.
    for (const f of [this.a.flowsOut, this.a.eventsOut]) {
      if (f === undefined || f === '-') continue;
      try {
        closeSync(openSync(f, 'a'));
      } catch (e) {
        this.log.error('cannot reopen an output file; keeping the open one', { file: f, err: e });
        return;
      }
    }
    try {
      await this.out!.reopen();
    } catch (e) {
      this.log.error('closing the previous output file failed', { err: e });
    }
  }

  private async shutdown(code: number, why: string): Promise<void> {
    const { log } = this;
    if (this.stopping) {
      if (why === 'SIGTERM' || why === 'SIGINT') {
        log.warn(`second ${why}: exiting without finishing`);
        process.exit(1);
      }
      return;
    }
    this.stopping = true;
    log.info('stopping: capture off, flushing flows, draining outputs', { reason: why });
    if (this.timer !== null) clearInterval(this.timer);
    const rt = this.runtime!;
    // Packets that arrived before the signal may still sit in a partly filled kernel block: let
    // the block timeout hand them over, then close.
    await new Promise((r) => setTimeout(r, (this.a.flags.capture.timeoutMs ?? 50) + 100));
    for (const c of rt.captures) c.close();
    let exit = code;
    try {
      await this.reloading;
      await this.pipeline.finish();
    } catch (e) {
      log.error('flushing the flows failed', { err: e });
      exit = 1;
    }
    try {
      await this.stage?.finish?.();
    } catch (e) {
      log.error('the analytics stage failed to finish', { err: e });
      exit = 1;
    }
    let shipLine: string | null = null;
    try {
      shipLine = await this.out!.close();
    } catch (e) {
      log.error('closing the outputs failed', { err: e });
      exit = 1;
    }
    await this.pipeline.close();
    const d = this.pipeline.dispatcher.stats;
    const st = this.pipeline.stats;
    const lost = st.lost;
    const drops = rt.captures.reduce((s, c) => s + c.counters().kernelDrops, 0);
    await rt.stop();
    this.offSignals();
    log.info('stopped', {
      exit_code: exit, packets: d.packets, bytes: d.bytes, kernel_drops: drops, records: st.flows, events: st.events,
      worker_restarts: lost.restarts, lost_packets: lost.packets, lost_flows: lost.flows, ship: shipLine,
    });
    this.done(exit);
  }
}
