/**
 * The decoding pipeline: link layer → IP → transport, descending into tunnels (the flow is keyed
 * on the innermost packet; each encapsulation level is recorded in `pkt.tun*`). Decoders write
 * into the reused `Packet`; the return value is a `Reason` (0 = decoded to a transport header).
 * Nothing here throws or allocates.
 */
import { Packet, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP, TunnelType } from './packet.js';
import { Reason } from './reasons.js';
import { decodeLink } from './link/index.js';
import { ETH_ARP, ETH_IPV4, ETH_IPV6 } from './link/ethernet.js';
import { decodeIpv4 } from './net/ipv4.js';
import { decodeIpv6 } from './net/ipv6.js';
import { decodeArp } from './net/arp.js';
import { decodeTcp } from './transport/tcp.js';
import { decodeUdp } from './transport/udp.js';
import { decodeIcmp } from './transport/icmp.js';
import { decodeGre, greTunnelType } from './tunnel/gre.js';
import { NOT_A_TUNNEL, decodeUdpTunnel, udpTunnelType } from './tunnel/udp-tunnels.js';

const PROTO_IPIP = 4;
const PROTO_IPV6 = 41;
const PROTO_GRE = 47;
const PROTO_ESP = 50;
const PROTO_NONE = 59;
const PROTO_MOBILITY = 135;

/** Decode a captured frame from its link layer down to the innermost transport header. */
export function decodeFrame(pkt: Packet, linktype: number): number {
  const et = decodeLink(pkt, linktype);
  if (et < 0) return -et;
  return decodeFromEtherType(pkt, et);
}

/** Continue decoding at `pkt.l3Off` given the network-layer EtherType. */
export function decodeFromEtherType(pkt: Packet, et: number): number {
  for (;;) {
    if (et === ETH_IPV4 || et === ETH_IPV6) {
      const r = et === ETH_IPV4 ? decodeIpv4(pkt, pkt.l3Off) : decodeIpv6(pkt, pkt.l3Off);
      if (r !== Reason.OK) return r;
      if (pkt.isFragment) return Reason.FRAGMENT_HELD;
      const next = decodeTransport(pkt, true);
      if (next < 0) return -next;
      if (next === 0) return Reason.OK;
      et = next; // an encapsulated packet follows at pkt.l3Off
      continue;
    }
    if (et === ETH_ARP) return decodeArp(pkt, pkt.l3Off);
    return et < 0 ? -et : Reason.NON_IP;
  }
}

/**
 * Decode the transport header of the IP packet just decoded. Returns 0 when done, a positive
 * EtherType when a tunnel's inner packet follows (with `pkt.l3Off` at it), or `-Reason`.
 * With `descend` false, tunnels are not entered (used to account the outer UDP flow of a tunnel).
 */
export function decodeTransport(pkt: Packet, descend: boolean): number {
  const off = pkt.l4Off;
  switch (pkt.ipProto) {
    case PROTO_TCP: {
      const r = decodeTcp(pkt, off);
      return r === Reason.OK ? 0 : -r;
    }
    case PROTO_UDP: {
      const r = decodeUdp(pkt, off);
      if (r !== Reason.OK) return -r;
      if (!descend) return 0;
      const tt = udpTunnelType(pkt);
      if (tt === TunnelType.NONE) return 0;
      return enterTunnel(pkt, tt, pkt.payloadOff);
    }
    case PROTO_ICMP:
    case PROTO_ICMP6: {
      const r = decodeIcmp(pkt, off);
      return r === Reason.OK ? 0 : -r;
    }
    case PROTO_IPIP:
    case PROTO_IPV6: {
      if (!descend) return -Reason.IP_PROTO_OTHER;
      if (!pkt.pushTunnel(TunnelType.IP_IN_IP)) return -Reason.TOO_DEEP;
      pkt.l3Off = off;
      return pkt.ipProto === PROTO_IPIP ? ETH_IPV4 : ETH_IPV6;
    }
    case PROTO_GRE: {
      if (!descend) return -Reason.IP_PROTO_OTHER;
      if (!pkt.pushTunnel(greTunnelType(pkt, off))) return -Reason.TOO_DEEP;
      const et = decodeGre(pkt, off, pkt.l3End);
      return et;
    }
    case PROTO_ESP:
    case PROTO_NONE:
    case PROTO_MOBILITY:
      // Encrypted, empty or mobility payloads: Zeek makes no connection of these.
      return -Reason.IP_PROTO_OTHER;
    default:
      // Any other IP protocol (OSPF, VRRP, SCTP …) is a flow keyed on addresses and protocol.
      pkt.sport = 0;
      pkt.dport = 0;
      pkt.payloadOff = off;
      pkt.payloadLen = pkt.ipTotalLen - pkt.ipHdrLen;
      pkt.payloadCapLen = Math.max(0, Math.min(pkt.payloadLen, pkt.l3End - off));
      return 0;
  }
}

function enterTunnel(pkt: Packet, tt: TunnelType, payloadOff: number): number {
  // Record the level first (the tunnel decoders overwrite nothing of the outer header, but
  // pushTunnel resets the ports of the packet that follows).
  const sport = pkt.sport;
  const dport = pkt.dport;
  if (!pkt.pushTunnel(tt)) return -Reason.TOO_DEEP;
  const et = decodeUdpTunnel(pkt, tt, payloadOff, pkt.l3End);
  if (et === NOT_A_TUNNEL) {
    // Not that tunnel after all: an ordinary UDP datagram.
    pkt.tunCount--;
    pkt.sport = sport;
    pkt.dport = dport;
    return 0;
  }
  return et;
}
