/**
 * Issue 4, acceptance 4 — baseline persistence. A run that learns, stops (baseline saved
 * atomically on close), restarts (baseline loaded) and continues produces the same alerts as one
 * uninterrupted run, whether it stops at a day boundary or in the middle of a busy day.
 * Input: the scenario generator's ground-truth streams (2 learning days, 1 day with attacks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalyticsSession, type Alert } from '../../models/analytics/index.js';
// @ts-ignore plain ESM JavaScript tool
import { scenario, streamOf } from '../../tools/scenarios/scenario.mjs';
// @ts-ignore plain ESM JavaScript tool
import { feedItems as feed } from '../../tools/scenarios/run-streams.mjs';

type Item = { t: number; flow?: any; event?: any };
interface Day { kind: string; end: number; items: Item[] }

const dir = mkdtempSync(join(tmpdir(), 'ndr-persist-'));
let days: Day[] = [];
let config: any;

/** Run the days; `stops` are [day, item index] positions where the sensor stops and restarts. */
async function run(stops: [number, number][], file?: string): Promise<Alert[]> {
  const alerts: Alert[] = [];
  const open = (learn: boolean) => openAnalyticsSession({ config, baselineFile: file, learn, onAlert: (a) => alerts.push(a), log: () => {}, saveIntervalSec: 0 });
  let s = open(days[0]!.kind === 'learn');
  for (let d = 0; d < days.length; d++) {
    const learn = days[d]!.kind === 'learn';
    if (d > 0 && learn !== s.analytics.learning) {
      if (file) {
        // the test capture is a new replay (without --learn) on the same --baseline
        await s.close();
        s = open(learn);
      } else s.analytics.setLearning(learn); // the uninterrupted reference just switches mode
    }
    const cut = stops.filter(([sd]) => sd === d).map(([, i]) => i);
    let from = 0;
    for (const i of cut) {
      feed(s, days[d]!.items.slice(from, i));
      await s.close();
      s = open(learn);
      from = i;
    }
    feed(s, days[d]!.items.slice(from));
    s.tick(days[d]!.end);
  }
  await s.close();
  return alerts;
}

/**
 * First emission and final version of every alert id. A stopping sensor writes out pending dedup
 * updates (so counts are never lost), where an uninterrupted run writes them when the window
 * closes: the final version is compared without its emission time.
 */
function digest(alerts: Alert[]) {
  const first = new Map<string, Alert>();
  const final = new Map<string, Omit<Alert, 'ts'>>();
  for (const a of alerts) {
    if (!first.has(a.id)) first.set(a.id, a);
    const { ts: _ts, ...rest } = a;
    final.set(a.id, rest);
  }
  return { first: [...first.values()], final: [...final.entries()].sort((a, b) => a[0].localeCompare(b[0])) };
}

beforeAll(() => {
  const sc = scenario({ learnDays: 2, testDays: 1 });
  config = { ...sc.config, baseline: { minLearningDays: 2 } };
  days = sc.days.map((d: any) => ({ kind: d.kind, end: d.end, items: streamOf(d.build().convs, { captureEnd: d.end }) }));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('baseline persistence', () => {
  let reference: Alert[] = [];

  it('uninterrupted reference run raises alerts on the attack day', async () => {
    reference = await run([]);
    expect(reference.filter((a) => a.ts >= days[1]!.end).length).toBeGreaterThan(20);
  }, 300_000);

  it('learn → stop → restart → continue at day boundaries equals the uninterrupted run', async () => {
    const file = join(dir, 'b1.gz');
    const got = await run([[1, 0], [2, 0]], file);
    const a = digest(got);
    const b = digest(reference);
    expect(a.first).toEqual(b.first);
    expect(a.final).toEqual(b.final);
    // the file is a versioned gzip'd JSON document
    const raw = readFileSync(file);
    expect(raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  }, 300_000);

  it('stopping in the middle of a learning day and of the attack day changes nothing', async () => {
    const got = await run([[0, Math.floor(days[0]!.items.length * 0.6)], [2, Math.floor(days[2]!.items.length * 0.37)], [2, Math.floor(days[2]!.items.length * 0.71)]], join(dir, 'b2.gz'));
    const a = digest(got);
    const b = digest(reference);
    expect(a.first).toEqual(b.first);
    expect(a.final).toEqual(b.final);
  }, 300_000);
});
