/**
 * LINKTYPE_NFLOG (239): Linux netfilter log messages. A 4-byte header (family, version,
 * resource id) followed by TLVs; TLV type 9 (NFULA_PAYLOAD) holds the packet starting at the
 * network layer. TLV lengths are little-endian and include the 4-byte TLV header; each TLV is
 * padded to 4 bytes. A TLV length below 4 is hostile (it would loop forever) and ends decoding.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';
import { ETH_IPV4, ETH_IPV6 } from './ethernet.js';

const NFULA_PAYLOAD = 9;

export function decodeNflog(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const end = pkt.frameEnd;
  if (off + 4 > end) return -Reason.LINK_TRUNCATED;
  const family = b[off];
  let p = off + 4;
  while (p + 4 <= end) {
    const len = b[p] | (b[p + 1] << 8);
    const type = (b[p + 2] | (b[p + 3] << 8)) & 0x7fff;
    if (len < 4) return -Reason.LINK_TRUNCATED;
    if (type === NFULA_PAYLOAD) {
      if (p + len > end) {
        // Snaplen cut inside the payload TLV: decode what is there.
        pkt.l3Off = p + 4;
      } else {
        pkt.l3Off = p + 4;
      }
      if (family === 2) return ETH_IPV4;
      if (family === 10) return ETH_IPV6;
      const v = pkt.l3Off < end ? b[pkt.l3Off] >> 4 : 0;
      return v === 4 ? ETH_IPV4 : v === 6 ? ETH_IPV6 : -Reason.ETHERTYPE_UNSUPPORTED;
    }
    p += (len + 3) & ~3;
  }
  return -Reason.LINK_TRUNCATED;
}
