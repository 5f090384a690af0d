/**
 * IPv6 header and extension-header chain (RFC 8200): hop-by-hop, routing, destination options,
 * fragment, AH (RFC 4302, length in 4-byte units) and mobility; ESP and "no next header" end the
 * chain. `ipProto` is the protocol after the chain; `l4Off` where it starts.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

const HOPOPTS = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const ESP = 50;
const AH = 51;
const DSTOPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;

/** More extension headers than this is hostile (each needs at least 8 bytes anyway). */
const MAX_EXT = 16;

export function decodeIpv6(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const capEnd = pkt.frameEnd;
  if (off + 40 > capEnd) return Reason.IPV6_TRUNCATED;
  if (b[off] >> 4 !== 6) return Reason.IPV6_BAD_VERSION;
  const plen = (b[off + 4] << 8) | b[off + 5];
  let total = plen + 40;
  const wireAvail = pkt.wirelen - (off - pkt.frameOff);
  if (plen === 0) total = capEnd - off; // jumbogram or TSO
  if (total > wireAvail) return Reason.IPV6_BAD_PAYLOAD_LEN;
  pkt.ipVersion = 6;
  pkt.l3Off = off;
  pkt.ipTotalLen = total;
  pkt.ttl = b[off + 7];
  pkt.flowLabel = ((b[off + 1] & 0x0f) << 16) | (b[off + 2] << 8) | b[off + 3];
  pkt.src0 = rd32(b, off + 8); pkt.src1 = rd32(b, off + 12); pkt.src2 = rd32(b, off + 16); pkt.src3 = rd32(b, off + 20);
  pkt.dst0 = rd32(b, off + 24); pkt.dst1 = rd32(b, off + 28); pkt.dst2 = rd32(b, off + 32); pkt.dst3 = rd32(b, off + 36);
  const end = off + total;
  pkt.l3Truncated = end > capEnd;
  pkt.l3End = end > capEnd ? capEnd : end;
  pkt.isFragment = false;

  let nh = b[off + 6];
  let nhOff = off + 6;
  let p = off + 40;
  for (let i = 0; i < MAX_EXT; i++) {
    switch (nh) {
      case HOPOPTS:
      case ROUTING:
      case DSTOPTS:
      case MOBILITY:
      case HIP:
      case SHIM6: {
        if (nh === MOBILITY) {
          // Zeek stops at the mobility header: nothing above it is analysed.
          pkt.ipProto = nh;
          pkt.ipHdrLen = p - off;
          pkt.l4Off = p;
          return Reason.OK;
        }
        if (p + 8 > capEnd) return Reason.IPV6_EXT_TRUNCATED;
        const len = (b[p + 1] + 1) << 3;
        if (p + len > capEnd) return Reason.IPV6_EXT_TRUNCATED;
        nhOff = p;
        nh = b[p];
        p += len;
        break;
      }
      case AH: {
        if (p + 8 > capEnd) return Reason.IPV6_EXT_TRUNCATED;
        const len = (b[p + 1] + 2) << 2;
        if (p + len > capEnd) return Reason.IPV6_EXT_TRUNCATED;
        nhOff = p;
        nh = b[p];
        p += len;
        break;
      }
      case FRAGMENT: {
        if (p + 8 > capEnd) return Reason.IPV6_EXT_TRUNCATED;
        const fo = (b[p + 2] << 8) | b[p + 3];
        pkt.isFragment = true;
        pkt.fragOffset = fo & 0xfff8;
        pkt.moreFragments = (fo & 1) !== 0;
        pkt.fragId = rd32(b, p + 4);
        pkt.fragNextHdr = nhOff;
        pkt.fragPayloadOff = p + 8;
        // An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole datagram.
        if (pkt.fragOffset === 0 && !pkt.moreFragments) pkt.isFragment = false;
        nhOff = p;
        nh = b[p];
        p += 8;
        if (pkt.isFragment) {
          pkt.ipProto = nh;
          pkt.ipHdrLen = p - off;
          pkt.l4Off = p;
          return Reason.OK;
        }
        break;
      }
      default:
        // ESP, no-next-header (59) and every upper-layer protocol end the chain.
        pkt.ipProto = nh === ESP ? ESP : nh;
        pkt.ipHdrLen = p - off;
        pkt.l4Off = p;
        if (pkt.ipHdrLen > total) return Reason.IPV6_EXT_TRUNCATED;
        return Reason.OK;
    }
  }
  return Reason.TOO_DEEP;
}

function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
