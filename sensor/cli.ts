/**
 * Command-line entry point. Exit codes: 0 done (damaged input is reported, not fatal),
 * 1 runtime failure (unreadable file, worker crash …), 2 usage or configuration error —
 * each with a one-line reason on stderr.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { availableParallelism } from 'node:os';
import { OptionError, parseShipOptions, takeOutputArgs } from './ship/options.js';
// Command modules — and the configuration loader, with yaml and ip-num — are imported when their
// command runs: startup time counts in every replay (a one-minute capture is read in well under a
// second), and `collect` pulls in prom-client.

const VERSION = '0.1.0';

const USAGE = `usage: ndr-sensor <command> [options]

commands:
  replay <capture>...   read pcap/pcapng files in order as one stream
  live --interface IF   capture a mirror port (the appliance; runs until SIGTERM)
  analyze               run baselines and detections over flow/event JSON-lines files
  collect               the SOC-side receiver / relay of shipped batches (see docs/wire-protocol.md)
  keygen [KEYID]        print a fresh pre-shared key line for --key-file
  help                  this text
  version               print the version

replay options:
  --config FILE         sensor configuration (YAML or JSON)
  --flows-out FILE      write flow records (Zeek conn.log JSON lines; "-" = stdout)
  --events-out FILE     write protocol events (JSON lines with _path; "-" = stdout)
  --workers N           decoding worker threads (default: available cores - 1, at least 1)
  --speed X             replay at X times the recorded pace (0 = as fast as possible; default 0)
  --quiet               no summary on stderr
  --alerts-out FILE     run the detections; alerts as JSON lines ("-" = stdout)
  --cases-out FILE      per-host cases (alerts grouped, risk score) as JSON lines
  --baseline FILE       load the baseline at start, save it (atomically) periodically and at the end
  --learn               learning mode: build the baseline; only technique detections alert
  --ship udp://HOST:PORT  ship flows, events and alerts to a collector (needs --key-file)
  --key-file FILE       pre-shared keys, one "KEYID HEX" per line (mode 600)
  --spool DIR           disk spool for unacknowledged batches
  --spool-max-mb N      spool cap (default 1024)
  --drain-timeout S     wait at most S seconds for acknowledgements at the end (default 30)
  --sensor-id ID        sensor id on the wire (default: sensor_id from the config)
  --ipfix HOST:PORT     IPFIX (RFC 7011/5103 biflow) export of flow records
  --syslog [udp://|tcp://]HOST:PORT  alerts as RFC 5424 syslog
  --syslog-format json|cef

live options (also --config, --flows-out, --events-out, --workers and the output options above):
  --interface IF        capture interface; repeat for several (two SPAN ports, a TAP's two directions)
  --bpf EXPR            kernel BPF filter (fixed; use capture.bpf in the config for one SIGHUP reloads)
  --snaplen N           bytes kept per packet (default 262144)
  --buffer-mb N         kernel ring per interface in MiB (default 64)
  --immediate           deliver packets as they arrive (lower latency, more wake-ups)
  --timeout-ms N        longest a packet waits in a partly filled kernel block (default 50)
  --no-promisc          do not put the interface in promiscuous mode
  --dedup[=drop]        count double-SPAN duplicates; =drop also removes them
  --dedup-window-ms N   duplicate window (default 5)
  --user NAME           drop privileges to NAME after opening the capture (when started as root)
  --metrics-port N      Prometheus /metrics, /healthz, /readyz (default 9465, env NDR_METRICS_PORT)
  --metrics-host ADDR   bind address of the metrics endpoint (default all)
  --log-level LEVEL     debug|info|warn|error|fatal (default info, env NDR_LOG_LEVEL)
  --alerts-out, --cases-out, --baseline, --learn   as for replay (the baseline is saved at SIGTERM)
  signals: SIGHUP reloads the config and reopens output files; SIGTERM/SIGINT flush and exit 0

analyze options:
  --flows FILE... --events FILE... [--config FILE] [--baseline FILE] [--learn]
  [--alerts-out FILE] [--cases-out FILE]

collect options:
  --listen HOST:PORT --out DIR --key-file FILE [--forward HOST:PORT] [--metrics-port N]
`;

class UsageError extends Error {}

/** Stops shard threads a command prestarted but never used: they would keep the process alive. */
let releaseWorkers = async (): Promise<void> => {};

