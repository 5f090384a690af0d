/**
 * Wiring for `ndr-sensor live`: parses the live flags, opens every capture, starts the metrics
 * endpoint, drops privileges, then starts delivering batches to the caller's `onBatch` (the same
 * batching/worker path as replay). The CLI (sensor/cli.ts) owns argument dispatch, the worker
 * pool, SIGHUP/SIGTERM; this module owns the order of the privileged steps:
 *
 *   open captures (root/CAP_NET_RAW) → bind metrics port → drop to --user → start reading
 *
 * Flags (all optional except --interface):
 *   --interface IF        repeatable: two SPAN ports, or the two directions of a TAP
 *   --bpf EXPR            kernel BPF filter (tcpdump syntax)
 *   --snaplen N           bytes kept per packet (default 262144)
 *   --buffer-mb N         kernel ring per interface in MiB (default 64)
 *   --immediate           deliver packets as they arrive (lower latency, more wake-ups)
 *   --timeout-ms N        longest a packet waits in a partly filled kernel block (default 50)
 *   --no-promisc          do not put the interface in promiscuous mode
 *   --dedup[=drop]        count double-SPAN duplicates; =drop also removes them from batches
 *   --dedup-window-ms N   duplicate window (default 5)
 *   --user NAME           drop privileges to NAME after opening (when started as root)
 *   --metrics-port N      Prometheus endpoint port (default 9465, env NDR_METRICS_PORT; 0 = any free port)
 *   --metrics-host ADDR   bind address (default all)
 *   --log-level LEVEL     debug|info|warn|error|fatal (default info, env NDR_LOG_LEVEL)
 */
import { parseArgs } from 'node:util';
import { DuplicateDetector, type DedupOptions } from './capture/dedup.js';
import { LiveCapture, openLiveCaptures, type LiveBatch, type OpenLiveOptions } from './capture/live.js';
import { pcapLibVersion } from './capture/pcap-addon.js';
import { Logger, parseLevel, type Level } from './log.js';
import { SensorMetrics } from './metrics/registry.js';
import { DEFAULT_METRICS_PORT, startMetricsServer, type MetricsServer, type ReadinessCheck } from './metrics/server.js';
import { dropPrivileges } from './privileges.js';

export interface LiveFlags {
  capture: OpenLiveOptions;
  dedup?: DedupOptions;
  user?: string;
  metricsPort: number;
  metricsHost?: string;
  logLevel: Level;
  /** Arguments not consumed here (e.g. --config, --workers): for the CLI's own parser. */
  rest: string[];
}

function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return Number(v);
}

