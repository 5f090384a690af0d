// Test helpers for the shipping tests: temp dirs, key files, output readers, a lossy UDP proxy,
// and a collector child process (for kill -9 tests) run from the compiled dist/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 as rng } from '../helpers/prng.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tmp(prefix = 'ship-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a key file (mode 600) with the given ids (fresh random keys unless given). */
export function keyFile(dir: string, lines: string[] = [`k1 ${randomBytes(32).toString('hex')}`], name = 'keys'): string {
  const p = join(dir, name);
  writeFileSync(p, '# test keys\n' + lines.join('\n') + '\n');
  chmodSync(p, 0o600);
  return p;
}

/** Every JSON line of every *.jsonl under dir/<sensor>/ for the stream (rotated files included). */
export function readRecords(outDir: string, sensor: string, stream: string): Record<string, unknown>[] {
  const d = join(outDir, sensor);
  if (!existsSync(d)) return [];
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(d).sort()) {
    if (!f.startsWith(stream) || !f.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(d, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line));
  }
  return out;
}

/** Counts per value of `field`. */
export function countBy(recs: Record<string, unknown>[], field: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of recs) m.set(String(r[field]), (m.get(String(r[field])) ?? 0) + 1);
  return m;
}

/** Deterministic PRNG (mulberry32). */
export { rng };

/**
 * UDP proxy on 127.0.0.1 that drops a fraction of datagrams in each direction. One client.
 * `target` may be changed while running.
 */
export class LossyProxy {
  readonly sock = dgram.createSocket('udp4');
  private readonly up = dgram.createSocket('udp4');
  private client: dgram.RemoteInfo | null = null;
  port = 0;
  forwarded = [0, 0];
  dropped = [0, 0];
  constructor(public targetPort: number, private readonly lossUp: number, private readonly lossDown: number, seed = 1) {
    // One generator per direction, so each direction's drop pattern does not depend on timing.
    const r = rng(seed);
    const rDown = rng(seed + 1000);
    this.sock.on('message', (m, ri) => {
      this.client = ri;
      if (r() < this.lossUp) return void this.dropped[0]++;
      this.forwarded[0]++;
      this.up.send(m, this.targetPort, '127.0.0.1');
    });
    this.up.on('message', (m) => {
      if (!this.client) return;
      if (rDown() < this.lossDown) return void this.dropped[1]++;
      this.forwarded[1]++;
      this.sock.send(m, this.client.port, this.client.address);
    });
    this.up.on('error', () => undefined);
    this.sock.on('error', () => undefined);
  }
  async start(): Promise<number> {
    await new Promise<void>((res) => this.sock.bind(0, '127.0.0.1', () => res()));
    await new Promise<void>((res) => this.up.bind(0, '127.0.0.1', () => res()));
    for (const s of [this.sock, this.up]) {
      s.setRecvBufferSize(4 * 1024 * 1024);
      s.setSendBufferSize(4 * 1024 * 1024);
    }
    this.port = this.sock.address().port;
    return this.port;
  }
  close(): void {
    this.sock.close();
    this.up.close();
  }
}

function distIsStale(): boolean {
  for (const sub of ['ship', 'export']) {
    const srcDir = join(ROOT, 'sensor', sub);
    for (const f of readdirSync(srcDir)) {
      if (!f.endsWith('.ts')) continue;
      const js = join(ROOT, 'dist', 'sensor', sub, f.replace(/\.ts$/, '.js'));
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(srcDir, f)).mtimeMs) return true;
    }
  }
  return false;
}

/** Builds dist/ if a sensor/ship or sensor/export source is newer than its compiled file (child processes run dist/). */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  // Test files run in parallel processes: one builds, the others wait for it (mkdir is atomic).
  const lock = join(tmpdir(), `ndr-ship-build-${Buffer.from(ROOT).toString('hex').slice(-32)}`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const st = statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (distIsStale()) execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Starts `collect` from dist/ in a child process; resolves once it listens. */
export async function spawnCollector(args: string[]): Promise<{ child: ChildProcess; stderr: () => string }> {
  const entry = join(ROOT, 'dist', 'sensor', 'ship', 'collector.js');
  const code = `import(${JSON.stringify(entry)}).then(async (m) => process.exit(await m.runCollect(process.argv.slice(1))))`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((res, rej) => {
    const t = setInterval(() => {
      if (err.includes('listening')) {
        clearInterval(t);
        res();
      }
    }, 20);
    child.once('exit', (c) => {
      clearInterval(t);
      rej(new Error(`collector exited ${c}: ${err}`));
    });
  });
  return { child, stderr: () => err };
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn() is true or the timeout passes; returns fn()'s last value. */
export async function until(fn: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(stepMs);
  }
  return fn();
}
