/**
 * The per-worker flow table: finds the flow of each decoded packet (a hash table over the
 * canonical key, open addressing), creates flows as Zeek would (originator guessing for partial
 * connections, ICMP request/reply pairing, TCP tuple reuse), applies the protocol's update, and
 * expires flows on capture time with Zeek's timeouts. Finished flows are emitted as conn records.
 *
 * Bounded: at most `maxFlows` flows; when full, the flow due for expiry soonest is evicted
 * (emitted early and counted). Timers live in a binary heap with lazy rescheduling, so a packet
 * costs one comparison against the heap top, not a timer operation.
 */
import { Packet, TCP_ACK, TCP_SYN } from '../../parsers/packet.js';
import { FlowStore, FL_ORIG_IS_A, FL_SYN_SEEN, FL_TUNNEL_SELF, KEY_WORDS } from './flow-store.js';
import { vlanWordOf } from './flow-key.js';
import {
  ENT_ACK, ENT_FLAGS, ENT_HASH, ENT_INFO, ENT_IP_LEN, ENT_KEY, ENT_PAYLOAD_CAPLEN, ENT_PAYLOAD_LEN, ENT_SEQ,
  ENT_PAYLOAD_OFF, ENT_VLAN, ENT_WIN, ENT_WORDS, INFO_OUTER_ONLY, INFO_SRC_IS_A, INFO_UDPLEN_SHIFT, writeEntry,
} from './packet-entry.js';
import { TcpSession } from './tcp-session.js';
import { addHistory, checkHistory } from './conn-history.js';
import { buildConnRecord, ConnRecord } from './conn-record.js';
import { UidGenerator } from './uid.js';
import type { NetworkSet } from '../net/network-set.js';
import { APP_DONE, type AppLayer } from './app-layer.js';
import {
  TCP_CLOSED, TCP_INACTIVE, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT,
} from './tcp-constants.js';

export interface FlowTableConfig {
  /** Inactivity timeouts in seconds (Zeek: tcp 5 min, udp/icmp 1 min). */
  tcpTimeout: number;
  udpTimeout: number;
  icmpTimeout: number;
  /** Zeek's tcp_close_delay / tcp_attempt_delay. */
  tcpCloseDelay: number;
  tcpAttemptDelay: number;
  /** Emit an interim record for flows active this long, then again every period (0 = never). */
  activeTimeout: number;
  maxFlows: number;
  /** Include VLAN ids in the flow key (off when SPAN sessions tag the two directions differently). */
  vlanInKey: boolean;
  /** 65536 entries: bit 0 = likely TCP server port, bit 1 = likely UDP server port. */
  likelyServerPorts: Uint8Array;
  uidSeed?: number;
  communityIdSeed: number;
}

/** Zeek's likely_server_ports with the default scripts loaded (plus the hospital protocols). */
export const DEFAULT_LIKELY_SERVER_PORTS = {
  tcp: [21, 22, 23, 25, 53, 80, 81, 88, 102, 104, 110, 111, 135, 139, 143, 179, 389, 443, 445, 502, 563, 585, 587, 614,
    631, 636, 989, 990, 992, 993, 995, 1080, 1433, 1521, 1883, 2049, 2575, 3128, 3268, 3269, 3306, 3389, 5060, 5061,
    5222, 5269, 5432, 5900, 5985, 5986, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8883, 8888, 11112, 20000,
    47808],
  udp: [53, 67, 69, 88, 111, 123, 137, 138, 161, 162, 389, 500, 514, 1194, 1812, 1813, 2049, 2152, 2123, 3544,
    3389, 4500, 4789, 5060, 5353, 5355, 6081, 47808],
};

export function likelyServerPortTable(tcp: readonly number[], udp: readonly number[]): Uint8Array {
  const t = new Uint8Array(65536);
  for (const p of tcp) t[p] |= 1;
  for (const p of udp) t[p] |= 2;
  return t;
}

export function defaultFlowTableConfig(): FlowTableConfig {
  return {
    tcpTimeout: 300,
    udpTimeout: 60,
    icmpTimeout: 60,
    tcpCloseDelay: 5,
    tcpAttemptDelay: 5,
    activeTimeout: 300,
    maxFlows: 500_000,
    vlanInKey: false,
    likelyServerPorts: likelyServerPortTable(DEFAULT_LIKELY_SERVER_PORTS.tcp, DEFAULT_LIKELY_SERVER_PORTS.udp),
    communityIdSeed: 0,
  };
}

