/**
 * IP fragment reassembly (parsers/net/defrag.ts): fragments are decoded by the real decoder,
 * fed to the Defragmenter, and the rebuilt datagram is decoded again and compared byte for byte
 * with the datagram before fragmentation. Covers order, overlaps (first bytes win), IPv6
 * fragment headers behind other extension headers, the memory caps, capture-time timeouts and
 * hostile offsets/lengths.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, srcOf } from '../helpers/decode.js';
import { ETH_IPV4, ETH_IPV6, eth, ext6, frag6, ipv4, ipv6, udp, icmp, PROTO_ICMP, PROTO_UDP, bytes } from '../helpers/packets.js';
import { Defragmenter } from '../../parsers/net/defrag.js';
import { Packet } from '../../parsers/packet.js';
import { Reason } from '../../parsers/reasons.js';

const SRC = '10.1.0.1';
const DST = '10.2.0.2';

/** A UDP segment (header + payload) with a recognisable byte pattern. */
function udpSegment(payloadLen: number, seed = 1): Uint8Array {
  const p = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) p[i] = (i * 7 + seed) & 0xff;
  return udp(4000, 5000, p);
}

/** Split an IPv4 payload into fragments of `size` bytes (multiple of 8) as Ethernet frames. */
function frags4(payload: Uint8Array, size: number, id = 0x4242, proto = PROTO_UDP): { frame: Uint8Array; off: number }[] {
  const out = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(payload.length, off + size));
    const mf = off + size < payload.length;
    out.push({ off, frame: eth({ type: ETH_IPV4 }, ipv4({ src: SRC, dst: DST, proto, id, mf, fragOffset: off }, part)) });
  }
  return out;
}

function frag4(payload: Uint8Array, off: number, mf: boolean, id = 0x4242): Uint8Array {
  return eth({ type: ETH_IPV4 }, ipv4({ src: SRC, dst: DST, proto: PROTO_UDP, id, mf, fragOffset: off }, payload));
}

/** Decode a frame and, if it is a fragment, add it; returns the reassembled datagram or null. */
function feed(d: Defragmenter, frame: Uint8Array, ts: number, pkt = new Packet()): Uint8Array | null {
  const r = decodeBytes(frame, 1, {}, pkt);
  expect(r.reason).toBe('fragment_held');
  return d.add(r.pkt, ts);
}

