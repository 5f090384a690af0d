/**
 * Truncation at every byte of every layer: a frame cut by the snaplen (caplen < wirelen) must give
 * the Reason of the layer whose header was cut — never a throw, never 'ok' with garbage, never
 * the wrong layer's reason. Each fixture lists where its headers end and the reason for a cut
 * before that point; a cut after the last header (inside the payload) still decodes.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../helpers/decode.js';
import {
  ETHERTYPE as ET, ETH_IPV4, ETH_IPV6, ah, eth, ext6, fill, geneve, geneveOpt, gre, gtpu, icmp, ipv4, ipv6, mplsStack,
  nullHdr, optWscale, ppp, pptpGre, sll, tcp, udp, vxlan, concat, bytes,
  PROTO_GRE, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP, PROTO_AH, PROTO_IPV6, SYN,
} from '../helpers/packets.js';
import { REASON_NAMES, Reason, isBenign } from '../../parsers/reasons.js';

interface Fixture {
  name: string;
  linktype: number;
  /** [header end offset, reason for a cut before it] in increasing order. */
  layers: [number, string][];
  frame: Uint8Array;
}

const inner4 = ipv4({ proto: PROTO_UDP }, udp(10, 20, fill(30)));

const fixtures: Fixture[] = [
  {
    name: 'Ethernet / IPv4 / TCP with options',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_TCP }, tcp({ sport: 1, dport: 2, flags: SYN, options: optWscale(3) }, fill(50)))),
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [58, 'tcp_truncated']],
  },
  {
    name: 'Ethernet / IPv4 with options / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP, options: fill(12, 1) }, udp(1, 2, fill(50)))),
    layers: [[14, 'link_truncated'], [46, 'ipv4_truncated'], [54, 'udp_truncated']],
  },
  {
    name: 'QinQ / IPv6 / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV6, tags: [{ tpid: ET.QINQ, vid: 1 }, { tpid: ET.VLAN, vid: 2 }] }, ipv6({ nh: PROTO_UDP }, udp(1, 2, fill(40)))),
    layers: [[22, 'link_truncated'], [62, 'ipv6_truncated'], [70, 'udp_truncated']],
  },
  {
    name: 'MPLS x2 / IPv4 / ICMP',
    linktype: 1,
    frame: eth({ type: ET.MPLS }, concat([mplsStack([1, 2]), ipv4({ proto: PROTO_ICMP }, icmp(8, 0, bytes(0, 1, 0, 1), fill(20)))])),
    // the version nibble is read from the byte after the stack, so a cut right after it is link_truncated
    layers: [[23, 'link_truncated'], [42, 'ipv4_truncated'], [50, 'icmp_truncated']],
  },
  {
    name: 'SLL / IPv6 / hop-by-hop / AH / ICMPv6',
    linktype: 113,
    frame: sll(ET.IPV6, ipv6({ nh: 0 }, ext6(PROTO_AH, 1, ah(PROTO_ICMP6, 1, icmp(128, 0, bytes(0, 1, 0, 1), fill(16)))))),
    layers: [[16, 'link_truncated'], [56, 'ipv6_truncated'], [84, 'ipv6_ext_truncated'], [92, 'icmp_truncated']],
  },
  {
    name: 'BSD null / IPv6 / TCP',
    linktype: 0,
    frame: nullHdr(30, true, ipv6({ nh: PROTO_TCP }, tcp({ sport: 1, dport: 2 }, fill(10)))),
    layers: [[4, 'link_truncated'], [44, 'ipv6_truncated'], [64, 'tcp_truncated']],
  },
  {
    name: 'IPv4 / GRE with key / IPv4 / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_GRE }, gre({ proto: ETH_IPV4, key: 9 }, inner4))),
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [42, 'tunnel_truncated'], [62, 'ipv4_truncated'], [70, 'udp_truncated']],
  },
  {
    name: 'IPv4 / PPTP GRE / PPP / IPv4 / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_GRE }, pptpGre({ callId: 1, seq: 1, ack: 1 }, ppp(0x21, inner4)))),
    // 16-byte enhanced GRE header, then ff 03 00 21
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [54, 'tunnel_truncated'], [74, 'ipv4_truncated'], [82, 'udp_truncated']],
  },
  {
    name: 'IPv4 / UDP / VXLAN / Ethernet / IPv4 / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, udp(5, 4789, vxlan(1, eth({ type: ETH_IPV4 }, inner4))))),
    // a cut inside the VXLAN header leaves an ordinary UDP datagram (Zeek does the same)
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [42, 'udp_truncated'], [50, 'ok'], [64, 'tunnel_truncated'], [84, 'ipv4_truncated'], [92, 'udp_truncated']],
  },
  {
    name: 'IPv4 / UDP / Geneve with options / IPv6 / TCP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, udp(5, 6081, geneve(ETH_IPV6, geneveOpt(1, 1, fill(4)), ipv6({ nh: PROTO_TCP }, tcp({ sport: 1, dport: 2 })))))),
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [42, 'udp_truncated'], [50, 'ok'], [58, 'tunnel_truncated'], [98, 'ipv6_truncated'], [118, 'tcp_truncated']],
  },
  {
    name: 'IPv4 / UDP / GTP-U with sequence / IPv4 / UDP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, udp(2152, 2152, gtpu({ teid: 1, seq: 1 }, inner4)))),
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [42, 'udp_truncated'], [50, 'ok'], [55, 'tunnel_truncated'], [74, 'ipv4_truncated'], [82, 'udp_truncated']],
  },
  {
    name: '6in4 / TCP',
    linktype: 1,
    frame: eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_IPV6 }, ipv6({ nh: PROTO_TCP }, tcp({ sport: 1, dport: 2 })))),
    layers: [[14, 'link_truncated'], [34, 'ipv4_truncated'], [74, 'ipv6_truncated'], [94, 'tcp_truncated']],
  },
];