export interface FlowTableStats {
  created: number;
  expired: number;
  evicted: number;
  interim: number;
  /** Packets that found no room even after eviction (should stay 0). */
  dropped: number;
}

const EMPTY = -1;
/** Zeek's dns_session_timeout and the UDP ports its DNS analyzer is attached to by port. */
const DNS_SESSION_TIMEOUT = 10;
const DNS_UDP_PORTS = new Set([53, 137, 5353, 5355]);

export class FlowTable {
  readonly store: FlowStore;
  readonly stats: FlowTableStats = { created: 0, expired: 0, evicted: 0, interim: 0, dropped: 0 };
  private readonly tcp: TcpSession;
  private readonly uids: UidGenerator;
  /** Application-layer parsing (protocol identification and events), when enabled. */
  private app: AppLayer | null = null;
  /** Scratch entry for `process(pkt)` (tests, tools). */
  private readonly scratch = new Uint32Array(ENT_WORDS);
  private readonly tsScratch = new Float64Array(1);

  // hash table: flow id per slot, with the slot's hash for cheap backward-shift deletion
  private slots: Int32Array;
  private slotHash: Uint32Array;
  private mask: number;

  // timer heap (capture time, flow id, generation)
  private hTime = new Float64Array(1024);
  private hFlow = new Int32Array(1024);
  private hGen = new Int32Array(1024);
  private hSize = 0;

