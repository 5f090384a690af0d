// Cost of the live metrics feeding (issue 6, acceptance 5): the same capture through the same
// pipeline (dist/sensor/pipeline.js: dispatcher → shard workers), once bare and once with
// everything `live` does for metrics — LiveMetrics (per batch: decode reasons; per shard result:
// flows/events/parser counters/self-audit over the records; per batch done: latency; per second:
// gauges) into a real SensorMetrics registry, scraped once a second like Prometheus would.
// Counts calls into SensorMetrics (prom-client work) per packet and garbage collections.
//   npm run build && node bench/live-metrics-overhead.mjs /tmp/ndr-bench/bench-1m.pcap [rounds=3] [workers=1]
import { PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';

const [file, roundsArg = '3', workersArg = '1'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/live-metrics-overhead.mjs FILE.pcap [rounds] [workers]');
const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'sensor');
const { Pipeline } = await import(`${dist}/pipeline.js`);
const { CaptureFileReader } = await import(`${dist}/capture/file-reader.js`);
const { defaultConfig } = await import(`${dist}/config.js`);
const { SensorMetrics } = await import(`${dist}/metrics/registry.js`);
const { LiveMetrics } = await import(`${dist}/live-metrics.js`);
const { SelfAudit } = await import(`${dist}/live-audit.js`);

let gcs = 0;
new PerformanceObserver((l) => (gcs += l.getEntries().length)).observe({ entryTypes: ['gc'] });

async function run(withMetrics) {
  const config = defaultConfig();
  config.zones = [{ name: 'imaging', networks: ['10.20.3.0/24'], kind: 'medical' }, { name: 'nowhere', networks: ['10.250.0.0/16'], kind: 'other' }];
  const pipeline = new Pipeline(config, { workers: Number(workersArg), restartWorkers: true });
  let calls = 0;
  let scrapes = 0;
  let feedMs = 0;
  let lm = null;
  let timer = null;
  if (withMetrics) {
    const metrics = new SensorMetrics({ defaultMetrics: false });
    // Count every call into the registry's feeding API (each is a handful of prom-client operations).
    for (const k of ['onBatch', 'setWorkers', 'setFlowsActive', 'onWorkerRestart', 'onTaskError']) {
      const f = metrics[k].bind(metrics);
      metrics[k] = (...a) => { calls++; return f(...a); };
    }
    lm = new LiveMetrics(metrics, pipeline, new SelfAudit(config.zones, 900));
    // Time spent in the feeding itself (main thread), independent of the machine's noise.
    for (const k of ['afterDispatch', 'result', 'batchDone', 'workerLost', 'taskFailed', 'periodic']) {
      const f = lm[k].bind(lm);
      lm[k] = (...a) => { const t = performance.now(); try { return f(...a); } finally { feedMs += performance.now() - t; } };
    }
    pipeline.addObserver(lm);
    timer = setInterval(() => { lm.periodic(); void metrics.metrics().then(() => scrapes++); }, 1000);
  }
  await new Promise((r) => setTimeout(r, 300)); // workers up
  const reader = new CaptureFileReader([file], pipeline.chunks);
  const gc0 = gcs;
  const t0 = performance.now();
  for await (const b of reader.batches()) {
    await pipeline.submit(b);
    lm?.afterDispatch();
  }
  await pipeline.finish();
  const s = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  await pipeline.close();
  const packets = pipeline.dispatcher.stats.packets;
  return { pps: packets / s, packets, calls, scrapes, feedMs, gcs: gcs - gc0 };
}

const rounds = Number(roundsArg);
const res = { off: [], on: [] };
for (let i = 0; i < rounds; i++) {
  for (const mode of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const r = await run(mode === 'on');
    res[mode].push(r);
    console.log(`round ${i + 1} metrics ${mode.padEnd(3)}: ${Math.round(r.pps).toLocaleString('en')} packets/s, ${r.gcs} GCs` +
      (mode === 'on' ? `, ${r.calls} registry calls (${(r.calls / r.packets).toFixed(5)} per packet), feeding ${r.feedMs.toFixed(1)} ms = ` +
        `${((1e6 * r.feedMs) / r.packets).toFixed(1)} ns per packet, ${r.scrapes} scrapes` : ''));
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const off = median(res.off.map((r) => r.pps));
const on = median(res.on.map((r) => r.pps));
console.log(`median: off ${Math.round(off).toLocaleString('en')} pps, on ${Math.round(on).toLocaleString('en')} pps: metrics cost ${(100 * (1 - on / off)).toFixed(1)} % (noise on this shared machine: compare the spread of the rounds)`);
