/**
 * Packet builders for decoder tests: each function returns the bytes of one header followed by
 * its payload, with lengths (and the IPv4 header checksum) computed from what is inside, so a
 * fixture reads like the layer stack it is: eth({type: ETH_IPV4}, ipv4({...}, udp({...}, data))).
 * Field layouts follow the RFCs / IEEE documents named at each builder, not the decoders.
 */
import { concat } from './capture-writer.js';

export { concat };

// ---------------------------------------------------------------- addresses
export function ip4(s: string): Uint8Array {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad IPv4 ${s}`);
  return new Uint8Array(p);
}

export function ip6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const hw = head === '' ? [] : head.split(':');
  const tw = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = tail === undefined ? hw : [...hw, ...new Array(8 - hw.length - tw.length).fill('0'), ...tw];
  if (words.length !== 8) throw new Error(`bad IPv6 ${s}`);
  words.forEach((w, i) => { const v = parseInt(w, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  return out;
}

export function mac(s: string): Uint8Array {
  return new Uint8Array(s.split(':').map((x) => parseInt(x, 16)));
}

const be16 = (v: number) => new Uint8Array([(v >> 8) & 0xff, v & 0xff]);
const be32 = (v: number) => new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
const le16 = (v: number) => new Uint8Array([v & 0xff, (v >> 8) & 0xff]);
export { be16, be32 };

export function bytes(...v: number[]): Uint8Array {
  return new Uint8Array(v);
}

export function fill(n: number, v = 0x61): Uint8Array {
  return new Uint8Array(n).fill(v);
}

// ---------------------------------------------------------------- link layers
export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;

export interface Tag { tpid: number; vid: number; pcp?: number }

/** Ethernet II (IEEE 802.3 clause 3) with optional 802.1Q/802.1ad tags before the EtherType. */
export function eth(o: { type: number; dst?: string; src?: string; tags?: Tag[] }, payload: Uint8Array): Uint8Array {
  const parts = [mac(o.dst ?? '02:00:00:00:00:02'), mac(o.src ?? '02:00:00:00:00:01')];
  for (const t of o.tags ?? []) parts.push(be16(t.tpid), be16(((t.pcp ?? 0) << 13) | (t.vid & 0x0fff)));
  parts.push(be16(o.type), payload);
  return concat(parts);
}

/** MPLS label stack entries (RFC 3032); the last one gets the bottom-of-stack bit. */
export function mplsStack(labels: number[], ttl = 64): Uint8Array {
  return concat(labels.map((l, i) => be32(((l & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | ttl)));
}

/** RFC 4385 pseudowire control word (first nibble 0). */
export const PW_CONTROL_WORD = bytes(0, 0, 0, 0x01);

/** 802.1ah I-TAG: PCP/DEI/flags + 24-bit I-SID. */
export function pbbItag(isid: number): Uint8Array {
  return concat([bytes(0), bytes((isid >> 16) & 0xff, (isid >> 8) & 0xff, isid & 0xff)]);
}

/** Linux cooked header v1 (LINKTYPE_LINUX_SLL): 16 bytes. */
export function sll(proto: number, payload: Uint8Array, pkttype = 0): Uint8Array {
  return concat([be16(pkttype), be16(1), be16(6), mac('02:00:00:00:00:09'), bytes(0, 0), be16(proto), payload]);
}

/** Linux cooked header v2 (LINKTYPE_LINUX_SLL2): 20 bytes. */
export function sll2(proto: number, payload: Uint8Array, ifindex = 3): Uint8Array {
  return concat([be16(proto), bytes(0, 0), be32(ifindex), be16(1), bytes(0), bytes(6), mac('02:00:00:00:00:09'), bytes(0, 0), payload]);
}

/** BSD null/loopback: the address family as a 32-bit word in the writer's byte order. */
export function nullHdr(family: number, le: boolean, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, family, le);
  return concat([h, payload]);
}

/** NFLOG TLV: length (LE, incl. the 4-byte header), type (LE), value, padded to 4. */
export function nflogTlv(type: number, value: Uint8Array, lenOverride?: number): Uint8Array {
  const len = lenOverride ?? 4 + value.length;
  const padded = new Uint8Array((value.length + 3) & ~3);
  padded.set(value);
  return concat([le16(len), le16(type), padded]);
}

export function nflog(family: number, tlvs: Uint8Array[]): Uint8Array {
  return concat([bytes(family, 0, 0, 0), ...tlvs]);
}

/** Minimal radiotap header (version 0, no fields present) of `len` bytes. */
export function radiotap(payload: Uint8Array, len = 8): Uint8Array {
  const h = new Uint8Array(len);
  h[2] = len & 0xff;
  h[3] = len >> 8;
  return concat([h, payload]);
}

/** 802.11 data frame + LLC/SNAP (IEEE 802.11-2020 9.3.2.1). */
export function wifiData(o: { qos?: boolean; toDs?: boolean; fromDs?: boolean; protected?: boolean; order?: boolean; nullData?: boolean; snap?: boolean }, etherType: number, payload: Uint8Array): Uint8Array {
  let subtype = 0;
  if (o.qos) subtype |= 0x8;
  if (o.nullData) subtype |= 0x4;
  const fc0 = (subtype << 4) | (2 << 2);
  const fc1 = (o.toDs ? 1 : 0) | (o.fromDs ? 2 : 0) | (o.protected ? 0x40 : 0) | (o.order ? 0x80 : 0);
  const parts = [bytes(fc0, fc1), bytes(0, 0), mac('02:00:00:00:00:0a'), mac('02:00:00:00:00:0b'), mac('02:00:00:00:00:0c'), bytes(0x10, 0)];
  if (o.toDs && o.fromDs) parts.push(mac('02:00:00:00:00:0d'));
  if (o.qos) parts.push(bytes(0, 0));
  if (o.qos && o.order) parts.push(bytes(0, 0, 0, 0));
  parts.push(o.snap === false ? bytes(0x42, 0x42, 0x03, 0, 0, 0, 0, 0) : concat([bytes(0xaa, 0xaa, 0x03, 0, 0, 0), be16(etherType)]));
  parts.push(payload);
  return concat(parts);
}

// ---------------------------------------------------------------- network layers
export interface Ipv4Opts {
  src?: string;
  dst?: string;
  proto: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** IP options bytes (padded to 4). */
  options?: Uint8Array;
  /** Override the IHL nibble (in 32-bit words). */
  ihl?: number;
  /** Override the total length field. */
  totalLen?: number;
  version?: number;
}

/** IPv4 header (RFC 791) with a correct header checksum. */
export function ipv4(o: Ipv4Opts, payload: Uint8Array): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optPadded = new Uint8Array((opts.length + 3) & ~3);
  optPadded.set(opts);
  const hl = 20 + optPadded.length;
  const h = new Uint8Array(hl);
  h[0] = ((o.version ?? 4) << 4) | (o.ihl ?? hl / 4);
  const tl = o.totalLen ?? hl + payload.length;
  h[2] = tl >> 8; h[3] = tl & 0xff;
  const id = o.id ?? 0x1234;
  h[4] = id >> 8; h[5] = id & 0xff;
  const frag = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  h[6] = frag >> 8; h[7] = frag & 0xff;
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(ip4(o.src ?? '10.0.0.1'), 12);
  h.set(ip4(o.dst ?? '10.0.0.2'), 16);
  h.set(optPadded, 20);
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const ck = ~sum & 0xffff;
  h[10] = ck >> 8; h[11] = ck & 0xff;
  return concat([h, payload]);
}

export interface Ipv6Opts {
  src?: string;
  dst?: string;
  /** Next header of the fixed header. */
  nh: number;
  hlim?: number;
  flowLabel?: number;
  /** Override the payload length field. */
  plen?: number;
  version?: number;
}

/** IPv6 fixed header (RFC 8200 §3). `payload` includes any extension headers. */
export function ipv6(o: Ipv6Opts, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(40);
  const fl = o.flowLabel ?? 0;
  h[0] = ((o.version ?? 6) << 4);
  h[1] = (fl >> 16) & 0x0f;
  h[2] = (fl >> 8) & 0xff;
  h[3] = fl & 0xff;
  const plen = o.plen ?? payload.length;
  h[4] = plen >> 8; h[5] = plen & 0xff;
  h[6] = o.nh;
  h[7] = o.hlim ?? 64;
  h.set(ip6(o.src ?? '2001:db8::1'), 8);
  h.set(ip6(o.dst ?? '2001:db8::2'), 24);
  return concat([h, payload]);
}

/** Hop-by-hop / destination options / routing-style extension header of (hdrExtLen+1)*8 bytes. */
export function ext6(nh: number, hdrExtLen = 0, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array((hdrExtLen + 1) * 8);
  h[0] = nh;
  h[1] = hdrExtLen;
  if (h.length > 2) h[2] = 1; // PadN option
  if (h.length > 3) h[3] = h.length - 4;
  return concat([h, payload]);
}

/** Routing header type 0/2-style (segments left 0), (hdrExtLen+1)*8 bytes. */
export function routing6(nh: number, hdrExtLen: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array((hdrExtLen + 1) * 8);
  h[0] = nh;
  h[1] = hdrExtLen;
  h[2] = 0;
  h[3] = 0;
  return concat([h, payload]);
}

/** Authentication header (RFC 4302): length field in 32-bit words minus 2. */
export function ah(nh: number, payloadLenField: number, payload: Uint8Array): Uint8Array {
  const n = (payloadLenField + 2) * 4;
  const h = new Uint8Array(n);
  h[0] = nh;
  h[1] = payloadLenField;
  if (n >= 12) { h.set(be32(0x100), 4); h.set(be32(7), 8); }
  return concat([h, payload]);
}

/** IPv6 fragment header (RFC 8200 §4.5). `offset` in bytes (multiple of 8). */
export function frag6(nh: number, offset: number, more: boolean, id: number, payload: Uint8Array): Uint8Array {
  return concat([bytes(nh, 0), be16((offset & 0xfff8) | (more ? 1 : 0)), be32(id), payload]);
}

/** ARP over Ethernet/IPv4 (RFC 826). */
export function arp(op: number, sha: string, spa: string, tha: string, tpa: string): Uint8Array {
  return concat([be16(1), be16(0x0800), bytes(6, 4), be16(op), mac(sha), ip4(spa), mac(tha), ip4(tpa)]);
}

// ---------------------------------------------------------------- transport layers
export const PROTO_ICMP = 1;
export const PROTO_IPIP = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_IPV6 = 41;
export const PROTO_GRE = 47;
export const PROTO_ESP = 50;
export const PROTO_AH = 51;
export const PROTO_ICMP6 = 58;
export const PROTO_NONE = 59;

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: number;
  win?: number;
  /** Option bytes (padded to 4 with NOP/EOL zeros). */
  options?: Uint8Array;
  /** Override the data offset nibble. */
  dataOffset?: number;
}

/** TCP header (RFC 9293 §3.1); checksum left 0 (the decoders do not verify it). */
export function tcp(o: TcpOpts, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const op = new Uint8Array((opts.length + 3) & ~3);
  op.set(opts);
  const hl = 20 + op.length;
  const h = new Uint8Array(hl);
  h.set(be16(o.sport), 0);
  h.set(be16(o.dport), 2);
  h.set(be32(o.seq ?? 1000), 4);
  h.set(be32(o.ack ?? 0), 8);
  h[12] = (o.dataOffset ?? hl / 4) << 4;
  h[13] = o.flags ?? ACK;
  h.set(be16(o.win ?? 65535), 14);
  h.set(op, 20);
  return concat([h, payload]);
}

/** TCP window scale option (kind 3, length 3). */
export function optWscale(shift: number): Uint8Array {
  return bytes(3, 3, shift);
}

/** TCP MSS option (kind 2, length 4). */
export function optMss(mss: number): Uint8Array {
  return concat([bytes(2, 4), be16(mss)]);
}

/** UDP header (RFC 768); length field covers header + payload unless overridden. */
export function udp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0), lenOverride?: number): Uint8Array {
  return concat([be16(sport), be16(dport), be16(lenOverride ?? 8 + payload.length), be16(0), payload]);
}

/** ICMP / ICMPv6 header: type, code, checksum 0, 4 bytes rest-of-header (id/seq). */
export function icmp(type: number, code: number, rest: Uint8Array = bytes(0, 1, 0, 1), payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat([bytes(type, code, 0, 0), rest, payload]);
}

// ---------------------------------------------------------------- tunnels
export interface GreOpts {
  proto: number;
  checksum?: boolean;
  key?: number;
  seq?: number;
  routing?: boolean;
  version?: number;
}

/** GRE (RFC 2784 / 2890): C, K and S fields in that order. */
export function gre(o: GreOpts, payload: Uint8Array): Uint8Array {
  const flags = (o.checksum ? 0x8000 : 0) | (o.routing ? 0x4000 : 0) | (o.key !== undefined ? 0x2000 : 0) |
    (o.seq !== undefined ? 0x1000 : 0) | (o.version ?? 0);
  const parts: Uint8Array[] = [be16(flags), be16(o.proto)];
  if (o.checksum) parts.push(bytes(0, 0, 0, 0));
  if (o.key !== undefined) parts.push(be32(o.key));
  if (o.seq !== undefined) parts.push(be32(o.seq));
  return concat([...parts, payload]);
}

/** Enhanced GRE v1 (RFC 2637 §4.1) carrying PPP. */
export function pptpGre(o: { callId: number; seq?: number; ack?: number }, ppp: Uint8Array): Uint8Array {
  const flags = 0x2000 | (o.seq !== undefined ? 0x1000 : 0) | (o.ack !== undefined ? 0x0080 : 0) | 1;
  const parts = [be16(flags), be16(0x880b), be16(ppp.length), be16(o.callId)];
  if (o.seq !== undefined) parts.push(be32(o.seq));
  if (o.ack !== undefined) parts.push(be32(o.ack));
  return concat([...parts, ppp]);
}

/** PPP frame: optional ff 03 address/control, 1- or 2-byte protocol. */
export function ppp(proto: number, payload: Uint8Array, o: { addrCtrl?: boolean; compressProto?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.addrCtrl !== false) parts.push(bytes(0xff, 0x03));
  parts.push(o.compressProto ? bytes(proto) : be16(proto));
  return concat([...parts, payload]);
}

/** ERSPAN type II header (8 bytes): version 1, VLAN, session id, index. */
export function erspan2(session: number, payload: Uint8Array, vlan = 0): Uint8Array {
  return concat([be16((1 << 12) | (vlan & 0xfff)), be16(session & 0x3ff), be32(0), payload]);
}

/** ERSPAN type III header (12 bytes, + 8-byte platform subheader when `subheader`). */
export function erspan3(session: number, payload: Uint8Array, subheader = false): Uint8Array {
  const parts = [be16((2 << 12) | 0), be16(session & 0x3ff), be32(0xdeadbeef), bytes(0, 0, 0, subheader ? 1 : 0)];
  if (subheader) parts.push(new Uint8Array(8).fill(0x5a));
  return concat([...parts, payload]);
}

/** VXLAN (RFC 7348): I flag, 24-bit VNI. */
export function vxlan(vni: number, inner: Uint8Array, flags = 0x08): Uint8Array {
  return concat([bytes(flags, 0, 0, 0), bytes((vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0), inner]);
}

/** Geneve (RFC 8926) with the given option bytes (multiple of 4). */
export function geneve(proto: number, options: Uint8Array, inner: Uint8Array, version = 0): Uint8Array {
  if (options.length % 4 !== 0) throw new Error('Geneve options are 4-byte multiples');
  return concat([bytes((version << 6) | (options.length / 4), 0), be16(proto), bytes(0, 0, 0x2a, 0), options, inner]);
}

/** One Geneve TLV option: class, type, data (multiple of 4). */
export function geneveOpt(cls: number, type: number, data: Uint8Array): Uint8Array {
  return concat([be16(cls), bytes(type, data.length / 4), data]);
}

/**
 * GTPv1-U (3GPP TS 29.281 §5): flags 0x30 (+E/S/PN), message type, length, TEID; the optional
 * 4 bytes and each extension header ([len in 4-byte units][content][next type]).
 */
export function gtpu(o: { teid: number; msgType?: number; seq?: number; ext?: { type: number; content: Uint8Array }[] }, inner: Uint8Array): Uint8Array {
  const ext = o.ext ?? [];
  const hasOpt = o.seq !== undefined || ext.length > 0;
  const flags = 0x30 | (ext.length > 0 ? 0x04 : 0) | (o.seq !== undefined ? 0x02 : 0);
  const tail: Uint8Array[] = [];
  if (hasOpt) tail.push(be16(o.seq ?? 0), bytes(0), bytes(ext.length > 0 ? ext[0].type : 0));
  ext.forEach((e, i) => {
    const total = e.content.length + 2;
    if (total % 4 !== 0) throw new Error('GTP extension header content must make a 4-byte multiple');
    tail.push(bytes(total / 4), e.content, bytes(i + 1 < ext.length ? ext[i + 1].type : 0));
  });
  const rest = concat([...tail, inner]);
  return concat([bytes(flags, o.msgType ?? 0xff), be16(rest.length), be32(o.teid), rest]);
}

/** Teredo (RFC 4380 §5.1.1): optional authentication and origin indication before IPv6. */
export function teredo(o: { auth?: { id: Uint8Array; value: Uint8Array }; origin?: { port: number; addr: string } }, ipv6Pkt: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.auth) parts.push(bytes(0, 1, o.auth.id.length, o.auth.value.length), o.auth.id, o.auth.value, fill(8, 0x11), bytes(0));
  if (o.origin) {
    const a = ip4(o.origin.addr).map((x) => x ^ 0xff);
    parts.push(bytes(0, 0), be16(o.origin.port ^ 0xffff), a);
  }
  return concat([...parts, ipv6Pkt]);
}

// ---------------------------------------------------------------- common stacks
export const ETHERTYPE = { IPV4: ETH_IPV4, IPV6: ETH_IPV6, ARP: ETH_ARP, VLAN: 0x8100, QINQ: 0x88a8, QINQ_OLD: 0x9100, MPLS: 0x8847, MPLS_MC: 0x8848, PBB: 0x88e7, VNTAG: 0x8926, PPPOE: 0x8864, TEB: 0x6558, ERSPAN2: 0x88be, ERSPAN3: 0x22eb, PPP: 0x880b };

/** Ethernet/IPv4/UDP frame. */
export function udp4Frame(src: string, sport: number, dst: string, dport: number, payload: Uint8Array = fill(10)): Uint8Array {
  return eth({ type: ETH_IPV4 }, ipv4({ src, dst, proto: PROTO_UDP }, udp(sport, dport, payload)));
}

/** Ethernet/IPv4/TCP frame. */
export function tcp4Frame(src: string, sport: number, dst: string, dport: number, flags = SYN, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return eth({ type: ETH_IPV4 }, ipv4({ src, dst, proto: PROTO_TCP }, tcp({ sport, dport, flags }, payload)));
}
