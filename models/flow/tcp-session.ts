/**
 * Zeek's TCP connection semantics on the columnar store: endpoint state machine, relative
 * sequence numbers with wrap-around, history letters, payload sizes from sequence numbers, and
 * a data-free model of the reassembler that finds content gaps (missed_bytes, 'G').
 *
 * Endpoints are indexed by key side (A = 2f, B = 2f+1), not by role, so flipping the roles
 * (Zeek's FlipRoles) toggles one flag instead of moving state around.
 *
 * Behaviour follows Zeek's TCPSessionAdapter / TCP_Endpoint / TCP_Reassembler (BSD-licensed):
 * the same decisions in the same order, so conn_state and history agree letter for letter.
 */
import { FlowStore, FL_CLOSE_DEFERRED, FL_DEFERRED_GEN_EVENT, FL_ORIG_IS_A, FL_PARTIAL, FL_SEEN_ORIG, FL_SEEN_RESP } from './flow-store.js';
import { addHistory, addEpHistory, checkEpHistory, scaledHistory } from './conn-history.js';
import { ENT_ACK, ENT_FLAGS, ENT_IP_LEN, ENT_PAYLOAD_CAPLEN, ENT_PAYLOAD_LEN, ENT_SEQ, ENT_WIN } from './packet-entry.js';
import {
  HIST_ACK_PKT, HIST_DATA_PKT, HIST_FIN_PKT, HIST_FIN_RST_PKT, HIST_MULTI_FLAG_PKT, HIST_RST_PKT, HIST_SYN_PKT,
  TCP_CLOSED, TCP_ESTABLISHED, TCP_INACTIVE, TCP_PARTIAL, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT,
  TOO_LARGE_SEQ_DELTA,
} from './tcp-constants.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

const TWO32 = 4294967296;
const TWO31 = 2147483648;
/** Zeek's tcp_max_above_hole_without_any_acks and tcp_excessive_data_without_further_acks. */
const MAX_ABOVE_HOLE_NO_ACKS = 16384;
const MAX_HOLE_PIECES = 256;

/** Which key side is the originator. */
function origSide(s: FlowStore, f: number): number {
  return (s.flags[f] & FL_ORIG_IS_A) !== 0 ? 0 : 1;
}

export function epIsOrig(s: FlowStore, e: number): boolean {
  return (e & 1) === origSide(s, e >> 1);
}

/** Zeek's Connection::FlipRoles for a TCP connection. */
export function flipRoles(s: FlowStore, f: number): void {
  s.flags[f] ^= FL_ORIG_IS_A;
  const fl = s.flags[f];
  // first_packet_seen follows the endpoints.
  const seenO = (fl & FL_SEEN_ORIG) !== 0;
  const seenR = (fl & FL_SEEN_RESP) !== 0;
  s.flags[f] = (fl & ~(FL_SEEN_ORIG | FL_SEEN_RESP) & ~FL_PARTIAL) | (seenO ? FL_SEEN_RESP : 0) | (seenR ? FL_SEEN_ORIG : 0);
  addHistory(s, f, '^');
}

function setState(s: FlowStore, e: number, st: number): void {
  const cur = s.state[e];
  if (st !== cur) {
    s.prevState[e] = cur;
    s.state[e] = st;
  }
}

/** 64-bit sequence space value of a 32-bit number after `wraps` wrap-arounds. */
function full(seq: number, wraps: number): number {
  return wraps * TWO32 + seq;
}

/** Zeek's TCP_Endpoint::Size(): payload bytes from sequence numbers. */
export function tcpSize(s: FlowStore, e: number): number {
  const p = e ^ 1;
  if (s.prevState[e] === TCP_SYN_SENT && s.state[e] === TCP_RESET && s.state[p] === TCP_INACTIVE && !noDataAcked(s, e)) {
    return 0;
  }
  const last = full(s.lastSeq[e], s.seqWraps[e]);
  const ack = full(s.ackSeq[e], s.ackWraps[e]);
  let size = (last > ack ? last : ack) - s.startSeq[e];
  // uint64 arithmetic in Zeek: a negative difference wraps to a huge value.
  if (size < 0) size += 18446744073709551616;
  if (size !== 0) size--;
  if (s.finCnt[e] > 0 && size !== 0) size--;
  return size;
}