  constructor(
    private readonly cfg: FlowTableConfig,
    private readonly internal: NetworkSet,
    /** Receives each record with its IP protocol number and whether it is interim (callers tally without reading the record). */
    private readonly emit: (rec: ConnRecord, ipProto: number, interim: boolean) => void,
  ) {
    this.store = new FlowStore(Math.min(16384, cfg.maxFlows), cfg.maxFlows);
    this.tcp = new TcpSession(this.store);
    this.uids = new UidGenerator(cfg.uidSeed);
    const cap = 1 << 15;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.slotHash = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  attachApp(app: AppLayer): void {
    this.app = app;
  }

  get active(): number {
    return this.store.live;
  }

  /** Earliest capture time at which some timer is due (Infinity when none). */
  get nextDue(): number {
    return this.hSize > 0 ? this.hTime[0] : Infinity;
  }

  /**
   * Account one packet from its entry `e[o …]` (see packet-entry.ts). `parentUid` names the
   * tunnel the packet arrived in; `selfUid` is set for the outer UDP packet of a tunnel, whose
   * flow takes that uid (the dispatcher assigns it so inner flows can name their parent).
   */
  processEntry(e: Uint32Array, o: number, ts: number, parentUid: string | null, selfUid: string | null,
    selfService: string | null, buf: Uint8Array | null = null): void {
    this.tsScratch[0] = ts;
    this.processEntryAt(e, o, this.tsScratch, 0, parentUid, selfUid, selfService, buf);
  }

  /**
   * `processEntry` with the time read from `tss[i]`: the hot path's form. A double passed as an
   * argument to a call V8 does not inline is boxed on the heap, once per packet; read from the
   * typed array it stays unboxed.
   */
  processEntryAt(e: Uint32Array, o: number, tss: Float64Array, i: number, parentUid: string | null,
    selfUid: string | null, selfService: string | null, buf: Uint8Array | null): void {
    const ts = tss[i];
    if (this.hSize > 0 && ts >= this.hTime[0]) this.advance(ts);
    const ko = o + ENT_KEY;
    // As int32 (`| 0`): half of all uint32 hashes are above the small-integer range and would be
    // boxed on the heap at every call V8 does not inline. lookup() makes it unsigned again; the
    // Uint32Array store in insertSlot() wraps it by itself.
    const h = e[o + ENT_HASH] | 0;
    const info = e[o + ENT_INFO];
    const srcIsA = (info & INFO_SRC_IS_A) !== 0;
    const proto = e[ko + 9] & 0xff;
    let f = this.lookup(e, ko, h);
    // The sequence number goes as int32: a uint32 above the small-integer range would be boxed.
    if (f >= 0 && proto === 6 && this.isReuse(f, e[o + ENT_FLAGS] & 0xff, e[o + ENT_SEQ] | 0)) {
      this.finish(f, false);
      f = -1;
    }
    let created = false;
    if (f < 0) {
      f = this.create(e, o, ts, h, srcIsA, selfUid, selfService);
      if (f < 0) {
        this.stats.dropped++;
        return;
      }
      created = true;
    }
    const side = srcIsA ? 0 : 1;
    const s = this.store;
    if (proto === 6) {
      const len = e[o + ENT_PAYLOAD_LEN];
      this.tcp.now = ts;
      this.tcp.packet(f, side, e, o);
    } else {
      const ep = 2 * f + side;
      s.lastTs[f] = ts;
      if (proto === 17) {
        // Zeek counts the datagram before anything else, and its size from the UDP length field.
        s.pkts[ep]++;
        s.ipBytes[ep] += e[o + ENT_IP_LEN];
        const isOrig = side === ((s.flags[f] & FL_ORIG_IS_A) !== 0 ? 0 : 1);
        if (isOrig) checkHistory(s, f, 0x1, 'D');
        else checkHistory(s, f, 0x2, 'd');
        s.size[ep] = (s.size[ep] < 0 ? 0 : s.size[ep]) + ((info >>> INFO_UDPLEN_SHIFT) - 8);
      } else if (proto === 1 || proto === 58) {
        const len = e[o + ENT_PAYLOAD_LEN];
        s.size[ep] = (s.size[ep] < 0 ? 0 : s.size[ep]) + len;
        // Zeek counts an ICMP packet only when its payload was captured in full.
        if (e[o + ENT_PAYLOAD_CAPLEN] >= len) {
          s.pkts[ep]++;
          s.ipBytes[ep] += e[o + ENT_IP_LEN];
        }
      } else {
        // Zeek's unknown_transport connections: packets and IP bytes only.
        s.pkts[ep]++;
        s.ipBytes[ep] += e[o + ENT_IP_LEN];
      }
    }
    if (parentUid !== null) this.addParent(f, parentUid);
    const app = this.app;
    if (app !== null && buf !== null && s.appState[f] !== APP_DONE && (info & INFO_OUTER_ONLY) === 0) {
      const cap = e[o + ENT_PAYLOAD_CAPLEN];
      // Payload cut off by the snaplen (cap < len, even cap = 0) still goes in: the parser learns
      // the bytes are lost (a gap) at once, instead of holding later data for a hole that never fills.
      if (e[o + ENT_PAYLOAD_LEN] > 0 && (proto === 6 || proto === 17)) {
        const isOrig = side === ((s.flags[f] & FL_ORIG_IS_A) !== 0 ? 0 : 1);
        if (proto === 17) {
          app.payload(f, false, isOrig, buf, e[o + ENT_PAYLOAD_OFF], cap, e[o + ENT_PAYLOAD_LEN], 0, ts);
        } else if (this.tcp.dataSeq >= 0) {
          app.payload(f, true, isOrig, buf, e[o + ENT_PAYLOAD_OFF], cap, e[o + ENT_PAYLOAD_LEN], this.tcp.dataSeq, ts);
        }
      }
    }
    // Timers are rescheduled lazily: a packet only moves a flow's expiry later, which the timer
    // heap discovers when the old time comes up. Only a new flow, or a TCP close (which brings
    // expiry closer), needs a heap entry now.
    if (created || this.tcp.timerChanged) {
      this.tcp.timerChanged = false;
      this.reschedule(f);
    }
  }

  /** Account one decoded `Packet` (convenience for tests and tools; the pipeline uses entries). */
  process(pkt: Packet, ts: number, parentUid: string | null = null, selfUid: string | null = null,
    selfService: string | null = null): void {
    const vw = vlanWordOf(pkt);
    writeEntry(pkt, this.scratch, 0, 0, 0, vw, this.cfg.vlanInKey, 0);
    this.processEntry(this.scratch, 0, ts, parentUid, selfUid, selfService, pkt.buf);
  }

  /** Fire every timer due at or before `now` (capture time). */
  advance(now: number): void {
    const s = this.store;
    while (this.hSize > 0 && this.hTime[0] <= now) {
      const t = this.hTime[0];
      const f = this.hFlow[0];
      const g = this.hGen[0];
      this.heapPop();
      if (s.gen[f] !== g || s.slot[f] < 0 || t !== s.schedAt[f]) continue; // stale entry
      s.schedAt[f] = Infinity;
      s.expireAt[f] = this.computeExpire(f);
      if (s.expireAt[f] <= now) {
        this.stats.expired++;
        this.finish(f, false);
        continue;
      }
      if (s.interimAt[f] <= now) {
        const period = this.cfg.activeTimeout;
        // Only flows with packets in the period just ended: an idle flow's record would repeat
        // the previous one (its end comes with the inactivity timeout).
        if (s.lastTs[f] > s.interimAt[f] - period) {
          this.stats.interim++;
          this.emit(buildConnRecord(s, f, this.internal, true, this.cfg.communityIdSeed), s.proto[f], true);
        }
        let next = s.interimAt[f] + period;
        if (next <= now) next = now + period;
        s.interimAt[f] = next;
      }
      this.reschedule(f);
    }
  }

  /** Emit and drop every flow (end of capture or shutdown). */
  flush(): void {
    const s = this.store;
    for (let i = 0; i < this.slots.length; i++) {
      const f = this.slots[i];
      if (f === EMPTY) continue;
      if (this.app !== null) this.app.end(f, s.lastTs[f]);
      this.emit(buildConnRecord(s, f, this.internal, false, this.cfg.communityIdSeed), s.proto[f], false);
    }
    // Rebuild empty state.
    for (let i = 0; i < this.slots.length; i++) {
      const f = this.slots[i];
      if (f !== EMPTY) {
        s.slot[f] = -1;
        s.release(f);
      }
    }
    this.slots.fill(EMPTY);
    this.hSize = 0;
  }

  // ---- keys and the hash table

  private lookup(k: Uint32Array, ko: number, h: number): number {
    h >>>= 0; // passed as int32 (see processEntryAt)
    const slots = this.slots;
    const keys = this.store.keys;
    let i = h & this.mask;
    for (;;) {
      const f = slots[i];
      if (f === EMPTY) return -1;
      if (this.slotHash[i] === h) {
        const o = f * KEY_WORDS;
        if (keys[o] === k[ko] && keys[o + 1] === k[ko + 1] && keys[o + 2] === k[ko + 2] && keys[o + 3] === k[ko + 3] &&
          keys[o + 4] === k[ko + 4] && keys[o + 5] === k[ko + 5] && keys[o + 6] === k[ko + 6] &&
          keys[o + 7] === k[ko + 7] && keys[o + 8] === k[ko + 8] && keys[o + 9] === k[ko + 9] &&
          keys[o + 10] === k[ko + 10]) return f;
      }
      i = (i + 1) & this.mask;
    }
  }

  private insertSlot(f: number, h: number): void {
    if ((this.store.live + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    let i = h & this.mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
    this.slots[i] = f;
    this.slotHash[i] = h;
    this.store.slot[f] = i;
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  private removeSlot(f: number): void {
    const slots = this.slots;
    const hashes = this.slotHash;
    const mask = this.mask;
    let i = this.store.slot[f];
    this.store.slot[f] = -1;
    if (i < 0) return;
    slots[i] = EMPTY;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const g = slots[j];
      if (g === EMPTY) return;
      const home = hashes[j] & mask;
      // Move g back into the hole if its home position does not lie cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        slots[i] = g;
        hashes[i] = hashes[j];
        this.store.slot[g] = i;
        slots[j] = EMPTY;
        i = j;
      }
    }
  }

  private rehash(size: number): void {
    const oldSlots = this.slots;
    const oldHash = this.slotHash;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.slotHash = new Uint32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const f = oldSlots[i];
      if (f === EMPTY) continue;
      let j = oldHash[i] & this.mask;
      while (this.slots[j] !== EMPTY) j = (j + 1) & this.mask;
      this.slots[j] = f;
      this.slotHash[j] = oldHash[i];
      this.store.slot[f] = j;
    }
  }

  // ---- creation, reuse, termination

  private create(e: Uint32Array, o: number, ts: number, h: number, srcIsA: boolean, selfUid: string | null,
    selfService: string | null): number {
    const s = this.store;
    let f = s.alloc();
    if (f < 0) {
      this.evictOne();
      f = s.alloc();
      if (f < 0) return -1;
    }
    this.stats.created++;
    const ko = o + ENT_KEY;
    const fo = f * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) s.keys[fo + i] = e[ko + i];
    const proto = e[ko + 9] & 0xff;
    s.proto[f] = proto;
    s.vlans[f] = e[o + ENT_VLAN];
    s.startTs[f] = ts;
    s.lastTs[f] = ts;
    if (this.cfg.activeTimeout > 0) s.interimAt[f] = ts + this.cfg.activeTimeout;
    const ports = e[ko + 8];
    const sport = srcIsA ? ports >>> 16 : ports & 0xffff;
    const dport = srcIsA ? ports & 0xffff : ports >>> 16;
    let flip = false;
    const lsp = this.cfg.likelyServerPorts;
    if (proto === 6) {
      const fl = e[o + ENT_FLAGS] & 0xff;
      if ((fl & TCP_SYN) !== 0) s.flags2[f] = FL_SYN_SEEN;
      if ((fl & TCP_SYN) === 0 || (fl & TCP_ACK) !== 0) {
        if (lsp[sport] & 1) {
          flip = (lsp[dport] & 1) !== 0 ? (fl & TCP_SYN) === 0 && sport < dport : true;
        }
      }
    } else if (proto === 17) {
      flip = (lsp[sport] & 2) !== 0 && (lsp[dport] & 2) === 0;
    }
    // Zeek never flips towards a broadcast responder.
    const dOff = srcIsA ? ko + 4 : ko;
    if (flip && e[dOff + 2] === 0xffff && e[dOff + 3] === 0xffffffff) flip = false;
    const origIsA = flip ? !srcIsA : srcIsA;
    s.flags[f] = origIsA ? FL_ORIG_IS_A : 0;
    if (selfUid !== null) {
      s.uid[f] = selfUid;
      s.flags[f] |= FL_TUNNEL_SELF;
      if (selfService !== null) s.service[f] = selfService;
    } else {
      s.uid[f] = this.uids.uid();
    }
    if (flip) addHistory(s, f, '^');
    if (proto === 17 && DNS_UDP_PORTS.has(flip ? sport : dport)) s.dnsTimer[f] = 1;
    this.insertSlot(f, h);
    return f;
  }

