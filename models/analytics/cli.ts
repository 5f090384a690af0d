/**
 * `ndr-sensor analyze` — run the analytics stage over flow/event JSON-lines files (the sensor's
 * own `--flows-out`/`--events-out`, or Zeek JSON logs), with the same `--baseline`, `--learn`,
 * `--alerts-out` flags as replay/live. The inputs are read whole and fed in capture-time order
 * (flows by end time ts+duration, events by ts): the sensor's output files are ordered per worker
 * batch, not globally (a replay's shards finish out of order), and the analytics stage must see
 * capture time move forward. Memory therefore grows with the input (about 1 KB per record).
 *
 *   ndr-sensor analyze --flows conn.json --events events.json [--config sensor.yaml]
 *                      [--baseline FILE] [--learn] [--alerts-out FILE] [--cases-out FILE]
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import type { FlowRecord, ProtoEvent } from '../core/records.js';
import { ConfigError } from './config.js';
import { openAnalyticsSession } from './session.js';

export interface AnalyzeArgs {
  flows: string[];
  events: string[];
  config?: string;
  baseline?: string;
  learn: boolean;
  alertsOut?: string;
  casesOut?: string;
}

const USAGE = 'usage: ndr-sensor analyze --flows FILE [--flows FILE…] [--events FILE…] [--config FILE] [--baseline FILE] [--learn] [--alerts-out FILE] [--cases-out FILE]';

export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs | string {
  const a: AnalyzeArgs = { flows: [], events: [], learn: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${k} needs a value`);
      return v;
    };
    try {
      if (k === '--flows') a.flows.push(val());
      else if (k === '--events') a.events.push(val());
      else if (k === '--config') a.config = val();
      else if (k === '--baseline') a.baseline = val();
      else if (k === '--alerts-out') a.alertsOut = val();
      else if (k === '--cases-out') a.casesOut = val();
      else if (k === '--learn') a.learn = true;
      else return `unknown option ${k}\n${USAGE}`;
    } catch (e) {
      return `${(e as Error).message}\n${USAGE}`;
    }
  }
  if (a.flows.length === 0 && a.events.length === 0) return `nothing to analyze\n${USAGE}`;
  return a;
}

/** The `analytics` section of a sensor config file (YAML or JSON), or the whole document. */
export function loadAnalyticsSection(path: string): unknown {
  const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (doc && typeof doc === 'object' && 'analytics' in doc) return (doc as Record<string, unknown>).analytics;
  return doc ?? {};
}

type Item = { key: number; flow?: FlowRecord; ev?: ProtoEvent };

async function* lines(path: string, kind: 'flow' | 'event', bad: { n: number }): AsyncGenerator<Item> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '' || line.startsWith('#')) continue;
    let o: any;
    try {
      o = JSON.parse(line);
    } catch {
      bad.n++;
      continue;
    }
    if (kind === 'flow') yield { key: (+o.ts || 0) + (+o.duration || 0), flow: o };
    else {
      if (typeof o._path !== 'string') o._path = 'unknown';
      yield { key: +o.ts || 0, ev: o };
    }
  }
}

/**
 * `loadSection` reads the analytics configuration from a config file; the sensor passes its own
 * loader (which validates the whole file and fills in sensor_id, internal_networks and zones).
 */
export async function runAnalyze(argv: string[], loadSection: (path: string) => Promise<unknown> = async (p) => loadAnalyticsSection(p)): Promise<number> {
  const args = parseAnalyzeArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(args + '\n');
    return 2;
  }
  let config: unknown = {};
  try {
    if (args.config) config = await loadSection(args.config);
  } catch (e) {
    if (e instanceof Error && e.name === 'ConfigError') {
      process.stderr.write(`ndr-sensor: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`ndr-sensor: cannot read config ${args.config}: ${(e as Error).message}\n`);
    return 2;
  }
  let session;
  try {
    session = openAnalyticsSession({ config, baselineFile: args.baseline, learn: args.learn, alertsOut: args.alertsOut, casesOut: args.casesOut });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ndr-sensor: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const bad = { n: 0 };
  const items: Item[] = [];
  for (const f of args.flows) for await (const it of lines(f, 'flow', bad)) items.push(it);
  for (const f of args.events) for await (const it of lines(f, 'event', bad)) items.push(it);
  // stable sort: equal keys keep file order (flows before events of the same instant)
  items.sort((x, y) => x.key - y.key);
  let lastTick = -Infinity;
  let alerts = 0;
  const a = session.analytics;
  for (const it of items) {
    if (it.flow) session.onFlow(it.flow);
    else session.onEvent(it.ev!);
    if (it.key - lastTick >= 1) {
      session.tick(it.key);
      lastTick = it.key;
    }
  }
  await session.close();
  const st = a.stats();
  alerts = st.alerts_emitted ?? 0;
  process.stderr.write(
    `ndr-sensor analyze: ${st.flows} flow records, ${st.events} events, ${bad.n + (st.badRecords ?? 0) + (st.badEvents ?? 0)} unreadable lines/records; ${alerts} alerts; baseline ${st.hosts} hosts, ${st.edges} edges\n`,
  );
  return 0;
}
