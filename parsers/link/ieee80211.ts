/**
 * 802.11 data frames, bare (LINKTYPE_IEEE802_11, 105) or behind a radiotap header (127), down to
 * the LLC/SNAP EtherType. Management/control frames, protected frames and non-SNAP payloads are
 * counted as unsupported: a mirror port rarely delivers them, but monitor-mode captures do.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';
import { decodeEtherType } from './ethernet.js';

export function decodeRadiotap(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 8 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  const len = b[off + 2] | (b[off + 3] << 8);
  if (len < 8) return -Reason.LINK_TRUNCATED;
  return decode80211(pkt, off + len);
}

export function decode80211(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const end = pkt.frameEnd;
  if (off + 24 > end) return -Reason.LINK_TRUNCATED;
  const fc0 = b[off];
  const fc1 = b[off + 1];
  const type = (fc0 >> 2) & 0x3;
  const subtype = (fc0 >> 4) & 0xf;
  if (type !== 2) return -Reason.ETHERTYPE_UNSUPPORTED; // not a data frame
  if (fc1 & 0x40) return -Reason.ETHERTYPE_UNSUPPORTED; // protected: payload encrypted
  if (subtype & 0x4) return -Reason.ETHERTYPE_UNSUPPORTED; // null data: no payload
  let hdr = 24;
  if ((fc1 & 0x03) === 0x03) hdr += 6; // four-address (WDS) frame
  if (subtype & 0x8) {
    hdr += 2; // QoS control
    // HT control: only QoS data frames carry it when the order bit is set; on a non-QoS data
    // frame the bit means "strictly ordered" and adds nothing (cf. Linux ieee80211_hdrlen).
    if (fc1 & 0x80) hdr += 4;
  }
  const p = off + hdr;
  if (p + 8 > end) return -Reason.LINK_TRUNCATED;
  // LLC/SNAP: AA AA 03 + OUI(3) + EtherType
  if (b[p] !== 0xaa || b[p + 1] !== 0xaa || b[p + 2] !== 0x03) return -Reason.ETHERTYPE_UNSUPPORTED;
  const et = (b[p + 6] << 8) | b[p + 7];
  return decodeEtherType(pkt, et, p + 8);
}
