/**
 * Duplicate-packet detector for double SPAN sessions.
 *
 * A switch that mirrors both the ingress port and the egress port (or two overlapping SPAN
 * sessions) delivers the same packet twice, a few microseconds apart, sometimes with a different
 * VLAN tag, MAC addresses or TTL (when the two copies are taken before and after routing). Counting
 * such copies twice doubles bytes/packets in flow records and confuses TCP state.
 *
 * What identifies "the same packet": the network-layer bytes, not the link layer. We skip the L2
 * header (all VLAN/QinQ tags included, so a retag still matches), mask the fields a router changes
 * (IPv4 TTL + header checksum, IPv6 hop limit), and hash the first 64 bytes of L3 plus the L3 wire
 * length. 64 bytes cover the IP and TCP/UDP headers, whose IP ID, sequence numbers and transport
 * checksum (a digest of the whole payload) tell distinct packets apart, so the cost per packet is
 * constant whatever the packet size. Two 32-bit hashes make an accidental match ~2^-64.
 *
 * A match counts only inside a short time window (default 5 ms): a genuine retransmission comes
 * much later, and the window keeps the table small. The table is a fixed open-addressing array
 * (bounded memory); when every probed slot holds a live entry the oldest is overwritten and
 * counted in `overwrites` (table too small for packets/s × window: raise `slots`).
 *
 * Runs in the main thread per packet when enabled; allocates nothing per packet.
 */
import { META_CAPLEN, META_LINK, META_OFF, META_WIRELEN, META_WORDS } from './batch.js';

export interface DedupOptions {
  /** Copies further apart than this are distinct packets. Default 5 ms. */
  windowMs?: number;
  /** Table size (rounded up to a power of two). Default 16384: ~3 Mpps at 5 ms. */
  slots?: number;
  /** Linear-probe length. Default 8. */
  probes?: number;
  /** true: duplicates are removed from batches; false: only counted. Default false. */
  drop?: boolean;
}

/** Bytes of L3 that go into the hash. */
const HASH_BYTES = 64;

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW_OLD = 12;
const LINKTYPE_RAW_OPENBSD = 14;
const LINKTYPE_RAW = 101;
const LINKTYPE_LOOP = 108;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

export class DuplicateDetector {
  /** Packets looked at. */
  checked = 0;
  /** Packets found to be copies of one seen within the window. */
  duplicates = 0;
  /** Live entries overwritten because the probe run was full (table too small). */
  overwrites = 0;
  readonly drop: boolean;

  private readonly windowSec: number;
  private readonly mask: number;
  private readonly probes: number;
  private readonly keys: Uint32Array; // two 32-bit hash keys per slot, side by side (one cache line)
  private readonly seen: Float64Array; // capture time of the entry; 0 = empty
  private view: DataView | undefined;
  private viewOf: ArrayBufferLike | undefined;
  private viewBase = 0;

  constructor(options: DedupOptions = {}) {
    const windowMs = options.windowMs ?? 5;
    if (!(windowMs > 0 && windowMs <= 1000)) throw new RangeError('dedup windowMs must be in (0, 1000]');
    const slots = options.slots ?? 16384;
    if (!(slots >= 16 && slots <= 1 << 24)) throw new RangeError('dedup slots must be in [16, 16777216]');
    let size = 16;
    while (size < slots) size *= 2;
    this.windowSec = windowMs / 1000;
    this.mask = size - 1;
    this.probes = Math.max(1, Math.min(options.probes ?? 8, size));
    this.keys = new Uint32Array(size * 2);
    this.seen = new Float64Array(size);
    this.drop = options.drop ?? false;
  }

  /** Share of checked packets that were duplicates (self-audit gauge), 0 when nothing checked. */
  ratio(): number {
    return this.checked === 0 ? 0 : this.duplicates / this.checked;
  }

