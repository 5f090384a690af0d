/**
 * The analytics stage wired into `ndr-sensor replay` (the CLI a user runs): --learn/--baseline
 * across two runs, a corrupt baseline file, a bad key in the analytics section, and the interim
 * period the detections need. The stage itself is tested in the other files here.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSensor } from '../helpers/run-sensor.js';

const SAMPLE = join(__dirname, '..', '..', 'pcaps', 'hospital-sample.pcap');
const dir = mkdtempSync(join(tmpdir(), 'ndr-replay-analytics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('replay with the analytics stage', () => {
  it('learns into a baseline file, then loads it on the next run and judges against it', () => {
    const baseline = join(dir, 'b1.json.gz');
    const learn = runSensor(['replay', SAMPLE, '--baseline', baseline, '--learn', '--alerts-out', join(dir, 'learn-alerts.json')]);
    expect(learn.status, learn.stderr).toBe(0);
    expect(learn.stderr).toMatch(/^baseline\s+.*b1\.json\.gz \(fresh, learning\)$/m);
    expect(existsSync(baseline)).toBe(true);
    // Learning mode: only technique detections may alert; the sample has none.
    expect(lines(join(dir, 'learn-alerts.json')).filter((a) => a.severity >= 7)).toEqual([]);

    const run = runSensor(['replay', SAMPLE, '--baseline', baseline, '--alerts-out', join(dir, 'alerts.json')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/baseline .*b1\.json\.gz loaded: \d+ hosts, \d+ edges/);
    expect(run.stderr).toMatch(/^baseline\s+.*\(loaded\)$/m);
    const alerts = lines(join(dir, 'alerts.json'));
    // Same traffic again: every admin edge is in the baseline now, so no new-edge alert.
    expect(alerts.filter((a) => a.type === 'lm.new_admin_edge')).toEqual([]);
    const m = run.stderr.match(/^alerts\s+([\d,]+)/m);
    expect(m).not.toBeNull();
    expect(Number(m![1].replace(/,/g, ''))).toBe(alerts.length);
  });

  it('moves a corrupt baseline aside, says so, and starts a fresh one', () => {
    const baseline = join(dir, 'corrupt.json.gz');
    writeFileSync(baseline, 'this is not a baseline');
    const run = runSensor(['replay', SAMPLE, '--baseline', baseline]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/corrupt\.json\.gz is corrupt: .*Moved it aside to .*corrupt\.json\.gz\.corrupt-/);
    const aside = readdirSync(dir).filter((f) => f.startsWith('corrupt.json.gz.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('this is not a baseline');
    expect(readFileSync(baseline).subarray(0, 2)).not.toEqual(Buffer.from('th'));
  });

  it('rejects a bad key in the analytics section with exit 2, naming it', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'analytics:\n  baseline:\n    maxHost: 5\n');
    const run = runSensor(['replay', SAMPLE, '--config', cfg]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/analytics\.baseline\.maxHost: unknown key/);
  });

  it('rejects top-level sections nobody reads (a misplaced "baseline:" must not be ignored)', () => {
    const cfg = join(dir, 'misplaced.yaml');
    writeFileSync(cfg, 'baseline:\n  minLearningDays: 3\n');
    const run = runSensor(['replay', SAMPLE, '--config', cfg]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/baseline: unknown key/);
  });

  it('emits interim records every 30 s when the detections run, unless the config sets timeouts.active', () => {
    const interim = (flows: Record<string, unknown>[]) => flows.filter((f) => f.interim === true);
    const plain = runSensor(['replay', SAMPLE]);
    expect(plain.status).toBe(0);
    // The 60 s sample has no flow reaching the flow default of 300 s.
    expect(interim(plain.flows)).toEqual([]);
    const withAlerts = runSensor(['replay', SAMPLE, '--alerts-out', join(dir, 'a2.json')]);
    const recs = interim(withAlerts.flows);
    expect(recs.length).toBeGreaterThan(0);
    for (const r of recs) {
      // Interim records come on a 30 s grid from the flow's start, and the flow's final record
      // (same uid) follows: at most one interim record per 30 s of the flow's life.
      const fin = withAlerts.flows.find((f) => f.uid === r.uid && f.interim === undefined);
      expect(fin).toBeDefined();
      const life = Number(fin!.duration ?? 0);
      const n = recs.filter((x) => x.uid === r.uid).length;
      expect(n).toBeLessThanOrEqual(Math.floor(life / 30) + 1);
      expect(Number(r.duration ?? 0)).toBeLessThanOrEqual(life);
    }
    const cfg = join(dir, 'active.yaml');
    writeFileSync(cfg, 'timeouts:\n  active: 300\n');
    const explicit = runSensor(['replay', SAMPLE, '--config', cfg, '--alerts-out', join(dir, 'a3.json')]);
    expect(interim(explicit.flows)).toEqual([]);
  });
});
