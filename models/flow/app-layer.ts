/**
 * Application layer of the flow engine: per flow, identify the protocol from the first payload of
 * each direction (parsers whose well-known ports match are probed first, content decides), feed
 * the chosen parser in-order bytes (TCP, reassembled here) or datagrams (UDP), give every event
 * the flow's uid and id fields, and record confirmed services for the conn record's `service`.
 *
 * Reassembly is bounded and lazy: in-order segments are handed to the parser as views into the
 * capture chunk (no copy); only segments above a hole are copied, capped per direction and per
 * worker. A hole the cap cannot bridge (or that the flow ends with) is reported to the parser as
 * a gap. Once a parser says it is `done` — TLS after its handshake, SSH after KEXINIT … — the
 * flow's payload is not looked at again, so bulk transfers cost nothing here.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from '../../parsers/app/types.js';
import type { FlowStore } from './flow-store.js';
import { FL_ORIG_IS_A, FL_SYN_SEEN, KEY_WORDS } from './flow-store.js';
import { formatAddr } from '../net/addr-format.js';

export interface AppLayerConfig {
  parsers: readonly AppParser[];
  /** Per-session cap on buffered partial messages (SessionContext.maxBufferBytes). */
  maxBufferBytes: number;
  /** Out-of-order bytes held per flow direction before the hole is declared a gap. */
  maxOooPerDir: number;
  /** Out-of-order bytes held by this worker in total. */
  maxOooTotal: number;
  /** Largest first payload kept while the protocol is not yet known (the other direction may identify it). */
  maxProbeBytes: number;
  /**
   * Give every parser TCP connections whose start was not seen. When false, the services in
   * PARTIAL_UNSAFE skip them, as Zeek's HTTP analyzer does (a request stream picked up in the
   * middle mis-pairs requests and replies).
   */
  midstream: boolean;
}

/** Services whose parsers do not take connections picked up mid-stream (Zeek's HTTP analyzer returns early on partial connections). */
export const PARTIAL_UNSAFE: ReadonlySet<string> = new Set(['http']);

export const DEFAULT_APP_LAYER: Omit<AppLayerConfig, 'parsers'> = {
  maxBufferBytes: 64 * 1024,
  maxOooPerDir: 64 * 1024,
  maxOooTotal: 32 << 20,
  maxProbeBytes: 8 * 1024,
  midstream: false,
};

/** appState column values in the flow store. */
export const APP_NONE = 0;
export const APP_ACTIVE = 1;
export const APP_DONE = 2;

interface Seg {
  seq: number;
  data: Uint8Array;
  /** Wire length (data may be shorter: snaplen-cut). */
  len: number;
  ts: number;
}

interface Held {
  dir: Dir;
  data: Uint8Array;
  len: number;
  ts: number;
}

class AppFlow implements SessionContext {
  session: AppSession | null = null;
  service = '';
  probed = 0;
  /** Directions (bits) with payload that arrived unidentified and was not held. */
  unheld = 0;
  unheldLen0 = 0;
  unheldLen1 = 0;
  held: Held[] | null = null;
  /** TCP: next expected relative sequence number per direction (NaN until the first segment). */
  next0 = NaN;
  next1 = NaN;
  ooo0: Seg[] | null = null;
  ooo1: Seg[] | null = null;
  oooBytes0 = 0;
  oooBytes1 = 0;
  idFields: Record<string, unknown> | null = null;
  lastTs = 0;
  /** TCP connection whose start (SYN) was not seen. */
  partial = false;

  constructor(readonly layer: AppLayer, readonly f: number, readonly maxBufferBytes: number) {}

  emit(ev: AppEvent): void {
    this.layer.emitEvent(this, ev);
  }

  confirm(service: string): void {
    this.layer.confirmService(this, service);
  }

  count(name: string, n = 1): void {
    this.layer.countName(name, n);
  }
}

export interface AppLayerStats {
  events: number;
  faults: number;
  gaps: number;
  oooBytesHeld: number;
  oooDropped: number;
}

export class AppLayer {
  readonly stats: AppLayerStats = { events: 0, faults: 0, gaps: 0, oooBytesHeld: 0, oooDropped: 0 };
  /** Parser counters (ctx.count) since the last `takeCounters()`. */
  private counters = new Map<string, number>();
  private flows: (AppFlow | undefined)[] = [];
  private out: AppEvent[] = [];
  private readonly tcpParsers: AppParser[];
  private readonly udpParsers: AppParser[];

