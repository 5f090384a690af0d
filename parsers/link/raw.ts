/**
 * Link types without a link header: raw IP (101, 12, 14, 228 IPv4, 229 IPv6) and BSD null /
 * loopback (0 and 108), whose 4-byte header is an address family in host or network byte order.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';
import { ETH_IPV4, ETH_IPV6 } from './ethernet.js';

export function decodeRawIp(pkt: Packet, off: number): number {
  if (off >= pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  pkt.l3Off = off;
  const v = pkt.buf[off] >> 4;
  if (v === 4) return ETH_IPV4;
  if (v === 6) return ETH_IPV6;
  return -Reason.ETHERTYPE_UNSUPPORTED;
}

export function decodeRawIpv4(pkt: Packet, off: number): number {
  pkt.l3Off = off;
  return ETH_IPV4;
}

export function decodeRawIpv6(pkt: Packet, off: number): number {
  pkt.l3Off = off;
  return ETH_IPV6;
}

/**
 * BSD loopback: the family is written in the capturing host's byte order, so read both and
 * accept either. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD),
 * 30 (macOS) or 10 (Linux).
 */
export function decodeNull(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 4 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  const le = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  const be = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  const fam = (le >>> 0) < 256 ? le : be;
  pkt.l3Off = off + 4;
  if (fam === 2) return ETH_IPV4;
  if (fam === 24 || fam === 28 || fam === 30 || fam === 10) return ETH_IPV6;
  return -Reason.ETHERTYPE_UNSUPPORTED;
}