  /** Zeek's TCPSessionAdapter::IsReuse: a new SYN on an existing tuple starts a new connection. */
  private isReuse(f: number, fl: number, seq: number): boolean {
    const s = this.store;
    if ((fl & TCP_SYN) === 0) return false;
    const oe = 2 * f + ((s.flags[f] & FL_ORIG_IS_A) !== 0 ? 0 : 1);
    const re = oe ^ 1;
    let connOrig = oe;
    if (fl & TCP_ACK) {
      if (s.state[oe] !== TCP_INACTIVE) return false;
      connOrig = re;
    }
    const closed = s.didClose[oe] !== 0 || s.didClose[re] !== 0;
    if (!closed) {
      const base = seq >>> 0; // passed as int32
      if (base === s.startSeq[connOrig] >>> 0) return false;
      if ((fl & TCP_ACK) === 0 && s.state[connOrig] === TCP_SYN_ACK_SENT && s.state[re] === TCP_INACTIVE &&
        base === s.startSeq[re] >>> 0) return false;
    }
    return true;
  }

  private addParent(f: number, uid: string): void {
    const s = this.store;
    const cur = s.tunnelParents[f];
    if (cur === undefined) s.tunnelParents[f] = [uid];
    else if (!cur.includes(uid)) cur.push(uid);
  }

