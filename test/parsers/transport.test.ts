/**
 * Transport decoders (parsers/transport/*) and ARP (parsers/net/arp.ts): TCP fields and options,
 * UDP, ICMP/ICMPv6 with Zeek's counterpart-type "ports", and their truncations.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../helpers/decode.js';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, arp, bytes, concat, eth, fill, icmp, ipv4, ipv6, optMss, optWscale, tcp, udp,
  ACK, FIN, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP, PSH, RST, SYN, URG,
} from '../helpers/packets.js';
import { icmp4Counterpart, icmp6Counterpart, icmpIsTwoWay } from '../../parsers/transport/icmp.js';

const tcp4 = (t: Uint8Array) => eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_TCP }, t));
const udp4 = (u: Uint8Array) => eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, u));
const icmp4 = (i: Uint8Array) => eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_ICMP }, i));
const icmp6 = (i: Uint8Array) => eth({ type: ETH_IPV6 }, ipv6({ nh: PROTO_ICMP6 }, i));

describe('TCP', () => {
  it('ports, sequence numbers, flags, window, header and payload lengths', () => {
    const r = decodeBytes(tcp4(tcp({ sport: 65535, dport: 1, seq: 0xfffffff0, ack: 0x80000001, flags: ACK | PSH | FIN | URG, win: 513 }, fill(77))));
    expect(r.reason).toBe('ok');
    const p = r.pkt;
    expect([p.sport, p.dport]).toEqual([65535, 1]);
    expect(p.seq).toBe(0xfffffff0);
    expect(p.ack).toBe(0x80000001);
    expect(p.tcpFlags).toBe(ACK | PSH | FIN | URG);
    expect(p.win).toBe(513);
    expect(p.tcpHdrLen).toBe(20);
    expect(p.payloadLen).toBe(77);
    expect(p.payloadCapLen).toBe(77);
    expect(p.payloadOff - p.l4Off).toBe(20);
  });

  it('window scale from a SYN with MSS, NOP, SACK-permitted, timestamps', () => {
    const opts = concat([optMss(1460), bytes(1), optWscale(9), bytes(4, 2), bytes(8, 10, 0, 0, 0, 1, 0, 0, 0, 0)]);
    const r = decodeBytes(tcp4(tcp({ sport: 1, dport: 2, flags: SYN, options: opts })));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tcpHdrLen).toBe(40);
    expect(r.pkt.tcpWscale).toBe(9);
  });

  it('window scale is only read from SYNs; absent option is -1', () => {
    expect(decodeBytes(tcp4(tcp({ sport: 1, dport: 2, flags: ACK, options: optWscale(5) }))).pkt.tcpWscale).toBe(-1);
    expect(decodeBytes(tcp4(tcp({ sport: 1, dport: 2, flags: SYN | ACK, options: optMss(1400) }))).pkt.tcpWscale).toBe(-1);
    expect(decodeBytes(tcp4(tcp({ sport: 1, dport: 2, flags: SYN | ACK, options: concat([bytes(1, 1), optWscale(14)]) }))).pkt.tcpWscale).toBe(14);
  });

  it('malformed options end option parsing without harm', () => {
    // length 0, length 1, and an option running past the header: all stop the walk.
    for (const opts of [bytes(2, 0, 3, 3, 7), bytes(8, 1, 3, 3, 7), bytes(1, 1, 1, 8, 40), bytes(0, 3, 3, 7)]) {
      const r = decodeBytes(tcp4(tcp({ sport: 1, dport: 2, flags: SYN, options: opts })));
      expect(r.reason).toBe('ok');
      expect(r.pkt.tcpWscale).toBe(-1);
    }
  });

  it('RST with payload; SYN with data', () => {
    const r = decodeBytes(tcp4(tcp({ sport: 80, dport: 3000, flags: RST | ACK }, fill(6))));
    expect(r.pkt.tcpFlags).toBe(RST | ACK);
    expect(r.pkt.payloadLen).toBe(6);
  });

  it('data offset below 5 is tcp_bad_header_len', () => {
    for (const d of [0, 4]) expect(decodeBytes(tcp4(tcp({ sport: 1, dport: 2, dataOffset: d }, fill(20)))).reason).toBe('tcp_bad_header_len');
  });

  it('data offset beyond the IP payload or the capture is tcp_truncated', () => {
    expect(decodeBytes(tcp4(tcp({ sport: 1, dport: 2, dataOffset: 15 }))).reason).toBe('tcp_truncated');
    const f = tcp4(tcp({ sport: 1, dport: 2, options: fill(20, 1) }, fill(100)));
    expect(decodeBytes(f, 1, { caplen: 14 + 20 + 30, wirelen: f.length }).reason).toBe('tcp_truncated');
  });

  it('IP payload shorter than 20 bytes is tcp_truncated, whatever is captured', () => {
    const f = eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_TCP, totalLen: 20 + 12 }, tcp({ sport: 1, dport: 2 })));
    expect(decodeBytes(f).reason).toBe('tcp_truncated');
  });

  it('snaplen-cut payload: length from IP, captured part from caplen', () => {
    const f = tcp4(tcp({ sport: 1, dport: 2 }, fill(1000)));
    const r = decodeBytes(f, 1, { caplen: 14 + 40 + 100, wirelen: f.length });
    expect(r.reason).toBe('ok');
    expect(r.pkt.payloadLen).toBe(1000);
    expect(r.pkt.payloadCapLen).toBe(100);
  });

  it('TCP over IPv6 uses the IPv6 payload length', () => {
    const r = decodeBytes(eth({ type: ETH_IPV6 }, ipv6({ nh: PROTO_TCP }, tcp({ sport: 443, dport: 50000 }, fill(33)))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.payloadLen).toBe(33);
  });
});

describe('UDP', () => {
  it('ports, length field, payload length from IP', () => {
    const r = decodeBytes(udp4(udp(53, 33333, fill(45))));
    expect(r.reason).toBe('ok');
    expect([r.pkt.sport, r.pkt.dport, r.pkt.udpLen, r.pkt.payloadLen]).toEqual([53, 33333, 53, 45]);
  });

  it('a lying UDP length field does not change the payload length', () => {
    const r = decodeBytes(udp4(udp(1, 2, fill(10), 9999)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.udpLen).toBe(9999);
    expect(r.pkt.payloadLen).toBe(10);
  });

  it('IP payload shorter than 8 bytes or header cut is udp_truncated', () => {
    expect(decodeBytes(eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP, totalLen: 27 }, udp(1, 2)))).reason).toBe('udp_truncated');
    const f = udp4(udp(1, 2, fill(10)));
    for (let cut = 34; cut < 42; cut++) expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason).toBe('udp_truncated');
  });

  it('zero-length payload', () => {
    const r = decodeBytes(udp4(udp(7, 7)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.payloadLen).toBe(0);
  });
});

describe('ICMP and ICMPv6', () => {
  it('echo request: type as source port, counterpart (reply) as destination port', () => {
    const r = decodeBytes(icmp4(icmp(8, 0, bytes(0, 7, 0, 1), fill(56))));
    expect(r.reason).toBe('ok');
    expect([r.pkt.icmpType, r.pkt.icmpCode, r.pkt.sport, r.pkt.dport]).toEqual([8, 0, 8, 0]);
    expect(r.pkt.payloadLen).toBe(56);
    const rep = decodeBytes(icmp4(icmp(0, 0)));
    expect([rep.pkt.sport, rep.pkt.dport]).toEqual([0, 8]);
  });

  it('one-way messages (destination unreachable) use the code as destination port', () => {
    const r = decodeBytes(icmp4(icmp(3, 13, bytes(0, 0, 0, 0), fill(28))));
    expect([r.pkt.sport, r.pkt.dport]).toEqual([3, 13]);
  });

  it.each([
    [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [17, 18], [18, 17], [9, 10], [10, 9],
  ])('ICMPv4 type %i ↔ %i (Zeek ICMP4_counterpart)', (t, c) => {
    expect(icmp4Counterpart(t, 0)).toBe(c);
    expect(icmpIsTwoWay(PROTO_ICMP, t)).toBe(true);
  });

  it.each([
    [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135], [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144],
  ])('ICMPv6 type %i ↔ %i (Zeek ICMP6_counterpart)', (t, c) => {
    expect(icmp6Counterpart(t, 0)).toBe(c);
    expect(icmpIsTwoWay(PROTO_ICMP6, t)).toBe(true);
    const r = decodeBytes(icmp6(icmp(t, 0)));
    expect(r.reason).toBe('ok');
    expect([r.pkt.sport, r.pkt.dport]).toEqual([t, c]);
  });

  it('ICMPv6 one-way types: the code is the destination port (incl. 146/147, which Zeek treats as one-way)', () => {
    for (const [t, code] of [[1, 4], [2, 0], [3, 1], [4, 2], [143, 0], [146, 0], [147, 0]]) {
      const r = decodeBytes(icmp6(icmp(t, code, bytes(0, 0, 0, 0), fill(8))));
      expect([r.pkt.sport, r.pkt.dport], `type ${t}`).toEqual([t, code]);
      expect(icmpIsTwoWay(PROTO_ICMP6, t), `type ${t}`).toBe(false);
    }
  });

  it('ICMP header cut or IP payload below 8 bytes is icmp_truncated', () => {
    const f = icmp4(icmp(8, 0));
    for (let cut = 34; cut < 42; cut++) expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason).toBe('icmp_truncated');
    expect(decodeBytes(eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_ICMP, totalLen: 24 }, icmp(8, 0)))).reason).toBe('icmp_truncated');
  });
});

describe('ARP', () => {
  it('request and reply are non_ip (counted, no flow)', () => {
    expect(decodeBytes(eth({ type: ETH_ARP }, arp(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'))).reason).toBe('non_ip');
    expect(decodeBytes(eth({ type: ETH_ARP }, arp(2, '02:00:00:00:00:02', '10.0.0.2', '02:00:00:00:00:01', '10.0.0.1'))).reason).toBe('non_ip');
  });

  it('cut fixed part or cut addresses is arp_truncated', () => {
    const f = eth({ type: ETH_ARP }, arp(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'));
    for (const cut of [14, 21, 22, 41]) expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason, `cut ${cut}`).toBe('arp_truncated');
    // hardware length 255 claims far more address bytes than the frame holds
    const hostile = f.slice();
    hostile[14 + 4] = 255;
    expect(decodeBytes(hostile).reason).toBe('arp_truncated');
  });
});
