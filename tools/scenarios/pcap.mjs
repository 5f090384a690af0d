// @ts-check
/**
 * Classic pcap writer (LE, microseconds, Ethernet). Packets of all conversations are merged in
 * time order. Frames carry valid IPv4/TCP/UDP checksums; bulk payload filler is zeros and is not
 * captured (caplen = headers + real bytes), so the checksum over the captured bytes is also the
 * checksum of the full wire segment (zeros add nothing to the one's-complement sum).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const ROUTER_MAC = Buffer.from('00225590a1c1', 'hex');

/** @param {string} ip */
function ip4(ip) {
  return Buffer.from(ip.split('.').map(Number));
}
/** @param {string | undefined} mac */
function macb(mac) {
  return mac ? Buffer.from(mac.replace(/:/g, ''), 'hex') : ROUTER_MAC;
}

function csum(buf, start, end, init = 0) {
  let s = init;
  for (let i = start; i + 1 < end; i += 2) s += buf.readUInt16BE(i);
  if ((end - start) & 1) s += buf[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

class Heap {
  constructor() {
    /** @type {{t:number, k:number, it: Iterator<any>, p: any, c: any}[]} */
    this.a = [];
  }
  push(x) {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const j = (i - 1) >> 1;
      if (less(a[j], a[i])) break;
      [a[i], a[j]] = [a[j], a[i]];
      i = j;
    }
  }
  pop() {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.a.length;
  }
}
const less = (x, y) => x.t < y.t || (x.t === y.t && x.k < y.k);

export class PcapWriter {
  /** @param {string} path */
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(4 << 20);
    this.off = 0;
    this.packets = 0;
    this.bytes = 0;
    this.wireBytes = 0;
    /** @type {Map<string, number>} */
    this.ipid = new Map();
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(1, 20);
    this.put(h);
  }
  put(b) {
    if (this.off + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) {
      writeSync(this.fd, b);
      return;
    }
    b.copy(this.buf, this.off);
    this.off += b.length;
  }
  flush() {
    if (this.off) writeSync(this.fd, this.buf, 0, this.off);
    this.off = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }

  /** @param {import('./flows.mjs').Conv} c @param {import('./flows.mjs').Pkt} p */
  frame(c, p) {
    const src = p.dir === 0 ? c.c : c.s;
    const dst = p.dir === 0 ? c.s : c.c;
    const vlan = src.vlan ?? dst.vlan ?? 0;
    const ethLen = vlan ? 18 : 14;
    const l4 = c.proto === 'tcp' ? 20 : 8;
    const cap = p.cap ?? Buffer.alloc(0);
    const ipTotal = 20 + l4 + p.len;
    const capLen = ethLen + 20 + l4 + cap.length;
    let frameLen = ethLen + ipTotal;
    const out = Buffer.alloc(Math.max(capLen, 60));
    macb(dst.mac).copy(out, 0);
    macb(src.mac).copy(out, 6);
    let o = 12;
    if (vlan) {
      out.writeUInt16BE(0x8100, 12);
      out.writeUInt16BE(vlan, 14);
      o = 16;
    }
    out.writeUInt16BE(0x0800, o);
    const ipo = o + 2;
    const id = ((this.ipid.get(src.ip) ?? (src.ip.length * 7919) & 0xffff) + 1) & 0xffff;
    this.ipid.set(src.ip, id);
    out[ipo] = 0x45;
    out.writeUInt16BE(ipTotal, ipo + 2);
    out.writeUInt16BE(id, ipo + 4);
    out.writeUInt16BE(0x4000, ipo + 6);
    out[ipo + 8] = src.internal === false ? 52 : 128;
    out[ipo + 9] = c.proto === 'tcp' ? 6 : 17;
    ip4(src.ip).copy(out, ipo + 12);
    ip4(dst.ip).copy(out, ipo + 16);
    out.writeUInt16BE(~csum(out, ipo, ipo + 20) & 0xffff, ipo + 10);
    const l4o = ipo + 20;
    const sport = p.dir === 0 ? c.cport : c.sport;
    const dport = p.dir === 0 ? c.sport : c.cport;
    out.writeUInt16BE(sport, l4o);
    out.writeUInt16BE(dport, l4o + 2);
    cap.copy(out, l4o + l4);
    const pseudo = csum(out, ipo + 12, ipo + 20) + (c.proto === 'tcp' ? 6 : 17) + l4 + p.len;
    if (c.proto === 'tcp') {
      out.writeUInt32BE(p.seq >>> 0, l4o + 4);
      out.writeUInt32BE(p.ack >>> 0, l4o + 8);
      out[l4o + 12] = 0x50;
      out[l4o + 13] = p.flags;
      out.writeUInt16BE(p.flags & 0x02 ? 64240 : 1026, l4o + 14);
      const s = csum(out, l4o, l4o + 20 + cap.length, pseudo);
      out.writeUInt16BE(~s & 0xffff || 0xffff, l4o + 16);
    } else {
      out.writeUInt16BE(8 + p.len, l4o + 4);
      const s = csum(out, l4o, l4o + 8 + cap.length, pseudo);
      out.writeUInt16BE(~s & 0xffff || 0xffff, l4o + 6);
    }
    if (frameLen < 60) frameLen = 60;
    const caplen = Math.min(out.length, Math.max(capLen, frameLen === 60 ? 60 : capLen));
    const rec = Buffer.alloc(16);
    const sec = Math.floor(p.t);
    rec.writeUInt32LE(sec, 0);
    rec.writeUInt32LE(Math.min(999999, Math.round((p.t - sec) * 1e6)), 4);
    rec.writeUInt32LE(caplen, 8);
    rec.writeUInt32LE(frameLen, 12);
    this.put(rec);
    this.put(out.subarray(0, caplen));
    this.packets++;
    this.bytes += 16 + caplen;
    this.wireBytes += frameLen;
  }

  /**
   * Write all conversations (any order) with packets merged by time.
   * @param {import('./flows.mjs').Conv[]} convs
   */
  writeAll(convs) {
    const sorted = [...convs].sort((a, b) => a.t0 - b.t0);
    const heap = new Heap();
    let k = 0;
    let i = 0;
    const add = (c) => {
      const it = c.packets();
      const n = it.next();
      if (!n.done) heap.push({ t: n.value.t, k: k++, it, p: n.value, c });
    };
    while (i < sorted.length || heap.size) {
      while (i < sorted.length && (heap.size === 0 || sorted[i].t0 <= heap.a[0].t)) add(sorted[i++]);
      const top = heap.pop();
      this.frame(top.c, top.p);
      const n = top.it.next();
      if (!n.done) heap.push({ t: n.value.t, k: top.k, it: top.it, p: n.value, c: top.c });
    }
  }
}
