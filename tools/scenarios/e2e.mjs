#!/usr/bin/env node
// @ts-check
/**
 * End-to-end scenario run: generate the captures, replay each day through the sensor with the
 * analytics stage inline (`bin/ndr-sensor replay --baseline --alerts-out`, learning days with
 * `--learn`, one baseline file carried from day to day, interim records every 30 s), and score
 * the alerts against the generator's labels.
 *
 *   node tools/scenarios/e2e.mjs [--out DIR] [--learn-days N] [--test-days N] [--seed N]
 *
 * Needs `npm run build`. Prints the recall/false-positive table; writes DIR/score.json; exits 1
 * when an attack is missed, alerted later than 60 s after its evidence, or normal traffic raises
 * more than 1 alert of severity ≥ 7 per simulated day per 1,000 hosts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScore, score } from './score.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @param {{out?: string, learnDays?: number, testDays?: number, seed?: number, log?: (s: string) => void}} o
 */
export async function runE2E(o = {}) {
  const out = o.out ?? join(REPO, 'pcaps', 'scenarios');
  const learnDays = o.learnDays ?? 7;
  const testDays = o.testDays ?? 2;
  const seed = o.seed ?? 7;
  const log = o.log ?? ((s) => process.stderr.write(s + '\n'));
  mkdirSync(out, { recursive: true });
  const gen = spawnSync(process.execPath, [join(REPO, 'tools/scenarios/generate.mjs'), '--out', out, '--learn-days', String(learnDays), '--test-days', String(testDays), '--seed', String(seed)], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`generate failed: ${gen.stderr}`);
  log(gen.stderr.trim());
  const m = JSON.parse(readFileSync(join(out, 'scenario.json'), 'utf8'));
  const analytics = { ...m.analytics, baseline: { minLearningDays: Math.min(7, learnDays) } };
  // JSON is valid YAML: the sensor reads one config with its timeouts and the analytics section
  const cfgPath = join(out, 'sensor-config.json');
  writeFileSync(cfgPath, JSON.stringify({ sensor_id: 'klinikum-nord-core', timeouts: { active: 30 }, analytics }, null, 1));
  const baseline = join(out, 'baseline.gz');
  if (existsSync(baseline)) rmSync(baseline);
  const alerts = [];
  for (const d of m.days) {
    const alertsOut = join(out, `${d.name}.alerts.jsonl`);
    const args = ['replay', '--config', cfgPath, join(out, d.pcap), '--baseline', baseline, '--alerts-out', alertsOut, '--quiet'];
    if (d.kind === 'learn') args.push('--learn');
    // a day replays in seconds; a replay still running after 5 minutes has hung
    const r = spawnSync(join(REPO, 'bin/ndr-sensor'), args, { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(r.status === null ? `replay of ${d.pcap} hung (killed after 300 s by ${r.signal})` : `replay of ${d.pcap} failed (exit ${r.status}): ${r.stderr}`);
    alerts.push(...readFileSync(alertsOut, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  const labels = m.days.filter((d) => d.labels).flatMap((d) => JSON.parse(readFileSync(join(out, d.labels), 'utf8')).labels);
  const tests = m.days.filter((d) => d.kind === 'test');
  const s = score(alerts, labels, { days: tests.length, hosts: m.hosts, from: tests[0].start });
  writeFileSync(join(out, 'score.json'), JSON.stringify(s, null, 1));
  return { score: s, labels, alerts, manifest: m };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const opt = (k) => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const { score: s, labels } = await runE2E({ out: opt('--out'), learnDays: opt('--learn-days') ? Number(opt('--learn-days')) : undefined, testDays: opt('--test-days') ? Number(opt('--test-days')) : undefined, seed: opt('--seed') ? Number(opt('--seed')) : undefined });
  console.log(formatScore(s));
  const ok = s.summary.labels_in_time === labels.length && s.summary.fp_sev7_per_day_per_1000_hosts <= 1;
  process.exit(ok ? 0 : 1);
}
