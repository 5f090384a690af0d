/**
 * Why a packet could not be decoded (fully). Counted per reason, never thrown.
 * The numbering is internal; names are the public contract (metric label `reason`).
 */
export const enum Reason {
  OK = 0,
  /** Frame shorter than its link-layer header. */
  LINK_TRUNCATED,
  /** Link type we do not decode. */
  LINK_UNSUPPORTED,
  /** EtherType / next protocol we do not decode (not an error: e.g. LLDP, STP). */
  ETHERTYPE_UNSUPPORTED,
  /** Too many stacked VLAN/MPLS/tunnel layers. */
  TOO_DEEP,
  IPV4_TRUNCATED,
  IPV4_BAD_VERSION,
  IPV4_BAD_HEADER_LEN,
  IPV4_BAD_TOTAL_LEN,
  IPV6_TRUNCATED,
  IPV6_BAD_VERSION,
  IPV6_EXT_TRUNCATED,
  /** IPv6 payload length beyond what was on the wire. */
  IPV6_BAD_PAYLOAD_LEN,
  TCP_TRUNCATED,
  TCP_BAD_HEADER_LEN,
  UDP_TRUNCATED,
  ICMP_TRUNCATED,
  ARP_TRUNCATED,
  TUNNEL_TRUNCATED,
  TUNNEL_UNSUPPORTED,
  /** IP fragment held for reassembly (not an error; the reassembled datagram is decoded later). */
  FRAGMENT_HELD,
  FRAGMENT_BAD,
  FRAGMENT_OVERLAP,
  FRAGMENT_TIMEOUT,
  FRAGMENT_LIMIT,
  /** IP protocol other than TCP/UDP/ICMP/ICMPv6 (counted, no flow record). */
  IP_PROTO_OTHER,
  /** Not IP at all (ARP, LLDP, …): counted, no flow record. */
  NON_IP,
  COUNT,
}

export const REASON_NAMES: readonly string[] = [
  'ok',
  'link_truncated',
  'link_unsupported',
  'ethertype_unsupported',
  'too_deep',
  'ipv4_truncated',
  'ipv4_bad_version',
  'ipv4_bad_header_len',
  'ipv4_bad_total_len',
  'ipv6_truncated',
  'ipv6_bad_version',
  'ipv6_ext_truncated',
  'ipv6_bad_payload_len',
  'tcp_truncated',
  'tcp_bad_header_len',
  'udp_truncated',
  'icmp_truncated',
  'arp_truncated',
  'tunnel_truncated',
  'tunnel_unsupported',
  'fragment_held',
  'fragment_bad',
  'fragment_overlap',
  'fragment_timeout',
  'fragment_limit',
  'ip_proto_other',
  'non_ip',
];

/** Reasons that are not damage (they are normal traffic we simply do not turn into flows). */
export function isBenign(r: number): boolean {
  return r === Reason.OK || r === Reason.ETHERTYPE_UNSUPPORTED || r === Reason.FRAGMENT_HELD ||
    r === Reason.IP_PROTO_OTHER || r === Reason.NON_IP;
}