/** Parses the live flags; throws an Error with a message naming the bad flag. */
export function parseLiveFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): LiveFlags {
  // `--dedup` takes an optional value: bare, it must not swallow the next flag as its value.
  const args = argv.map((a) => (a === '--dedup' ? '--dedup=count' : a));
  const { values, tokens } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: {
      interface: { type: 'string', multiple: true },
      bpf: { type: 'string' },
      snaplen: { type: 'string' },
      'buffer-mb': { type: 'string' },
      immediate: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      'no-promisc': { type: 'boolean' },
      dedup: { type: 'string' },
      'dedup-window-ms': { type: 'string' },
      user: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const known = new Set(['interface', 'bpf', 'snaplen', 'buffer-mb', 'immediate', 'timeout-ms', 'no-promisc', 'dedup', 'dedup-window-ms', 'user', 'metrics-port', 'metrics-host', 'log-level']);
  const rest: string[] = [];
  for (const t of tokens ?? []) {
    if (t.kind === 'positional') rest.push(t.value);
    else if (t.kind === 'option' && !known.has(t.name)) rest.push(t.inlineValue ? `${t.rawName}=${t.value}` : t.rawName);
    else if (t.kind === 'option-terminator') rest.push('--');
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const interfaces = (values.interface as string[] | undefined)?.filter((x) => typeof x === 'string') ?? [];
  if (interfaces.length === 0) throw new Error('live: at least one --interface is required');
  for (const k of ['bpf', 'snaplen', 'buffer-mb', 'timeout-ms', 'user', 'metrics-port', 'metrics-host', 'log-level', 'dedup-window-ms']) {
    if (values[k] === true) throw new Error(`--${k} needs a value`);
  }
  const bufferMb = intFlag('buffer-mb', str('buffer-mb'), 1, 4096);
  const capture: OpenLiveOptions = {
    interfaces,
    filter: str('bpf'),
    snaplen: intFlag('snaplen', str('snaplen'), 64, 262144),
    bufferBytes: bufferMb === undefined ? undefined : bufferMb * 1024 * 1024,
    immediate: values.immediate === true,
    timeoutMs: intFlag('timeout-ms', str('timeout-ms'), 1, 60000),
    promiscuous: values['no-promisc'] !== true,
  };
  let dedup: DedupOptions | undefined;
  if (values.dedup !== undefined) {
    const mode = String(values.dedup);
    if (mode !== 'count' && mode !== 'drop') throw new Error(`--dedup takes no value, or "drop", got "${mode}"`);
    dedup = { drop: mode === 'drop', windowMs: intFlag('dedup-window-ms', str('dedup-window-ms'), 1, 1000) };
  }
  const port = intFlag('metrics-port', str('metrics-port') ?? env.NDR_METRICS_PORT, 0, 65535) ?? DEFAULT_METRICS_PORT;
  return {
    capture,
    dedup,
    user: str('user'),
    metricsPort: port,
    metricsHost: str('metrics-host'),
    logLevel: parseLevel(str('log-level') ?? env.NDR_LOG_LEVEL),
    rest,
  };
}

export interface LiveRuntimeOptions {
  flags: LiveFlags;
  /**
   * Receives every batch from every interface (interface index in meta[META_LINK] >>> 16). Call
   * `batch.release()` when done with its bytes (with `capture.maxChunks` the capture waits for it).
   */
  onBatch: (batch: LiveBatch, capture: LiveCapture) => void;
  log?: Logger;
  /** Metrics registry to register the captures in (created if absent). */
  metrics?: SensorMetrics;
  /** Extra readiness checks (workers up, shipper not stalled); more via runtime.server.setReadiness. */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Called when a capture fails (interface gone); default: log an error. /readyz fails either way,
   * until the capture is open again: it is reopened after 1 s, then with the wait doubling up to
   * `reopenMaxMs` between attempts.
   */
  onCaptureError?: (err: Error, capture: LiveCapture) => void;
  /** Longest wait between two attempts to reopen a failed capture. Default 30 s. */
  reopenMaxMs?: number;
}

/** First wait before reopening a failed capture. */
export const REOPEN_FIRST_MS = 1000;
/** Default longest wait between reopen attempts. */
export const REOPEN_MAX_MS = 30_000;

export interface LiveRuntime {
  captures: LiveCapture[];
  metrics: SensorMetrics;
  server: MetricsServer;
  dedup: DuplicateDetector | undefined;
  /** Who we run as after the optional drop. */
  uid: number;
  pause(): void;
  resume(): void;
  /** Closes captures and the metrics server; the process can exit afterwards. */
  stop(): Promise<void>;
}

export async function startLiveRuntime(options: LiveRuntimeOptions): Promise<LiveRuntime> {
  const { flags } = options;
  const log = (options.log ?? Logger.create({ level: flags.logLevel })).child({ component: 'live' });
  const dedup = flags.dedup ? new DuplicateDetector(flags.dedup) : undefined;

  const captures = openLiveCaptures({ ...flags.capture, dedup });
  for (const c of captures) {
    log.info('capture opened', { interface: c.interfaceName, iface_index: c.ifaceIndex, link_type: c.linkType, nanosecond: c.nanosecond });
    if (c.warning) log.warn('libpcap warning', { interface: c.interfaceName, warning: c.warning });
  }

  const metrics = options.metrics ?? new SensorMetrics({ libpcapVersion: pcapLibVersion() });
  for (const c of captures) metrics.addCapture(c.interfaceName, c);
  if (dedup) metrics.setDedupSource(dedup);

  const readiness: Record<string, ReadinessCheck> = { ...options.readiness };
  for (const c of captures) readiness[`capture:${c.interfaceName}`] = () => c.isOpen || `capture failed: ${c.error?.message ?? 'closed'}`;

  let server: MetricsServer;
  try {
    server = await startMetricsServer({ metrics, port: flags.metricsPort, host: flags.metricsHost, readiness });
  } catch (err) {
    for (const c of captures) c.close();
    throw new Error(`metrics endpoint: cannot listen on ${flags.metricsHost ?? '*'}:${flags.metricsPort}: ${(err as Error).message}`);
  }
  log.info('metrics endpoint listening', { host: server.host, port: server.port });
  if (flags.user) {
    try {
      const to = dropPrivileges(flags.user);
      log.info('privileges dropped', { user: to.user, uid: to.uid, gid: to.gid });
    } catch (err) {
      for (const c of captures) c.close();
      await server.close();
      throw err;
    }
  }

  const report =
    options.onCaptureError ??
    ((err: Error, c: LiveCapture) => log.error('capture failed', { interface: c.interfaceName, err }));
  const reopenMax = options.reopenMaxMs ?? REOPEN_MAX_MS;
  const retries = new Map<LiveCapture, NodeJS.Timeout>();
  let stopped = false;
  // A mirror port's link flaps, a NIC is reset, a driver reloaded: the capture fails with it. The
  // sensor keeps trying to open the interface again, so capture resumes without a restart.
  const scheduleReopen = (c: LiveCapture, failedAt: number, wait: number): void => {
    retries.set(c, setTimeout(() => {
      retries.delete(c);
      if (stopped) return;
      try {
        c.reopen();
        log.info('capture reopened', {
          interface: c.interfaceName, down_s: Math.round((Date.now() - failedAt) / 100) / 10, link_type: c.linkType,
        });
      } catch (err) {
        const next = Math.min(wait * 2, reopenMax);
        // The first failed attempt is worth a warning; the later ones would only repeat it.
        const level = wait === REOPEN_FIRST_MS ? 'warn' : 'debug';
        log[level]('capture reopen failed', { interface: c.interfaceName, err, retry_in_s: next / 1000 });
        scheduleReopen(c, failedAt, next);
      }
    }, wait));
  };
  const onError = (err: Error, c: LiveCapture): void => {
    report(err, c);
    if (!stopped && !retries.has(c)) scheduleReopen(c, Date.now(), REOPEN_FIRST_MS);
  };
  for (const c of captures) c.start(options.onBatch, onError);

  return {
    captures,
    metrics,
    server,
    dedup,
    uid: process.getuid?.() ?? -1,
    pause: () => captures.forEach((c) => c.pause()),
    resume: () => captures.forEach((c) => c.resume()),
    async stop() {
      stopped = true;
      for (const t of retries.values()) clearTimeout(t);
      retries.clear();
      for (const c of captures) {
        const k = c.counters();
        log.info('capture closed', { interface: c.interfaceName, packets: k.packets, bytes: k.bytes, kernel_drops: k.kernelDrops });
        c.close();
      }
      await server.close();
    },
  };
}