describe('IPv4 reassembly', () => {
  const seg = udpSegment(3000);

  it('in order: the rebuilt datagram equals the original and decodes to its UDP header', () => {
    const d = new Defragmenter();
    const fs = frags4(seg, 1480);
    expect(fs.length).toBe(3);
    expect(feed(d, fs[0].frame, 1)).toBeNull();
    expect(feed(d, fs[1].frame, 1.1)).toBeNull();
    const dg = feed(d, fs[2].frame, 1.2);
    expect(dg).not.toBeNull();
    expect(Array.from(dg!.subarray(20))).toEqual(Array.from(seg));
    expect((dg![2] << 8) | dg![3]).toBe(20 + seg.length);
    expect(dg![6] & 0x3f).toBe(0); // MF and offset cleared
    const r = decodeBytes(dg!, 101);
    expect(r.reason).toBe('ok');
    expect([r.pkt.sport, r.pkt.dport, r.pkt.payloadLen]).toEqual([4000, 5000, 3000]);
    expect(srcOf(r.pkt)).toBe(SRC);
    expect(d.reassembled).toBe(1);
    expect(d.datagramsInProgress).toBe(0);
    expect(d.bytesHeld).toBe(0);
  });

  it('out of order (last, first, middle) gives the same datagram', () => {
    const d = new Defragmenter();
    const fs = frags4(seg, 1480);
    expect(feed(d, fs[2].frame, 1)).toBeNull();
    expect(feed(d, fs[0].frame, 1)).toBeNull();
    const dg = feed(d, fs[1].frame, 1);
    expect(Array.from(dg!.subarray(20))).toEqual(Array.from(seg));
  });

  it('many small fragments in reverse order', () => {
    const d = new Defragmenter();
    const fs = frags4(seg, 8).reverse();
    let dg: Uint8Array | null = null;
    for (const f of fs) dg = feed(d, f.frame, 5);
    expect(Array.from(dg!.subarray(20))).toEqual(Array.from(seg));
  });

  it('overlap: the bytes that arrived first win, and the overlap is counted', () => {
    const d = new Defragmenter();
    const a = seg.subarray(0, 16);
    const forged = new Uint8Array(24).fill(0xee); // covers 8..32, overlapping bytes 8..16 of `a`
    const rest = seg.subarray(32, 48);
    expect(feed(d, frag4(a, 0, true), 1)).toBeNull();
    expect(feed(d, frag4(forged, 8, true), 1)).toBeNull();
    const dg = feed(d, frag4(rest, 32, false), 1);
    expect(dg).not.toBeNull();
    const body = dg!.subarray(20);
    expect(Array.from(body.subarray(0, 16))).toEqual(Array.from(a)); // not rewritten by the forged piece
    expect(Array.from(body.subarray(16, 32))).toEqual(new Array(16).fill(0xee));
    expect(Array.from(body.subarray(32, 48))).toEqual(Array.from(rest));
    expect(d.counts[Reason.FRAGMENT_OVERLAP]).toBeGreaterThanOrEqual(1);
  });

  it('a fragment fully inside earlier ones and an exact duplicate change nothing', () => {
    const d = new Defragmenter();
    const fs = frags4(seg, 1480);
    feed(d, fs[0].frame, 1);
    feed(d, frag4(new Uint8Array(16).fill(0xaa), 64, true), 1); // inside fragment 0
    feed(d, fs[0].frame, 1); // duplicate
    feed(d, fs[1].frame, 1);
    const dg = feed(d, fs[2].frame, 1);
    expect(Array.from(dg!.subarray(20))).toEqual(Array.from(seg));
    expect(d.counts[Reason.FRAGMENT_OVERLAP]).toBeGreaterThanOrEqual(2);
    expect(d.bytesHeld).toBe(0);
  });

  it('fragments of different datagrams (id, addresses, protocol) are kept apart', () => {
    const d = new Defragmenter();
    const s1 = udpSegment(100, 1);
    const s2 = udpSegment(100, 2);
    const a = frags4(s1, 56, 1);
    const b = frags4(s2, 56, 2);
    expect(feed(d, a[0].frame, 1)).toBeNull();
    expect(feed(d, b[0].frame, 1)).toBeNull();
    expect(d.datagramsInProgress).toBe(2);
    const dgB = feed(d, b[1].frame, 1);
    const dgA = feed(d, a[1].frame, 1);
    expect(Array.from(dgA!.subarray(20))).toEqual(Array.from(s1));
    expect(Array.from(dgB!.subarray(20))).toEqual(Array.from(s2));
    // same id but ICMP instead of UDP: a different datagram
    const ic = frags4(icmp(8, 0, bytes(0, 1, 0, 1), new Uint8Array(64)), 40, 1, PROTO_ICMP);
    expect(feed(d, ic[0].frame, 1)).toBeNull();
    expect(feed(d, a[0].frame, 1)).toBeNull();
    expect(d.datagramsInProgress).toBe(2);
  });

  it('first fragment with IP options: options are kept in the rebuilt header', () => {
    const d = new Defragmenter();
    const p1 = eth({ type: ETH_IPV4 }, ipv4({ src: SRC, dst: DST, proto: PROTO_UDP, id: 9, mf: true, options: bytes(0x94, 4, 0, 0) }, seg.subarray(0, 800)));
    expect(feed(d, p1, 1)).toBeNull();
    const dg = feed(d, frag4(seg.subarray(800), 800, false, 9), 1);
    expect(dg![0] & 0x0f).toBe(6);
    const r = decodeBytes(dg!, 101);
    expect(r.reason).toBe('ok');
    expect(r.pkt.payloadLen).toBe(3000);
  });
});