  constructor(private readonly store: FlowStore, private readonly cfg: AppLayerConfig) {
    this.tcpParsers = cfg.parsers.filter((p) => p.transport === 'tcp');
    this.udpParsers = cfg.parsers.filter((p) => p.transport === 'udp');
  }

  /** Events emitted since the last call. */
  takeEvents(): AppEvent[] {
    const e = this.out;
    this.out = [];
    return e;
  }

  takeCounters(): Record<string, number> {
    const o = Object.fromEntries(this.counters);
    this.counters.clear();
    return o;
  }

  /**
   * Payload of flow `f` from the originator (`isOrig`) or responder. `seq` is the TCP relative
   * sequence number of the first byte (ignored for UDP). `cap` bytes are present at `buf[off]`,
   * `len` were on the wire.
   */
  payload(f: number, tcp: boolean, isOrig: boolean, buf: Uint8Array, off: number, cap: number, len: number,
    seq: number, ts: number): void {
    let a = this.flows[f];
    if (a === undefined) {
      a = new AppFlow(this, f, this.cfg.maxBufferBytes);
      a.partial = tcp && (this.store.flags2[f] & FL_SYN_SEEN) === 0;
      this.flows[f] = a;
      this.store.appState[f] = APP_ACTIVE;
    }
    a.lastTs = ts;
    const dir: Dir = isOrig ? 0 : 1;
    if (!tcp) {
      this.deliver(a, dir, buf, off, cap, len, ts, false);
      return;
    }
    let next = dir === 0 ? a.next0 : a.next1;
    if (next !== next) next = seq; // first data of this direction: start the stream here
    const end = seq + len;
    if (end <= next) return; // retransmission of delivered data
    if (seq < next) {
      // Overlap with delivered data: keep the new part only.
      const skip = next - seq;
      off += skip;
      cap = cap > skip ? cap - skip : 0;
      len -= skip;
      seq = next;
    }
    if (seq === next) {
      this.deliver(a, dir, buf, off, cap, len, ts, true);
      next = seq + len;
      if (dir === 0) a.next0 = next; else a.next1 = next;
      this.drainOoo(a, dir);
      return;
    }
    // Above a hole: hold a copy until the hole fills, within the caps.
    const held = dir === 0 ? a.oooBytes0 : a.oooBytes1;
    if (held + cap > this.cfg.maxOooPerDir || this.stats.oooBytesHeld + cap > this.cfg.maxOooTotal) {
      // Cannot wait any longer: the hole is lost.
      this.gapTo(a, dir, seq);
      this.deliver(a, dir, buf, off, cap, len, ts, true);
      if (dir === 0) a.next0 = seq + len; else a.next1 = seq + len;
      this.drainOoo(a, dir);
      return;
    }
    const seg: Seg = { seq, data: buf.slice(off, off + cap), len, ts };
    let list = dir === 0 ? a.ooo0 : a.ooo1;
    if (list === null) {
      list = [];
      if (dir === 0) a.ooo0 = list; else a.ooo1 = list;
    }
    let i = list.length;
    while (i > 0 && list[i - 1].seq > seq) i--;
    list.splice(i, 0, seg);
    if (dir === 0) a.oooBytes0 += cap; else a.oooBytes1 += cap;
    this.stats.oooBytesHeld += cap;
  }

  /** The flow ends: deliver what is held (holes become gaps), end the session, forget the flow. */
  end(f: number, ts: number): void {
    const a = this.flows[f];
    if (a === undefined) return;
    for (const dir of [0, 1] as Dir[]) {
      const list = dir === 0 ? a.ooo0 : a.ooo1;
      if (list !== null && list.length > 0) {
        this.gapTo(a, dir, list[0].seq);
        this.drainOoo(a, dir);
      }
    }
    const s = a.session;
    if (s !== null) {
      try {
        s.end(ts);
      } catch {
        this.fault(a);
      }
    }
    this.release(a);
  }

  // ---- internals

  private release(a: AppFlow): void {
    this.stats.oooBytesHeld -= a.oooBytes0 + a.oooBytes1;
    a.ooo0 = a.ooo1 = null;
    a.held = null;
    a.session = null;
    this.flows[a.f] = undefined;
  }

