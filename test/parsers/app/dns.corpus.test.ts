import { describe, expect, it } from 'vitest';
import { dnsTcpParser, dnsUdpParser, nbnsParser } from '../../../parsers/app/dns.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams, udpDatagrams, udpFlows } from '../../helpers/tshark.js';
import { matchZeek, readZeekLog, type ZeekRecord } from '../../helpers/zeek-log.js';

const parsers = [dnsUdpParser, nbnsParser, dnsTcpParser];
// Captures next to which the corpus has a Zeek dns.log (MANIFEST.tsv, "reference files").
const CAPTURES = [
  'zeek_dns53.pcap',
  'zeek_dns_tkey.pcap',
  'zeek_ipv6-fragmented-dns.pcap',
  'zeek_tunnels_gre-over-udp-4754.pcap',
  'zeek_tunnels_gre-sample.pcap',
  'zeek_wikipedia.pcap',
];
const KEYS = ['trans_id', 'query', 'qtype', 'rcode', 'answers'];
// Everything else dns.log has (rtt only where tshark gives packet times: UDP).
const ALL = [...KEYS, 'qclass', 'qclass_name', 'qtype_name', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'TTLs', 'rejected', 'opcode', 'opcode_name'];

export function dnsEventsOf(pcap: string): ZeekRecord[] {
  const ev: ZeekRecord[] = [];
  for (const f of udpFlows(udpDatagrams(pcap))) ev.push(...runFlow(parsers, 'udp', f).events);
  for (const s of tcpStreams(pcap)) ev.push(...runFlow(parsers, 'tcp', s).events);
  return ev;
}

describe.skipIf(!haveTshark() || !haveCorpus())('dns against Zeek dns.log (corpus)', () => {
  let total = 0, matched = 0;
  for (const f of CAPTURES) {
    it(f, () => {
      const zeek = readZeekLog(corpusFile(`${f}.zeek-dns.log`));
      const ours = dnsEventsOf(corpusFile(f));
      const rep = matchZeek(zeek, ours, KEYS);
      // All other fields too; rtt compared where both have packet times (UDP).
      const full = matchZeek(zeek, ours, [...ALL, ...(zeek.some((z) => z.proto === 'tcp') ? [] : ['rtt'])]);
      expect(full.missing).toEqual([]);
      total += rep.total; matched += rep.matched;
      if (rep.missing.length) console.log(f, JSON.stringify(rep.missing, null, 1));
      expect(rep.matched).toBeGreaterThan(0);
    });
  }
  it('matches >= 97 % of all Zeek dns records', () => {
    console.log(`dns: ${matched}/${total} Zeek records matched`);
    expect(matched / total).toBeGreaterThanOrEqual(0.97);
  });
});