describe('snaplen cut at every byte gives the reason of the layer that was cut', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const mismatches: string[] = [];
    for (let cut = 0; cut <= f.frame.length; cut++) {
      let expected = 'ok';
      for (const [end, reason] of f.layers) if (cut < end) { expected = reason; break; }
      const r = decodeBytes(f.frame, f.linktype, { caplen: cut, wirelen: f.frame.length });
      if (r.reason !== expected) mismatches.push(`cut ${cut}: got ${r.reason}, want ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('frames that are genuinely short (wire length = captured length)', () => {
  it('an IPv4 header claiming more than was on the wire is ipv4_bad_total_len, not ok', () => {
    const f = eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, udp(1, 2, fill(100))));
    for (const cut of [40, 60, 100]) expect(decodeBytes(f.subarray(0, cut)).reason).toBe('ipv4_bad_total_len');
  });

  it('the same for IPv6', () => {
    const f = eth({ type: ETH_IPV6 }, ipv6({ nh: PROTO_UDP }, udp(1, 2, fill(100))));
    expect(decodeBytes(f.subarray(0, 80)).reason).toBe('ipv6_bad_payload_len');
  });
});

describe('reason table', () => {
  it('has one unique name per reason, and every decode result is a valid reason', () => {
    expect(REASON_NAMES.length).toBe(Reason.COUNT);
    expect(new Set(REASON_NAMES).size).toBe(REASON_NAMES.length);
    expect(REASON_NAMES.every((n) => /^[a-z0-9_]+$/.test(n))).toBe(true);
  });

  it('benign reasons are exactly the non-damage ones', () => {
    const benign = REASON_NAMES.filter((_, i) => isBenign(i));
    expect(benign.sort()).toEqual(['ethertype_unsupported', 'fragment_held', 'ip_proto_other', 'non_ip', 'ok']);
  });
});