  /**
   * Is this packet a copy of one seen within the window? Records it otherwise.
   * `data` is the batch chunk; `off`/`caplen`/`wirelen` as in the batch meta; `ts` in seconds.
   */
  isDuplicate(data: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number, ts: number): boolean {
    this.checked++;
    if (data.buffer !== this.viewOf) {
      this.viewOf = data.buffer;
      this.viewBase = data.byteOffset;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    } else if (data.byteOffset !== this.viewBase) {
      this.viewBase = data.byteOffset;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    const dv = this.view as DataView;
    const end = off + caplen;
    const l3 = l3Offset(dv, off, end, linkType);
    const l3len = wirelen - (l3 - off);
    const hashEnd = Math.min(end, l3 + HASH_BYTES);
    const version = l3 < end ? dv.getUint8(l3) >>> 4 : 0;

    // A murmur3-style hash and a cheaper FNV-style one over little-endian 32-bit words: two
    // independent 32-bit keys, the first also picks the slot.
    let a = 0x9747b28c ^ l3len;
    let b = 0x811c9dc5 ^ Math.imul(l3len, 0x27d4eb2f);
    let p = l3;
    let word = 0;
    while (p + 4 <= hashEnd) {
      let k = dv.getUint32(p, true);
      if (version === 4 && word === 2) k &= 0x0000ff00; // keep protocol; drop TTL (byte 8) + checksum (10-11)
      else if (version === 6 && word === 1) k &= 0x00ffffff; // drop hop limit (byte 7)
      a = mix(a, k);
      b = Math.imul(b ^ k, 0x01000193);
      p += 4;
      word++;
    }
    let tail = 0;
    let shift = 0;
    while (p < hashEnd) {
      tail |= dv.getUint8(p) << shift;
      shift += 8;
      p++;
    }
    a = fmix(mix(a, tail) ^ (hashEnd - l3));
    b = fmix(Math.imul(b ^ tail, 0x01000193) ^ (hashEnd - l3));

    const win = this.windowSec;
    const seen = this.seen;
    const keys = this.keys;
    let free = -1;
    let oldest = -1;
    let oldestTs = Infinity;
    for (let i = 0; i < this.probes; i++) {
      const s = (a + i) & this.mask;
      const t = seen[s];
      if (t === 0) {
        // Never used: nothing was ever placed beyond it on this probe run.
        if (free < 0) free = s;
        break;
      }
      const age = ts - t;
      if (age > win || age < -win) {
        if (free < 0) free = s; // expired: reusable, but a live match may still follow
        continue;
      }
      if (keys[2 * s] === a && keys[2 * s + 1] === b) {
        this.duplicates++;
        return true;
      }
      if (t < oldestTs) {
        oldestTs = t;
        oldest = s;
      }
    }
    let slot = free;
    if (slot < 0) {
      slot = oldest;
      this.overwrites++;
    }
    keys[2 * slot] = a;
    keys[2 * slot + 1] = b;
    seen[slot] = ts;
    return false;
  }

  /**
   * Checks packets [from, count) of a batch index in place. With `drop`, duplicates are removed
   * by compacting ts/meta (packet bytes stay where they are); returns the new count.
   */
  filter(data: Uint8Array, ts: Float64Array, meta: Uint32Array, from: number, count: number): number {
    let w = from;
    for (let r = from; r < count; r++) {
      const m = r * META_WORDS;
      const dup = this.isDuplicate(data, meta[m + META_OFF], meta[m + META_CAPLEN], meta[m + META_WIRELEN], meta[m + META_LINK] & 0xffff, ts[r]);
      if (dup && this.drop) continue;
      if (w !== r) {
        ts[w] = ts[r];
        const d = w * META_WORDS;
        meta[d] = meta[m];
        meta[d + 1] = meta[m + 1];
        meta[d + 2] = meta[m + 2];
        meta[d + 3] = meta[m + 3];
      }
      w++;
    }
    return w;
  }
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Start of the network layer for the link types we expect on a mirror port; `off` if unknown. */
function l3Offset(dv: DataView, off: number, end: number, linkType: number): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let p = off + 12;
      while (p + 2 <= end) {
        const et = dv.getUint16(p);
        // 802.1Q, 802.1ad, legacy QinQ: skip the tag, whatever its VLAN id.
        if (et === 0x8100 || et === 0x88a8 || et === 0x9100) {
          p += 4;
          continue;
        }
        return p + 2;
      }
      return end;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_OLD:
    case LINKTYPE_RAW_OPENBSD:
      return off;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return Math.min(end, off + 4);
    case LINKTYPE_LINUX_SLL:
      return Math.min(end, off + 16);
    case LINKTYPE_LINUX_SLL2:
      return Math.min(end, off + 20);
    default:
      return off;
  }
}