  /** Stop looking at this flow's payload (parser done, failed, or nothing recognised). */
  private finishParsing(a: AppFlow): void {
    this.store.appState[a.f] = APP_DONE;
    this.stats.oooBytesHeld -= a.oooBytes0 + a.oooBytes1;
    a.oooBytes0 = a.oooBytes1 = 0;
    a.ooo0 = a.ooo1 = null;
    a.held = null;
  }

  /** Report the bytes between the delivered edge and `upTo` as missing. */
  private gapTo(a: AppFlow, dir: Dir, upTo: number): void {
    const next = dir === 0 ? a.next0 : a.next1;
    if (!(upTo > next)) return;
    this.stats.gaps++;
    const s = a.session;
    if (s !== null && !s.done) {
      try {
        s.gap(dir, upTo - next);
      } catch {
        this.fault(a);
      }
    }
    if (dir === 0) a.next0 = upTo; else a.next1 = upTo;
  }

  private drainOoo(a: AppFlow, dir: Dir): void {
    const list = dir === 0 ? a.ooo0 : a.ooo1;
    if (list === null) return;
    while (list.length > 0) {
      const next = dir === 0 ? a.next0 : a.next1;
      const seg = list[0];
      if (seg.seq > next) break;
      list.shift();
      if (dir === 0) a.oooBytes0 -= seg.data.length; else a.oooBytes1 -= seg.data.length;
      this.stats.oooBytesHeld -= seg.data.length;
      const end = seg.seq + seg.len;
      if (end <= next) continue;
      const skip = next - seg.seq;
      const cap = seg.data.length > skip ? seg.data.length - skip : 0;
      this.deliver(a, dir, seg.data, Math.min(skip, seg.data.length), cap, seg.len - skip, seg.ts, true);
      if (dir === 0) a.next0 = end; else a.next1 = end;
    }
  }

  /**
   * Hand in-order bytes to the session, probing for a parser first if none is chosen yet. A
   * snaplen cut (cap < len) is delivered as the captured bytes followed by a gap.
   */
  private deliver(a: AppFlow, dir: Dir, buf: Uint8Array, off: number, cap: number, len: number, ts: number,
    tcp: boolean): void {
    if (this.store.appState[a.f] === APP_DONE) return;
    let s = a.session;
    if (s === null) {
      if (cap === 0) return;
      const bit = 1 << dir;
      if ((a.probed & bit) !== 0) {
        // This direction's first payload matched nothing and no parser was chosen since: later
        // bytes are not held (copying every segment of unidentified flows is what costs).
        a.unheld |= bit;
        if (dir === 0) a.unheldLen0 += len; else a.unheldLen1 += len;
        return;
      }
      a.probed |= bit;
      const parser = this.probe(a, dir, buf, off, cap, tcp);
      if (parser === null) {
        if (a.probed === 3) {
          this.finishParsing(a); // both directions seen, nothing recognised
          return;
        }
        // Keep a copy of this first payload: the other direction may still identify the protocol.
        if (cap <= this.cfg.maxProbeBytes) {
          (a.held ??= []).push({ dir, data: buf.slice(off, off + cap), len, ts });
        } else {
          a.unheld |= bit;
          if (dir === 0) a.unheldLen0 += len; else a.unheldLen1 += len;
        }
        return;
      }
      try {
        s = parser.create(a);
      } catch {
        this.fault(a);
        return;
      }
      a.session = s;
      const held = a.held;
      a.held = null;
      if (held !== null) {
        for (const h of held) {
          if (!this.feed(a, s, h.dir, h.data, 0, h.data.length, h.len, h.ts)) return;
        }
      }
      // Bytes of a direction that arrived after its unmatched first payload were not kept.
      if ((a.unheld & 1) !== 0 && tcp && !s.done) this.gapAfterHeld(a, s, 0);
      if ((a.unheld & 2) !== 0 && tcp && !s.done) this.gapAfterHeld(a, s, 1);
      if (s.done) {
        this.finishParsing(a);
        return;
      }
    }
    this.feed(a, s, dir, buf, off, cap, len, ts);
  }