function noDataAcked(s: FlowStore, e: number): boolean {
  const ack = full(s.ackSeq[e], s.ackWraps[e]);
  const start = s.startSeq[e];
  return ack === start || ack === start + 1;
}

export class TcpSession {
  constructor(private readonly s: FlowStore) {}

  private underflow = false;
  /**
   * After `packet()`: relative sequence number of the segment's first payload byte, or -1 when
   * its payload must not be delivered to an application parser (RST, or a sequence number below
   * the connection's start, as Zeek's reassembler refuses).
   */
  dataSeq = -1;
  /** Set when a packet moved one of the flow's TCP timers (close, half close, reset); read and cleared by the table. */
  timerChanged = false;
  /**
   * Capture time of the packet being processed, set by the table before `packet()`. A field, not
   * an argument: a double passed to a call V8 does not inline is boxed on the heap, and this runs
   * for every packet (the field's box is updated in place).
   */
  now = 0;

  /** Zeek's get_relative_seq. Sets `this.underflow` when the number is below the start. */
  private relSeq(e: number, cur: number, last: number, wraps: number): number {
    cur >>>= 0; // passed as int32 (see packet())
    last >>>= 0;
    let delta = (cur - last) | 0; // seq_delta (tcp-constants.ts)
    if (delta < 0) {
      if (wraps > 0 && cur > last) wraps--;
    } else if (delta > 0) {
      if (cur < last) wraps++;
    }
    if (wraps === 0) {
      delta = (cur - this.s.startSeq[e]) | 0;
      if (delta < 0) this.underflow = true;
      return delta;
    }
    return full(cur, wraps) - this.s.startSeq[e];
  }

