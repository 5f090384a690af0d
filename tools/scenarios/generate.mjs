#!/usr/bin/env node
// @ts-check
/**
 * `npm run scenarios` — write the scenario captures and ground truth:
 *   pcaps/scenarios/learn-dayN.pcap      normal hospital traffic (learning)
 *   pcaps/scenarios/test-dayN.pcap       normal traffic + injected attacks
 *   pcaps/scenarios/test-dayN.labels.json  ground-truth labels of the attacks
 *   pcaps/scenarios/scenario.json        analytics config of the site, file list, figures
 * Options: --out DIR, --seed N, --learn-days N, --test-days N, --streams (also write the
 * ground-truth conn/event JSON lines a correct sensor emits), --no-pcap.
 * Deterministic: the same seed writes the same bytes.
 */
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter } from './pcap.mjs';
import { DEFAULTS, scenario, streamOf } from './scenario.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const out = opt('--out', 'pcaps/scenarios');
const seed = Number(opt('--seed', DEFAULTS.seed));
const learnDays = Number(opt('--learn-days', DEFAULTS.learnDays));
const testDays = Number(opt('--test-days', DEFAULTS.testDays));
const streams = args.includes('--streams');
const pcap = !args.includes('--no-pcap');

mkdirSync(out, { recursive: true });
const sc = scenario({ seed, learnDays, testDays });
const manifest = { generator: 'tools/scenarios/generate.mjs', seed, learnDays, testDays, hosts: sc.hosts, timeZone: sc.config.timeZone, analytics: sc.config, days: /** @type {any[]} */ ([]) };
const t0 = Date.now();
for (const day of sc.days) {
  const { convs, labels } = day.build();
  const entry = { name: day.name, kind: day.kind, start: day.start, end: day.end, conversations: convs.length, pcap: null, labels: null, packets: 0, pcap_bytes: 0, wire_bytes: 0 };
  if (pcap) {
    const w = new PcapWriter(join(out, `${day.name}.pcap`));
    w.writeAll(convs);
    w.close();
    Object.assign(entry, { pcap: `${day.name}.pcap`, packets: w.packets, pcap_bytes: w.bytes + 24, wire_bytes: w.wireBytes });
  }
  if (labels.length) {
    writeFileSync(join(out, `${day.name}.labels.json`), JSON.stringify({ day: day.name, start: day.start, end: day.end, labels }, null, 1));
    entry.labels = `${day.name}.labels.json`;
  }
  if (streams) {
    const fl = createWriteStream(join(out, `${day.name}.conn.jsonl`));
    const ev = createWriteStream(join(out, `${day.name}.events.jsonl`));
    for (const it of streamOf(convs, { captureEnd: day.end })) {
      if (it.flow) fl.write(JSON.stringify(it.flow) + '\n');
      else ev.write(JSON.stringify(it.event) + '\n');
    }
    await Promise.all([new Promise((r) => fl.end(r)), new Promise((r) => ev.end(r))]);
  }
  manifest.days.push(entry);
  process.stderr.write(`${day.name}: ${convs.length} conversations, ${entry.packets} packets, ${(entry.pcap_bytes / 1e6).toFixed(1)} MB on disk for ${(entry.wire_bytes / 1e9).toFixed(2)} GB on the wire (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
writeFileSync(join(out, 'scenario.json'), JSON.stringify(manifest, null, 1));
