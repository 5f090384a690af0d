/** Hand-built TLS handshake records for tests (RFC 8446 / 5246 wire format). */
export interface Ext { type: number; data: Buffer }

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 255, n & 255]);

export function ext(type: number, data: Buffer | number[]): Ext {
  return { type, data: Buffer.isBuffer(data) ? data : Buffer.from(data) };
}
export const sniExt = (name: string) => { const n = Buffer.from(name); return ext(0, Buffer.concat([u16(n.length + 3), Buffer.from([0]), u16(n.length), n])); };
export const alpnExt = (protos: string[]) => { const l = Buffer.concat(protos.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)]))); return ext(0x10, Buffer.concat([u16(l.length), l])); };
export const u16ListExt = (type: number, vals: number[]) => ext(type, Buffer.concat([u16(vals.length * 2), ...vals.map(u16)]));
export const versionsExt = (vals: number[]) => ext(0x2b, Buffer.concat([Buffer.from([vals.length * 2]), ...vals.map(u16)]));

export function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}
export function record(type: number, payload: Buffer, version = 0x0301): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(payload.length), payload]);
}
function exts(list: Ext[]): Buffer {
  const b = Buffer.concat(list.map((e) => Buffer.concat([u16(e.type), u16(e.data.length), e.data])));
  return Buffer.concat([u16(b.length), b]);
}
export function clientHello(o: { version?: number; ciphers: number[]; exts: Ext[]; sessionId?: Buffer }): Buffer {
  const sid = o.sessionId ?? Buffer.alloc(0);
  const body = Buffer.concat([u16(o.version ?? 0x0303), Buffer.alloc(32, 7), Buffer.from([sid.length]), sid,
    u16(o.ciphers.length * 2), ...o.ciphers.map(u16), Buffer.from([1, 0]), exts(o.exts)]);
  return record(22, handshake(1, body));
}
export function serverHello(o: { version?: number; cipher: number; exts: Ext[]; sessionId?: Buffer }): Buffer {
  const sid = o.sessionId ?? Buffer.alloc(0);
  const body = Buffer.concat([u16(o.version ?? 0x0303), Buffer.alloc(32, 9), Buffer.from([sid.length]), sid,
    u16(o.cipher), Buffer.from([0]), exts(o.exts)]);
  return record(22, handshake(2, body), 0x0303);
}
export const ccs = () => record(20, Buffer.from([1]), 0x0303);
export const appData = (n: number) => record(23, Buffer.alloc(n, 0x5a), 0x0303);
