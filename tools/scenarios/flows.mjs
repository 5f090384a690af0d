// @ts-check
/**
 * The flow model: one `Conv` per connection (endpoints, start time, close mode, application
 * messages with real bytes and wire lengths, the events a parser should log). From it we derive,
 * consistently, (a) the packets (with TCP sequence numbers and IP lengths; bulk payload as 64 KB
 * segments whose zero filler is not captured: caplen ≪ wire length) and (b) the ground-truth
 * Zeek conn records (final + interim) and protocol events.
 */

const PSH = 0x08, ACK = 0x10, SYN = 0x02, FIN = 0x01, RST = 0x04;
export const TCP_FLAGS = { PSH, ACK, SYN, FIN, RST };

/**
 * @typedef {{ ip: string, mac?: string, vlan?: number, internal?: boolean }} Endpoint
 * @typedef {{ d: 0|1, dt: number, data?: Buffer, len?: number }} Msg
 * @typedef {{ _path: string, _i?: number, ts?: number, [k: string]: unknown }} Ev
 * @typedef {{ t: number, dir: 0|1, flags: number, seq: number, ack: number, len: number, cap: Buffer | null }} Pkt
 */

export class Conv {
  /**
   * @param {{ uid: string, proto: 'tcp'|'udp', c: Endpoint, s: Endpoint, cport: number, sport: number,
   *   t0: number, mode?: string, msgs?: Msg[], service?: string, events?: Ev[], bw?: number, rtt?: number,
   *   label?: string, endAt?: number }} o
   * mode (tcp): 'fin' | 'fin_s' | 'rst' | 'open' | 'refused' | 'noanswer'; udp: 'udp' | 'noanswer'
   */
  constructor(o) {
    this.uid = o.uid;
    this.proto = o.proto;
    this.c = o.c;
    this.s = o.s;
    this.cport = o.cport;
    this.sport = o.sport;
    this.t0 = o.t0;
    this.mode = o.mode ?? (o.proto === 'tcp' ? 'fin' : 'udp');
    this.msgs = o.msgs ?? [];
    this.service = o.service ?? '';
    this.events = o.events ?? [];
    this.bw = o.bw ?? 100e6;
    this.rtt = o.rtt ?? 0.0004;
    this.label = o.label;
    /** for 'open' mode: capture end (no close) */
    this.endAt = o.endAt;
  }