describe('IPv6 reassembly', () => {
  it('fragment header after a hop-by-hop header: unfragmentable part kept, next header fixed', () => {
    const seg = udpSegment(2000);
    const d = new Defragmenter();
    const mk = (off: number, more: boolean) =>
      eth({ type: ETH_IPV6 }, ipv6({ nh: 0 }, ext6(44, 0, frag6(PROTO_UDP, off, more, 0xabcdef01, seg.subarray(off, more ? off + 1232 : seg.length)))));
    expect(feed(d, mk(1232, false), 2)).toBeNull();
    const dg = feed(d, mk(0, true), 2);
    expect(dg).not.toBeNull();
    expect(dg!.length).toBe(40 + 8 + seg.length);
    expect(dg![6]).toBe(0); // fixed header still names hop-by-hop
    expect(dg![40]).toBe(PROTO_UDP); // hop-by-hop now names UDP instead of the fragment header
    expect(((dg![4] << 8) | dg![5])).toBe(8 + seg.length);
    const r = decodeBytes(dg!, 229);
    expect(r.reason).toBe('ok');
    expect([r.pkt.sport, r.pkt.dport, r.pkt.payloadLen]).toEqual([4000, 5000, 2000]);
    expect(Array.from(dg!.subarray(48))).toEqual(Array.from(seg));
  });

  it('IPv6 fragments directly after the fixed header', () => {
    const seg = udpSegment(100);
    const d = new Defragmenter();
    const mk = (off: number, more: boolean) =>
      eth({ type: ETH_IPV6 }, ipv6({ nh: 44 }, frag6(PROTO_UDP, off, more, 7, seg.subarray(off, more ? off + 56 : seg.length))));
    feed(d, mk(0, true), 1);
    const dg = feed(d, mk(56, false), 1);
    expect(dg![6]).toBe(PROTO_UDP);
    expect(decodeBytes(dg!, 229).pkt.payloadLen).toBe(100);
  });
});

describe('bounded memory', () => {
  it('maxDatagrams: the oldest incomplete datagram is dropped and counted', () => {
    const d = new Defragmenter({ maxDatagrams: 4 });
    for (let id = 0; id < 10; id++) feed(d, frag4(new Uint8Array(64), 0, true, id), 1 + id * 0.001);
    expect(d.datagramsInProgress).toBe(4);
    expect(d.counts[Reason.FRAGMENT_LIMIT]).toBe(6);
    // the newest ones survive: id 9 completes, id 0 does not
    expect(feed(d, frag4(new Uint8Array(8), 64, false, 9), 1.1)).not.toBeNull();
    expect(feed(d, frag4(new Uint8Array(8), 64, false, 0), 1.1)).toBeNull();
  });

  it('maxBytes: held payload never exceeds the cap', () => {
    const d = new Defragmenter({ maxBytes: 10_000 });
    let peak = 0;
    for (let id = 0; id < 50; id++) {
      feed(d, frag4(new Uint8Array(1480), 0, true, id), 1);
      peak = Math.max(peak, d.bytesHeld);
      expect(d.bytesHeld).toBeLessThanOrEqual(10_000);
    }
    expect(peak).toBeGreaterThan(8_000);
    expect(d.counts[Reason.FRAGMENT_LIMIT]).toBeGreaterThan(0);
  });

  it('20 000 never-completed fragments with distinct ids stay within the default caps', () => {
    const d = new Defragmenter();
    const pkt = new Packet();
    const frame = frag4(new Uint8Array(512), 0, true, 0);
    for (let id = 0; id < 20_000; id++) {
      frame[14 + 4] = id >> 8; frame[14 + 5] = id & 0xff;
      feed(d, frame, 1 + id * 1e-6, pkt);
    }
    expect(d.datagramsInProgress).toBeLessThanOrEqual(d.limits.maxDatagrams);
    expect(d.bytesHeld).toBeLessThanOrEqual(d.limits.maxBytes);
  });
});

