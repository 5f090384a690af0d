// @ts-check
/** DICOM upper layer (PS3.8): A-ASSOCIATE-RQ/AC, P-DATA-TF with command sets, A-RELEASE. */
import { W } from './bytes.mjs';

export const SOP = {
  verification: '1.2.840.10008.1.1',
  ctStore: '1.2.840.10008.5.1.4.1.1.2',
  mrStore: '1.2.840.10008.5.1.4.1.1.4',
  crStore: '1.2.840.10008.5.1.4.1.1.1',
  usStore: '1.2.840.10008.5.1.4.1.1.6.1',
  studyFind: '1.2.840.10008.5.1.4.1.2.2.1',
  studyMove: '1.2.840.10008.5.1.4.1.2.2.2',
  mwlFind: '1.2.840.10008.5.1.4.31',
};
const APP_CTX = '1.2.840.10008.3.1.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
export const CMD = { 'C-STORE': 0x0001, 'C-FIND': 0x0020, 'C-MOVE': 0x0021, 'C-ECHO': 0x0030 };

function item(type, body) {
  return new W().u8(type).u8(0).u16be(body.length).bytes(body).build();
}
const uidItem = (type, uid) => item(type, Buffer.from(uid, 'latin1'));
const ae = (s) => Buffer.from(s.padEnd(16, ' ').slice(0, 16), 'latin1');

/** @param {string} called @param {string} calling @param {string[]} sops */
export function associateRq(called, calling, sops, ac = false) {
  const w = new W().u16be(1).u16be(0).bytes(ae(called)).bytes(ae(calling)).zeros(32);
  w.bytes(uidItem(0x10, APP_CTX));
  sops.forEach((sop, i) => {
    const pc = ac ? new W().u8(1 + 2 * i).u8(0).u8(0).u8(0).bytes(uidItem(0x40, IMPLICIT_LE)).build() : new W().u8(1 + 2 * i).u8(0).u8(0).u8(0).bytes(uidItem(0x30, sop)).bytes(uidItem(0x40, IMPLICIT_LE)).build();
    w.bytes(item(ac ? 0x21 : 0x20, pc));
  });
  const maxLen = new W().u8(0x51).u8(0).u16be(4).u32be(16384).build();
  w.bytes(item(0x50, Buffer.concat([maxLen, uidItem(0x52, '1.2.276.0.7230010.3.0.3.6.4')])));
  const body = w.build();
  return new W().u8(ac ? 2 : 1).u8(0).u32be(body.length).bytes(body).build();
}

function el(group, elem, value) {
  return new W().u16le(group).u16le(elem).u32le(value.length).bytes(value).build();
}
const us = (v) => Buffer.from([v & 255, v >> 8]);
const uid = (s) => {
  const b = Buffer.from(s, 'latin1');
  return b.length % 2 ? Buffer.concat([b, Buffer.of(0)]) : b;
};

/** Command set (implicit VR LE) wrapped in one P-DATA-TF PDV. @param {string} cmd @param {string} sop */
export function command(cmd, sop, msgId, { rsp = false, dataset = true, pc = 1 } = {}) {
  const field = CMD[cmd] | (rsp ? 0x8000 : 0);
  const els = Buffer.concat([el(0, 0x0002, uid(sop)), el(0, 0x0100, us(field)), el(0, rsp ? 0x0120 : 0x0110, us(msgId)), el(0, 0x0800, us(dataset ? 0x0000 : 0x0101)), ...(rsp ? [el(0, 0x0900, us(0))] : [])]);
  const grp = el(0, 0x0000, Buffer.from([els.length & 255, (els.length >> 8) & 255, 0, 0]));
  const cmdset = Buffer.concat([grp, els]);
  const pdv = new W().u32be(cmdset.length + 2).u8(pc).u8(0x03).bytes(cmdset).build();
  return new W().u8(4).u8(0).u32be(pdv.length).bytes(pdv).build();
}

/** P-DATA-TF header for `n` bytes of dataset (the dataset itself is filler). */
export function dataHeader(n, pc = 1) {
  return new W().u8(4).u8(0).u32be(n + 6).u32be(n + 2).u8(pc).u8(0x02).build();
}

export const releaseRq = () => Buffer.from([5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
export const releaseRp = () => Buffer.from([6, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