  /** Packets in time order. @returns {Generator<Pkt>} */
  *packets() {
    const t0 = this.t0;
    if (this.proto === 'udp') {
      let t = t0;
      for (let i = 0; i < this.msgs.length; i++) {
        const m = this.msgs[i];
        if (i > 0) t += m.dt;
        if (this.mode === 'noanswer' && m.d === 1) continue;
        const len = m.len ?? m.data?.length ?? 0;
        yield { t, dir: m.d, flags: 0, seq: 0, ack: 0, len, cap: m.data ?? null };
      }
      return;
    }
    let isn = [hash32(this.uid + 'c'), hash32(this.uid + 's')];
    let seq = [isn[0] + 1, isn[1] + 1];
    if (this.mode === 'noanswer') {
      for (const dt of [0, 1, 3]) yield { t: t0 + dt, dir: 0, flags: SYN, seq: isn[0], ack: 0, len: 0, cap: null };
      return;
    }
    yield { t: t0, dir: 0, flags: SYN, seq: isn[0], ack: 0, len: 0, cap: null };
    if (this.mode === 'refused') {
      yield { t: t0 + this.rtt, dir: 1, flags: RST | ACK, seq: 0, ack: isn[0] + 1, len: 0, cap: null };
      return;
    }
    yield { t: t0 + this.rtt, dir: 1, flags: SYN | ACK, seq: isn[1], ack: isn[0] + 1, len: 0, cap: null };
    let t = t0 + this.rtt + 0.0001;
    yield { t, dir: 0, flags: ACK, seq: seq[0], ack: seq[1], len: 0, cap: null };
    for (let mi = 0; mi < this.msgs.length; mi++) {
      const m = this.msgs[mi];
      const next = this.msgs[mi + 1];
      // an answer that follows quickly carries the ACK itself (delayed-ACK piggybacking)
      const piggyback = !!next && next.d !== m.d && next.dt < 0.2;
      t += m.dt;
      const total = m.len ?? m.data?.length ?? 0;
      // payloads beyond a few segments travel as 64 KB (TSO/GRO-sized) segments whose filler is
      // not captured: caplen ≪ wire length keeps multi-GB transfers small on disk; small
      // messages are captured whole (their zero filler is materialised)
      const bulk = total > 4380;
      const have = m.data?.length ?? 0;
      const data = !bulk && total > have ? Buffer.concat([m.data ?? Buffer.alloc(0), Buffer.alloc(total - have)]) : (m.data ?? null);
      const segSize = bulk ? 64000 : 1460;
      const d = m.d;
      const o = /** @type {0|1} */ (1 - d);
      let off = 0;
      let unacked = 0;
      while (off < total) {
        const n = Math.min(segSize, total - off);
        const cap = data && off < data.length ? data.subarray(off, Math.min(off + n, data.length)) : null;
        yield { t, dir: d, flags: PSH | ACK, seq: seq[d], ack: seq[o], len: n, cap };
        seq[d] = (seq[d] + n) >>> 0;
        off += n;
        const dur = n / this.bw;
        if (++unacked >= (bulk ? 8 : 2) || (off >= total && !piggyback)) {
          yield { t: t + Math.min(0.00005, dur / 2), dir: o, flags: ACK, seq: seq[o], ack: seq[d], len: 0, cap: null };
          unacked = 0;
        }
        t += dur;
      }
    }
    t += 0.001;
    if (this.mode === 'fin' || this.mode === 'fin_s') {
      const a = this.mode === 'fin' ? 0 : 1;
      const b = 1 - a;
      yield { t, dir: /** @type {0|1} */ (a), flags: FIN | ACK, seq: seq[a], ack: seq[b], len: 0, cap: null };
      yield { t: t + this.rtt, dir: /** @type {0|1} */ (b), flags: FIN | ACK, seq: seq[b], ack: seq[a] + 1, len: 0, cap: null };
      yield { t: t + this.rtt + 0.0001, dir: /** @type {0|1} */ (a), flags: ACK, seq: seq[a] + 1, ack: seq[b] + 1, len: 0, cap: null };
    } else if (this.mode === 'rst') {
      yield { t, dir: 0, flags: RST | ACK, seq: seq[0], ack: seq[1], len: 0, cap: null };
    }
  }

  /** Capture time of each message (same walk as packets()). */
  msgTimes() {
    const out = [];
    if (this.proto === 'udp') {
      let t = this.t0;
      this.msgs.forEach((m, i) => {
        if (i > 0) t += m.dt;
        out.push(t);
      });
      return out;
    }
    let t = this.t0 + this.rtt + 0.0001;
    for (let mi = 0; mi < this.msgs.length; mi++) {
      const m = this.msgs[mi];
      const next = this.msgs[mi + 1];
      // an answer that follows quickly carries the ACK itself (delayed-ACK piggybacking)
      const piggyback = !!next && next.d !== m.d && next.dt < 0.2;
      t += m.dt;
      out.push(t);
      const total = m.len ?? m.data?.length ?? 0;
      t += total / this.bw;
    }
    return out;
  }
}