  /** When the flow will be due, from its protocol state (Zeek's timers, simplified to one time). */
  private computeExpire(f: number): number {
    const s = this.store;
    const c = this.cfg;
    const proto = s.proto[f];
    const last = s.lastTs[f];
    if (proto === 17) {
      if (s.dnsTimer[f] !== 0) {
        // Zeek's DNS analyzer removes a UDP DNS connection at the first of its 10-second checks
        // that finds the connection idle (dns_session_timeout).
        const start = s.startTs[f];
        const k = Math.max(1, Math.ceil((last + DNS_SESSION_TIMEOUT - 1 - start) / DNS_SESSION_TIMEOUT));
        return Math.min(start + k * DNS_SESSION_TIMEOUT, last + c.udpTimeout);
      }
      return last + c.udpTimeout;
    }
    if (proto !== 6) return last + c.icmpTimeout;
    if (s.closeAt[f] >= 0) return s.closeAt[f] + c.tcpCloseDelay;
    const oe = 2 * f + ((s.flags[f] & FL_ORIG_IS_A) !== 0 ? 0 : 1);
    const re = oe ^ 1;
    const os = s.state[oe];
    const rs = s.state[re];
    // Until one side leaves the handshake states Zeek keeps the UDP inactivity timeout.
    const handshake = os <= TCP_SYN_ACK_SENT && rs <= TCP_SYN_ACK_SENT;
    let t = last + (handshake ? c.udpTimeout : c.tcpTimeout);
    if (s.attemptAt[f] >= 0 && (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT) && rs === TCP_INACTIVE) {
      const a = s.attemptAt[f] + c.tcpAttemptDelay;
      if (a < t) t = a;
    }
    if (s.halfCloseAt[f] >= 0 && (s.didClose[oe] !== 0 || s.didClose[re] !== 0) &&
      (os === TCP_RESET || rs === TCP_RESET || os === TCP_INACTIVE || rs === TCP_INACTIVE || (os === TCP_CLOSED && rs === TCP_CLOSED))) {
      const lingerDone = last + c.tcpCloseDelay;
      if (lingerDone < t) t = lingerDone;
    }
    return t;
  }

