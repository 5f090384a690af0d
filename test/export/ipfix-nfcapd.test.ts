// IPFIX export verified by a real collector: Debian's nfcapd receives our messages and nfdump
// reads back the same flows (addresses, ports, protocol, bytes and packets both ways).
// Needs the apt package nfdump (nfcapd + nfdump).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowRecord } from '../../bench/synthetic.mjs';
import { IpfixExporter, type ConnLike } from '../../sensor/export/ipfix.js';
import { freePort, sleep, tmp, until } from '../ship/helpers.js';

const haveNfdump = spawnSync('nfcapd', ['-V']).status === 0;

function conns(n: number): ConnLike[] {
  const out: ConnLike[] = [];
  for (let i = 0; i < n; i++) out.push(flowRecord(i, 'I') as ConnLike);
  // IPv6, ICMP and a VLAN'd one with big counters (beyond 32 bits).
  out.push({ ts: 1700000100.25, 'id.orig_h': 'fe80::1', 'id.orig_p': 546, 'id.resp_h': 'ff02::1:2', 'id.resp_p': 547, proto: 'udp', duration: 0.5, orig_pkts: 3, orig_ip_bytes: 300, resp_pkts: 0, resp_ip_bytes: 0 });
  out.push({ ts: 1700000101, 'id.orig_h': '2001:db8::a:b', 'id.orig_p': 50000, 'id.resp_h': '::ffff:10.20.1.5', 'id.resp_p': 443, proto: 'tcp', duration: 10, orig_pkts: 10, orig_ip_bytes: 1000, resp_pkts: 20, resp_ip_bytes: 20000 });
  out.push({ ts: 1700000102, 'id.orig_h': '10.20.3.7', 'id.orig_p': 8, 'id.resp_h': '10.20.1.1', 'id.resp_p': 0, proto: 'icmp', duration: 1, orig_pkts: 4, orig_ip_bytes: 336, resp_pkts: 4, resp_ip_bytes: 336, vlan: 30 });
  out.push({ ts: 1700000103, 'id.orig_h': '10.20.1.20', 'id.orig_p': 445, 'id.resp_h': '10.20.16.3', 'id.resp_p': 51000, proto: 'tcp', duration: 3600, orig_pkts: 5_000_000, orig_ip_bytes: 7_000_000_000, resp_pkts: 2_500_000, resp_ip_bytes: 130_000_000 });
  return out;
}

describe.runIf(haveNfdump)('IPFIX → nfcapd → nfdump', () => {
  it('nfdump reads back every flow with the same addresses, ports, bytes and packets both ways', async () => {
    const dir = tmp('ipfix-');
    const port = await freePort();
    const cap = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', '4000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    cap.stdout!.on('data', (d) => (log += d));
    cap.stderr!.on('data', (d) => (log += d));
    try {
      await until(() => readdirSync(dir).some((f) => f.startsWith('nfcapd.current')), 5000);
      await sleep(200);
      const ex = new IpfixExporter({ host: '127.0.0.1', port, templateEveryMessages: 50 });
      await ex.start();
      const records = conns(3000);
      records.push({ ...(flowRecord(99999, 'I') as ConnLike), interim: true }); // not exported
      records.splice(1500, 0, { ...(flowRecord(99998, 'I') as ConnLike), 'id.resp_h': '10.20.1.300' }); // counted, skipped
      records.splice(10, 0, { ...(flowRecord(99997, 'I') as ConnLike), orig_pkts: Number.NaN });
      for (let i = 0; i < records.length; i++) {
        ex.push(records[i]);
        if (i % 200 === 0) await sleep(1); // let nfcapd keep up with its socket
      }
      await ex.close();
      expect(ex.stats.skippedInterim).toBe(1);
      expect(ex.stats.skippedInvalid).toBe(2);
      expect(ex.stats.templates).toBeGreaterThan(2); // re-sent periodically
      await sleep(500);
    } finally {
      cap.kill('SIGTERM');
      await new Promise((r) => cap.once('exit', r));
    }
    const files = readdirSync(dir).filter((f) => /^nfcapd\.\d+/.test(f));
    expect(files.length, log).toBeGreaterThan(0);
    const r = spawnSync('nfdump', ['-R', dir, '-q', '-N', '-o', 'fmt:%sa|%sp|%da|%dp|%pr|%ipkt|%ibyt|%opkt|%obyt'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const got = new Map<string, string>();
    for (const line of r.stdout.trim().split('\n')) {
      const f = line.split('|').map((x) => x.trim());
      got.set(`${f[0]}|${f[1]}|${f[2]}|${f[3]}`, `${f[4]}|${f[5]}|${f[6]}|${f[7]}|${f[8]}`);
    }
    const want = conns(3000);
    expect(got.size).toBe(want.length);
    let bytes = 0, pkts = 0, nbytes = 0, npkts = 0;
    const protoName: Record<string, string> = { tcp: '6', udp: '17', icmp: '1' };
    for (const c of want) {
      const norm = (a: string) => a;
      const k = `${norm(c['id.orig_h'])}|${c.proto === 'icmp' ? 0 : c['id.orig_p']}|${norm(c['id.resp_h'])}|${c.proto === 'icmp' ? '8.0' : c['id.resp_p']}`;
      const v = got.get(k);
      expect(v, k).toBe(`${protoName[c.proto]}|${c.orig_pkts}|${c.orig_ip_bytes}|${c.resp_pkts}|${c.resp_ip_bytes}`);
      bytes += c.orig_ip_bytes! + c.resp_ip_bytes!;
      pkts += c.orig_pkts! + c.resp_pkts!;
    }
    for (const v of got.values()) {
      const f = v.split('|').map(Number);
      npkts += f[1] + f[3];
      nbytes += f[2] + f[4];
    }
    expect([nbytes, npkts]).toEqual([bytes, pkts]);
  });
});
