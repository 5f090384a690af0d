import { describe, expect, it } from 'vitest';
import { parsersB } from '../../../parsers/app/registry-b.js';
import type { AppParser, AppSession } from '../../../parsers/app/types.js';
import { corpusFile, genbenchCapture, recordingContext, tcpStreams, type TcpStream } from '../../helpers/tshark-feed-b.js';

/** Ground truth of genbench.py: the service is fixed by the server port it plans the flow on. */
const TRUTH: Record<number, string> = { 445: 'smb', 88: 'krb_tcp', 389: 'ldap_tcp', 2575: 'hl7', 104: 'dicom', 11112: 'dicom' };

/** Probe like the engine: first parser (ports first) whose probe accepts a direction's first payload. */
export function identify(s: TcpStream, parsers: AppParser[]): string[] {
  const port = Number(s.resp.split(':').pop());
  const order = [...parsers.filter((p) => p.ports.includes(port)), ...parsers.filter((p) => !p.ports.includes(port))].filter((p) => p.transport === 'tcp');
  const { ctx, services } = recordingContext();
  let session: AppSession | null = null;
  const probed = [false, false];
  for (const c of s.chunks) {
    if (!session && !probed[c.dir]) {
      probed[c.dir] = true;
      const p = order.find((x) => x.probe(c.dir, c.bytes, 0, c.bytes.length, { origPort: 0, respPort: port }));
      if (p) session = p.create(ctx);
    }
    if (!session) continue;
    if (c.gapBefore) session.gap(c.dir, c.gapBefore);
    session.data(c.dir, c.bytes, 0, c.bytes.length, c.ts);
    if (session.done) break;
  }
  session?.end(0);
  return services;
}

describe('service identification (registry B)', () => {
  it('identifies >= 99 % of the genbench flows (seed 3) that carry payload, per service', () => {
    const streams = tcpStreams(genbenchCapture(3, 20000), Object.keys(TRUTH).map(Number));
    const tally: Record<string, { flows: number; identified: number }> = {};
    for (const s of streams) {
      const want = TRUTH[Number(s.resp.split(':').pop())];
      if (!want) continue;
      const t = (tally[want] ??= { flows: 0, identified: 0 });
      t.flows++;
      if (identify(s, parsersB).includes(want)) t.identified++;
    }
    expect(Object.keys(tally).sort()).toEqual(['dicom', 'hl7', 'krb_tcp', 'ldap_tcp', 'smb']);
    for (const [svc, t] of Object.entries(tally)) expect(t.identified / t.flows, svc).toBeGreaterThanOrEqual(0.99);
  });

  it('claims none of the corpus flows of other protocols (no false service)', () => {
    // HTTP/TLS/SSH/RDP/IRC captures of the corpus (MANIFEST features): no part-B parser may
    // confirm a service on any of their TCP streams.
    const files = [
      'sv_bug-2491-02_simple_http_download.onesided.nosyn.pcap', 'sv_http-connect_http-connect-tls_input.pcap',
      'zeek_rdp_rdp-to-ssl.pcap', 'zeek_ssh_ssh.client-side-half-duplex.pcap', 'zeek_tls_irc-starttls.pcap',
      'zeek_tls_openjdk-25.0.2-zeek.org.pcap', 'zeek_tls_tls-conn-with-extensions.pcap',
    ];
    let n = 0;
    for (const f of files) {
      for (const s of tcpStreams(corpusFile(f))) {
        n++;
        expect(identify(s, parsersB), f).toEqual([]);
      }
    }
    expect(n).toBeGreaterThan(5);
  });

  it('every parser exposes a Zeek-style service name and cheap, total probes', () => {
    for (const p of parsersB) {
      expect(p.service).toMatch(/^[a-z0-9_]+$/);
      for (const n of [0, 1, 3, 7, 64]) expect(typeof p.probe(0, new Uint8Array(n), 0, n, { origPort: 0, respPort: 0 })).toBe('boolean');
    }
  });
});
