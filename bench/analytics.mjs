#!/usr/bin/env node
/**
 * Analytics stage benchmark (not a test):
 *  1. throughput — flow records/s on one core (target ≥ 200,000/s), and flow+event items/s,
 *     fed with the scenario generator's conn records (JSON-parsed, as the sensor's sink delivers
 *     them) for days after a learned baseline, all detections on;
 *  2. memory per tracked internal host and per edge — heap growth for N synthetic hosts/edges,
 *     measured with forced GC (run with --expose-gc), and bytes per host/edge in the saved file.
 * Usage: node --expose-gc bench/analytics.mjs [--days N] [--hosts N] [--edges N]
 * Needs `npm run build` (imports dist/). The machine is shared: run a few times, quote medians.
 */
import { Analytics } from '../dist/models/analytics/index.js';
import { scenario, streamOf } from '../tools/scenarios/scenario.mjs';

const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const gc = globalThis.gc ?? (() => {});
const learnDays = arg('--learn-days', 3);
const measureDays = arg('--days', 3);
const nHosts = arg('--hosts', 50_000);
const nEdges = arg('--edges', 500_000);

// ---------------------------------------------------------------- 1. throughput
const sc = scenario({ learnDays, testDays: measureDays });
/**
 * One day's items as JSON text, in batches of 1,000: the sensor hands the analytics stage batches
 * of freshly deserialised records, so each batch is parsed (untimed) right before it is fed.
 */
function dayBatches(d, withEvents) {
  const lines = [];
  for (const it of streamOf(d.build().convs, { captureEnd: d.end })) {
    if (it.flow) lines.push([it.t, 1, JSON.stringify(it.flow)]);
    else if (withEvents) lines.push([it.t, 0, JSON.stringify(it.event)]);
  }
  const out = [];
  for (let i = 0; i < lines.length; i += 1000) out.push(lines.slice(i, i + 1000));
  return out;
}
/** Learn on the learning days, then time the test days (flows only, or flows and events). */
function pass(withEvents) {
  const engine = new Analytics(sc.config, {});
  const r = { n: 0, ms: 0 };
  for (const d of sc.days) {
    engine.setLearning(d.kind === 'learn');
    const learn = d.kind === 'learn';
    const batches = dayBatches(d, withEvents || learn);
    gc();
    let last = -Infinity;
    for (const b of batches) {
      const recs = b.map(([t, f, j]) => [t, f, JSON.parse(j)]);
      const t0 = performance.now();
      for (const [t, f, o] of recs) {
        f ? engine.onFlow(o) : engine.onEvent(o);
        if (t - last >= 1) (engine.tick(t), (last = t));
      }
      if (!learn) {
        r.ms += performance.now() - t0;
        r.n += recs.length;
      }
    }
  }
  return r;
}
const repeat = arg('--repeat', 3);
const rates = [];
let flowsOnly;
for (let i = 0; i < repeat; i++) {
  flowsOnly = pass(false);
  rates.push((flowsOnly.n / flowsOnly.ms) * 1000);
}
rates.sort((a, b) => a - b);
const all = pass(true);
console.log(`throughput: ${Math.round(rates[Math.floor(rates.length / 2)]).toLocaleString('en')} flow records/s median of ${repeat} (best ${Math.round(rates[rates.length - 1]).toLocaleString('en')}; flows only, ${flowsOnly.n.toLocaleString('en')} records, ${measureDays} test days after ${learnDays} learning days, ${sc.hosts} hosts)`);
console.log(`throughput: ${Math.round((all.n / all.ms) * 1000).toLocaleString('en')} items/s with protocol events (${all.n.toLocaleString('en')} flows+events)`);

// ---------------------------------------------------------------- 2. memory per host / edge
function rec(i, src, dst, port, ts) {
  return { ts, uid: `C${i}`, 'id.orig_h': src, 'id.orig_p': 50000 + (i % 10000), 'id.resp_h': dst, 'id.resp_p': port, proto: 'tcp', service: 'ssl', duration: 0.2, orig_bytes: 500, resp_bytes: 4000, conn_state: 'SF', history: 'ShADadFf', orig_pkts: 5, resp_pkts: 5, direction: 'internal' };
}
const ip = (n) => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
function heap() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
{
  const cfg = { baseline: { maxHosts: nHosts * 3, maxEdges: nEdges * 3 } };
  const a = new Analytics(cfg, {});
  a.setLearning(true);
  const base = heap();
  // hosts: each talks once to one shared server → 1 host entry + 1 edge (+ group edges) each
  for (let i = 0; i < nHosts; i++) a.onFlow(rec(i, ip(0x10000 + i), '10.0.0.1', 443, 1e9 + i * 0.01));
  const afterHosts = heap();
  const s1 = a.stats();
  // edges: existing hosts open new host→host:service edges
  for (let i = 0; i < nEdges; i++) a.onFlow(rec(nHosts + i, ip(0x10000 + (i % nHosts)), ip(0x10000 + ((i * 7919 + 1) % nHosts)), 1000 + (i % 50), 1e9 + 1000 + i * 0.001));
  const afterEdges = heap();
  const s2 = a.stats();
  const perHost = (afterHosts - base) / s1.hosts;
  const perEdge = (afterEdges - afterHosts) / (s2.edges - s1.edges);
  const file = Buffer.byteLength(JSON.stringify(a.save()));
  console.log(`memory: ${Math.round(perHost)} bytes per internal host (heap growth over ${s1.hosts.toLocaleString('en')} hosts, incl. its first edge entries: ${s1.edges.toLocaleString('en')})`);
  console.log(`memory: ${Math.round(perEdge)} bytes per edge (heap growth over ${(s2.edges - s1.edges).toLocaleString('en')} edges, host→host:service plus the group-level entries they create)`);
  console.log(`baseline file: ${(file / 1e6).toFixed(1)} MB JSON before gzip for ${s2.hosts.toLocaleString('en')} hosts and ${s2.edges.toLocaleString('en')} edges`);
  console.log(`default bounds (maxHosts 50,000, maxEdges 1,000,000) → baseline tables at most about ${Math.round((50000 * perHost + 1e6 * perEdge) / 1e6)} MB`);
}
