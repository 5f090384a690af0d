/**
 * Tunnel decoding (parsers/tunnel/*, parsers/decode.ts): GRE with every optional field, PPTP's
 * enhanced GRE + PPP, ERSPAN I/II/III, VXLAN, Geneve with options, GTP-U with extension headers,
 * Teredo (indicators, non-standard ports), IP-in-IP / 6in4 / 4in6, nesting and its limit.
 * Each case checks the innermost flow fields and the recorded outer levels (type, addresses,
 * ports) that become Zeek's tunnel_parents.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, dstOf, srcOf, tunnelAddrs, v6 } from '../helpers/decode.js';
import {
  ETHERTYPE as ET, ETH_IPV4, ETH_IPV6, bytes, concat, erspan2, erspan3, eth, fill, geneve, geneveOpt, gre, gtpu, icmp,
  ipv4, ipv6, ppp, pptpGre, tcp, teredo, udp, vxlan, arp,
  PROTO_GRE, PROTO_ICMP, PROTO_ICMP6, PROTO_IPIP, PROTO_IPV6, PROTO_TCP, PROTO_UDP, SYN,
} from '../helpers/packets.js';
import { MAX_TUNNELS, TunnelType, type Packet } from '../../parsers/packet.js';

const innerUdp4 = ipv4({ src: '10.9.9.1', dst: '10.9.9.2', proto: PROTO_UDP }, udp(1111, 2222, fill(20)));
const innerTcp6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', nh: PROTO_TCP }, tcp({ sport: 3333, dport: 4444, flags: SYN }));
const outer4 = (proto: number, payload: Uint8Array) =>
  eth({ type: ETH_IPV4 }, ipv4({ src: '192.0.2.10', dst: '192.0.2.20', proto }, payload));
const outerUdp4 = (sport: number, dport: number, payload: Uint8Array) => outer4(PROTO_UDP, udp(sport, dport, payload));

function expectInnerUdp4(p: Packet): void {
  expect(p.ipVersion).toBe(4);
  expect(srcOf(p)).toBe('10.9.9.1');
  expect(dstOf(p)).toBe('10.9.9.2');
  expect([p.ipProto, p.sport, p.dport, p.payloadLen]).toEqual([PROTO_UDP, 1111, 2222, 20]);
}

function expectInnerTcp6(p: Packet): void {
  expect(p.ipVersion).toBe(6);
  expect(srcOf(p)).toBe(v6('fd00::1'));
  expect([p.sport, p.dport]).toEqual([3333, 4444]);
}

function levels(p: Packet): number[] {
  return Array.from(p.tunType.subarray(0, p.tunCount));
}

describe('GRE (RFC 2784/2890)', () => {
  it.each([
    ['no optional fields', {}],
    ['checksum', { checksum: true }],
    ['key', { key: 0xdeadbeef }],
    ['sequence', { seq: 42 }],
    ['checksum + key + sequence', { checksum: true, key: 7, seq: 8 }],
  ])('GRE v0 with %s carrying IPv4', (_n, o) => {
    const r = decodeBytes(outer4(PROTO_GRE, gre({ proto: ETH_IPV4, ...o }, innerUdp4)));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GRE]);
    expect(tunnelAddrs(r.pkt, 0)).toEqual(['192.0.2.10', '192.0.2.20']);
    expect(r.pkt.tunProto[0]).toBe(PROTO_GRE);
  });

  it('GRE carrying IPv6, and transparent Ethernet bridging with a VLAN', () => {
    const r6 = decodeBytes(outer4(PROTO_GRE, gre({ proto: ETH_IPV6, key: 1 }, innerTcp6)));
    expect(r6.reason).toBe('ok');
    expectInnerTcp6(r6.pkt);
    const rt = decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.TEB }, eth({ type: ETH_IPV4, tags: [{ tpid: ET.VLAN, vid: 12 }] }, innerUdp4))));
    expect(rt.reason).toBe('ok');
    expectInnerUdp4(rt.pkt);
    expect(rt.pkt.vlan).toBe(12);
  });

  it('routing bit (RFC 1701) and versions other than 0/1 are tunnel_unsupported', () => {
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ETH_IPV4, routing: true }, innerUdp4))).reason).toBe('tunnel_unsupported');
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ETH_IPV4, version: 2 }, innerUdp4))).reason).toBe('tunnel_unsupported');
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ETH_IPV4, version: 1 }, innerUdp4))).reason).toBe('tunnel_unsupported');
  });

  it('unknown payload protocol is ethertype_unsupported; the outer level is still recorded', () => {
    const r = decodeBytes(outer4(PROTO_GRE, gre({ proto: 0x88cc }, fill(30))));
    expect(r.reason).toBe('ethertype_unsupported');
    expect(r.pkt.tunCount).toBe(1);
  });

  it('GRE-in-UDP (RFC 8086, port 4754)', () => {
    const r = decodeBytes(outerUdp4(40000, 4754, gre({ proto: ETH_IPV4 }, innerUdp4)));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GRE_UDP]);
    expect(r.pkt.tunDport[0]).toBe(4754);
  });

  it('optional fields cut off is tunnel_truncated', () => {
    expect(decodeBytes(outer4(PROTO_GRE, bytes(0x30, 0x00, 0x08, 0x00, 0, 0, 0, 1))).reason).toBe('tunnel_truncated');
    expect(decodeBytes(outer4(PROTO_GRE, bytes(0x00, 0x00, 0x08))).reason).toBe('tunnel_truncated');
  });
});

describe('PPTP: enhanced GRE v1 + PPP (RFC 2637)', () => {
  it.each([
    ['sequence + ack, ff03, 2-byte protocol', { callId: 5, seq: 1, ack: 0 }, {}],
    ['sequence only, no address/control', { callId: 6, seq: 2 }, { addrCtrl: false }],
    ['ack only, compressed 1-byte protocol', { callId: 7, ack: 9 }, { compressProto: true }],
  ])('%s', (_n, g, p) => {
    const r = decodeBytes(outer4(PROTO_GRE, pptpGre(g, ppp(0x21, innerUdp4, p))));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GRE]);
  });

  it('PPP carrying IPv6', () => {
    const r = decodeBytes(outer4(PROTO_GRE, pptpGre({ callId: 1, seq: 1 }, ppp(0x57, innerTcp6))));
    expect(r.reason).toBe('ok');
    expectInnerTcp6(r.pkt);
  });

  it('LCP / CCP frames are ethertype_unsupported; empty PPP is tunnel_truncated', () => {
    expect(decodeBytes(outer4(PROTO_GRE, pptpGre({ callId: 1, seq: 1 }, ppp(0xc021, fill(10))))).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(outer4(PROTO_GRE, pptpGre({ callId: 1, seq: 1 }, bytes(0xff, 0x03)))).reason).toBe('tunnel_truncated');
    expect(decodeBytes(outer4(PROTO_GRE, pptpGre({ callId: 1, seq: 1 }, new Uint8Array(0)))).reason).toBe('tunnel_truncated');
  });
});

describe('ERSPAN', () => {
  const mirrored = eth({ type: ETH_IPV4, tags: [{ tpid: ET.VLAN, vid: 30 }] }, innerUdp4);

  it('type I: GRE 0x88be without sequence number, no ERSPAN header', () => {
    const r = decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN2 }, mirrored)));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(r.pkt.vlan).toBe(30);
    expect(levels(r.pkt)).toEqual([TunnelType.ERSPAN]);
  });

  it('type II: sequence number + 8-byte header', () => {
    const r = decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN2, seq: 99 }, erspan2(5, mirrored))));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.ERSPAN]);
  });

  it('type III: 12-byte header, with and without the platform subheader', () => {
    for (const sub of [false, true]) {
      const r = decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN3, seq: 1 }, erspan3(9, mirrored, sub))));
      expect(r.reason, `subheader ${sub}`).toBe('ok');
      expectInnerUdp4(r.pkt);
      expect(levels(r.pkt)).toEqual([TunnelType.ERSPAN]);
    }
  });

  it('cut ERSPAN headers are tunnel_truncated; a cut mirrored frame is link_truncated', () => {
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN2, seq: 1 }, bytes(0x10, 0, 0)))).reason).toBe('tunnel_truncated');
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN3, seq: 1 }, fill(11, 0)))).reason).toBe('tunnel_truncated');
    expect(decodeBytes(outer4(PROTO_GRE, gre({ proto: ET.ERSPAN2, seq: 1 }, erspan2(5, fill(6))))).reason).toBe('link_truncated');
  });
});

describe('VXLAN (RFC 7348)', () => {
  it('UDP 4789 with the I flag: inner Ethernet frame, outer UDP recorded', () => {
    const r = decodeBytes(outerUdp4(51000, 4789, vxlan(0x123456, eth({ type: ETH_IPV4 }, innerUdp4))));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.VXLAN]);
    expect([r.pkt.tunSport[0], r.pkt.tunDport[0], r.pkt.tunProto[0]]).toEqual([51000, 4789, PROTO_UDP]);
  });

  it('inner ARP is non_ip inside the tunnel', () => {
    const r = decodeBytes(outerUdp4(1, 4789, vxlan(1, eth({ type: ET.ARP }, arp(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2')))));
    expect(r.reason).toBe('non_ip');
    expect(r.pkt.tunCount).toBe(1);
  });

  it('without the I flag, or shorter than its header, it stays an ordinary UDP datagram', () => {
    let r = decodeBytes(outerUdp4(51000, 4789, vxlan(1, eth({ type: ETH_IPV4 }, innerUdp4), 0x00)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tunCount).toBe(0);
    expect([r.pkt.sport, r.pkt.dport]).toEqual([51000, 4789]);
    r = decodeBytes(outerUdp4(51000, 4789, bytes(8, 0, 0)));
    expect(r.pkt.tunCount).toBe(0);
    expect(r.pkt.dport).toBe(4789);
  });

  it('VXLAN header present but inner frame missing is tunnel_truncated', () => {
    expect(decodeBytes(outerUdp4(1, 4789, vxlan(1, fill(10)))).reason).toBe('tunnel_truncated');
  });
});

describe('Geneve (RFC 8926)', () => {
  const opts = concat([geneveOpt(0x0102, 0x80, fill(4, 0x11)), geneveOpt(0xffff, 1, fill(8, 0x22))]);

  it('with 20 bytes of options carrying Ethernet', () => {
    const r = decodeBytes(outerUdp4(40000, 6081, geneve(ET.TEB, opts, eth({ type: ETH_IPV4 }, innerUdp4))));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GENEVE]);
  });

  it('carrying IPv4 and IPv6 directly', () => {
    expectInnerUdp4(decodeBytes(outerUdp4(1, 6081, geneve(ETH_IPV4, new Uint8Array(0), innerUdp4))).pkt);
    const r = decodeBytes(outerUdp4(1, 6081, geneve(ETH_IPV6, opts, innerTcp6)));
    expect(r.reason).toBe('ok');
    expectInnerTcp6(r.pkt);
  });

  it('version 1 is not Geneve; an unknown protocol is tunnel_unsupported; options past the end truncated', () => {
    const v1 = decodeBytes(outerUdp4(1, 6081, geneve(ETH_IPV4, new Uint8Array(0), innerUdp4, 1)));
    expect(v1.pkt.tunCount).toBe(0);
    expect(v1.reason).toBe('ok');
    expect(decodeBytes(outerUdp4(1, 6081, geneve(0x88cc, new Uint8Array(0), fill(20)))).reason).toBe('tunnel_unsupported');
    const g = geneve(ET.TEB, opts, new Uint8Array(0));
    expect(decodeBytes(outerUdp4(1, 6081, g.subarray(0, 16))).reason).toBe('tunnel_truncated');
  });
});

describe('GTP-U (3GPP TS 29.281)', () => {
  it('plain G-PDU carrying IPv4', () => {
    const r = decodeBytes(outerUdp4(2152, 2152, gtpu({ teid: 0x11223344 }, innerUdp4)));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GTPV1]);
  });

  it('with sequence number and two extension headers (PDU session container + UDP port) carrying IPv6', () => {
    const ext = [{ type: 0x85, content: bytes(0x00, 0x09) }, { type: 0x40, content: bytes(0x08, 0x68, 0, 0, 0, 0) }];
    const r = decodeBytes(outerUdp4(2152, 2152, gtpu({ teid: 1, seq: 7, ext }, innerTcp6)));
    expect(r.reason).toBe('ok');
    expectInnerTcp6(r.pkt);
  });

  it('echo request (message type 1) is ordinary UDP; GTPv2 (version 2) too', () => {
    const echo = decodeBytes(outerUdp4(2152, 2152, gtpu({ teid: 0, msgType: 1, seq: 1 }, new Uint8Array(0))));
    expect(echo.reason).toBe('ok');
    expect(echo.pkt.tunCount).toBe(0);
    const v2 = gtpu({ teid: 0 }, innerUdp4);
    v2[0] = 0x48;
    expect(decodeBytes(outerUdp4(2152, 2152, v2)).pkt.tunCount).toBe(0);
  });

  it('extension header of length 0 or past the end is tunnel_truncated; non-IP payload unsupported', () => {
    const bad = gtpu({ teid: 1, ext: [{ type: 0x85, content: bytes(0, 9) }] }, innerUdp4);
    bad[12] = 0; // extension length 0 would never advance
    expect(decodeBytes(outerUdp4(2152, 2152, bad)).reason).toBe('tunnel_truncated');
    const long = gtpu({ teid: 1, ext: [{ type: 0x85, content: bytes(0, 9) }] }, innerUdp4);
    long[12] = 200;
    expect(decodeBytes(outerUdp4(2152, 2152, long)).reason).toBe('tunnel_truncated');
    expect(decodeBytes(outerUdp4(2152, 2152, gtpu({ teid: 1 }, fill(20, 0x00)))).reason).toBe('tunnel_unsupported');
  });

  it('a chain of more than 8 extension headers is too_deep', () => {
    const ext = Array.from({ length: 9 }, () => ({ type: 0x85, content: bytes(0, 1) }));
    expect(decodeBytes(outerUdp4(2152, 2152, gtpu({ teid: 1, ext }, innerUdp4))).reason).toBe('too_deep');
  });
});

describe('Teredo (RFC 4380)', () => {
  const in6 = ipv6({ src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: '2001:db8::5', nh: PROTO_ICMP6 }, icmp(128, 0, bytes(0, 1, 0, 2), fill(8)));

  it('bare IPv6 on port 3544', () => {
    const r = decodeBytes(outerUdp4(3544, 50000, in6));
    expect(r.reason).toBe('ok');
    expect(levels(r.pkt)).toEqual([TunnelType.TEREDO]);
    expect(r.pkt.ipVersion).toBe(6);
    expect(dstOf(r.pkt)).toBe(v6('2001:db8::5'));
    expect([r.pkt.sport, r.pkt.dport]).toEqual([128, 129]);
  });

  it('origin indication before IPv6', () => {
    const r = decodeBytes(outerUdp4(50000, 3544, teredo({ origin: { port: 40000, addr: '203.0.113.9' } }, in6)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tunCount).toBe(1);
    expect(srcOf(r.pkt)).toBe(v6('2001:0:4136:e378:8000:63bf:3fff:fdd2'));
  });

  it('authentication then origin indication', () => {
    const r = decodeBytes(outerUdp4(3544, 1024, teredo({ auth: { id: fill(3, 1), value: fill(5, 2) }, origin: { port: 1, addr: '1.2.3.4' } }, in6)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tunCount).toBe(1);
    expect(r.pkt.icmpType).toBe(128);
  });

  it('on a non-standard port, detected by content (relay to client)', () => {
    const r = decodeBytes(outerUdp4(61000, 52000, teredo({ origin: { port: 3544, addr: '198.51.100.1' } }, in6)));
    expect(r.reason).toBe('ok');
    expect(levels(r.pkt)).toEqual([TunnelType.TEREDO]);
    expect([r.pkt.tunSport[0], r.pkt.tunDport[0]]).toEqual([61000, 52000]);
  });

  it('on port 3544 but not IPv6 (or a length mismatch) it stays ordinary UDP', () => {
    let r = decodeBytes(outerUdp4(3544, 3544, fill(60, 0x45)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tunCount).toBe(0);
    const wrongLen = concat([in6, fill(4)]);
    r = decodeBytes(outerUdp4(3544, 3544, wrongLen));
    expect(r.pkt.tunCount).toBe(0);
    expect(r.pkt.dport).toBe(3544);
  });

  it('an ordinary DNS datagram on other ports is not mistaken for Teredo', () => {
    const r = decodeBytes(outerUdp4(53, 40000, fill(60, 0x60)));
    expect(r.pkt.tunCount).toBe(0);
  });
});

describe('IP in IP', () => {
  it('IPv4 in IPv4 (protocol 4)', () => {
    const r = decodeBytes(outer4(PROTO_IPIP, innerUdp4));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.IP_IN_IP]);
    expect(r.pkt.tunProto[0]).toBe(PROTO_IPIP);
  });

  it('6in4 (protocol 41)', () => {
    const r = decodeBytes(outer4(PROTO_IPV6, innerTcp6));
    expect(r.reason).toBe('ok');
    expectInnerTcp6(r.pkt);
    expect(tunnelAddrs(r.pkt, 0)).toEqual(['192.0.2.10', '192.0.2.20']);
  });

  it('4in6 and 6in6', () => {
    const r = decodeBytes(eth({ type: ETH_IPV6 }, ipv6({ src: '2001:db8::100', dst: '2001:db8::200', nh: PROTO_IPIP }, innerUdp4)));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(r.pkt.tunIpVersion[0]).toBe(6);
    expect(tunnelAddrs(r.pkt, 0)).toEqual([v6('2001:db8::100'), v6('2001:db8::200')]);
    const r66 = decodeBytes(eth({ type: ETH_IPV6 }, ipv6({ nh: PROTO_IPV6 }, innerTcp6)));
    expectInnerTcp6(r66.pkt);
  });

  it('a truncated inner header is reported at the inner layer, outer level kept', () => {
    const r = decodeBytes(outer4(PROTO_IPIP, innerUdp4.subarray(0, 12)));
    expect(r.reason).toBe('ipv4_truncated');
    expect(r.pkt.tunCount).toBe(1);
  });
});

describe('nesting', () => {
  it('VXLAN inside GRE inside IPv6: two levels, outermost first', () => {
    const vx = ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto: PROTO_UDP }, udp(33000, 4789, vxlan(77, eth({ type: ETH_IPV4 }, innerUdp4))));
    const f = eth({ type: ETH_IPV6 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nh: PROTO_GRE }, gre({ proto: ETH_IPV4, key: 3 }, vx)));
    const r = decodeBytes(f);
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.GRE, TunnelType.VXLAN]);
    expect(tunnelAddrs(r.pkt, 0)).toEqual([v6('2001:db8::1'), v6('2001:db8::2')]);
    expect(tunnelAddrs(r.pkt, 1)).toEqual(['172.16.0.1', '172.16.0.2']);
    expect(r.pkt.tunDport[1]).toBe(4789);
  });

  it('GTP-U inside Geneve inside IP-in-IP', () => {
    const gtp = ipv4({ src: '10.200.0.1', dst: '10.200.0.2', proto: PROTO_UDP }, udp(2152, 2152, gtpu({ teid: 5 }, innerUdp4)));
    const gen = ipv4({ src: '10.100.0.1', dst: '10.100.0.2', proto: PROTO_UDP }, udp(1, 6081, geneve(ETH_IPV4, new Uint8Array(0), gtp)));
    const r = decodeBytes(outer4(PROTO_IPIP, gen));
    expect(r.reason).toBe('ok');
    expectInnerUdp4(r.pkt);
    expect(levels(r.pkt)).toEqual([TunnelType.IP_IN_IP, TunnelType.GENEVE, TunnelType.GTPV1]);
  });

  it(`MAX_TUNNELS (${MAX_TUNNELS}) levels decode; one more is too_deep`, () => {
    const nest = (n: number): Uint8Array => {
      let p: Uint8Array = innerUdp4;
      for (let i = 0; i < n; i++) p = ipv4({ src: `10.0.${i}.1`, dst: `10.0.${i}.2`, proto: PROTO_IPIP }, p);
      return eth({ type: ETH_IPV4 }, p);
    };
    const ok = decodeBytes(nest(MAX_TUNNELS)); // every IP-in-IP wrapper is one level
    expect(ok.reason).toBe('ok');
    expect(ok.pkt.tunCount).toBe(MAX_TUNNELS);
    expectInnerUdp4(ok.pkt);
    const deep = decodeBytes(nest(MAX_TUNNELS + 1));
    expect(deep.reason).toBe('too_deep');
    expect(deep.pkt.tunCount).toBe(MAX_TUNNELS);
  });

  it('too_deep through UDP tunnels as well (VXLAN in VXLAN …)', () => {
    let p: Uint8Array = innerUdp4;
    for (let i = 0; i <= MAX_TUNNELS; i++) p = ipv4({ proto: PROTO_UDP }, udp(100 + i, 4789, vxlan(i, eth({ type: ETH_IPV4 }, p))));
    expect(decodeBytes(eth({ type: ETH_IPV4 }, p)).reason).toBe('too_deep');
  });

  it('ICMP error quoting a UDP header is an ICMP flow, not a tunnel', () => {
    const quoted = ipv4({ src: '10.0.0.2', dst: '8.8.8.8', proto: PROTO_UDP }, udp(5000, 53, fill(8)));
    const r = decodeBytes(outer4(PROTO_ICMP, icmp(3, 3, bytes(0, 0, 0, 0), quoted)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.tunCount).toBe(0);
    expect([r.pkt.sport, r.pkt.dport]).toEqual([3, 3]);
  });
});
