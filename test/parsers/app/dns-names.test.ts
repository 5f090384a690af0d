/**
 * Query names as Zeek's dns.log prints them: lower-cased (DNS names are case-insensitive), bytes
 * outside printable ASCII as \xNN, a backslash doubled. The plain-label fast path and the
 * escaping path must agree on labels that mix them. Reference values: Zeek's escaping rules
 * (the corpus' dns.log files hold no such names; dns.corpus.test.ts covers the usual ones).
 */
import { describe, expect, it } from 'vitest';
import { dnsUdpParser } from '../../../parsers/app/dns.js';
import { hex4, hexOf } from '../../../parsers/app/bytes.js';
import { runChunks } from '../../helpers/tshark-feed-b.js';

/** A one-question DNS query for the given raw labels (type A, class IN). */
function query(labels: number[][]): Uint8Array {
  const name = labels.flatMap((l) => [l.length, ...l]);
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 0, 1, 0, 1]);
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function queryName(labels: number[][]): unknown {
  const r = runChunks(dnsUdpParser, [{ dir: 0, bytes: query(labels) }]);
  expect(r.events).toHaveLength(1);
  return r.events[0].query;
}

describe('DNS query names', () => {
  it('lower-cases plain labels', () => {
    expect(queryName([ascii('WWW'), ascii('Example'), ascii('com')])).toBe('www.example.com');
    expect(queryName([ascii('pacs-01'), ascii('stmarys'), ascii('local')])).toBe('pacs-01.stmarys.local');
  });

  it('escapes control bytes, high bytes and backslashes as Zeek does, lower-casing the rest', () => {
    expect(queryName([[0x41, 0x00, 0x42], ascii('Com')])).toBe('a\\x00b.com');
    expect(queryName([[0x5c, 0x5a], [0xff, 0x7f, 0x20]])).toBe('\\\\z.\\xff\\x7f ');
  });
});

describe('hex helpers', () => {
  it('hexOf matches Buffer hex on any range, clamped to the array', () => {
    const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
    expect(hexOf(b, 10, 42)).toBe(Buffer.from(b.subarray(10, 42)).toString('hex'));
    expect(hexOf(b, 290, 400)).toBe(Buffer.from(b.subarray(290)).toString('hex'));
    expect(hexOf(b, 5, 5)).toBe('');
    const shared = new Uint8Array(new SharedArrayBuffer(64), 16, 32);
    shared.set([0xde, 0xad, 0xbe, 0xef]);
    expect(hexOf(shared, 0, 4)).toBe('deadbeef');
  });

  it('hex4 prints four lower-case digits', () => {
    for (const v of [0, 1, 0x0a0a, 0x1301, 0xc02b, 0xffff]) expect(hex4(v)).toBe(v.toString(16).padStart(4, '0'));
  });
});
