// @ts-check
/** TLS 1.2/1.3 records (RFC 8446): ClientHello with SNI and ALPN, ServerHello, app data. */
import { W } from './bytes.mjs';

/** @param {number} type @param {Buffer} body */
function record(type, body, ver = 0x0303) {
  return new W().u8(type).u16be(ver).u16be(body.length).bytes(body).build();
}
/** @param {number} type @param {Buffer} body */
function hs(type, body) {
  const w = new W().u8(type).u8((body.length >>> 16) & 255).u16be(body.length & 0xffff).bytes(body);
  return w.build();
}
function ext(type, data) {
  return new W().u16be(type).u16be(data.length).bytes(data).build();
}

/** @param {string} sni @param {number} seed */
export function clientHello(sni, seed) {
  const name = Buffer.from(sni, 'latin1');
  const sniExt = ext(0, new W().u16be(name.length + 3).u8(0).u16be(name.length).bytes(name).build());
  const alpn = ext(16, new W().u16be(12).u8(2).ascii('h2').u8(8).ascii('http/1.1').build());
  const groups = ext(10, new W().u16be(6).u16be(0x1d).u16be(0x17).u16be(0x18).build());
  const sigalgs = ext(13, new W().u16be(8).u16be(0x0403).u16be(0x0804).u16be(0x0401).u16be(0x0503).build());
  const versions = ext(43, new W().u8(4).u16be(0x0304).u16be(0x0303).build());
  const keyshare = ext(51, new W().u16be(36).u16be(0x1d).u16be(32).bytes(Buffer.alloc(32, seed & 255)).build());
  const exts = Buffer.concat([sniExt, groups, sigalgs, alpn, versions, keyshare]);
  const random = Buffer.alloc(32);
  random.writeUInt32BE(seed >>> 0);
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030];
  const body = new W().u16be(0x0303).bytes(random).u8(32).bytes(Buffer.alloc(32, 7)).u16be(suites.length * 2);
  for (const s of suites) body.u16be(s);
  body.u8(1).u8(0).u16be(exts.length).bytes(exts);
  return record(22, hs(1, body.build()), 0x0301);
}

export function serverHello(seed) {
  const versions = ext(43, new W().u16be(0x0304).build());
  const keyshare = ext(51, new W().u16be(0x1d).u16be(32).bytes(Buffer.alloc(32, (seed >>> 8) & 255)).build());
  const exts = Buffer.concat([versions, keyshare]);
  const random = Buffer.alloc(32);
  random.writeUInt32BE((seed * 2654435761) >>> 0);
  const body = new W().u16be(0x0303).bytes(random).u8(32).bytes(Buffer.alloc(32, 7)).u16be(0x1301).u8(0).u16be(exts.length).bytes(exts).build();
  const ccs = record(20, Buffer.of(1));
  return Buffer.concat([record(22, hs(2, body)), ccs, appDataHeader(2400)]);
}

/** Header of an application_data record of `n` payload bytes (payload is filler). */
export function appDataHeader(n) {
  return new W().u8(23).u16be(0x0303).u16be(Math.min(n, 16401)).build();
}