  private reschedule(f: number): void {
    const s = this.store;
    const exp = this.computeExpire(f);
    s.expireAt[f] = exp;
    const due = exp < s.interimAt[f] ? exp : s.interimAt[f];
    if (due < s.schedAt[f]) {
      s.schedAt[f] = due;
      this.heapPush(due, f, s.gen[f]);
    }
  }

  /** Emit the final record and forget the flow. */
  private finish(f: number, evicted: boolean): void {
    const s = this.store;
    if (evicted) this.stats.evicted++;
    if (this.app !== null) this.app.end(f, s.lastTs[f]);
    this.emit(buildConnRecord(s, f, this.internal, false, this.cfg.communityIdSeed), s.proto[f], false);
    this.removeSlot(f);
    s.release(f);
  }

  /** Make room: the live flow whose timer is due soonest goes first. */
  private evictOne(): void {
    const s = this.store;
    while (this.hSize > 0) {
      const t = this.hTime[0];
      const f = this.hFlow[0];
      const g = this.hGen[0];
      this.heapPop();
      if (s.gen[f] !== g || s.slot[f] < 0 || t !== s.schedAt[f]) continue;
      this.finish(f, true);
      return;
    }
  }

  // ---- binary heap on (time) with flow id and generation

  private heapPush(t: number, f: number, g: number): void {
    if (this.hSize === this.hTime.length) {
      const n = this.hTime.length * 2;
      const t2 = new Float64Array(n); t2.set(this.hTime); this.hTime = t2;
      const f2 = new Int32Array(n); f2.set(this.hFlow); this.hFlow = f2;
      const g2 = new Int32Array(n); g2.set(this.hGen); this.hGen = g2;
    }
    let i = this.hSize++;
    const ht = this.hTime, hf = this.hFlow, hg = this.hGen;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ht[p] <= t) break;
      ht[i] = ht[p]; hf[i] = hf[p]; hg[i] = hg[p];
      i = p;
    }
    ht[i] = t; hf[i] = f; hg[i] = g;
  }

  private heapPop(): void {
    const n = --this.hSize;
    if (n === 0) return;
    const ht = this.hTime, hf = this.hFlow, hg = this.hGen;
    const t = ht[n], f = hf[n], g = hg[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && ht[c + 1] < ht[c]) c++;
      if (ht[c] >= t) break;
      ht[i] = ht[c]; hf[i] = hf[c]; hg[i] = hg[c];
      i = c;
    }
    ht[i] = t; hf[i] = f; hg[i] = g;
  }
}