describe('timeouts on capture time', () => {
  it('an incomplete datagram expires after the timeout; its late fragment starts over', () => {
    const d = new Defragmenter({ timeout: 30 });
    const seg = udpSegment(100);
    feed(d, frag4(seg.subarray(0, 56), 0, true, 1), 1000);
    d.expire(1029);
    expect(d.datagramsInProgress).toBe(1);
    d.expire(1030.5);
    expect(d.datagramsInProgress).toBe(0);
    expect(d.counts[Reason.FRAGMENT_TIMEOUT]).toBe(1);
    expect(feed(d, frag4(seg.subarray(56), 56, false, 1), 1031)).toBeNull();
  });

  it('expiry is driven by the timestamps passed in, not the wall clock', () => {
    const d = new Defragmenter({ timeout: 5 });
    feed(d, frag4(new Uint8Array(8), 0, true, 1), 100);
    feed(d, frag4(new Uint8Array(8), 0, true, 2), 106); // adding at t=106 expires id 1
    expect(d.datagramsInProgress).toBe(1);
    expect(d.counts[Reason.FRAGMENT_TIMEOUT]).toBe(1);
  });
});

describe('hostile fragments', () => {
  it('non-final fragment whose length is not a multiple of 8 is fragment_bad', () => {
    const d = new Defragmenter();
    expect(feed(d, frag4(new Uint8Array(13), 0, true), 1)).toBeNull();
    expect(d.counts[Reason.FRAGMENT_BAD]).toBe(1);
    expect(d.datagramsInProgress).toBe(0);
  });

  it('two final fragments with different totals are fragment_bad', () => {
    const d = new Defragmenter();
    feed(d, frag4(new Uint8Array(16), 16, false), 1);
    expect(feed(d, frag4(new Uint8Array(16), 64, false), 1)).toBeNull();
    expect(d.counts[Reason.FRAGMENT_BAD]).toBe(1);
  });

  it('offset + length beyond the largest IP datagram is fragment_bad (no 64 KiB allocation)', () => {
    const d = new Defragmenter();
    expect(feed(d, frag4(new Uint8Array(1000), 0x1fff * 8, false), 1)).toBeNull();
    expect(d.counts[Reason.FRAGMENT_BAD]).toBe(1);
    expect(d.bytesHeld).toBe(0);
  });

  it('a reassembled IPv4 datagram may not exceed 65 535 bytes (ping of death)', () => {
    const d = new Defragmenter();
    // 20-byte header + 65 515 bytes of payload: the largest legal datagram.
    const total = 65_515;
    let dg: Uint8Array | null = null;
    for (let off = 0; off < total; off += 1480) {
      const len = Math.min(1480, total - off);
      dg = feed(d, frag4(new Uint8Array(len), off, off + len < total, 77), 1);
    }
    expect(dg).not.toBeNull();
    expect(dg!.length).toBe(65_535);
    expect((dg![2] << 8) | dg![3]).toBe(65_535);
    // … and one byte more: every fragment is legal on its own, the whole is not.
    const d2 = new Defragmenter();
    const over = 65_516;
    let dg2: Uint8Array | null = null;
    for (let off = 0; off < over; off += 1480) {
      const len = Math.min(1480, over - off);
      dg2 = feed(d2, frag4(new Uint8Array(len), off, off + len < over, 78), 1);
    }
    expect(dg2).toBeNull();
    expect(d2.counts[Reason.FRAGMENT_BAD]).toBeGreaterThanOrEqual(1);
  });

  it('an IPv6 fragment whose extension headers exceed its payload length is rejected without leaving state', () => {
    const d = new Defragmenter();
    const pkt = new Packet();
    // payload length 8 covers only the fragment header; the 16 data bytes are outside the datagram
    const f = eth({ type: ETH_IPV6 }, ipv6({ nh: 44, plen: 4 }, frag6(PROTO_UDP, 8, true, 5, new Uint8Array(16))));
    const r = decodeBytes(f, 1, {}, pkt);
    expect(r.reason).toBe('fragment_held');
    expect(d.add(r.pkt, 1)).toBeNull();
    expect(d.counts[Reason.FRAGMENT_BAD]).toBe(1);
    expect(d.datagramsInProgress).toBe(0);
  });

  it('zero-length middle fragments and a missing first fragment never complete', () => {
    const d = new Defragmenter();
    feed(d, frag4(new Uint8Array(0), 8, true), 1);
    expect(feed(d, frag4(new Uint8Array(8), 16, false), 1)).toBeNull();
    expect(d.datagramsInProgress).toBe(1);
  });
});
