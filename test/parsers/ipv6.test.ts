/**
 * IPv6 decoder (parsers/net/ipv6.ts): fixed header fields and the extension-header chain
 * (hop-by-hop, routing, destination options, AH with its 4-byte length unit, fragment header,
 * ESP / no-next-header / mobility ends), plus every truncation and hostile chain.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, dstOf, srcOf, v6 } from '../helpers/decode.js';
import {
  ETH_IPV6, ah, eth, ext6, fill, frag6, icmp, ipv6, routing6, tcp, udp, bytes,
  PROTO_AH, PROTO_ESP, PROTO_ICMP6, PROTO_NONE, PROTO_TCP, PROTO_UDP, SYN, optWscale,
} from '../helpers/packets.js';

const HOP = 0, ROUTING = 43, FRAG = 44, DST = 60, MOBILITY = 135;
const frame = (o: Parameters<typeof ipv6>[0], payload: Uint8Array) => eth({ type: ETH_IPV6 }, ipv6(o, payload));

describe('IPv6 fixed header', () => {
  it('addresses, hop limit, flow label, lengths', () => {
    const r = decodeBytes(frame({ src: 'fe80::1:2', dst: 'ff02::fb', nh: PROTO_UDP, hlim: 255, flowLabel: 0xabcde }, udp(5353, 5353, fill(30))));
    expect(r.reason).toBe('ok');
    const p = r.pkt;
    expect(srcOf(p)).toBe(v6('fe80::1:2'));
    expect(dstOf(p)).toBe(v6('ff02::fb'));
    expect([p.src0, p.src3]).toEqual([0xfe800000, 0x00010002]);
    expect(p.ttl).toBe(255);
    expect(p.flowLabel).toBe(0xabcde);
    expect(p.ipHdrLen).toBe(40);
    expect(p.ipTotalLen).toBe(40 + 8 + 30);
    expect(p.ipProto).toBe(PROTO_UDP);
    expect(p.payloadLen).toBe(30);
  });

  it('payload length 0 (jumbogram / TSO) uses the captured length', () => {
    const r = decodeBytes(frame({ nh: PROTO_TCP, plen: 0 }, tcp({ sport: 1, dport: 2 }, fill(100))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipTotalLen).toBe(160);
    expect(r.pkt.payloadLen).toBe(100);
  });

  it('payload length beyond the wire length is rejected', () => {
    const r = decodeBytes(frame({ nh: PROTO_UDP, plen: 2000 }, udp(1, 2, fill(10))));
    expect(r.reason).toBe('ipv6_bad_payload_len');
  });

  it('bad version and truncated fixed header', () => {
    expect(decodeBytes(frame({ nh: PROTO_UDP, version: 4 }, udp(1, 2))).reason).toBe('ipv6_bad_version');
    const f = frame({ nh: PROTO_UDP }, udp(1, 2));
    for (let cut = 14; cut < 54; cut++) expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason, `cut ${cut}`).toBe('ipv6_truncated');
  });
});

describe('IPv6 extension headers', () => {
  it('hop-by-hop → routing → destination options → TCP', () => {
    const chain = ext6(ROUTING, 0, routing6(DST, 2, ext6(PROTO_TCP, 1, tcp({ sport: 999, dport: 22, flags: SYN, options: optWscale(7) }))));
    const r = decodeBytes(frame({ nh: HOP }, chain));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipProto).toBe(PROTO_TCP);
    expect(r.pkt.ipHdrLen).toBe(40 + 8 + 24 + 16);
    expect(r.pkt.sport).toBe(999);
    expect(r.pkt.dport).toBe(22);
    expect(r.pkt.tcpWscale).toBe(7);
  });

  it('AH length is in 4-byte units (+2): 24-byte AH then ICMPv6', () => {
    const r = decodeBytes(frame({ nh: PROTO_AH }, ah(PROTO_ICMP6, 4, icmp(128, 0))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipHdrLen).toBe(40 + 24);
    expect(r.pkt.ipProto).toBe(PROTO_ICMP6);
    expect(r.pkt.icmpType).toBe(128);
    expect(r.pkt.dport).toBe(129);
  });

  it('zero-length AH (payload length field 0 = 8 bytes) is accepted', () => {
    const r = decodeBytes(frame({ nh: PROTO_AH }, ah(PROTO_UDP, 0, udp(7, 8, fill(4)))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipHdrLen).toBe(48);
    expect(r.pkt.dport).toBe(8);
  });

  it('fragment header: first fragment, later fragment, fragment after other headers', () => {
    let r = decodeBytes(frame({ nh: FRAG }, frag6(PROTO_UDP, 0, true, 0xcafe0001, udp(53, 5000, fill(64)))));
    expect(r.reason).toBe('fragment_held');
    expect([r.pkt.isFragment, r.pkt.moreFragments, r.pkt.fragOffset, r.pkt.fragId]).toEqual([true, true, 0, 0xcafe0001]);
    expect(r.pkt.ipProto).toBe(PROTO_UDP);
    expect(r.pkt.fragPayloadOff - r.pkt.l3Off).toBe(48);
    expect(r.pkt.fragNextHdr - r.pkt.l3Off).toBe(6); // the fixed header's next-header byte
    r = decodeBytes(frame({ nh: HOP }, ext6(FRAG, 0, frag6(PROTO_UDP, 1232, false, 9, fill(40)))));
    expect(r.reason).toBe('fragment_held');
    expect([r.pkt.moreFragments, r.pkt.fragOffset]).toEqual([false, 1232]);
    expect(r.pkt.fragNextHdr - r.pkt.l3Off).toBe(40); // the hop-by-hop header names the fragment header
    expect(r.pkt.fragPayloadOff - r.pkt.l3Off).toBe(56);
  });

  it('atomic fragment (offset 0, M=0; RFC 6946) is a whole datagram', () => {
    const r = decodeBytes(frame({ nh: FRAG }, frag6(PROTO_UDP, 0, false, 1, udp(123, 123, fill(48)))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.isFragment).toBe(false);
    expect(r.pkt.ipHdrLen).toBe(48);
    expect(r.pkt.dport).toBe(123);
  });

  it('ESP and no-next-header end the chain (no flow)', () => {
    expect(decodeBytes(frame({ nh: HOP }, ext6(PROTO_ESP, 0, fill(40)))).reason).toBe('ip_proto_other');
    expect(decodeBytes(frame({ nh: PROTO_NONE }, new Uint8Array(0))).reason).toBe('ip_proto_other');
  });

  it('mobility header stops the chain', () => {
    const r = decodeBytes(frame({ nh: DST }, ext6(MOBILITY, 0, fill(16))));
    expect(r.reason).toBe('ip_proto_other');
    expect(r.pkt.ipProto).toBe(MOBILITY);
  });

  it('truncated extension headers: cut inside the first 8 bytes and inside the declared length', () => {
    const f = frame({ nh: HOP }, ext6(PROTO_UDP, 3, udp(1, 2)));
    expect(decodeBytes(f, 1, { caplen: 14 + 40 + 5, wirelen: f.length }).reason).toBe('ipv6_ext_truncated');
    expect(decodeBytes(f, 1, { caplen: 14 + 40 + 20, wirelen: f.length }).reason).toBe('ipv6_ext_truncated');
    const a = frame({ nh: PROTO_AH }, ah(PROTO_UDP, 6, udp(1, 2)));
    expect(decodeBytes(a, 1, { caplen: 14 + 40 + 16, wirelen: a.length }).reason).toBe('ipv6_ext_truncated');
    const fr = frame({ nh: FRAG }, frag6(PROTO_UDP, 8, false, 1, fill(8)));
    expect(decodeBytes(fr, 1, { caplen: 14 + 40 + 7, wirelen: fr.length }).reason).toBe('ipv6_ext_truncated');
  });

  it('extension chain longer than the payload length is ipv6_ext_truncated', () => {
    // 16 bytes of hop-by-hop, but the payload length claims only 8.
    const r = decodeBytes(frame({ nh: HOP, plen: 8 }, ext6(PROTO_UDP, 1, new Uint8Array(0))));
    expect(r.reason).toBe('ipv6_ext_truncated');
  });

  it('a chain of 17 destination-option headers is too_deep, not a long walk', () => {
    let chain: Uint8Array = udp(1, 2);
    for (let i = 0; i < 17; i++) chain = ext6(i === 0 ? PROTO_UDP : DST, 0, chain);
    expect(decodeBytes(frame({ nh: DST }, chain)).reason).toBe('too_deep');
  });

  it('hop-by-hop claiming 2 KiB on a short packet does not read past the frame', () => {
    const r = decodeBytes(frame({ nh: HOP }, concatExt()));
    expect(r.reason).toBe('ipv6_ext_truncated');
  });
});

function concatExt(): Uint8Array {
  const h = ext6(PROTO_UDP, 0, fill(8));
  h[1] = 255;
  return h;
}

describe('IPv6 under other link types', () => {
  it('raw IPv6 (229) with a routing header and a bytes-level check of the UDP ports', () => {
    const p = ipv6({ nh: ROUTING }, routing6(PROTO_UDP, 0, udp(0xfffe, 1, bytes(1, 2, 3))));
    const r = decodeBytes(p, 229);
    expect(r.reason).toBe('ok');
    expect([r.pkt.sport, r.pkt.dport, r.pkt.payloadLen]).toEqual([0xfffe, 1, 3]);
  });
});
