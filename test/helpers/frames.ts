/**
 * Minimal builders of real Ethernet/IPv4/IPv6 frames with TCP, UDP or ICMP, for flow-table tests:
 * the bytes go through the production decoder, so the tests exercise the real packet path.
 */
import { Packet } from '../../parsers/packet.js';
import { decodeFrame } from '../../parsers/decode.js';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

function ip4(a: string): number[] {
  return a.split('.').map(Number);
}

export interface TcpSpec { src: string; dst: string; sport: number; dport: number; flags: number; seq: number; ack?: number; win?: number; payload?: number; }

export function tcpFrame(t: TcpSpec): Uint8Array {
  const plen = t.payload ?? 0;
  const total = 20 + 20 + plen;
  const b = new Uint8Array(14 + total);
  b.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  const o = 14;
  b[o] = 0x45; b[o + 2] = total >> 8; b[o + 3] = total & 255; b[o + 8] = 64; b[o + 9] = 6;
  b.set(ip4(t.src), o + 12); b.set(ip4(t.dst), o + 16);
  const p = o + 20;
  b[p] = t.sport >> 8; b[p + 1] = t.sport & 255; b[p + 2] = t.dport >> 8; b[p + 3] = t.dport & 255;
  const w32 = (x: number, at: number) => { b[at] = x >>> 24; b[at + 1] = (x >>> 16) & 255; b[at + 2] = (x >>> 8) & 255; b[at + 3] = x & 255; };
  w32(t.seq >>> 0, p + 4); w32((t.ack ?? 0) >>> 0, p + 8);
  b[p + 12] = 5 << 4; b[p + 13] = t.flags;
  const win = t.win ?? 65535; b[p + 14] = win >> 8; b[p + 15] = win & 255;
  return b;
}

export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: number): Uint8Array {
  const total = 28 + payload;
  const b = new Uint8Array(14 + total);
  b.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  const o = 14;
  b[o] = 0x45; b[o + 2] = total >> 8; b[o + 3] = total & 255; b[o + 8] = 64; b[o + 9] = 17;
  b.set(ip4(src), o + 12); b.set(ip4(dst), o + 16);
  const p = o + 20;
  b[p] = sport >> 8; b[p + 1] = sport & 255; b[p + 2] = dport >> 8; b[p + 3] = dport & 255;
  b[p + 4] = (8 + payload) >> 8; b[p + 5] = (8 + payload) & 255;
  return b;
}

export function icmpFrame(src: string, dst: string, type: number, code: number, payload: number): Uint8Array {
  const total = 28 + payload;
  const b = new Uint8Array(14 + total);
  b.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  const o = 14;
  b[o] = 0x45; b[o + 2] = total >> 8; b[o + 3] = total & 255; b[o + 8] = 64; b[o + 9] = 1;
  b.set(ip4(src), o + 12); b.set(ip4(dst), o + 16);
  b[o + 20] = type; b[o + 21] = code;
  return b;
}

/** Decode a frame with the production decoder (throws in the test if it does not decode). */
export function decoded(frame: Uint8Array, pkt = new Packet()): Packet {
  pkt.reset(frame, 0, frame.length, frame.length);
  const r = decodeFrame(pkt, 1);
  if (r !== 0) throw new Error(`test frame did not decode: reason ${r}`);
  return pkt;
}
