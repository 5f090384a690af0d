// @ts-check
/** DNS wire format (RFC 1035): queries and responses with A/AAAA/CNAME/TXT/SOA records. */
import { W } from './bytes.mjs';

export const QTYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NULL: 10, HTTPS: 65 };
export const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

/** @param {string} name */
function qname(name) {
  const w = new W();
  for (const l of name.replace(/\.$/, '').split('.')) {
    if (!l) continue;
    const b = Buffer.from(l, 'latin1');
    w.u8(Math.min(63, b.length)).bytes(b.subarray(0, 63));
  }
  return w.u8(0).build();
}

/** @param {string} ip */
function a(ip) {
  return Buffer.from(ip.split('.').map(Number));
}

/**
 * @param {{id:number, name:string, qtype:string, rd?:boolean}} q
 */
export function dnsQuery(q) {
  const w = new W();
  w.u16be(q.id).u16be(q.rd === false ? 0x0000 : 0x0100).u16be(1).u16be(0).u16be(0).u16be(0);
  w.bytes(qname(q.name)).u16be(QTYPES[q.qtype] ?? 1).u16be(1);
  return w.build();
}

/**
 * @param {{id:number, name:string, qtype:string, rcode?:string, answers?: {type:string, name:string, data:string, ttl:number}[], soa?: string}} r
 */
export function dnsResponse(r) {
  const w = new W();
  const answers = r.answers ?? [];
  const rc = RCODES[r.rcode ?? 'NOERROR'] ?? 0;
  w.u16be(r.id).u16be(0x8180 | rc).u16be(1).u16be(answers.length).u16be(r.soa ? 1 : 0).u16be(0);
  w.bytes(qname(r.name)).u16be(QTYPES[r.qtype] ?? 1).u16be(1);
  for (const an of answers) {
    w.bytes(qname(an.name)).u16be(QTYPES[an.type]).u16be(1).u32be(an.ttl);
    let rd;
    if (an.type === 'A') rd = a(an.data);
    else if (an.type === 'AAAA') rd = Buffer.from(an.data.padEnd(32, '0').slice(0, 32), 'hex');
    else if (an.type === 'TXT') {
      const t = Buffer.from(an.data, 'latin1').subarray(0, 255);
      rd = Buffer.concat([Buffer.of(t.length), t]);
    } else rd = qname(an.data);
    w.u16be(rd.length).bytes(rd);
  }
  if (r.soa) {
    const rd = Buffer.concat([qname(`ns1.${r.soa}`), qname(`hostmaster.${r.soa}`), Buffer.from([0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 3, 132, 0, 9, 58, 128, 0, 0, 1, 44])]);
    w.bytes(qname(r.soa)).u16be(6).u16be(1).u32be(300).u16be(rd.length).bytes(rd);
  }
  return w.build();
}
