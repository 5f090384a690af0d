/**
 * The decoded view of one packet: a preallocated, reused struct (gopacket's DecodingLayerParser
 * style). Decoders write offsets and header fields into it; nothing per packet is allocated.
 *
 * Addresses are kept as four 32-bit words each; IPv4 addresses are stored IPv4-mapped
 * (::ffff:a.b.c.d) so that every flow key has the same shape and v4/v6 keys never collide.
 */

export const enum TunnelType {
  NONE = 0,
  IP_IN_IP = 1,
  GRE = 2,
  VXLAN = 3,
  GENEVE = 4,
  GTPV1 = 5,
  TEREDO = 6,
  AYIYA = 7,
  ERSPAN = 8,
  GRE_UDP = 9,
}

/** Zeek's Tunnel::Type names, indexed by TunnelType. */
export const TUNNEL_NAMES: readonly string[] = [
  '', 'Tunnel::IP', 'Tunnel::GRE', 'Tunnel::VXLAN', 'Tunnel::GENEVE', 'Tunnel::GTPv1',
  'Tunnel::TEREDO', 'Tunnel::AYIYA', 'Tunnel::GRE', 'Tunnel::GRE',
];

/** Zeek `service` names for the outer UDP connection of a UDP-based tunnel. */
export const TUNNEL_SERVICES: readonly string[] = [
  '', '', '', 'vxlan', 'geneve', 'gtpv1', 'teredo', 'ayiya', '', '',
];

/** Nested encapsulations beyond this are refused (counted as too_deep). */
export const MAX_TUNNELS = 4;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMP6 = 58;

export class Packet {
  /** Buffer holding the bytes currently being decoded (the batch chunk, or a reassembly buffer). */
  buf: Uint8Array = new Uint8Array(0);
  /** Capture length available from `buf` start of frame. */
  frameOff = 0;
  frameEnd = 0;
  wirelen = 0;

  // ---- link layer
  /** Outermost 802.1Q/802.1ad VLAN id, -1 if untagged. */
  vlan = -1;
  /** Second VLAN tag (QinQ inner), -1 if none. */
  innerVlan = -1;
  /** MPLS labels seen (count only). */
  mplsDepth = 0;

  // ---- network layer (innermost IP header after tunnels)
  /** 4 or 6; 0 when the packet is not IP. */
  ipVersion = 0;
  l3Off = 0;
  ipHdrLen = 0;
  /** Zeek's IP_Hdr::TotalLen(): IPv4 total length, IPv6 payload length + 40. */
  ipTotalLen = 0;
  /** Transport protocol after IPv6 extension headers. */
  ipProto = 0;
  ttl = 0;
  src0 = 0; src1 = 0; src2 = 0; src3 = 0;
  dst0 = 0; dst1 = 0; dst2 = 0; dst3 = 0;
  /** IPv6 flow label or 0. */
  flowLabel = 0;
  // fragment info
  isFragment = false;
  fragOffset = 0;
  moreFragments = false;
  fragId = 0;
  /** Offset where the fragmentable part starts (after the IPv6 fragment header) */
  fragPayloadOff = 0;
  /** Offset of the IPv6 "next header" byte that names the fragment header (for rebuilding). */
  fragNextHdr = 0;
  /** End offset of the IP datagram within buf (min(caplen, total length)). */
  l3End = 0;
  /** Truncated by snaplen: the IP datagram is longer than what was captured. */
  l3Truncated = false;

  // ---- transport layer
  l4Off = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  win = 0;
  tcpHdrLen = 0;
  /** TCP window scale option in a SYN, -1 if absent. */
  tcpWscale = -1;
  icmpType = 0;
  icmpCode = 0;
  /** UDP length field. */
  udpLen = 0;
  /** Payload start (TCP/UDP/ICMP data) and its length per the IP header (wire), and bytes captured. */
  payloadOff = 0;
  payloadLen = 0;
  payloadCapLen = 0;

  // ---- tunnels: one entry per encapsulation level, outermost first
  tunCount = 0;
  /** TunnelType per level. */
  readonly tunType = new Uint8Array(MAX_TUNNELS);
  /** Offset of the outer IP header of each level (its UDP header follows for UDP tunnels). */
  readonly tunL3Off = new Int32Array(MAX_TUNNELS);
  readonly tunIpVersion = new Uint8Array(MAX_TUNNELS);
  /** IP protocol of the outer header at each level (17 for UDP tunnels, 47 GRE, 4/41 IP-in-IP). */
  readonly tunProto = new Uint8Array(MAX_TUNNELS);
  /** Outer addresses per level: 8 words (src0..3, dst0..3). */
  readonly tunAddr = new Uint32Array(MAX_TUNNELS * 8);
  /** Outer ports per level (0 for non-UDP tunnels). */
  readonly tunSport = new Uint16Array(MAX_TUNNELS);
  readonly tunDport = new Uint16Array(MAX_TUNNELS);

  reset(buf: Uint8Array, off: number, caplen: number, wirelen: number): void {
    this.buf = buf;
    this.frameOff = off;
    this.frameEnd = off + caplen;
    this.wirelen = wirelen;
    this.vlan = -1;
    this.innerVlan = -1;
    this.mplsDepth = 0;
    this.ipVersion = 0;
    this.ipProto = 0;
    this.isFragment = false;
    this.l3Truncated = false;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.seq = 0;
    this.ack = 0;
    this.win = 0;
    this.udpLen = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.tcpWscale = -1;
    this.payloadLen = 0;
    this.payloadCapLen = 0;
    this.tunCount = 0;
  }

  /**
   * Record the current (outer) IP header as a tunnel level before the decoder moves on to the
   * encapsulated packet. Returns false when the nesting limit is reached.
   */
  pushTunnel(type: TunnelType): boolean {
    const i = this.tunCount;
    if (i >= MAX_TUNNELS) return false;
    this.tunType[i] = type;
    this.tunL3Off[i] = this.l3Off;
    this.tunIpVersion[i] = this.ipVersion;
    this.tunProto[i] = this.ipProto;
    const a = this.tunAddr;
    const o = i * 8;
    a[o] = this.src0; a[o + 1] = this.src1; a[o + 2] = this.src2; a[o + 3] = this.src3;
    a[o + 4] = this.dst0; a[o + 5] = this.dst1; a[o + 6] = this.dst2; a[o + 7] = this.dst3;
    this.tunSport[i] = this.sport;
    this.tunDport[i] = this.dport;
    this.tunCount = i + 1;
    // The encapsulated packet starts without transport state of its own.
    this.sport = 0;
    this.dport = 0;
    return true;
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