  /** The parser missed bytes of `dir` that were not held while the protocol was unknown. */
  private gapAfterHeld(a: AppFlow, s: AppSession, dir: Dir): void {
    try {
      this.stats.gaps++;
      s.gap(dir, dir === 0 ? a.unheldLen0 : a.unheldLen1);
    } catch {
      this.fault(a);
    }
  }

  /** Returns false when the flow is no longer parsed. */
  private feed(a: AppFlow, s: AppSession, dir: Dir, buf: Uint8Array, off: number, cap: number, len: number,
    ts: number): boolean {
    try {
      if (cap > 0) s.data(dir, buf, off, cap, ts);
      if (len > cap && !s.done) {
        this.stats.gaps++;
        s.gap(dir, len - cap);
      }
    } catch {
      this.fault(a);
      return false;
    }
    if (s.done) {
      this.finishParsing(a);
      return false;
    }
    return true;
  }

  private probe(a: AppFlow, dir: Dir, buf: Uint8Array, off: number, cap: number, tcp: boolean): AppParser | null {
    const ports = this.portsOf(a.f);
    const list = tcp ? this.tcpParsers : this.udpParsers;
    // Parsers registered for one of the flow's ports first, then everything else.
    for (let pass = 0; pass < 2; pass++) {
      for (const p of list) {
        if (a.partial && !this.cfg.midstream && PARTIAL_UNSAFE.has(p.service)) continue;
        const portMatch = p.ports.includes(ports.respPort) || p.ports.includes(ports.origPort);
        if (portMatch !== (pass === 0)) continue;
        let ok = false;
        try {
          ok = p.probe(dir, buf, off, cap, ports);
        } catch {
          this.stats.faults++;
        }
        if (ok) return p;
      }
    }
    return null;
  }

  private portsOf(f: number): PortPair {
    const s = this.store;
    const ports = s.keys[f * KEY_WORDS + 8];
    const origA = (s.flags[f] & FL_ORIG_IS_A) !== 0;
    return origA ? { origPort: ports >>> 16, respPort: ports & 0xffff } : { origPort: ports & 0xffff, respPort: ports >>> 16 };
  }

  private fault(a: AppFlow): void {
    this.stats.faults++;
    this.countName(`${a.service || 'parser'}_faults`, 1);
    this.finishParsing(a);
  }

  // ---- SessionContext callbacks (through AppFlow)

  /**
   * The event object is the parser's own (it hands it over): the flow's uid and id fields are
   * added to it rather than copying it into a new object.
   */
  emitEvent(a: AppFlow, ev: AppEvent): void {
    if (a.idFields === null) a.idFields = this.idFieldsOf(a.f);
    const id = a.idFields;
    if (ev.ts === undefined) ev.ts = a.lastTs;
    ev.uid = id.uid;
    ev['id.orig_h'] = id['id.orig_h'];
    ev['id.orig_p'] = id['id.orig_p'];
    ev['id.resp_h'] = id['id.resp_h'];
    ev['id.resp_p'] = id['id.resp_p'];
    this.out.push(ev);
    this.stats.events++;
  }

  confirmService(a: AppFlow, service: string): void {
    const cur = a.service === '' ? [] : a.service.split(',');
    if (cur.includes(service)) return;
    cur.push(service);
    a.service = cur.join(',');
    const prev = this.store.service[a.f];
    this.store.service[a.f] = prev === undefined || prev === '' ? a.service : mergeServices(prev, service);
  }

  countName(name: string, n: number): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  private idFieldsOf(f: number): Record<string, unknown> {
    const s = this.store;
    const k = f * KEY_WORDS;
    const keys = s.keys;
    const origA = (s.flags[f] & FL_ORIG_IS_A) !== 0;
    const oo = origA ? k : k + 4;
    const ro = origA ? k + 4 : k;
    const ports = keys[k + 8];
    return {
      uid: s.uid[f],
      'id.orig_h': formatAddr(keys[oo], keys[oo + 1], keys[oo + 2], keys[oo + 3]),
      'id.orig_p': origA ? ports >>> 16 : ports & 0xffff,
      'id.resp_h': formatAddr(keys[ro], keys[ro + 1], keys[ro + 2], keys[ro + 3]),
      'id.resp_p': origA ? ports & 0xffff : ports >>> 16,
    };
  }
}

function mergeServices(prev: string, add: string): string {
  const l = prev.split(',');
  if (!l.includes(add)) l.push(add);
  return l.join(',');
}
