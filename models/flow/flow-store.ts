/**
 * Columnar storage for flow state: one slot per flow, typed arrays per field (struct of arrays),
 * two endpoint entries per flow at `2*f` (originator) and `2*f+1` (responder). A packet updates
 * a handful of array cells; nothing is allocated per packet. Arrays grow by doubling up to the
 * configured maximum, so memory follows the number of flows actually tracked.
 */

import { KEY_WORDS } from './flow-key.js';

export { KEY_WORDS };

export const FL_ORIG_IS_A = 0x01; // originator is key side A
export const FL_PARTIAL = 0x02; // Zeek's is_partial
export const FL_CLOSE_DEFERRED = 0x04;
export const FL_DEFERRED_GEN_EVENT = 0x08;
export const FL_SEEN_ORIG = 0x10; // first_packet_seen ORIG
export const FL_SEEN_RESP = 0x20; // first_packet_seen RESP
export const FL_INTERIM = 0x40; // an interim record was emitted for this flow
export const FL_TUNNEL_SELF = 0x80; // outer UDP connection of a tunnel (uid given by the dispatcher)

/** flags2 bits */
export const FL_SYN_SEEN = 0x01; // the TCP connection's first packet carried SYN (its start was seen)

export class FlowStore {
  capacity: number;
  readonly maxCapacity: number;
  /** Free flow ids (stack). */
  private freeList: Int32Array;
  private freeTop = 0;
  /** Next never-used id. */
  private highWater = 0;
  live = 0;

  // ---- per flow
  keys!: Uint32Array;
  proto!: Uint8Array;
  flags!: Uint8Array;
  /** More flags (FL_SYN_SEEN …). */
  flags2!: Uint8Array;
  histSeen!: Uint32Array;
  gen!: Int32Array;
  startTs!: Float64Array;
  lastTs!: Float64Array;
  /** Capture time at which the flow is due for expiry (Zeek's timers, see flow-table.ts). */
  expireAt!: Float64Array;
  /** Earliest time this flow is scheduled in the timer heap. */
  schedAt!: Float64Array;
  missedBytes!: Float64Array;
  /** Index into the hash table (for removal). */
  slot!: Int32Array;
  /** TCP timers (capture time; -1 = not set): first SYN, completed close, half close. */
  attemptAt!: Float64Array;
  closeAt!: Float64Array;
  halfCloseAt!: Float64Array;
  /** When the next interim record is due (active timeout). */
  interimAt!: Float64Array;
  /** Application-layer state (app-layer.ts: none yet / being parsed / done). */
  appState!: Uint8Array;
  /** 1 when Zeek's DNS analyzer would run its 10 s session timer on this UDP flow. */
  dnsTimer!: Uint8Array;
  /** VLAN ids of the first packet: (vlan+1) << 16 | (inner_vlan+1); 0 = untagged. */
  vlans!: Uint32Array;

  // ---- per endpoint (2 per flow)
  pkts!: Float64Array;
  ipBytes!: Float64Array;
  /** UDP/ICMP payload bytes; -1 while the endpoint sent nothing (UDP_INACTIVE). */
  size!: Float64Array;
  state!: Uint8Array;
  prevState!: Uint8Array;
  didClose!: Uint8Array;
  skipDeliveries!: Uint8Array;
  didEof!: Uint8Array;
  startSeq!: Float64Array;
  lastSeq!: Uint32Array;
  ackSeq!: Uint32Array;
  seqWraps!: Uint32Array;
  ackWraps!: Uint32Array;
  finCnt!: Uint32Array;
  rstCnt!: Uint32Array;
  histLastSyn!: Float64Array;
  histLastFin!: Float64Array;
  histLastRst!: Float64Array;
  finSeq!: Float64Array;
  /** Reassembler model: next relative sequence number to deliver (Zeek's last_reassem_seq). */
  reasmNext!: Float64Array;
  /** Reassembler model: everything below is acknowledged/trimmed (Zeek's trim_seq). */
  trimSeq!: Float64Array;
  epLastTime!: Float64Array;
  /** Logarithmic history counters: retransmissions, zero windows, checksum errors, gaps. */
  rxmtCnt!: Uint32Array;
  rxmtThresh!: Uint32Array;
  win0Cnt!: Uint32Array;
  win0Thresh!: Uint32Array;
  chkCnt!: Uint32Array;
  chkThresh!: Uint32Array;
  gapCnt!: Uint32Array;
  gapThresh!: Uint32Array;