  /**
   * One TCP segment of flow `f` sent from key side `side`, read from its packet entry `ent[eo …]`
   * (see packet-entry.ts; the time is `now`). Sequence numbers are read here rather than passed:
   * half of them exceed the small-integer range and would be boxed on the heap at every call.
   * `captured`: the payload is all in the capture (truncated payloads cannot be reassembled,
   * exactly as in Zeek).
   */
  packet(f: number, side: number, ent: Uint32Array, eo: number): void {
    const tcpFlags = ent[eo + ENT_FLAGS] & 0xff;
    const seq = ent[eo + ENT_SEQ];
    const ack = ent[eo + ENT_ACK];
    const win = ent[eo + ENT_WIN];
    const len = ent[eo + ENT_PAYLOAD_LEN];
    const captured = ent[eo + ENT_PAYLOAD_CAPLEN] >= len;
    const ipLen = ent[eo + ENT_IP_LEN];
    const ts = this.now;
    const s = this.s;
    const e = 2 * f + side;
    const p = e ^ 1;
    // The sender's role at arrival; Zeek keeps using this (possibly stale) value after a flip.
    const isOrigAtArrival = side === origSide(s, f);

    this.setPartialStatus(f, tcpFlags, isOrigAtArrival);

    let segLen = len;
    if (tcpFlags & SYN) segLen++;
    if (tcpFlags & FIN) segLen++;
    if (tcpFlags & RST) segLen -= len;
    const seqOnePast = (seq + segLen) >>> 0;

    // Sequence numbers go to the helpers as int32 (`| 0`) and are made unsigned again inside:
    // half of all uint32 values are above the small-integer range and would be boxed on the heap
    // at every call V8 does not inline (~46 B per TCP packet, sampled).
    this.initEndpoint(e, tcpFlags, seq | 0, seqOnePast | 0);

    // The segment's true offset in the stream, for the application parsers. Zeek's relative
    // numbering (relSeq) is a signed 32-bit distance from the start while the sequence space has
    // not wrapped, so it reports an underflow for every segment once an endpoint has sent 2 GiB,
    // which would stop all parsing there (a 4 GB SMB read, a long backup). Counted from the last
    // sequence number instead, the offset stays right at any size.
    // full() and seq_delta written out: their uint32 arguments would be boxed if not inlined.
    const streamOff = s.seqWraps[e] * TWO32 + s.lastSeq[e] - s.startSeq[e] + ((seq - s.lastSeq[e]) | 0);
    this.underflow = false;
    const relSeq = this.relSeq(e, seq | 0, s.lastSeq[e] | 0, s.seqWraps[e]);
    const seqUnderflow = this.underflow;

    this.updateHistory(f, e, tcpFlags, relSeq, len);
    // Zero window advertisement (scaling cannot turn a zero into anything else).
    if (win === 0 && (tcpFlags & RST) === 0 && s.state[p] !== TCP_CLOSED && s.state[e] !== TCP_RESET) {
      scaledHistory(s, f, e, epIsOrig(s, e), 'W', s.win0Cnt, s.win0Thresh);
    }

    const o = 2 * f + origSide(s, f);
    if (s.didClose[o] === 0 || s.didClose[o ^ 1] === 0) s.lastTs[f] = ts;

    if (tcpFlags & FIN) {
      s.finCnt[e]++;
      s.finSeq[e] = relSeq + segLen;
    }
    if (tcpFlags & RST) s.rstCnt[e]++;

    let relAck = 0;
    if (tcpFlags & ACK) {
      if (s.state[p] === TCP_INACTIVE) {
        relAck = 1;
        const a = (ack - 1) >>> 0;
        s.startSeq[p] = a;
        s.ackSeq[p] = a;
        s.lastSeq[p] = a;
      } else {
        this.underflow = false;
        relAck = this.relSeq(p, ack | 0, s.ackSeq[p] | 0, s.ackWraps[p]);
        if (this.underflow) relAck = 0;
        else if ((tcpFlags & RST) === 0) this.updateAckSeq(p, ack | 0);
      }
    }

    const deltaLast = this.updateLastSeq(f, e, seqOnePast | 0, tcpFlags, len);
    s.epLastTime[e] = ts;

    const close = this.updateStateMachine(f, e, p, seq | 0, ack | 0, len, deltaLast, isOrigAtArrival, tcpFlags);

    if (tcpFlags & ACK) this.ackReceived(f, p, relAck);

    this.dataSeq = -1;
    if (len > 0 && (tcpFlags & RST) === 0) {
      if (!seqUnderflow) {
        const relDataSeq = tcpFlags & SYN ? relSeq + 1 : relSeq;
        this.dataSeq = relDataSeq;
        // The content-gap model (missed_bytes) keeps Zeek's numbering, underflow included.
        if (captured) this.dataSent(f, e, relDataSeq, len);
      } else if (streamOff >= TWO31) {
        this.dataSeq = tcpFlags & SYN ? streamOff + 1 : streamOff;
      }
    }
    this.checkEof(f, e);

    if (close !== 0) this.connectionClosed(f, e, p, close === 2);

    // Zeek's CheckPIA_FirstPacket marks the (arrival-time) direction as seen.
    s.flags[f] |= isOrigAtArrival ? FL_SEEN_ORIG : FL_SEEN_RESP;

    // ConnSize counts after everything, on the side the sender had when the packet arrived.
    const cs = 2 * f + (isOrigAtArrival ? origSide(s, f) : origSide(s, f) ^ 1);
    s.pkts[cs]++;
    s.ipBytes[cs] += ipLen;
  }

  private setPartialStatus(f: number, flags: number, isOrig: boolean): void {
    const s = this.s;
    const fl = s.flags[f];
    if (isOrig) {
      if ((fl & FL_SEEN_ORIG) === 0) {
        const partial = (flags & SYN) === 0 || (flags & ACK) !== 0;
        s.flags[f] = partial ? fl | FL_PARTIAL : fl & ~FL_PARTIAL;
      }
    } else if ((fl & FL_SEEN_RESP) === 0 && (fl & FL_PARTIAL) === 0) {
      if ((flags & SYN) === 0) s.flags[f] = fl | FL_PARTIAL;
    }
  }

