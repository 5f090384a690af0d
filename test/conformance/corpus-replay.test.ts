/**
 * Acceptance 2 and 3 of the packet-path issue, over every capture of the shared corpus:
 * - packets read equal capinfos, and TCP/UDP conversation counts equal tshark's
 *   (ref-tshark/*.capinfos.txt, *.conv.txt), except the differences listed with reasons in
 *   tshark-differences.json;
 * - every file, including the broken ones, replays without crash or hang (30 s) and with bounded
 *   memory, exiting 0 or 1 with a reason.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, REF_TSHARK, corpusAvailable, corpusCaptures, manifest } from './corpus.js';
import { runSensor, summaryPackets } from '../helpers/run-sensor.js';

interface Known {
  packets: { file: string; ours: number; reason: string }[];
  conversations: { file: string; proto: string; ours: number; tshark: number; reason: string }[];
}
const known: Known = JSON.parse(readFileSync(new URL('./tshark-differences.json', import.meta.url), 'utf8'));

function capinfosPackets(file: string): number | null {
  const m = readFileSync(join(REF_TSHARK, `${file}.capinfos.txt`), 'utf8').match(/^Number of packets:\s+(\d+)/m);
  return m ? Number(m[1]) : null;
}

/** tshark's conversation tables: unique endpoint pairs per protocol. */
function tsharkConversations(file: string): { tcp: number; udp: number } {
  const sets = { tcp: new Set<string>(), udp: new Set<string>() };
  let sec: 'tcp' | 'udp' | null = null;
  for (const l of readFileSync(join(REF_TSHARK, `${file}.conv.txt`), 'utf8').split('\n')) {
    if (l.startsWith('TCP Conversations')) sec = 'tcp';
    else if (l.startsWith('UDP Conversations')) sec = 'udp';
    const m = l.match(/^(\S+)\s+<->\s+(\S+)\s+\d+/);
    if (m && sec !== null) sets[sec].add([m[1], m[2]].sort().join(' '));
  }
  return { tcp: sets.tcp.size, udp: sets.udp.size };
}

function ourConversations(flows: Record<string, unknown>[]): { tcp: number; udp: number } {
  const sets = { tcp: new Set<string>(), udp: new Set<string>() };
  for (const r of flows) {
    if (r.proto !== 'tcp' && r.proto !== 'udp') continue;
    const a = `${r['id.orig_h']}:${r['id.orig_p']}`;
    const b = `${r['id.resp_h']}:${r['id.resp_p']}`;
    sets[r.proto].add([a, b].sort().join(' '));
  }
  return { tcp: sets.tcp.size, udp: sets.udp.size };
}

describe.runIf(corpusAvailable() || process.env.CI)('whole corpus: tshark agreement and robustness', () => {
  const files = corpusAvailable() ? corpusCaptures() : [];
  const man = corpusAvailable() ? manifest() : new Map();

  it('covers the 75 corpus captures', () => {
    expect(files.length).toBe(75);
  });

  it('reads every file safely and agrees with capinfos and tshark', () => {
    const problems: string[] = [];
    let maxRss = 0;
    let slowest = 0;
    for (const f of files) {
      const run = runSensor(['replay', join(CORPUS, f), '--workers', '1'], { timeoutMs: 30_000, measureRss: true });
      slowest = Math.max(slowest, run.elapsedMs);
      maxRss = Math.max(maxRss, run.maxRssKb);
      if (run.signal !== null) { problems.push(`${f}: killed by ${run.signal} (hang or crash)`); continue; }
      if (run.status !== 0 && run.status !== 1) { problems.push(`${f}: exit ${run.status}: ${run.stderr}`); continue; }
      if (run.status === 1 && !/ndr-sensor: .+/.test(run.stderr)) problems.push(`${f}: exit 1 without a reason`);
      if (run.maxRssKb > 400 * 1024) problems.push(`${f}: peak RSS ${run.maxRssKb} KiB`);

      const ours = summaryPackets(run.stderr);
      const cap = capinfosPackets(f);
      const knownPk = known.packets.find((k) => k.file === f);
      if (knownPk !== undefined) {
        if (ours !== knownPk.ours) problems.push(`${f}: packets ${ours}, documented ${knownPk.ours}`);
      } else if (cap !== ours) {
        problems.push(`${f}: packets ${ours}, capinfos ${cap} (MANIFEST records: ${man.get(f)?.records})`);
      }
      const ts = tsharkConversations(f);
      const oc = ourConversations(run.flows);
      for (const proto of ['tcp', 'udp'] as const) {
        if (oc[proto] === ts[proto]) continue;
        const k = known.conversations.find((x) => x.file === f && x.proto === proto);
        if (k === undefined || k.ours !== oc[proto] || k.tshark !== ts[proto]) {
          problems.push(`${f}: ${proto} conversations ${oc[proto]}, tshark ${ts[proto]}`);
        }
      }
    }
    console.log(`corpus replay: ${files.length} files, slowest ${slowest.toFixed(0)} ms, peak RSS ${(maxRss / 1024).toFixed(0)} MiB`);
    expect(problems).toEqual([]);
  }, 600_000);
});
