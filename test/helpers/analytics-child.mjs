// `ndr-sensor live` with a stand-in analytics stage, through the stage hook of live:
// runLive(argv, { analytics }) from the compiled dist/sensor/live.js. The stage raises one alert per
// TCP flow record (category "test", severity 5), reports the flows it saw as baseline hosts, refuses
// a config whose analytics section has `sensorId: refuse-me`, and at finish writes what it saw to
// NDR_ANALYTICS_OUT. Arguments: those of `live`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const { runLive } = await import(path.join(root, 'dist', 'sensor', 'live.js'));
const seen = { flows: 0, events: 0, alerts: 0, reloads: [], initial: null, finished: false, shards: [] };
process.exitCode = await runLive(process.argv.slice(2), {
  analytics: (ctx) => {
    seen.initial = ctx.config.extra.analytics ?? null;
    return {
      result(shard, flows, events, clock) {
        if (!seen.shards.includes(shard)) seen.shards.push(shard);
        if (!(clock > 0)) throw new Error(`no capture clock with the result of shard ${shard}`);
        seen.flows += flows.length;
        seen.events += events.length;
        for (const f of flows) {
          if (f.proto !== 'tcp') continue;
          seen.alerts++;
          ctx.alert({ ts: f.ts, id: `A${seen.alerts}`, type: 'test-tcp', category: 'test', severity: 5, summary: `tcp flow ${f.uid}` });
        }
      },
      get alerts() { return seen.alerts; },
      alertsBySeverity: [],
      baselineStatus: 'none',
      stats: () => ({ hosts: seen.flows }),
      reload(cfg) {
        if (cfg.extra.analytics?.sensorId === 'refuse-me') throw new Error('analytics refuses this config');
        seen.reloads.push(cfg.extra.analytics ?? null);
      },
      async finish() {
        seen.finished = true;
        writeFileSync(process.env.NDR_ANALYTICS_OUT, JSON.stringify(seen));
      },
    };
  },
});
