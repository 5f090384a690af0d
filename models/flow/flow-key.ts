/**
 * The canonical flow key: both directions of a connection produce the same words, side A being
 * the smaller (address, port). One-way ICMP messages keep the sender as A (Zeek does not pair
 * them with the reverse direction). The key hash is symmetric by construction, so it also picks
 * the shard.
 */
import type { Packet } from '../../parsers/packet.js';
import { icmpIsTwoWay } from '../../parsers/transport/icmp.js';

/** 32-bit words per flow key: addrA(4) addrB(4) ports(1) proto/flags(1) vlans(1). */
export const KEY_WORDS = 11;
export const KEY_ONE_WAY = 0x100;

/**
 * Write the key of `pkt` into `k[o … o+10]`; returns true when the packet's sender is side A.
 * `vlanWord` is 0 when VLANs are not part of the key.
 */
export function writeFlowKey(pkt: Packet, k: Uint32Array, o: number, vlanWord: number): boolean {
  const proto = pkt.ipProto;
  let oneWay = false;
  if (proto === 1 || proto === 58) oneWay = !icmpIsTwoWay(proto, pkt.icmpType);
  let srcIsA = true;
  if (!oneWay) {
    if (pkt.src0 !== pkt.dst0) srcIsA = pkt.src0 < pkt.dst0;
    else if (pkt.src1 !== pkt.dst1) srcIsA = pkt.src1 < pkt.dst1;
    else if (pkt.src2 !== pkt.dst2) srcIsA = pkt.src2 < pkt.dst2;
    else if (pkt.src3 !== pkt.dst3) srcIsA = pkt.src3 < pkt.dst3;
    else srcIsA = pkt.sport <= pkt.dport;
  }
  if (srcIsA) {
    k[o] = pkt.src0; k[o + 1] = pkt.src1; k[o + 2] = pkt.src2; k[o + 3] = pkt.src3;
    k[o + 4] = pkt.dst0; k[o + 5] = pkt.dst1; k[o + 6] = pkt.dst2; k[o + 7] = pkt.dst3;
    k[o + 8] = ((pkt.sport << 16) | pkt.dport) >>> 0;
  } else {
    k[o] = pkt.dst0; k[o + 1] = pkt.dst1; k[o + 2] = pkt.dst2; k[o + 3] = pkt.dst3;
    k[o + 4] = pkt.src0; k[o + 5] = pkt.src1; k[o + 6] = pkt.src2; k[o + 7] = pkt.src3;
    k[o + 8] = ((pkt.dport << 16) | pkt.sport) >>> 0;
  }
  k[o + 9] = proto | (oneWay ? KEY_ONE_WAY : 0);
  k[o + 10] = vlanWord;
  return srcIsA;
}

/**
 * 32-bit hash of the key words at `k[o …]` (murmur3-style mixing), returned as a signed int32:
 * an unsigned value above 2^31 would be boxed on the heap whenever it crosses a call, once per
 * packet. Stored in a Uint32Array it reads back unsigned; take `>>> 0` for arithmetic.
 */
export function hashFlowKey(k: Uint32Array, o: number): number {
  let h = 0x9747b28c;
  for (let i = o; i < o + KEY_WORDS; i++) {
    let x = Math.imul(k[i], 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    x = Math.imul(x, 0x1b873593);
    h ^= x;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** VLAN word of a packet: (vlan+1) << 16 | (inner_vlan+1), 0 when untagged. */
export function vlanWordOf(pkt: Packet): number {
  if (pkt.vlan < 0) return 0;
  return (((pkt.vlan + 1) << 16) | (pkt.innerVlan < 0 ? 0 : pkt.innerVlan + 1)) >>> 0;
}
