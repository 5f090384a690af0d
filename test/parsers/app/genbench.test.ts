/**
 * Flows of the hospital traffic generator (../shared/bench/genbench.py) must be identified:
 * DNS, NTP, TLS (direct HTTPS, proxy egress, EHR), HTTP proxy (CONNECT + TLS, plain GET) and RDP
 * (X.224 then TLS) at >= 99 % each. The generator's ground truth is per service, not per flow,
 * so flows are classed by the generator's port plan (see genbench.py p_* planners).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsersA } from '../../../parsers/app/registry-a.js';
import { runFlow } from '../../helpers/app-harness.js';
import { REPO_ROOT, haveTshark, tcpStreams, udpDatagrams, udpFlows } from '../../helpers/tshark.js';

const GENBENCH = resolve(REPO_ROOT, '../shared/bench/genbench.py');

describe.skipIf(!haveTshark() || !existsSync(GENBENCH))('genbench capture: flows identified', () => {
  let dir = '';
  const classes = new Map<string, { total: number; ok: number; misses: string[] }>();
  const count = (cls: string, ok: boolean, what: string) => {
    const c = classes.get(cls) ?? { total: 0, ok: 0, misses: [] };
    c.total++;
    if (ok) c.ok++;
    else c.misses.push(what);
    classes.set(cls, c);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'genbench-'));
    const pcap = join(dir, 'gb.pcap');
    execFileSync('python3', [GENBENCH, '--packets', '20000', '--seed', '3', '--out', pcap], { stdio: 'ignore' });
    for (const s of tcpStreams(pcap)) {
      const hasPayload = s.chunks.some((c) => c.data.length > 0);
      if (!hasPayload) continue; // refused / unanswered attempts carry nothing to identify
      const r = runFlow(parsersA, 'tcp', s);
      const what = `${s.orig.h}:${s.orig.p}>${s.resp.h}:${s.resp.p} ${r.services.join(',') || '-'} first=${s.chunks[0]?.data.subarray(0, 8).toString('hex')}`;
      // Flows already open when the capture starts show up with the server as tshark's node 0.
      const port = [443, 80, 8080, 3389].includes(s.orig.p) ? s.orig.p : s.resp.p;
      const midstream = s.orig.p === port;
      if (port === 443) count('ssl (443)', r.services.includes('ssl'), what);
      else if (port === 80) count('http (80)', r.services.includes('http'), what);
      else if (port === 8080) count('http proxy (8080)', r.services.includes('http'), what);
      // A session already open at capture start shows only TLS records: ssl is all there is to see.
      else if (port === 3389 && midstream) count('rdp mid-stream (3389): ssl', r.services.includes('ssl'), what);
      else if (port === 3389) count('rdp (3389)', r.services.includes('rdp') && r.services.includes('ssl'), what);
      if (port === 8080 && s.chunks[0].data.subarray(0, 8).toString() === 'CONNECT ') count('ssl inside CONNECT', r.services.includes('ssl'), what);
    }
    for (const u of udpFlows(udpDatagrams(pcap))) {
      const r = runFlow(parsersA, 'udp', u);
      const what = `${u.orig.h}:${u.orig.p}>${u.resp.h}:${u.resp.p} ${r.services.join(',') || '-'}`;
      if (u.resp.p === 53) count('dns', r.services.includes('dns'), what);
      else if (u.resp.p === 123) count('ntp', r.services.includes('ntp'), what);
    }
  }, 120_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('each class >= 99 % identified', () => {
    const table = [...classes].map(([k, v]) => `${k}: ${v.ok}/${v.total}`);
    console.log(table.join('\n'));
    for (const [k, v] of classes) {
      if (v.ok / v.total < 0.99) console.log(k, v.misses.slice(0, 10));
      expect(v.ok / v.total, k).toBeGreaterThanOrEqual(0.99);
    }
    for (const k of ['dns', 'http (80)', 'http proxy (8080)', 'ntp', 'ssl (443)', 'ssl inside CONNECT']) expect(classes.has(k), k).toBe(true);
    expect(classes.has('rdp (3389)') || classes.has('rdp mid-stream (3389): ssl')).toBe(true);
  });
});
