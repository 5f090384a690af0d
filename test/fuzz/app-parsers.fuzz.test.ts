/**
 * Fuzzing every application parser of registry A with bounded iterations (deterministic seeds):
 * random bytes, mutated real payloads from the corpus (bit flips, boundary bytes, truncation,
 * splices, inflated length fields), random segmentation, gaps. Properties: no throw, no hang
 * (time budget per case), bounded events, bounded retained memory under hostile lengths.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parsersA } from '../../parsers/app/registry-a.js';
import { DhcpAggregator } from '../../parsers/app/dhcp.js';
import type { AppEvent, AppParser, Dir } from '../../parsers/app/types.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams, udpDatagrams } from '../helpers/tshark.js';
import { xorshift32 as rng } from '../helpers/prng.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d, 0x20, 0x3a, 0xc0];

function mutate(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = Math.floor(r() * b.length);
    switch (Math.floor(r() * 7)) {
      case 0: b[at] ^= 1 << Math.floor(r() * 8); break;
      case 1: b[at] = BOUNDARY[Math.floor(r() * BOUNDARY.length)]; break;
      case 2: b = b.subarray(0, at); break;
      case 3: { const s = Math.floor(r() * b.length); b = Buffer.concat([b.subarray(0, at), b.subarray(s, s + 64), b.subarray(at)]); break; }
      case 4: if (at + 1 < b.length) { b[at] = 0xff; b[at + 1] = 0xff; } break; // inflate a length field
      case 5: b = Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]); break;
      case 6: b.fill(b[at], at, Math.min(b.length, at + 1 + Math.floor(r() * 32))); break;
    }
  }
  return b;
}

interface Case { chunks: { dir: Dir; data: Buffer }[] }

/** Feeds a case straight into a session (no probe: reach the deep states), random gaps too. */
function drive(p: AppParser, c: Case, r: () => number, maxBufferBytes = 64 * 1024): { events: AppEvent[]; ms: number } {
  const events: AppEvent[] = [];
  const s = p.create({ emit: (e) => events.push(e), confirm: () => {}, maxBufferBytes });
  const t0 = performance.now();
  let ts = 1;
  for (const ch of c.chunks) {
    // split into random segments inside a larger buffer (offset handling)
    let o = 0;
    while (o < ch.data.length) {
      const n = 1 + Math.floor(r() * Math.min(ch.data.length - o, 1500));
      const host = Buffer.alloc(n + 16, 0xaa);
      ch.data.copy(host, 8, o, o + n);
      p.probe(ch.dir, host, 8, n, { origPort: 40000, respPort: p.ports[0] ?? 0 });
      s.data(ch.dir, host, 8, n, ts += 0.001);
      o += n;
      if (r() < 0.02) s.gap(ch.dir, 1 + Math.floor(r() * 5000));
    }
  }
  s.end(ts + 1);
  void s.done;
  return { events, ms: performance.now() - t0 };
}

const SEEDS: Buffer[] = [];
describe('fuzz: application parsers (registry A)', () => {
  it('collects real payloads as mutation seeds', () => {
    if (haveTshark() && haveCorpus()) {
      for (const f of ['zeek_wikipedia.pcap', 'zeek_tls_tls-conn-with-extensions.pcap', 'zeek_ssh_server-pre-banner-data.pcap', 'zeek_rdp_rdp-to-ssl.pcap', 'zeek_dns_tkey.pcap', 'zeek_tls_irc-starttls.pcap', 'zeek_tcp-syslog.pcap']) {
        for (const s of tcpStreams(corpusFile(f)).slice(0, 4)) for (const c of s.chunks.slice(0, 6)) SEEDS.push(c.data.subarray(0, 4096));
      }
      for (const f of ['zeek_dhcp_dhcp.pcap', 'zeek_ipv6-fragmented-dns.pcap', 'zeek_wikipedia.pcap', 'zeek_tunnels_gre-sample.pcap']) {
        for (const d of udpDatagrams(corpusFile(f)).slice(0, 30)) SEEDS.push(d.payload);
      }
    }
    SEEDS.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'));
    expect(SEEDS.length).toBeGreaterThan(0);
  });

  for (const p of parsersA) {
    it(`${p.service}/${p.transport}: random and mutated inputs never throw or hang`, () => {
      const r = rng(0x5eed ^ p.ports[0]);
      let worst = 0;
      for (let i = 0; i < 250; i++) {
        const c: Case = { chunks: [] };
        const k = 1 + Math.floor(r() * 6);
        for (let j = 0; j < k; j++) {
          const dir = (r() < 0.5 ? 0 : 1) as Dir;
          const data = i % 2 === 0 || SEEDS.length === 0
            ? Buffer.from(Array.from({ length: Math.floor(r() * 3000) }, () => Math.floor(r() * 256)))
            : mutate(SEEDS[Math.floor(r() * SEEDS.length)], r);
          c.chunks.push({ dir, data });
        }
        const total = c.chunks.reduce((a, x) => a + x.data.length, 0);
        const { events, ms } = drive(p, c, r);
        worst = Math.max(worst, ms);
        expect(events.length).toBeLessThanOrEqual(total + 10); // bounded by input
        // events must be plain data the engine can serialize
        JSON.stringify(events);
      }
      expect(worst).toBeLessThan(250);
    });
  }

  it('hostile lengths keep retained memory bounded (maxBufferBytes respected)', () => {
    const hostile: Buffer[] = [
      Buffer.from([0xff, 0xff, 0, 0, 1, 0, 0, 1]), // DNS/TCP 65535-byte message, trickled
      Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0xff, 0xff]), // TLS hello claiming 64 KiB
      Buffer.from('SSH-2.0-x\r\n\x00\x00\x88\xb8\x04'), // SSH packet of 35000 bytes
      Buffer.from('GET / HTTP/1.1\r\nX-Long: '), // header line that never ends
      Buffer.from([3, 0, 0x3f, 0xff, 0x0e, 0xe0]), // TPKT of 16 KiB
      Buffer.from('99999 <13>'), // syslog octet count
    ];
    gc();
    const before = process.memoryUsage().heapUsed;
    const sessions: unknown[] = [];
    for (let n = 0; n < 50; n++) {
      for (const p of parsersA.filter((x) => x.transport === 'tcp')) {
        for (const h of hostile) {
          const s = p.create({ emit: () => {}, confirm: () => {}, maxBufferBytes: 4096 });
          s.data(0, h, 0, h.length, 1);
          const drip = Buffer.alloc(700, 0x41);
          for (let i = 0; i < 30; i++) s.data(0, drip, 0, drip.length, 1);
          sessions.push(s);
        }
      }
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    const perSession = grown / sessions.length;
    console.log(`${sessions.length} hostile sessions retain ~${Math.round(perSession)} bytes each`);
    expect(perSession).toBeLessThan(80 * 1024); // each session fed 21 KB of trickle + hostile header
  });

  it('DHCP aggregator stays bounded under a flood of transaction ids', () => {
    const a = new DhcpAggregator(30, 1000);
    let out = 0;
    for (let i = 0; i < 20000; i++) out += a.add({ _path: 'dhcp_msg', ts: i, trans_id: i, is_client: true, msg_type: 'DISCOVER' }).length;
    expect(out).toBe(19000);
    expect(a.flushAll()).toHaveLength(1000);
  });
});