  // ---- per flow, JS values (set once per flow or rarely)
  uid: string[] = [];
  history: string[] = [];
  service: (string | undefined)[] = [];
  tunnelParents: (string[] | undefined)[] = [];
  /**
   * Segments received above a hole, per endpoint: flat [seq, upper, seq, upper, …] sorted.
   * Rare (only while data is missing), so a sparse map rather than a column.
   */
  readonly aboveHole = new Map<number, number[]>();

  constructor(initialCapacity: number, maxCapacity: number) {
    this.maxCapacity = Math.max(1, maxCapacity);
    this.capacity = 0;
    this.freeList = new Int32Array(0);
    this.grow(Math.max(16, Math.min(initialCapacity, this.maxCapacity)));
  }

  /** A fresh flow id with zeroed state, or -1 when the store is at its maximum. */
  alloc(): number {
    let f: number;
    if (this.freeTop > 0) f = this.freeList[--this.freeTop];
    else {
      if (this.highWater >= this.capacity) {
        if (this.capacity >= this.maxCapacity) return -1;
        this.grow(Math.min(this.capacity * 2, this.maxCapacity));
      }
      f = this.highWater++;
    }
    this.clear(f);
    this.live++;
    return f;
  }

  release(f: number): void {
    this.gen[f]++;
    this.uid[f] = '';
    this.history[f] = '';
    this.service[f] = undefined;
    this.tunnelParents[f] = undefined;
    if (this.aboveHole.size > 0) {
      this.aboveHole.delete(2 * f);
      this.aboveHole.delete(2 * f + 1);
    }
    this.freeList[this.freeTop++] = f;
    this.live--;
  }

  /** Approximate bytes of typed-array state per flow slot (for the memory documentation/metric). */
  static bytesPerSlot(): number {
    const perFlow = KEY_WORDS * 4 + 1 + 1 + 1 + 1 + 1 + 4 + 4 + 8 * 9 + 4 + 4 + 4 /* freelist */;
    const perEp = 8 * 3 + 5 + 8 + 4 * 4 + 4 * 2 + 8 * 7 + 4 * 8;
    return perFlow + 2 * perEp;
  }

  private clear(f: number): void {
    const k = f * KEY_WORDS;
    this.keys.fill(0, k, k + KEY_WORDS);
    this.proto[f] = 0;
    this.flags[f] = 0;
    this.flags2[f] = 0;
    this.histSeen[f] = 0;
    this.startTs[f] = 0;
    this.lastTs[f] = 0;
    this.expireAt[f] = 0;
    this.schedAt[f] = Infinity;
    this.missedBytes[f] = 0;
    this.slot[f] = -1;
    this.vlans[f] = 0;
    this.dnsTimer[f] = 0;
    this.appState[f] = 0;
    this.attemptAt[f] = -1;
    this.closeAt[f] = -1;
    this.halfCloseAt[f] = -1;
    this.interimAt[f] = Infinity;
    this.uid[f] = '';
    this.history[f] = '';
    this.service[f] = undefined;
    this.tunnelParents[f] = undefined;
    for (let e = 2 * f; e < 2 * f + 2; e++) {
      this.pkts[e] = 0;
      this.ipBytes[e] = 0;
      this.size[e] = -1;
      this.state[e] = 0;
      this.prevState[e] = 0;
      this.didClose[e] = 0;
      this.skipDeliveries[e] = 0;
      this.didEof[e] = 0;
      this.startSeq[e] = 0;
      this.lastSeq[e] = 0;
      this.ackSeq[e] = 0;
      this.seqWraps[e] = 0;
      this.ackWraps[e] = 0;
      this.finCnt[e] = 0;
      this.rstCnt[e] = 0;
      this.histLastSyn[e] = 0;
      this.histLastFin[e] = 0;
      this.histLastRst[e] = 0;
      this.finSeq[e] = 0;
      this.reasmNext[e] = 1;
      this.trimSeq[e] = 1;
      this.epLastTime[e] = 0;
      this.rxmtCnt[e] = 0; this.rxmtThresh[e] = 1;
      this.win0Cnt[e] = 0; this.win0Thresh[e] = 1;
      this.chkCnt[e] = 0; this.chkThresh[e] = 1;
      this.gapCnt[e] = 0; this.gapThresh[e] = 1;
    }
  }

