/** Run the built CLI (bin/ndr-sensor) the way a user does, and read back its JSON-lines output. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../conformance/corpus.js';

export interface SensorRun {
  status: number | null;
  signal: string | null;
  stderr: string;
  flows: Record<string, unknown>[];
  events: Record<string, unknown>[];
  elapsedMs: number;
  /** Peak RSS in KiB when measured with GNU time, else -1. */
  maxRssKb: number;
}

const GNU_TIME = '/usr/bin/time';

export function runSensor(args: string[], opts: { timeoutMs?: number; measureRss?: boolean; events?: boolean } = {}): SensorRun {
  const dir = mkdtempSync(join(tmpdir(), 'ndr-run-'));
  const flowsPath = join(dir, 'flows.json');
  const eventsPath = join(dir, 'events.json');
  const full = [...args, '--flows-out', flowsPath];
  if (opts.events) full.push('--events-out', eventsPath);
  const useTime = opts.measureRss === true && existsSync(GNU_TIME);
  const cmd = useTime ? GNU_TIME : BIN;
  const argv = useTime ? ['-f', 'MAXRSS %M', BIN, ...full] : full;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 });
  const elapsedMs = performance.now() - t0;
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);
  let stderr = r.stderr ?? '';
  let maxRssKb = -1;
  const m = stderr.match(/MAXRSS (\d+)/);
  if (m) {
    maxRssKb = Number(m[1]);
    stderr = stderr.replace(/MAXRSS \d+\n?/, '');
  }
  const out: SensorRun = {
    status: r.status, signal: r.signal, stderr, flows: read(flowsPath), events: read(eventsPath), elapsedMs, maxRssKb,
  };
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** Packets read, from the replay summary on stderr. */
export function summaryPackets(stderr: string): number {
  const m = stderr.match(/^packets\s+([\d,]+)/m);
  return m ? Number(m[1].replace(/,/g, '')) : -1;
}