function fail(code: number, msg: string): never {
  process.stderr.write(`ndr-sensor: ${msg}\n`);
  process.exit(code);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function intOpt(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

async function replay(argv: string[]): Promise<number> {
  let taken;
  try {
    taken = takeOutputArgs(argv);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parse(taken.rest, {
    config: { type: 'string' },
    'flows-out': { type: 'string' },
    'events-out': { type: 'string' },
    workers: { type: 'string' },
    speed: { type: 'string' },
    quiet: { type: 'boolean' },
    'uid-seed': { type: 'string' },
    'alerts-out': { type: 'string' },
    'cases-out': { type: 'string' },
    baseline: { type: 'string' },
    learn: { type: 'boolean' },
  } as const);
  if (positionals.length === 0) throw new UsageError('replay needs at least one capture file');
  const speed = values.speed === undefined ? 0 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new UsageError(`--speed must be a number ≥ 0, got "${values.speed}"`);
  const workers = intOpt(values.workers, 'workers', 1, 64, defaultWorkers());
  const uidSeed = values['uid-seed'] === undefined ? undefined : intOpt(values['uid-seed'], 'uid-seed', 0, 2 ** 31, 0);
  // The shard threads boot while this thread loads the configuration and the replay modules.
  const pool = await import('./pool/shard-pool.js');
  pool.prestartShardWorkers(workers);
  releaseWorkers = pool.releasePrestartedWorkers;
  const { loadConfig } = await import('./config.js');
  const config = await loadConfig(values.config as string | undefined);
  if (taken.values['--sensor-id'] === undefined && taken.values['--ship'] !== undefined) taken.values['--sensor-id'] = config.sensor_id;
  let ship;
  try {
    ship = parseShipOptions(taken.values);
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.message);
    throw e;
  }
  const { formatSummary, runReplay } = await import('./replay.js');
  const analytics = {
    alertsOut: values['alerts-out'] as string | undefined,
    casesOut: values['cases-out'] as string | undefined,
    baseline: values.baseline as string | undefined,
    learn: values.learn === true,
  };
  const { ANALYTICS_ACTIVE_TIMEOUT, analyticsWanted, checkAnalyticsConfig } = await import('./analytics-stage.js');
  await checkAnalyticsConfig(config);
  if (analyticsWanted(analytics, ship.ship !== undefined || ship.syslog !== undefined) && !config.given.includes('timeouts.active')) {
    // Detections judge long transfers and tunnels on interim records; at the flow default of
    // 300 s they would alert up to five minutes late.
    config.timeouts.active = ANALYTICS_ACTIVE_TIMEOUT;
  }
  const summary = await runReplay({
    analytics,
    ship,
    files: positionals,
    config,
    flowsOut: values['flows-out'] as string | undefined,
    eventsOut: values['events-out'] as string | undefined,
    workers,
    speed,
    uidSeed,
    quiet: values.quiet === true,
  });
  if (values.quiet !== true) process.stderr.write(formatSummary(summary));
  return summary.exitCode;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'replay':
      return replay(rest);
    case 'live':
      return (await import('./live.js')).runLive(rest);
    case 'analyze': {
      const { runAnalyze } = await import('../models/analytics/index.js');
      const { analyticsSection } = await import('./analytics-stage.js');
      const { loadConfig } = await import('./config.js');
      return runAnalyze(rest, async (path) => analyticsSection(await loadConfig(path)));
    }
    case 'collect':
      return (await import('./ship/collector.js')).runCollect(rest);
    case 'keygen':
      return (await import('./ship/keys.js')).runKeygen(rest);
    case 'version':
    case '--version':
      process.stdout.write(`ndr-sensor ${VERSION}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
    case undefined:
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${cmd}" (try "ndr-sensor help")`);
  }
}

// A reader that closes our stdout early (`replay … --flows-out - | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  fail(1, `stdout: ${e.message}`);
});

main(process.argv.slice(2)).then(
  async (code) => {
    process.exitCode = code;
    await releaseWorkers();
  },
  (e: unknown) => {
    if (e instanceof UsageError) fail(2, `${e.message}\n${USAGE.split('\n')[0]}`);
    // Both the sensor's and the analytics section's validator throw an error named ConfigError.
    if (e instanceof Error && e.name === 'ConfigError') fail(2, e.message);
    fail(1, e instanceof Error ? (e.stack ?? e.message) : String(e));
  },
);
