/**
 * Structured logging: one JSON object per line on stderr (journald, Docker and SIEM agents take
 * JSON lines as they are), with levels and rate-limited warnings.
 *
 * Why not pino: the sensor logs a few lines a minute (startup, reloads, failures, summaries) —
 * never per packet — so pino's speed buys nothing here, while its transport machinery (worker
 * threads, async flushing) is one more thing to get right at exit. What we do need and pino does
 * not offer is per-key rate limiting ("decode error from 10.0.0.5" must not flood the journal).
 * About 150 lines, no dependency.
 *
 * Line: {"ts":"2024-05-01T12:00:00.000Z","level":"warn","msg":"...", ...bindings, ...fields}
 * Errors in fields become {name, message, code, stack}. Nothing a field contains can make a log
 * call throw.
 */

export const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export type Fields = Record<string, unknown>;

export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Lowest level written. Default: env NDR_LOG_LEVEL, else "info". */
  level?: Level;
  /** Default process.stderr. */
  sink?: LogSink;
  /** Fields on every line (e.g. { sensor_id }). */
  bindings?: Fields;
  /** Rate limit for warnLimited/errorLimited: at most `burst` lines per key per `intervalMs`. */
  rateLimit?: { intervalMs?: number; burst?: number; maxKeys?: number };
  /** Clock in ms (tests). */
  now?: () => number;
}

interface Bucket {
  windowStart: number;
  emitted: number;
  suppressed: number;
}

/** Shared state between a logger and its children: sink, level, rate-limit table. */
interface Core {
  sink: LogSink;
  minRank: number;
  now: () => number;
  intervalMs: number;
  burst: number;
  maxKeys: number;
  buckets: Map<string, Bucket>;
}

export function parseLevel(s: string | undefined, fallback: Level = 'info'): Level {
  if (s === undefined || s === '') return fallback;
  const l = s.toLowerCase();
  if ((LEVELS as readonly string[]).includes(l)) return l as Level;
  throw new Error(`invalid log level "${s}" (one of ${LEVELS.join(', ')})`);
}

function serializeError(e: Error): Fields {
  const out: Fields = { name: e.name, message: e.message };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (e.stack) out.stack = e.stack;
  return out;
}

function replacer(_key: string, v: unknown): unknown {
  if (v instanceof Error) return serializeError(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

export class Logger {
  private constructor(
    private readonly core: Core,
    private readonly bindings: Fields,
  ) {}

  static create(options: LoggerOptions = {}): Logger {
    const level = options.level ?? parseLevel(process.env.NDR_LOG_LEVEL);
    return new Logger(
      {
        sink: options.sink ?? process.stderr,
        minRank: RANK[level],
        now: options.now ?? Date.now,
        intervalMs: options.rateLimit?.intervalMs ?? 60_000,
        burst: options.rateLimit?.burst ?? 5,
        maxKeys: options.rateLimit?.maxKeys ?? 1000,
        buckets: new Map(),
      },
      options.bindings ?? {},
    );
  }

  /** A logger whose lines also carry `bindings` (e.g. { component: 'capture', interface: 'eth1' }). */
  child(bindings: Fields): Logger {
    return new Logger(this.core, { ...this.bindings, ...bindings });
  }

  setLevel(level: Level): void {
    this.core.minRank = RANK[level];
  }

  enabled(level: Level): boolean {
    return RANK[level] >= this.core.minRank;
  }

  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }
  fatal(msg: string, fields?: Fields): void {
    this.log('fatal', msg, fields);
  }

  /**
   * A warning that may repeat (bad packets from one host, a peer that keeps refusing): at most
   * `burst` lines per `key` per interval; the next line written for the key says how many were
   * suppressed. Returns whether this one was written.
   */
  warnLimited(key: string, msg: string, fields?: Fields): boolean {
    return this.limited('warn', key, msg, fields);
  }

  errorLimited(key: string, msg: string, fields?: Fields): boolean {
    return this.limited('error', key, msg, fields);
  }

  /** Keys currently in the rate-limit table (bounded by rateLimit.maxKeys). */
  get rateLimitKeys(): number {
    return this.core.buckets.size;
  }

  /** Writes one line per key with suppressed lines still unreported (call at shutdown). */
  flushSuppressed(): void {
    for (const [key, b] of this.core.buckets) {
      if (b.suppressed > 0) {
        this.log('warn', 'suppressed repeated log lines', { key, suppressed: b.suppressed });
        b.suppressed = 0;
      }
    }
  }

  private limited(level: Level, key: string, msg: string, fields?: Fields): boolean {
    if (!this.enabled(level)) return false;
    const c = this.core;
    const t = c.now();
    let b = c.buckets.get(key);
    if (!b) {
      if (c.buckets.size >= c.maxKeys) {
        // Bounded table: forget the oldest key (Map keeps insertion order).
        const oldest = c.buckets.keys().next().value as string;
        c.buckets.delete(oldest);
      }
      b = { windowStart: t, emitted: 0, suppressed: 0 };
      c.buckets.set(key, b);
    }
    if (t - b.windowStart >= c.intervalMs) {
      b.windowStart = t;
      b.emitted = 0;
    }
    if (b.emitted >= c.burst) {
      b.suppressed++;
      return false;
    }
    b.emitted++;
    const extra: Fields = { rate_limit_key: key };
    if (b.suppressed > 0) {
      extra.suppressed = b.suppressed;
      b.suppressed = 0;
    }
    this.log(level, msg, fields ? { ...fields, ...extra } : extra);
    return true;
  }

  private log(level: Level, msg: string, fields?: Fields): void {
    if (RANK[level] < this.core.minRank) return;
    const rec: Fields = { ts: new Date(this.core.now()).toISOString(), level, msg, ...this.bindings, ...fields };
    let line: string;
    try {
      line = JSON.stringify(rec, replacer);
    } catch (err) {
      // Circular or hostile fields: keep the message, say what went wrong.
      line = JSON.stringify({ ts: rec.ts, level, msg, ...this.bindings, log_error: `fields not serializable: ${(err as Error).message}` });
    }
    try {
      this.core.sink.write(line + '\n');
    } catch {
      /* stderr gone (EPIPE): nothing sensible left to do */
    }
  }
}

/** The process-wide logger (stderr, level from NDR_LOG_LEVEL). Modules take a child of it. */
let root: Logger | undefined;
export function rootLogger(): Logger {
  root ??= Logger.create();
  return root;
}

/** Replaces the process-wide logger (CLI: after parsing --log-level). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}
