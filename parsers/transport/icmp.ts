/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443). Zeek keys ICMP "connections" on (type, counterpart type):
 * a request and its reply share one flow, so the "ports" are the type and the counterpart type;
 * `sport`/`dport` hold them in that form, `icmpType`/`icmpCode` the raw values.
 */
import { Packet, PROTO_ICMP } from '../packet.js';
import { Reason } from '../reasons.js';

export function decodeIcmp(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const ipPayloadLen = pkt.ipTotalLen - pkt.ipHdrLen;
  if (ipPayloadLen < 8 || off + 8 > pkt.frameEnd) return Reason.ICMP_TRUNCATED;
  const type = b[off];
  const code = b[off + 1];
  pkt.icmpType = type;
  pkt.icmpCode = code;
  pkt.sport = type;
  pkt.dport = pkt.ipProto === PROTO_ICMP ? icmp4Counterpart(type, code) : icmp6Counterpart(type, code);
  pkt.payloadOff = off + 8;
  pkt.payloadLen = ipPayloadLen - 8;
  const avail = pkt.l3End - pkt.payloadOff;
  pkt.payloadCapLen = avail < 0 ? 0 : avail < pkt.payloadLen ? avail : pkt.payloadLen;
  return Reason.OK;
}

/** True when the message type has a counterpart (request/reply pair): the flow is two-way. */
export function icmpIsTwoWay(proto: number, type: number): boolean {
  if (proto === PROTO_ICMP) {
    return type === 8 || type === 0 || type === 13 || type === 14 || type === 15 || type === 16 ||
      type === 17 || type === 18 || type === 10 || type === 9;
  }
  return type === 128 || type === 129 || type === 133 || type === 134 || type === 135 || type === 136 ||
    type === 130 || type === 131 || type === 139 || type === 140 || type === 144 || type === 145;
}

/** Zeek's ICMP4_counterpart: the matching reply/request type, or the code for one-way messages. */
export function icmp4Counterpart(type: number, code: number): number {
  switch (type) {
    case 8: return 0; // echo ↔ echo reply
    case 0: return 8;
    case 9: return 10; // router advert ↔ solicitation
    case 10: return 9;
    case 13: return 14; // timestamp
    case 14: return 13;
    case 15: return 16; // information
    case 16: return 15;
    case 17: return 18; // address mask
    case 18: return 17;
    default: return code;
  }
}

export function icmp6Counterpart(type: number, code: number): number {
  switch (type) {
    case 128: return 129; // echo
    case 129: return 128;
    case 133: return 134; // router solicit ↔ advert
    case 134: return 133;
    case 135: return 136; // neighbor solicit ↔ advert
    case 136: return 135;
    case 130: return 131; // MLD query ↔ report
    case 131: return 130;
    case 139: return 140; // node information
    case 140: return 139;
    case 144: return 145; // home agent address discovery
    case 145: return 144;
    // Mobile prefix solicitation/advertisement (146/147) have no counterpart in Zeek: one-way.
    default: return code;
  }
}