/** @param {string} s */
export function hash32(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Zeek-style connection uid from a counter and a seed. */
export function makeUid(n, seed) {
  let x = BigInt(hash32(`${seed}:${n}`)) * 4294967296n + BigInt(hash32(`${n}:${seed}:x`));
  let s = 'C';
  for (let i = 0; i < 17; i++) {
    s += B62[Number(x % 62n)];
    x /= 62n;
  }
  return s;
}

function isInternal(ip) {
  return ip.startsWith('10.') || ip.startsWith('192.168.') || /^172\.(1[6-9]|2\d|3[01])\./.test(ip);
}

/**
 * Zeek conn records for a conversation: interim records every `interimSec` of capture time
 * while it lasts (cumulative counters, `interim: true`), then the final record.
 * Each record carries `_emit` (capture time at which a sensor would emit it).
 * @param {Conv} c @param {number} interimSec @param {number} captureEnd
 */
export function connRecords(c, interimSec, captureEnd) {
  const out = [];
  const st = { op: 0, rp: 0, oip: 0, rip: 0, ob: 0, rb: 0, first: NaN, last: NaN, hist: '', flags: [0, 0] };
  let nextInterim = c.t0 + interimSec;
  const snap = (interim, emit) => out.push(record(c, st, interim, emit));
  for (const p of c.packets()) {
    while (interimSec > 0 && p.t > nextInterim) {
      if (!Number.isNaN(st.first)) snap(true, nextInterim);
      nextInterim += interimSec;
    }
    if (Number.isNaN(st.first)) st.first = p.t;
    st.last = p.t;
    const ipLen = 20 + (c.proto === 'tcp' ? 20 : 8) + p.len;
    if (p.dir === 0) (st.op++, (st.oip += ipLen), (st.ob += p.len));
    else (st.rp++, (st.rip += ipLen), (st.rb += p.len));
    history(st, p, c.proto);
  }
  const end = c.mode === 'open' ? Math.max(st.last, c.endAt ?? captureEnd) : st.last;
  snap(false, end);
  return out;
}

function history(st, p, proto) {
  const up = p.dir === 0;
  const add = (ch) => {
    const l = up ? ch : ch.toLowerCase();
    if (!st.hist.includes(l)) st.hist += l;
  };
  if (proto !== 'tcp') {
    add('D');
    return;
  }
  if (p.flags & 0x02) add(p.flags & 0x10 ? 'H' : 'S');
  else if (p.flags & 0x04) add('R');
  else if (p.flags & 0x01) add('F');
  else if (p.len > 0) add('D');
  else if (p.flags & 0x10) add('A');
}

function record(c, st, interim, emit) {
  const dir = isInternal(c.c.ip) ? (isInternal(c.s.ip) ? 'internal' : 'outbound') : isInternal(c.s.ip) ? 'inbound' : 'external';
  let state;
  if (c.proto === 'udp') state = st.rp > 0 ? 'SF' : 'S0';
  else if (c.mode === 'noanswer') state = 'S0';
  else if (c.mode === 'refused') state = 'REJ';
  else if (interim || c.mode === 'open') state = 'S1';
  else if (c.mode === 'rst') state = 'RSTO';
  else state = 'SF';
  const r = {
    ts: c.t0,
    uid: c.uid,
    'id.orig_h': c.c.ip,
    'id.orig_p': c.cport,
    'id.resp_h': c.s.ip,
    'id.resp_p': c.sport,
    proto: c.proto,
    service: c.service,
    duration: +(interim ? emit - c.t0 : st.last - c.t0).toFixed(6),
    orig_bytes: st.ob,
    resp_bytes: st.rb,
    conn_state: state,
    local_orig: isInternal(c.c.ip),
    local_resp: isInternal(c.s.ip),
    missed_bytes: 0,
    history: st.hist.replace('H', 'h'),
    orig_pkts: st.op,
    orig_ip_bytes: st.oip,
    resp_pkts: st.rp,
    resp_ip_bytes: st.rip,
    direction: dir,
    _emit: emit,
  };
  if (interim) r.interim = true;
  return r;
}

/** Events with ts filled from their message index and endpoint fields added. @param {Conv} c */
export function convEvents(c) {
  const times = c.msgTimes();
  return c.events.map((e) => {
    const { _i, ...rest } = e;
    const ts = rest.ts ?? (times[_i ?? 0] ?? c.t0);
    return { ...rest, _path: e._path, ts, uid: c.uid, 'id.orig_h': c.c.ip, 'id.orig_p': c.cport, 'id.resp_h': c.s.ip, 'id.resp_p': c.sport, _emit: ts };
  });
}
