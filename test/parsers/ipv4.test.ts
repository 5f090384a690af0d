/**
 * IPv4 decoder (parsers/net/ipv4.ts): addresses (stored IPv4-mapped), lengths, TTL, protocol,
 * options, fragment fields, and every malformed header length the decoder must reject.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, dstOf, srcOf } from '../helpers/decode.js';
import { ETH_IPV4, bytes, eth, fill, ipv4, tcp, udp, PROTO_TCP, PROTO_UDP, ACK } from '../helpers/packets.js';

const frame = (o: Parameters<typeof ipv4>[0], payload: Uint8Array) => eth({ type: ETH_IPV4 }, ipv4(o, payload));

describe('IPv4 header fields', () => {
  it('addresses, TTL, protocol, lengths and offsets', () => {
    const f = frame({ src: '172.16.254.1', dst: '255.255.255.255', proto: PROTO_UDP, ttl: 3, id: 0xbeef }, udp(68, 67, fill(100)));
    const r = decodeBytes(f);
    expect(r.reason).toBe('ok');
    const p = r.pkt;
    expect(srcOf(p)).toBe('172.16.254.1');
    expect(dstOf(p)).toBe('255.255.255.255');
    // IPv4-mapped layout: ::ffff:a.b.c.d
    expect([p.src0, p.src1, p.src2, p.src3]).toEqual([0, 0, 0xffff, 0xac10fe01]);
    expect(p.ipVersion).toBe(4);
    expect(p.ttl).toBe(3);
    expect(p.ipProto).toBe(PROTO_UDP);
    expect(p.ipHdrLen).toBe(20);
    expect(p.ipTotalLen).toBe(20 + 8 + 100);
    expect(p.fragId).toBe(0xbeef);
    expect(p.isFragment).toBe(false);
    expect(p.l3End - p.l3Off).toBe(128);
    expect(p.l4Off - p.l3Off).toBe(20);
    expect(p.l3Truncated).toBe(false);
  });

  it('options (record route + padding) move the transport header', () => {
    const rr = bytes(7, 11, 4, 10, 0, 0, 1, 0, 0, 0, 0, 1); // RR with one slot used, then EOL
    const r = decodeBytes(frame({ proto: PROTO_TCP, options: rr }, tcp({ sport: 1234, dport: 80, flags: ACK }, fill(5))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipHdrLen).toBe(32);
    expect(r.pkt.sport).toBe(1234);
    expect(r.pkt.dport).toBe(80);
    expect(r.pkt.payloadLen).toBe(5);
  });

  it('maximum header length (IHL 15 = 60 bytes)', () => {
    const r = decodeBytes(frame({ proto: PROTO_UDP, options: fill(40, 1) }, udp(1, 2, fill(3))));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipHdrLen).toBe(60);
    expect(r.pkt.dport).toBe(2);
  });

  it('Ethernet padding after a short datagram is not part of it', () => {
    const f = eth({ type: ETH_IPV4 }, ipv4({ proto: PROTO_UDP }, udp(1, 2, fill(2))));
    const padded = new Uint8Array(60);
    padded.set(f);
    const r = decodeBytes(padded);
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipTotalLen).toBe(30);
    expect(r.pkt.l3End - r.pkt.l3Off).toBe(30);
    expect(r.pkt.payloadLen).toBe(2);
  });

  it('snaplen cut: total length is accounted from the header, l3Truncated is set', () => {
    const f = frame({ proto: PROTO_UDP }, udp(1000, 2000, fill(500)));
    const r = decodeBytes(f, 1, { caplen: 14 + 20 + 8 + 10, wirelen: f.length });
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipTotalLen).toBe(528);
    expect(r.pkt.l3Truncated).toBe(true);
    expect(r.pkt.payloadLen).toBe(500);
    expect(r.pkt.payloadCapLen).toBe(10);
  });

  it('total length 0 (TCP segmentation offload) falls back to the captured length', () => {
    const f = frame({ proto: PROTO_TCP, totalLen: 0 }, tcp({ sport: 5, dport: 6 }, fill(3000)));
    const r = decodeBytes(f);
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipTotalLen).toBe(20 + 20 + 3000);
    expect(r.pkt.payloadLen).toBe(3000);
  });

  it('fragment fields: MF, offset in bytes, DF is not a fragment', () => {
    let r = decodeBytes(frame({ proto: PROTO_UDP, mf: true, id: 77 }, udp(1, 2, fill(16))));
    expect(r.reason).toBe('fragment_held');
    expect([r.pkt.isFragment, r.pkt.moreFragments, r.pkt.fragOffset, r.pkt.fragId]).toEqual([true, true, 0, 77]);
    r = decodeBytes(frame({ proto: PROTO_UDP, fragOffset: 1480 * 2 }, fill(40)));
    expect(r.reason).toBe('fragment_held');
    expect([r.pkt.isFragment, r.pkt.moreFragments, r.pkt.fragOffset]).toEqual([true, false, 2960]);
    r = decodeBytes(frame({ proto: PROTO_UDP, df: true }, udp(1, 2)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.isFragment).toBe(false);
  });

  it('other IP protocols (OSPF 89) keep addresses, no ports', () => {
    const r = decodeBytes(frame({ proto: 89, src: '10.1.1.1', dst: '224.0.0.5' }, fill(44)));
    expect(r.reason).toBe('ok');
    expect(r.pkt.ipProto).toBe(89);
    expect([r.pkt.sport, r.pkt.dport]).toEqual([0, 0]);
    expect(r.pkt.payloadLen).toBe(44);
    expect(dstOf(r.pkt)).toBe('224.0.0.5');
  });

  it.each([50, 59, 135])('protocol %i (ESP, no-next-header, mobility) is ip_proto_other', (proto) => {
    expect(decodeBytes(frame({ proto }, fill(40))).reason).toBe('ip_proto_other');
  });
});

describe('malformed IPv4 headers', () => {
  const udpPayload = udp(1, 2, fill(20));

  it.each([0, 1, 4])('IHL %i (< 5 words) is ipv4_bad_header_len', (ihl) => {
    expect(decodeBytes(frame({ proto: PROTO_UDP, ihl }, udpPayload)).reason).toBe('ipv4_bad_header_len');
  });

  it('IHL pointing past the captured bytes is ipv4_truncated', () => {
    const f = frame({ proto: PROTO_UDP, ihl: 15 }, udp(1, 2));
    expect(decodeBytes(f, 1, { caplen: 14 + 40, wirelen: f.length }).reason).toBe('ipv4_truncated');
  });

  it('total length below the header length is ipv4_bad_header_len', () => {
    expect(decodeBytes(frame({ proto: PROTO_UDP, totalLen: 19 }, udpPayload)).reason).toBe('ipv4_bad_header_len');
    expect(decodeBytes(frame({ proto: PROTO_UDP, options: fill(8, 1), totalLen: 24 }, udpPayload)).reason).toBe('ipv4_bad_header_len');
  });

  it('total length beyond what was on the wire is ipv4_bad_total_len', () => {
    expect(decodeBytes(frame({ proto: PROTO_UDP, totalLen: 1500 }, udpPayload)).reason).toBe('ipv4_bad_total_len');
    expect(decodeBytes(frame({ proto: PROTO_UDP, totalLen: 0xffff }, udpPayload)).reason).toBe('ipv4_bad_total_len');
  });

  it('wrong version nibble', () => {
    expect(decodeBytes(frame({ proto: PROTO_UDP, version: 5 }, udpPayload)).reason).toBe('ipv4_bad_version');
    expect(decodeBytes(frame({ proto: PROTO_UDP, version: 6 }, udpPayload)).reason).toBe('ipv4_bad_version');
  });

  it('header cut at every byte before 20 is ipv4_truncated', () => {
    const f = frame({ proto: PROTO_UDP }, udpPayload);
    for (let cut = 14; cut < 34; cut++) {
      expect(decodeBytes(f, 1, { caplen: cut, wirelen: f.length }).reason, `cut ${cut}`).toBe('ipv4_truncated');
    }
  });
});
