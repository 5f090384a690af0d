import { describe, expect, it } from 'vitest';
import { DhcpAggregator, dhcpParser, parseDhcp } from '../../../parsers/app/dhcp.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, udpDatagrams, udpFlows } from '../../helpers/tshark.js';
import { matchZeek, readZeekLog } from '../../helpers/zeek-log.js';

describe('DHCP', () => {
  it('hostile options: lengths past the end, no end marker, not BOOTP', () => {
    const b = Buffer.alloc(300);
    b[0] = 1; b[2] = 6; b.writeUInt32BE(0x63825363, 236);
    b[240] = 53; b[241] = 200; // length beyond datagram
    expect(parseDhcp(b, 0, b.length, 1)).toMatchObject({ trans_id: 0, is_client: true });
    expect(parseDhcp(Buffer.alloc(100), 0, 100, 1)).toBeNull();
    expect(dhcpParser.probe(0, b, 0, b.length, { origPort: 68, respPort: 67 })).toBe(true);
    expect(dhcpParser.probe(0, b, 0, b.length, { origPort: 1000, respPort: 53 })).toBe(false);
  });
  it('aggregator bounds pending transactions', () => {
    const a = new DhcpAggregator(30, 2);
    const out = [1, 2, 3].flatMap((x) => a.add({ _path: 'dhcp_msg', ts: x, trans_id: x, is_client: true, msg_type: 'DISCOVER' }));
    expect(out).toHaveLength(1);
    expect(a.flush(100)).toHaveLength(2);
  });
});

describe.skipIf(!haveTshark() || !haveCorpus())('DHCP against Zeek dhcp.log', () => {
  it('zeek_dhcp_dhcp.pcap: 3 transactions over 4 connections', () => {
    const f = 'zeek_dhcp_dhcp.pcap';
    const agg = new DhcpAggregator();
    udpFlows(udpDatagrams(corpusFile(f))).forEach((fl, i) => {
      const r = runFlow([dhcpParser], 'udp', fl);
      expect(r.services).toEqual(['dhcp']);
      for (const e of r.events) agg.add({ ...e, uid: `C${i}` });
    });
    const ours = agg.flushAll();
    const zeek = readZeekLog(corpusFile(`${f}.zeek-dhcp.log`));
    const rep = matchZeek(zeek, ours, ['client_addr', 'server_addr', 'mac', 'host_name', 'client_fqdn', 'domain', 'requested_addr', 'assigned_addr', 'lease_time', 'client_message', 'server_message', 'msg_types', 'duration']);
    expect(rep.missing).toEqual([]);
    expect(ours.map((o) => (o.uids as string[]).length)).toEqual([4, 1, 1]);
  });
});
