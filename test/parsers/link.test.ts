/**
 * Link-layer decoders (parsers/link/*): every supported LINKTYPE and every shim between the MAC
 * header and IP, on hand-built frames. Each case checks what the decoder extracted (VLAN ids,
 * MPLS depth, the inner addresses/ports proving the offset was right) and the Reason.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, dstOf, srcOf, v6 } from '../helpers/decode.js';
import {
  ETHERTYPE as ET, PW_CONTROL_WORD, bytes, be16, concat, eth, fill, ipv4, ipv6, mplsStack, nflog, nflogTlv, nullHdr, pbbItag,
  radiotap, sll, sll2, tcp, udp, wifiData, PROTO_TCP, PROTO_UDP, SYN, arp,
} from '../helpers/packets.js';

const udp4 = ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto: PROTO_UDP }, udp(5353, 53, fill(12)));
const tcp6 = ipv6({ src: '2001:db8::a', dst: '2001:db8:1::b', nh: PROTO_TCP }, tcp({ sport: 40000, dport: 443, flags: SYN }));

function expectUdp4(r: ReturnType<typeof decodeBytes>): void {
  expect(r.reason).toBe('ok');
  expect(r.pkt.ipVersion).toBe(4);
  expect(srcOf(r.pkt)).toBe('192.0.2.1');
  expect(dstOf(r.pkt)).toBe('198.51.100.7');
  expect(r.pkt.sport).toBe(5353);
  expect(r.pkt.dport).toBe(53);
  expect(r.pkt.payloadLen).toBe(12);
}

function expectTcp6(r: ReturnType<typeof decodeBytes>): void {
  expect(r.reason).toBe('ok');
  expect(r.pkt.ipVersion).toBe(6);
  expect(srcOf(r.pkt)).toBe(v6('2001:db8::a'));
  expect(dstOf(r.pkt)).toBe(v6('2001:db8:1::b'));
  expect(r.pkt.sport).toBe(40000);
  expect(r.pkt.dport).toBe(443);
}

describe('Ethernet and VLAN tags', () => {
  it('untagged IPv4 and IPv6', () => {
    const r = decodeBytes(eth({ type: ET.IPV4 }, udp4));
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(-1);
    expect(r.pkt.innerVlan).toBe(-1);
    expect(r.pkt.l3Off - r.pkt.frameOff).toBe(14);
    expectTcp6(decodeBytes(eth({ type: ET.IPV6 }, tcp6)));
  });

  it('802.1Q single tag: VLAN id without the PCP bits', () => {
    const r = decodeBytes(eth({ type: ET.IPV4, tags: [{ tpid: ET.VLAN, vid: 0x123, pcp: 7 }] }, udp4));
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(0x123);
    expect(r.pkt.innerVlan).toBe(-1);
  });

  it.each([
    ['802.1ad 0x88a8', ET.QINQ],
    ['old QinQ 0x9100', ET.QINQ_OLD],
    ['802.1Q twice', ET.VLAN],
  ])('QinQ with outer %s: outer and inner VLAN', (_n, tpid) => {
    const r = decodeBytes(eth({ type: ET.IPV6, tags: [{ tpid, vid: 100 }, { tpid: ET.VLAN, vid: 4094 }] }, tcp6));
    expectTcp6(r);
    expect(r.pkt.vlan).toBe(100);
    expect(r.pkt.innerVlan).toBe(4094);
  });

  it('a third tag is skipped, the first two are kept', () => {
    const r = decodeBytes(eth({ type: ET.IPV4, tags: [{ tpid: ET.QINQ, vid: 1 }, { tpid: ET.VLAN, vid: 2 }, { tpid: ET.VLAN, vid: 3 }] }, udp4));
    expectUdp4(r);
    expect([r.pkt.vlan, r.pkt.innerVlan]).toEqual([1, 2]);
  });

  it('more than 8 stacked tags is too_deep, not a loop', () => {
    const tags = Array.from({ length: 9 }, (_, i) => ({ tpid: ET.VLAN, vid: i }));
    expect(decodeBytes(eth({ type: ET.IPV4, tags }, udp4)).reason).toBe('too_deep');
  });

  it('ARP is non_ip; LLDP and 802.3 length frames are not IP either', () => {
    expect(decodeBytes(eth({ type: ET.ARP }, arp(1, '02:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'))).reason).toBe('non_ip');
    expect(decodeBytes(eth({ type: 0x88cc }, fill(40))).reason).toBe('non_ip');
    expect(decodeBytes(eth({ type: 0x0026 }, fill(40))).reason).toBe('non_ip');
  });

  it('truncated MAC header and truncated tag', () => {
    const f = eth({ type: ET.IPV4, tags: [{ tpid: ET.VLAN, vid: 5 }] }, udp4);
    for (const cut of [0, 1, 13, 14, 15, 17]) expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason, `cut ${cut}`).toBe('link_truncated');
  });
});

describe('MPLS', () => {
  it('label stack of three over IPv4 (bottom-of-stack bit ends it)', () => {
    const r = decodeBytes(eth({ type: ET.MPLS }, concat([mplsStack([16, 17, 1000]), udp4])));
    expectUdp4(r);
    expect(r.pkt.mplsDepth).toBe(3);
  });

  it('multicast MPLS EtherType and IPv6 payload (guessed from the version nibble)', () => {
    const r = decodeBytes(eth({ type: ET.MPLS_MC }, concat([mplsStack([42]), tcp6])));
    expectTcp6(r);
    expect(r.pkt.mplsDepth).toBe(1);
  });

  it('MPLS inside a VLAN', () => {
    const r = decodeBytes(eth({ type: ET.MPLS, tags: [{ tpid: ET.VLAN, vid: 77 }] }, concat([mplsStack([100, 200]), udp4])));
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(77);
    expect(r.pkt.mplsDepth).toBe(2);
  });

  it('pseudowire control word followed by an Ethernet frame with its own VLAN', () => {
    const inner = eth({ type: ET.IPV4, tags: [{ tpid: ET.VLAN, vid: 300 }] }, udp4);
    const r = decodeBytes(eth({ type: ET.MPLS }, concat([mplsStack([500]), PW_CONTROL_WORD, inner])));
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(300);
  });

  it('17 labels without bottom of stack is too_deep; unknown payload nibble is unsupported', () => {
    const labels = concat(Array.from({ length: 17 }, () => bytes(0, 0x01, 0x00, 64))); // no S bit
    expect(decodeBytes(eth({ type: ET.MPLS }, concat([labels, udp4]))).reason).toBe('too_deep');
    expect(decodeBytes(eth({ type: ET.MPLS }, concat([mplsStack([1]), bytes(0x55), fill(30)]))).reason).toBe('ethertype_unsupported');
  });

  it('truncated label stack, missing payload, truncated control word', () => {
    const stack = mplsStack([1, 2]);
    expect(decodeBytes(eth({ type: ET.MPLS }, stack.subarray(0, 6))).reason).toBe('link_truncated');
    expect(decodeBytes(eth({ type: ET.MPLS }, stack)).reason).toBe('link_truncated');
    expect(decodeBytes(eth({ type: ET.MPLS }, concat([stack, PW_CONTROL_WORD, fill(10, 0)]))).reason).toBe('link_truncated');
  });
});

describe('PBB, VN-Tag, PPPoE', () => {
  it('802.1ah PBB: B-VLAN, I-TAG, customer MAC header with C-VLAN', () => {
    const customer = eth({ type: ET.IPV4, tags: [{ tpid: ET.VLAN, vid: 20 }] }, udp4);
    const r = decodeBytes(eth({ type: ET.PBB, tags: [{ tpid: ET.QINQ, vid: 10 }] }, concat([pbbItag(0xabcdef), customer])));
    expectUdp4(r);
    expect([r.pkt.vlan, r.pkt.innerVlan]).toEqual([10, 20]);
  });

  it('PBB cut inside the customer header is link_truncated', () => {
    expect(decodeBytes(eth({ type: ET.PBB }, concat([pbbItag(1), fill(10)]))).reason).toBe('link_truncated');
  });

  it('Cisco VN-Tag (6 bytes) before a VLAN tag', () => {
    const vntag = concat([bytes(0x80, 0x01, 0x00, 0x02), be16(ET.VLAN), be16(55), be16(ET.IPV4)]);
    const r = decodeBytes(eth({ type: ET.VNTAG }, concat([vntag, udp4])));
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(55);
    expect(decodeBytes(eth({ type: ET.VNTAG }, bytes(0, 0, 0, 0, 8))).reason).toBe('link_truncated');
  });

  it('PPPoE session carrying IPv4 and IPv6; LCP is unsupported', () => {
    const pppoe = (proto: number, p: Uint8Array) => concat([bytes(0x11, 0x00), be16(0x1234), be16(p.length + 2), be16(proto), p]);
    expectUdp4(decodeBytes(eth({ type: ET.PPPOE }, pppoe(0x0021, udp4))));
    expectTcp6(decodeBytes(eth({ type: ET.PPPOE }, pppoe(0x0057, tcp6))));
    expect(decodeBytes(eth({ type: ET.PPPOE }, pppoe(0xc021, fill(8)))).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(eth({ type: ET.PPPOE }, bytes(0x11, 0, 0, 1, 0))).reason).toBe('link_truncated');
  });
});

describe('Linux cooked captures', () => {
  it('SLL (113) IPv4 and IPv6', () => {
    expectUdp4(decodeBytes(sll(ET.IPV4, udp4), 113));
    expectTcp6(decodeBytes(sll(ET.IPV6, tcp6, 4), 113));
  });

  it('SLL with a VLAN-tagged protocol', () => {
    const r = decodeBytes(sll(ET.VLAN, concat([be16(9), be16(ET.IPV4), udp4])), 113);
    expectUdp4(r);
    expect(r.pkt.vlan).toBe(9);
  });

  it('SLL2 (276) IPv4 and IPv6', () => {
    expectUdp4(decodeBytes(sll2(ET.IPV4, udp4), 276));
    expectTcp6(decodeBytes(sll2(ET.IPV6, tcp6), 276));
  });

  it('non-EtherType protocol values (< 0x600, e.g. 802.2 LLC = 4) are unsupported', () => {
    expect(decodeBytes(sll(0x0004, fill(20)), 113).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(sll2(0x0001, fill(20)), 276).reason).toBe('ethertype_unsupported');
  });

  it('short cooked headers', () => {
    expect(decodeBytes(sll(ET.IPV4, udp4).subarray(0, 15), 113).reason).toBe('link_truncated');
    expect(decodeBytes(sll2(ET.IPV4, udp4).subarray(0, 19), 276).reason).toBe('link_truncated');
  });
});

describe('raw IP and BSD loopback', () => {
  it.each([101, 12, 14])('raw IP linktype %i detects the version', (lt) => {
    expectUdp4(decodeBytes(udp4, lt));
    expectTcp6(decodeBytes(tcp6, lt));
  });

  it('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)', () => {
    expectUdp4(decodeBytes(udp4, 228));
    expectTcp6(decodeBytes(tcp6, 229));
    // The link type fixes the version: an IPv6 packet under 228 is a bad IPv4 version.
    expect(decodeBytes(tcp6, 228).reason).toBe('ipv4_bad_version');
    expect(decodeBytes(udp4, 229).reason).toBe('ipv6_bad_version');
  });

  it('raw IP: empty frame is link_truncated, version 5 unsupported', () => {
    expect(decodeBytes(new Uint8Array(0), 101).reason).toBe('link_truncated');
    expect(decodeBytes(concat([bytes(0x50), fill(30)]), 101).reason).toBe('ethertype_unsupported');
  });

  it.each([
    ['little-endian AF_INET', 2, true],
    ['big-endian AF_INET', 2, false],
  ])('BSD null %s', (_n, fam, le) => {
    expectUdp4(decodeBytes(nullHdr(fam as number, le as boolean, udp4), 0));
    expectUdp4(decodeBytes(nullHdr(fam as number, le as boolean, udp4), 108));
  });

  it.each([10, 24, 28, 30])('BSD null AF_INET6 = %i in both byte orders', (fam) => {
    expectTcp6(decodeBytes(nullHdr(fam, true, tcp6), 0));
    expectTcp6(decodeBytes(nullHdr(fam, false, tcp6), 0));
  });

  it('BSD null: unknown family and short header', () => {
    expect(decodeBytes(nullHdr(7, true, udp4), 0).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(bytes(2, 0, 0), 0).reason).toBe('link_truncated');
  });
});

describe('NFLOG', () => {
  const prefix = nflogTlv(10, new TextEncoder().encode('fw-drop\0'));
  const hwhdr = nflogTlv(1, bytes(0x08, 0x00, 3, 0));

  it('payload TLV after other TLVs, IPv4 family', () => {
    expectUdp4(decodeBytes(nflog(2, [hwhdr, prefix, nflogTlv(9, udp4)]), 239));
  });

  it('IPv6 family; TLV type with the nested flag bit set still matches', () => {
    expectTcp6(decodeBytes(nflog(10, [prefix, nflogTlv(0x8009, tcp6)]), 239));
  });

  it('unspecified family: version nibble decides', () => {
    expectUdp4(decodeBytes(nflog(0, [nflogTlv(9, udp4)]), 239));
  });

  it('a TLV length of zero ends decoding (would otherwise loop forever)', () => {
    expect(decodeBytes(nflog(2, [prefix, nflogTlv(10, fill(4), 0), nflogTlv(9, udp4)]), 239).reason).toBe('link_truncated');
    expect(decodeBytes(nflog(2, [nflogTlv(10, fill(4), 3)]), 239).reason).toBe('link_truncated');
  });

  it('no payload TLV, or header only', () => {
    expect(decodeBytes(nflog(2, [prefix, hwhdr]), 239).reason).toBe('link_truncated');
    expect(decodeBytes(bytes(2, 0, 0), 239).reason).toBe('link_truncated');
  });

  it('snaplen cut inside the payload TLV still decodes the headers present', () => {
    const f = nflog(2, [prefix, nflogTlv(9, udp4)]);
    const r = decodeBytes(f, 239, { caplen: f.length - 6, wirelen: f.length });
    expect(r.reason).toBe('ok');
    expect(r.pkt.dport).toBe(53);
  });
});

describe('802.11 and radiotap', () => {
  it('radiotap + plain data frame + SNAP', () => {
    expectUdp4(decodeBytes(radiotap(wifiData({}, ET.IPV4, udp4)), 127));
  });

  it('radiotap header longer than 8 bytes is skipped by its length', () => {
    expectTcp6(decodeBytes(radiotap(wifiData({ qos: true }, ET.IPV6, tcp6), 26), 127));
  });

  it('bare 802.11 (105): QoS data, four-address WDS frame', () => {
    expectUdp4(decodeBytes(wifiData({ qos: true }, ET.IPV4, udp4), 105));
    expectUdp4(decodeBytes(wifiData({ toDs: true, fromDs: true }, ET.IPV4, udp4), 105));
    expectUdp4(decodeBytes(wifiData({ toDs: true, fromDs: true, qos: true }, ET.IPV4, udp4), 105));
  });

  it('QoS data frame with the order bit carries an HT control field', () => {
    expectUdp4(decodeBytes(wifiData({ qos: true, order: true }, ET.IPV4, udp4), 105));
  });

  it('non-QoS data frame with the order bit has no HT control field', () => {
    // IEEE 802.11-2020 9.2.4.1.10: +HTC is present only in QoS data and management frames.
    expectUdp4(decodeBytes(wifiData({ order: true }, ET.IPV4, udp4), 105));
  });

  it('protected, null-data, non-SNAP and management frames are unsupported', () => {
    expect(decodeBytes(wifiData({ protected: true }, ET.IPV4, udp4), 105).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(wifiData({ nullData: true }, ET.IPV4, udp4), 105).reason).toBe('ethertype_unsupported');
    expect(decodeBytes(wifiData({ snap: false }, ET.IPV4, udp4), 105).reason).toBe('ethertype_unsupported');
    const beacon = concat([bytes(0x80, 0), fill(40)]);
    expect(decodeBytes(radiotap(beacon), 127).reason).toBe('ethertype_unsupported');
  });

  it('truncated radiotap and 802.11 headers; radiotap length below 8', () => {
    expect(decodeBytes(bytes(0, 0, 8), 127).reason).toBe('link_truncated');
    expect(decodeBytes(concat([bytes(0, 0, 4, 0), fill(60)]), 127).reason).toBe('link_truncated');
    expect(decodeBytes(radiotap(fill(20)), 127).reason).toBe('link_truncated');
    const f = wifiData({}, ET.IPV4, udp4);
    expect(decodeBytes(f.subarray(0, 30), 105).reason).toBe('link_truncated');
    // radiotap length pointing past the frame
    expect(decodeBytes(radiotap(fill(30), 8).map((b, i) => (i === 2 ? 0xff : b)), 127).reason).toBe('link_truncated');
  });
});

describe('other link types', () => {
  it('802.3br mPacket (274): preamble + SMD-E then Ethernet', () => {
    const f = concat([bytes(0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xd5), eth({ type: ET.IPV4 }, udp4)]);
    expectUdp4(decodeBytes(f, 274));
    const cont = concat([bytes(0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x61), fill(40)]);
    expect(decodeBytes(cont, 274).reason).toBe('ethertype_unsupported');
  });

  it('Broadcom DSA tag after the MACs (281) and prepended (282)', () => {
    const e = eth({ type: ET.IPV4 }, udp4);
    const tagged = concat([e.subarray(0, 12), bytes(0x20, 0, 0, 1), e.subarray(12)]);
    expectUdp4(decodeBytes(tagged, 281));
    expectUdp4(decodeBytes(concat([bytes(0x20, 0, 0, 1), e]), 282));
    expect(decodeBytes(tagged.subarray(0, 17), 281).reason).toBe('link_truncated');
  });

  it('unknown link type is link_unsupported', () => {
    expect(decodeBytes(eth({ type: ET.IPV4 }, udp4), 147).reason).toBe('link_unsupported');
    expect(decodeBytes(eth({ type: ET.IPV4 }, udp4), 0xffff).reason).toBe('link_unsupported');
  });
});
