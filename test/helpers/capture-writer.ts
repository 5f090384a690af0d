/**
 * Tiny writers for classic pcap and pcapng files, so reader tests can build exactly the file
 * they need (byte order, timestamp resolution, damage) instead of depending on a captured one.
 * Everything is written field by field from the format specs (libpcap savefile format;
 * draft-ietf-opsawg-pcapng), independently of the reader under test.
 */

export interface PcapOptions {
  /** Little-endian file (default true). */
  le?: boolean;
  /** Nanosecond magic a1b23c4d (default: microsecond a1b2c3d4). */
  nano?: boolean;
  /** The whole 32-bit link-type field (upper bits included). Default 1 (Ethernet). */
  linktype?: number;
  snaplen?: number;
}

export interface PcapRecord {
  sec: number;
  /** Microseconds or nanoseconds, per the file's magic. Written as given (may be invalid). */
  frac: number;
  data: Uint8Array;
  /** Original length; default data.length. */
  wirelen?: number;
  /** Caplen written in the header; default data.length (override to forge damage). */
  caplen?: number;
}

export function pcapHeader(o: PcapOptions = {}): Uint8Array {
  const le = o.le ?? true;
  const h = new Uint8Array(24);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, o.snaplen ?? 262144, le);
  dv.setUint32(20, (o.linktype ?? 1) >>> 0, le);
  return h;
}

export function pcapRecord(r: PcapRecord, le = true): Uint8Array {
  const out = new Uint8Array(16 + r.data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, r.sec >>> 0, le);
  dv.setUint32(4, r.frac >>> 0, le);
  dv.setUint32(8, (r.caplen ?? r.data.length) >>> 0, le);
  dv.setUint32(12, (r.wirelen ?? r.data.length) >>> 0, le);
  out.set(r.data, 16);
  return out;
}

export function pcapFile(o: PcapOptions, records: PcapRecord[]): Uint8Array {
  const le = o.le ?? true;
  return concat([pcapHeader(o), ...records.map((r) => pcapRecord(r, le))]);
}

export interface IdbOptions {
  snaplen?: number;
  /** Raw if_tsresol byte (e.g. 6 = µs, 9 = ns, 0x80|n = 2^-n). Omitted: no option (µs). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  /** Extra options before opt_endofopt: [code, value] pairs. */
  extraOptions?: [number, Uint8Array][];
}

/**
 * Builds a pcapng file block by block. Each block is written in the byte order of the section
 * it belongs to (the last `shb()`), so byte-order changes between sections are easy to make.
 */
export class PcapngWriter {
  private parts: Uint8Array[] = [];
  private le = true;

  /** Section header block; starts a new section with its own byte order and interface list. */
  shb(le = true, opts: [number, Uint8Array][] = []): this {
    this.le = le;
    const body = concat([
      u32(0x1a2b3c4d, le), u16(1, le), u16(0, le),
      // section length: -1 (unknown)
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      options(opts, le),
    ]);
    return this.block(0x0a0d0d0a, body);
  }

  idb(linktype: number, o: IdbOptions = {}): this {
    const le = this.le;
    const opts: [number, Uint8Array][] = [...(o.extraOptions ?? [])];
    if (o.tsresol !== undefined) opts.push([9, new Uint8Array([o.tsresol])]);
    if (o.tsoffset !== undefined) {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigInt64(0, o.tsoffset, le);
      opts.push([14, v]);
    }
    const body = concat([u16(linktype, le), u16(0, le), u32(o.snaplen ?? 0, le), options(opts, le)]);
    return this.block(1, body);
  }

  /** Enhanced packet block; `ts` is in the interface's units (64 bits). */
  epb(iface: number, ts: bigint, data: Uint8Array, wirelen = data.length, caplen = data.length): this {
    const le = this.le;
    const body = concat([
      u32(iface, le), u32(Number((ts >> 32n) & 0xffffffffn), le), u32(Number(ts & 0xffffffffn), le),
      u32(caplen, le), u32(wirelen, le), pad4(data),
    ]);
    return this.block(6, body);
  }

  /** Simple packet block (interface 0, no timestamp). */
  spb(data: Uint8Array, wirelen = data.length): this {
    return this.block(3, concat([u32(wirelen, this.le), pad4(data)]));
  }

  /** Obsolete packet block (type 2): 16-bit interface id and drops count. */
  pb(iface: number, ts: bigint, data: Uint8Array, wirelen = data.length): this {
    const le = this.le;
    const body = concat([
      u16(iface, le), u16(0, le), u32(Number((ts >> 32n) & 0xffffffffn), le), u32(Number(ts & 0xffffffffn), le),
      u32(data.length, le), u32(wirelen, le), pad4(data),
    ]);
    return this.block(2, body);
  }

  /** Any block (unknown types, name resolution, custom …) with the given body. */
  block(type: number, body: Uint8Array): this {
    const le = this.le;
    const len = 12 + body.length;
    if (len % 4 !== 0) throw new Error('block body must be padded to 4 bytes');
    this.parts.push(concat([u32(type, le), u32(len, le), body, u32(len, le)]));
    return this;
  }

  /** Raw bytes (for damage). */
  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function options(opts: [number, Uint8Array][], le: boolean): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for (const [code, val] of opts) parts.push(u16(code, le), u16(val.length, le), pad4(val));
  parts.push(u16(0, le), u16(0, le));
  return concat(parts);
}

export function u16(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return b;
}

export function u32(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}

export function pad4(b: Uint8Array): Uint8Array {
  const n = (b.length + 3) & ~3;
  if (n === b.length) return b;
  const o = new Uint8Array(n);
  o.set(b);
  return o;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