  private initEndpoint(e: number, flags: number, first: number, last: number): void {
    first >>>= 0; // passed as int32 (see packet())
    last >>>= 0;
    const s = this.s;
    switch (s.state[e]) {
      case TCP_INACTIVE:
        if (flags & SYN) {
          s.ackSeq[e] = first;
          s.startSeq[e] = first;
        } else {
          // Partial connection: number as though a SYN had been seen.
          const a = (first - 1) >>> 0;
          s.ackSeq[e] = a;
          s.startSeq[e] = a;
          last = first;
        }
        s.lastSeq[e] = last;
        break;
      case TCP_SYN_SENT:
      case TCP_SYN_ACK_SENT:
        if (flags & SYN && first !== s.startSeq[e] >>> 0) {
          s.startSeq[e] = first;
          s.ackSeq[e] = first;
          s.lastSeq[e] = last;
        }
        break;
      case TCP_ESTABLISHED:
      case TCP_PARTIAL:
        if (flags & SYN) {
          s.startSeq[e] = first;
          s.ackSeq[e] = first;
          s.lastSeq[e] = last;
        }
        break;
      case TCP_RESET:
        if (flags & SYN && s.prevState[e] === TCP_INACTIVE) {
          s.startSeq[e] = first;
          s.ackSeq[e] = first;
          s.lastSeq[e] = last;
        }
        break;
    }
  }