  private grow(n: number): void {
    const old = this.capacity;
    const e = 2 * n;
    this.keys = growU32(this.keys, n * KEY_WORDS);
    this.proto = growU8(this.proto, n);
    this.flags = growU8(this.flags, n);
    this.flags2 = growU8(this.flags2, n);
    this.histSeen = growU32(this.histSeen, n);
    this.gen = growI32(this.gen, n);
    this.startTs = growF64(this.startTs, n);
    this.lastTs = growF64(this.lastTs, n);
    this.expireAt = growF64(this.expireAt, n);
    this.schedAt = growF64(this.schedAt, n);
    this.missedBytes = growF64(this.missedBytes, n);
    this.slot = growI32(this.slot, n);
    this.vlans = growU32(this.vlans, n);
    this.dnsTimer = growU8(this.dnsTimer, n);
    this.appState = growU8(this.appState, n);
    this.attemptAt = growF64(this.attemptAt, n);
    this.closeAt = growF64(this.closeAt, n);
    this.halfCloseAt = growF64(this.halfCloseAt, n);
    this.interimAt = growF64(this.interimAt, n);
    this.pkts = growF64(this.pkts, e);
    this.ipBytes = growF64(this.ipBytes, e);
    this.size = growF64(this.size, e);
    this.state = growU8(this.state, e);
    this.prevState = growU8(this.prevState, e);
    this.didClose = growU8(this.didClose, e);
    this.skipDeliveries = growU8(this.skipDeliveries, e);
    this.didEof = growU8(this.didEof, e);
    this.startSeq = growF64(this.startSeq, e);
    this.lastSeq = growU32(this.lastSeq, e);
    this.ackSeq = growU32(this.ackSeq, e);
    this.seqWraps = growU32(this.seqWraps, e);
    this.ackWraps = growU32(this.ackWraps, e);
    this.finCnt = growU32(this.finCnt, e);
    this.rstCnt = growU32(this.rstCnt, e);
    this.histLastSyn = growF64(this.histLastSyn, e);
    this.histLastFin = growF64(this.histLastFin, e);
    this.histLastRst = growF64(this.histLastRst, e);
    this.finSeq = growF64(this.finSeq, e);
    this.reasmNext = growF64(this.reasmNext, e);
    this.trimSeq = growF64(this.trimSeq, e);
    this.epLastTime = growF64(this.epLastTime, e);
    this.rxmtCnt = growU32(this.rxmtCnt, e);
    this.rxmtThresh = growU32(this.rxmtThresh, e);
    this.win0Cnt = growU32(this.win0Cnt, e);
    this.win0Thresh = growU32(this.win0Thresh, e);
    this.chkCnt = growU32(this.chkCnt, e);
    this.chkThresh = growU32(this.chkThresh, e);
    this.gapCnt = growU32(this.gapCnt, e);
    this.gapThresh = growU32(this.gapThresh, e);
    const fl = new Int32Array(n);
    fl.set(this.freeList.subarray(0, this.freeTop));
    this.freeList = fl;
    for (let i = old; i < n; i++) {
      this.uid.push('');
      this.history.push('');
      this.service.push(undefined);
      this.tunnelParents.push(undefined);
    }
    this.capacity = n;
  }
}

function growF64(a: Float64Array | undefined, n: number): Float64Array {
  const b = new Float64Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
function growU32(a: Uint32Array | undefined, n: number): Uint32Array {
  const b = new Uint32Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
function growI32(a: Int32Array | undefined, n: number): Int32Array {
  const b = new Int32Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
function growU8(a: Uint8Array | undefined, n: number): Uint8Array {
  const b = new Uint8Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
