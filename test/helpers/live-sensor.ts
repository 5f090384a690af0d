/**
 * Runs the built CLI's `live` command (bin/ndr-sensor, as a user would) inside a network
 * namespace and reads its JSON-line logs from stderr; scrapes its metrics endpoint inside the
 * namespace. Used by the test/live acceptance tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import readline from 'node:readline';
import { BIN } from '../conformance/corpus.js';
import { afterAll, beforeAll } from 'vitest';
import { parsePrometheusText, type Family } from './promtext.js';
import { NetnsLab } from './netns.js';

export type Log = Record<string, unknown> & { msg: string; level: string };

export class LiveSensor {
  readonly proc: ChildProcess;
  readonly logs: Log[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<{ pred: (l: Log) => boolean; resolve: (l: Log) => void }> = [];

  /** `command`: what runs `live` (default the CLI; a script calling runLive with hooks, for instance). */
  constructor(readonly ns: string, args: string[], env: Record<string, string> = {}, command: string[] = [BIN, 'live']) {
    this.proc = spawn('ip', ['netns', 'exec', ns, ...command, '--metrics-port', '0', '--metrics-host', '127.0.0.1', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.resume();
    readline.createInterface({ input: this.proc.stderr! }).on('line', (line) => {
      this.stderr += line + '\n';
      let l: Log;
      try {
        l = JSON.parse(line) as Log;
      } catch {
        return;
      }
      this.logs.push(l);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(l)) return true;
        w.resolve(l);
        return false;
      });
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line (past or future) matching pred. */
  waitLog(pred: (l: Log) => boolean, timeoutMs = 15_000): Promise<Log> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (l: Log) => (clearTimeout(t), resolve(l)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`live: no log line matching ${String(pred)} within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      this.waiters.push(w);
      void this.exited.then(() => {
        setTimeout(() => {
          if (this.waiters.includes(w)) {
            this.waiters = this.waiters.filter((x) => x !== w);
            clearTimeout(t);
            reject(new Error(`live exited before the expected log line; stderr:\n${this.stderr.slice(-3000)}`));
          }
        }, 100);
      });
    });
  }

  /** Waits until the sensor runs; returns its metrics port. */
  async running(): Promise<number> {
    const l = await this.waitLog((x) => x.msg === 'live sensor running');
    return l.metrics_port as number;
  }

  signal(sig: NodeJS.Signals): void {
    // `ip netns exec` execs the sensor: the child's pid is the sensor's.
    this.proc.kill(sig);
  }

  /** SIGTERM and wait for the exit. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const t = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`live did not exit within ${timeoutMs} ms:\n${this.stderr.slice(-2000)}`)), timeoutMs));
    return Promise.race([this.exited, t]);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** GET http://127.0.0.1:port/path inside a namespace (async: the test's event loop keeps turning). */
export function httpGetIn(ns: string, port: number, urlPath: string): Promise<{ status: number; body: string }> {
  const js = `fetch('http://127.0.0.1:${port}${urlPath}').then(async r => process.stdout.write(JSON.stringify({status: r.status, body: await r.text()})), e => { console.error(e); process.exit(1) })`;
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { status: number; body: string }) : reject(new Error(`GET ${urlPath} failed: ${err}`))));
  });
}

export async function scrapeIn(ns: string, port: number): Promise<{ text: string; families: Map<string, Family> }> {
  const r = await httpGetIn(ns, port, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return { text: r.body, families: parsePrometheusText(r.body) };
}

/** Value of the sample `name` (default: the family name) whose labels include `labels`. */
export function metric(f: Map<string, Family>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  return f.get(family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Polls `probe` until it returns a defined value (or throws after timeoutMs). */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** tcpreplay into the link's tx end without blocking the event loop; resolves with packets sent. */
export function tcpreplayAsync(txNs: string, txIf: string, file: string, extra: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', txNs, 'tcpreplay', '-q', '-i', txIf, ...extra, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (out += d));
    p.on('exit', (code) => {
      const m = /Actual:\s+(\d+)\s+packets/.exec(out);
      if (code !== 0 || !m) reject(new Error(`tcpreplay failed (${code}):\n${out}`));
      else resolve(Number(m[1]));
    });
  });
}

export function readJsonLines(p: string): Record<string, unknown>[] {
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Frames tshark's display filter selects in a capture (independent count). */
export function tsharkCount(file: string, displayFilter: string): number {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).length;
}

/**
 * A network-namespace lab for the calling describe block: created before its tests; after them,
 * every sensor pushed to `sensors` is killed and the lab destroyed (registered first, so vitest's
 * stacked after-hooks run this one last).
 */
export function labFixture(): { readonly lab: NetnsLab; readonly sensors: LiveSensor[] } {
  let lab: NetnsLab | undefined;
  const sensors: LiveSensor[] = [];
  beforeAll(() => {
    lab = new NetnsLab();
  });
  afterAll(() => {
    for (const s of sensors) s.kill();
    lab?.destroy();
  });
  return {
    get lab(): NetnsLab {
      if (lab === undefined) throw new Error('the lab exists only inside its describe block, once beforeAll ran');
      return lab;
    },
    sensors,
  };
}