  private updateHistory(f: number, e: number, flags: number, relSeq: number, len: number): void {
    const s = this.s;
    const isOrig = epIsOrig(s, e);
    const bits = (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0) + (flags & RST ? 1 : 0);
    if (bits > 1) {
      if (flags & FIN && flags & RST) checkEpHistory(s, f, isOrig, HIST_FIN_RST_PKT, 'I');
      else checkEpHistory(s, f, isOrig, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits === 1) {
      if (flags & SYN) {
        const code = flags & ACK ? 'H' : 'S';
        if (checkEpHistory(s, f, isOrig, HIST_SYN_PKT, code) && relSeq !== s.histLastSyn[e]) addEpHistory(s, f, isOrig, code);
        s.histLastSyn[e] = relSeq;
      }
      if (flags & FIN) {
        if (checkEpHistory(s, f, isOrig, HIST_FIN_PKT, 'F') && relSeq + len !== s.histLastFin[e]) addEpHistory(s, f, isOrig, 'F');
        s.histLastFin[e] = relSeq + len;
      }
      if (flags & RST) {
        if (checkEpHistory(s, f, isOrig, HIST_RST_PKT, 'R') && relSeq !== s.histLastRst[e]) addEpHistory(s, f, isOrig, 'R');
        s.histLastRst[e] = relSeq;
      }
    } else if (len > 0) {
      checkEpHistory(s, f, isOrig, HIST_DATA_PKT, 'D');
    } else if (flags & ACK) {
      checkEpHistory(s, f, isOrig, HIST_ACK_PKT, 'A');
    }
  }

  private updateAckSeq(e: number, ack: number): void {
    ack >>>= 0; // passed as int32 (see packet())
    const s = this.s;
    const delta = (ack - s.ackSeq[e]) | 0;
    if (ack === 0 && delta > TOO_LARGE_SEQ_DELTA) return;
    if (delta > 0) {
      if (ack < s.ackSeq[e]) s.ackWraps[e]++;
      s.ackSeq[e] = ack;
    }
  }

  private updateLastSeq(f: number, e: number, last: number, flags: number, len: number): number {
    last >>>= 0; // passed as int32 (see packet())
    const s = this.s;
    const cur = s.lastSeq[e];
    const delta = (last - cur) | 0;
    if ((flags & (SYN | RST)) !== 0 && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted
    } else if (flags & FIN && cur === ((s.startSeq[e] + 1) >>> 0)) {
      this.setLastSeq(e, last | 0);
    } else if (s.state[e] === TCP_RESET) {
      // sequence numbers after a RST are not trusted
    } else if (delta > 0) {
      this.setLastSeq(e, last | 0);
    } else if (delta <= 0 && len > 0) {
      scaledHistory(s, f, e, epIsOrig(s, e), 'T', s.rxmtCnt, s.rxmtThresh);
    }
    return delta;
  }

  private setLastSeq(e: number, v: number): void {
    v >>>= 0; // passed as int32
    const s = this.s;
    if (v < s.lastSeq[e]) s.seqWraps[e]++;
    s.lastSeq[e] = v;
  }

  /** Returns 0 (no close), 1 (close without event), 2 (close with event). */
  private updateStateMachine(f: number, e: number, p: number, baseSeq: number, ackSeq: number, len: number,
    deltaLast: number, isOrig: boolean, flags: number): number {
    const s = this.s;
    switch (s.state[e]) {
      case TCP_INACTIVE:
        return this.inactiveState(f, e, p, baseSeq, ackSeq, len, isOrig, flags);
      case TCP_SYN_SENT:
      case TCP_SYN_ACK_SENT:
      {
        let r = 0;
        if (flags & FIN) {
          setState(s, e, TCP_CLOSED);
          r = 2;
        }
        if (flags & RST) {
          setState(s, e, TCP_RESET);
          if (r === 0) r = 1;
        }
        return r;
      }
      case TCP_ESTABLISHED:
      case TCP_PARTIAL: {
        let r = 0;
        if (flags & SYN && s.state[e] === TCP_PARTIAL && s.state[p] === TCP_INACTIVE && (flags & ACK) === 0) {
          setState(s, e, TCP_SYN_SENT);
        }
        if (flags & FIN && (flags & RST) === 0) {
          setState(s, e, TCP_CLOSED);
          if (s.state[p] === TCP_RESET && s.prevState[p] === TCP_CLOSED) setState(s, p, TCP_CLOSED);
          r = 2;
        }
        if (flags & RST) {
          setState(s, e, TCP_RESET);
          if (r === 0) r = 1;
        }
        return r;
      }
      case TCP_CLOSED:
        if (flags & RST && s.state[p] !== TCP_CLOSED) {
          setState(s, e, TCP_RESET);
          if (s.didClose[e] === 0) return 1;
          s.closeAt[f] = this.now; // Zeek's reset timer removes the connection 5 s later
          this.timerChanged = true;
        }
        return 0;
      default: // TCP_RESET
        return 0;
    }
  }

  private inactiveState(f: number, e: number, p: number, baseSeq: number, ackSeq: number, len: number,
    isOrig: boolean, flags: number): number {
    baseSeq >>>= 0; // passed as int32 (see packet())
    const s = this.s;
    let r = 0;
    if (flags & SYN) {
      if (isOrig) {
        setState(s, e, flags & ACK ? TCP_SYN_ACK_SENT : TCP_SYN_SENT);
        if (s.attemptAt[f] < 0) s.attemptAt[f] = this.now;
      } else {
        if ((flags & ACK) === 0 && s.state[p] === TCP_SYN_ACK_SENT && baseSeq === (s.startSeq[e] >>> 0)) {
          // SYN/SYN-ACK reversal: flip the roles and establish.
          flipRoles(s, f);
          setState(s, p, TCP_ESTABLISHED);
          s.flags[f] |= FL_SEEN_ORIG;
        }
        if (s.state[p] === TCP_SYN_SENT) setState(s, p, TCP_ESTABLISHED);
        setState(s, e, TCP_ESTABLISHED);
      }
    }
    if (flags & FIN) {
      setState(s, e, TCP_CLOSED);
      r = 2;
    }
    if (flags & RST) {
      setState(s, e, TCP_RESET);
      let reject = false;
      if (isOrig) {
        if (s.state[p] === TCP_ESTABLISHED) reject = true;
      } else if (s.state[p] === TCP_SYN_SENT || s.state[p] === TCP_SYN_ACK_SENT) {
        reject = true;
      }
      r = reject ? 1 : 2;
    }
    if (s.state[e] === TCP_INACTIVE) {
      const o = 2 * f + origSide(s, f);
      if (!isOrig && len === 0 && s.state[o] === TCP_SYN_SENT) {
        // an eccentric stack acking the SYN before answering it: not a partial connection
      } else if (flags & ACK && s.state[p] === TCP_ESTABLISHED) {
        // Missed the initial SYN but saw the SYN-ACK: establish rather than go partial.
        setState(s, e, TCP_ESTABLISHED);
        s.flags[f] &= ~FL_PARTIAL;
        s.flags[f] |= isOrig ? FL_SEEN_ORIG : FL_SEEN_RESP;
      } else {
        setState(s, e, TCP_PARTIAL);
      }
    }
    return r;
  }

  // ---- reassembler model (no payload bytes are kept, only sequence ranges)

  private gap(f: number, e: number, len: number): void {
    const s = this.s;
    const p = e ^ 1;
    if (isClean(s, e) && isClean(s, p)) {
      scaledHistory(s, f, e, epIsOrig(s, e), 'G', s.gapCnt, s.gapThresh);
      s.missedBytes[f] += len;
    }
  }

  /** Data [seq, seq+len) of endpoint e arrived (relative sequence space). */
  private dataSent(f: number, e: number, seq: number, len: number): void {
    const s = this.s;
    if (s.skipDeliveries[e] !== 0) return;
    const ack = s.ackWraps[e] * TWO32 + s.ackSeq[e] - s.startSeq[e];
    let upper = seq + len;
    if (seq < ack) {
      if (upper <= ack) return;
      seq = ack;
    }
    const trim = s.trimSeq[e];
    if (upper <= trim) return;
    if (seq < trim) seq = trim;
    const next = s.reasmNext[e];
    if (seq <= next) {
      // In order (or overlapping what was delivered): advance, then absorb buffered pieces.
      if (upper > next) {
        s.reasmNext[e] = upper;
        const holes = s.aboveHole.get(e);
        if (holes !== undefined) this.absorb(e, holes);
      }
      return;
    }
    // Above a hole: remember the range until the hole fills or the peer acks past it.
    let holes = s.aboveHole.get(e);
    if (holes === undefined) {
      holes = [];
      s.aboveHole.set(e, holes);
    }
    if (holes.length < 2 * MAX_HOLE_PIECES) insertRange(holes, seq, upper);
    if (noDataAcked(s, e) && undeliveredAbove(holes, s.reasmNext[e]) > MAX_ABOVE_HOLE_NO_ACKS) {
      s.aboveHole.delete(e);
      s.skipDeliveries[e] = 1;
    }
    upper = 0;
  }

  /** Deliver buffered ranges that now touch the delivered edge. */
  private absorb(e: number, holes: number[]): void {
    const s = this.s;
    let next = s.reasmNext[e];
    let i = 0;
    while (i < holes.length && holes[i] <= next) {
      if (holes[i + 1] > next) next = holes[i + 1];
      i += 2;
    }
    s.reasmNext[e] = next;
    if (i > 0) holes.splice(0, i);
    if (holes.length === 0) s.aboveHole.delete(e);
  }

  /** The peer acknowledged endpoint e's data up to relative sequence `seq`. */
  private ackReceived(f: number, e: number, seq: number): void {
    const s = this.s;
    if (s.finCnt[e] > 0 && seq >= s.finSeq[e]) seq = s.finSeq[e] - 1;
    if (seq <= s.trimSeq[e]) return;
    const next = s.reasmNext[e];
    if (seq > next && s.skipDeliveries[e] === 0) this.undelivered(f, e, seq);
    s.trimSeq[e] = seq;
    const holes = s.aboveHole.get(e);
    if (holes !== undefined) {
      // Drop ranges entirely below the new trim point.
      let i = 0;
      while (i < holes.length && holes[i + 1] <= seq) i += 2;
      if (i > 0) holes.splice(0, i);
      if (holes.length === 0) s.aboveHole.delete(e);
    }
    this.checkEof(f, e);
  }

  /** Zeek's TCP_Reassembler::Undelivered: data up to `upTo` was acked but never seen. */
  private undelivered(f: number, e: number, upTo: number): void {
    const s = this.s;
    if (upTo <= 2 && (s.flags[f] & FL_PARTIAL) !== 0) return;
    let next = s.reasmNext[e];
    const holes = s.aboveHole.get(e);
    if (holes !== undefined) {
      let i = 0;
      while (i < holes.length && holes[i] < upTo) {
        const lo = holes[i];
        const hi = holes[i + 1];
        if (lo > next) {
          this.gap(f, e, lo - next);
          next = lo;
        }
        if (hi > next) next = hi;
        i += 2;
      }
      holes.splice(0, i);
      if (holes.length === 0) s.aboveHole.delete(e);
    }
    if (upTo > next) {
      this.gap(f, e, upTo - next);
      next = upTo;
    }
    s.reasmNext[e] = next;
  }

  /** Zeek's TCP_Reassembler::DataPending for endpoint e. */
  private dataPending(e: number): boolean {
    const s = this.s;
    if (s.skipDeliveries[e] !== 0) return false;
    const delivered = s.startSeq[e] + s.reasmNext[e];
    const last = full(s.lastSeq[e], s.seqWraps[e]);
    if (last < delivered) return false;
    if (delivered !== last - 1 && delivered !== last) return true;
    if (s.state[e] !== TCP_RESET && this.hasUndelivered(e ^ 1)) return true;
    return false;
  }

  private hasUndelivered(e: number): boolean {
    const h = this.s.aboveHole.get(e);
    return h !== undefined && h.length > 0;
  }

  private checkEof(f: number, e: number): void {
    const s = this.s;
    if (s.didEof[e] !== 0) return;
    if ((s.finCnt[e] > 0 || s.state[e] === TCP_CLOSED || s.state[e] === TCP_RESET) && !this.dataPending(e)) {
      s.didEof[e] = 1;
      if (s.flags[f] & FL_CLOSE_DEFERRED) {
        const gen = (s.flags[f] & FL_DEFERRED_GEN_EVENT) !== 0;
        s.flags[f] &= ~FL_CLOSE_DEFERRED;
        this.connectionClosed(f, e, e ^ 1, gen);
      }
    }
  }

  /** Zeek's ConnectionClosed: marks the endpoint closed and decides when the flow goes away. */
  private connectionClosed(f: number, e: number, p: number, genEvent: boolean): void {
    const s = this.s;
    if (this.dataPending(e)) {
      s.flags[f] |= FL_CLOSE_DEFERRED;
      if ((s.flags[f] & FL_DEFERRED_GEN_EVENT) === 0 && genEvent) s.flags[f] |= FL_DEFERRED_GEN_EVENT;
      return;
    }
    s.flags[f] &= ~FL_CLOSE_DEFERRED;
    if (s.didClose[e] !== 0) return;
    s.didClose[e] = 1;
    const complete = s.state[e] === TCP_RESET || s.didClose[p] !== 0 || s.state[p] === TCP_INACTIVE;
    if (complete) {
      s.flags[f] &= ~FL_DEFERRED_GEN_EVENT;
      s.closeAt[f] = s.lastTs[f];
      this.timerChanged = true;
    } else if (s.prevState[e] !== TCP_INACTIVE) {
      s.halfCloseAt[f] = s.lastTs[f];
      this.timerChanged = true;
    }
  }
}

function isClean(s: FlowStore, e: number): boolean {
  const st = s.state[e];
  return st === TCP_ESTABLISHED || (st === TCP_CLOSED && s.prevState[e] === TCP_ESTABLISHED);
}

/** Insert [lo, hi) into a sorted flat range list, merging overlaps. */
function insertRange(r: number[], lo: number, hi: number): void {
  let i = 0;
  while (i < r.length && r[i + 1] < lo) i += 2;
  let j = i;
  while (j < r.length && r[j] <= hi) {
    if (r[j] < lo) lo = r[j];
    if (r[j + 1] > hi) hi = r[j + 1];
    j += 2;
  }
  r.splice(i, j - i, lo, hi);
}

function undeliveredAbove(r: number[], next: number): number {
  let n = 0;
  for (let i = 0; i < r.length; i += 2) if (r[i + 1] > next) n += r[i + 1] - Math.max(r[i], next);
  return n;
}
