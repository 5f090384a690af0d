/**
 * Flow accounting and protocol identification against the benchmark generator's own per-flow
 * ground truth (tools/genbench-flows.py re-runs ../shared/bench/genbench.py's planner). Catches
 * what the small corpus captures cannot: many batches and two workers (packets of one flow in
 * many tasks, in order), thousands of flows.
 * - every planned TCP and UDP flow is reported exactly once, and nothing else;
 * - the generator's DICOM, HL7, Kerberos, LDAP, SMB2 and TLS flows carry the right `service`
 *   (≥ 99 % per service, the protocol issue's acceptance 4).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SHARED } from './corpus.js';
import { runSensor } from '../helpers/run-sensor.js';

const GENBENCH = join(SHARED, 'bench', 'genbench.py');
const PACKETS = 150_000;
const SEED = 5;

interface Planned { proto: string; c: string; cport: number; s: string; sport: number; svc: string; mid?: boolean }

const key = (p: unknown, a: unknown, ap: unknown, b: unknown, bp: unknown): string => {
  const x = `${a}:${ap}`;
  const y = `${b}:${bp}`;
  return `${p}|${x < y ? `${x}|${y}` : `${y}|${x}`}`;
};

/** Generator service label → the service the sensor must report for it. */
const EXPECTED: Record<string, string> = {
  dicom: 'dicom', hl7: 'hl7', kerberos: 'krb_tcp', ldap: 'ldap_tcp', 'smb-fs': 'smb', 'smb-dc': 'smb',
  'https-direct': 'ssl', 'ehr-https': 'ssl', 'http-proxy': 'http',
};

describe.runIf(existsSync(GENBENCH) || process.env.CI)('genbench ground truth', () => {
  it('reports every planned flow once and identifies the hospital protocols', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genbench-'));
    try {
      const pcap = join(dir, 'g.pcap');
      execFileSync('python3', [GENBENCH, '--packets', String(PACKETS), '--seed', String(SEED), '--out', pcap], { stdio: 'ignore' });
      const planned: Planned[] = execFileSync('python3', [join(REPO, 'tools', 'genbench-flows.py'), '--packets', String(PACKETS), '--seed', String(SEED)], { encoding: 'utf8', maxBuffer: 64 << 20 })
        .trim().split('\n').map((l) => JSON.parse(l) as Planned);
      const run = runSensor(['replay', pcap, '--workers', '2', '--quiet'], { timeoutMs: 120_000 });
      expect(run.status, run.stderr).toBe(0);

      const ours = new Map<string, Record<string, unknown>[]>();
      for (const r of run.flows) {
        if (r.interim === true || (r.proto !== 'tcp' && r.proto !== 'udp')) continue;
        const k = key(r.proto, r['id.orig_h'], r['id.orig_p'], r['id.resp_h'], r['id.resp_p']);
        const l = ours.get(k);
        if (l === undefined) ours.set(k, [r]); else l.push(r);
      }
      const wrongCount: string[] = [];
      const bySvc: Record<string, { total: number; ok: number }> = {};
      const plannedKeys = new Set<string>();
      for (const p of planned) {
        if (p.proto === 'icmp') continue;
        const k = key(p.proto, p.c, p.cport, p.s, p.sport);
        plannedKeys.add(k);
        const o = ours.get(k) ?? [];
        if (o.length !== 1) wrongCount.push(`${k} (${p.svc}): ${o.length} records`);
        const want = EXPECTED[p.svc];
        if (want !== undefined && o.length > 0) {
          const b = (bySvc[p.svc] ??= { total: 0, ok: 0 });
          b.total++;
          if (String(o[0].service ?? '').split(',').includes(want)) b.ok++;
        }
      }
      const extra = [...ours.keys()].filter((k) => !plannedKeys.has(k));
      console.log(`genbench ${PACKETS} packets seed ${SEED}: ${plannedKeys.size} planned TCP/UDP flows; identification: ${
        Object.entries(bySvc).map(([k, v]) => `${k} ${v.ok}/${v.total}`).join(', ')}`);
      expect(wrongCount.slice(0, 20)).toEqual([]);
      expect(extra.slice(0, 20)).toEqual([]);
      for (const [svc, v] of Object.entries(bySvc)) expect(v.ok / v.total, svc).toBeGreaterThanOrEqual(0.99);
      for (const svc of ['dicom', 'hl7', 'kerberos', 'ldap', 'smb-fs', 'https-direct']) expect(bySvc[svc]?.total ?? 0, svc).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
