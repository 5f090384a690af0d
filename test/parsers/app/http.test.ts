import { describe, expect, it } from 'vitest';
import { httpParser, unescapeUri } from '../../../parsers/app/http.js';
import { tlsParser } from '../../../parsers/app/tls.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams } from '../../helpers/tshark.js';
import { clientHello, serverHello, ccs, sniExt } from '../../helpers/tls-build.js';
import { matchZeek, readZeekLog, type ZeekRecord } from '../../helpers/zeek-log.js';

const P = [httpParser, tlsParser];
const run = (chunks: { dir: 0 | 1; data: Buffer | string }[]) =>
  runFlow(P, 'tcp', { orig: { h: '10.0.0.1', p: 50000 }, resp: { h: '10.0.0.2', p: 80 }, chunks: chunks.map((c) => ({ dir: c.dir, data: Buffer.from(c.data), ts: 1 })) });

describe('HTTP on hand-built exchanges', () => {
  it('pipelined requests, chunked and content-length bodies counted, trans_depth', () => {
    const r = run([
      { dir: 0, data: 'GET /a%20b?x=1 HTTP/1.1\r\nHost: example.org:8080\r\nUser-Agent: t/1\r\nReferer: http://r/\r\n\r\nPOST /up HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n\r\nhello' },
      { dir: 1, data: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n' },
      { dir: 1, data: 'HTTP/1.1 204 \r\n\r\n' },
    ]);
    expect(r.services).toEqual(['http']);
    expect(r.events).toMatchObject([
      { _path: 'http', trans_depth: 1, method: 'GET', host: 'example.org', uri: '/a b?x=1', referrer: 'http://r/', user_agent: 't/1', version: '1.1', request_body_len: 0, response_body_len: 7, status_code: 200, status_msg: 'OK' },
      { trans_depth: 2, method: 'POST', uri: '/up', request_body_len: 5, response_body_len: 0, status_code: 204, status_msg: '<empty>' },
    ]);
  });
  it('100-continue is informational; HEAD and 304 have no body; body to close', () => {
    const r = run([
      { dir: 0, data: 'HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.0\r\n\r\n' },
      { dir: 1, data: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\nHTTP/1.0 200 OK\r\n\r\n' },
      { dir: 1, data: Buffer.alloc(1234, 0x41) },
    ]);
    expect(r.events).toMatchObject([
      { method: 'HEAD', status_code: 200, info_code: 100, info_msg: 'Continue', response_body_len: 0 },
      { method: 'GET', uri: '/x', status_code: 200, response_body_len: 1234 },
    ]);
  });
  it('CONNECT then TLS: http record for CONNECT, ssl record from the tunnel', () => {
    const r = run([
      { dir: 0, data: 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n' },
      { dir: 1, data: 'HTTP/1.1 200 Connection established\r\n\r\n' },
      { dir: 0, data: clientHello({ ciphers: [0xc02f], exts: [sniExt('example.org')] }) },
      { dir: 1, data: Buffer.concat([serverHello({ cipher: 0xc02f, exts: [] }), ccs()]) },
      { dir: 0, data: ccs() },
      { dir: 1, data: Buffer.alloc(100000, 0x17) },
    ]);
    expect(r.services).toEqual(['http', 'ssl']);
    expect(r.events).toMatchObject([
      { _path: 'http', method: 'CONNECT', uri: 'example.org:443', host: 'example.org', status_code: 200 },
      { _path: 'ssl', server_name: 'example.org', version: 'TLSv12', established: true },
    ]);
    expect(r.doneAt).toBe(5);
  });
  it('hostile: endless header line, bogus chunk size, huge content-length — no throw, bounded', () => {
    const r1 = run([{ dir: 0, data: 'GET / HTTP/1.1\r\nX: ' }, ...Array.from({ length: 40 }, () => ({ dir: 0 as const, data: 'a'.repeat(1000) }))]);
    expect(r1.throws).toBe(0);
    expect(r1.events).toMatchObject([{ method: 'GET' }]);
    const r2 = run([{ dir: 0, data: 'GET / HTTP/1.1\r\n\r\n' }, { dir: 1, data: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' }]);
    expect(r2.throws).toBe(0);
    const r3 = run([{ dir: 0, data: 'POST / HTTP/1.1\r\nContent-Length: 999999999999999999999\r\n\r\nabc' }]);
    expect(r3.throws).toBe(0);
  });
  it('unescapeUri decodes %XX only', () => {
    expect(unescapeUri('/a%21b%zz%4')).toBe('/a!b%zz%4');
  });
  it('probe', () => {
    const p = { origPort: 1, respPort: 80 };
    expect(httpParser.probe(0, Buffer.from('GET / HTTP/1.1'), 0, 14, p)).toBe(true);
    expect(httpParser.probe(1, Buffer.from('HTTP/1.1 200 OK'), 0, 15, p)).toBe(true);
    expect(httpParser.probe(0, Buffer.from('GETTY / x'), 0, 9, p)).toBe(false);
    expect(httpParser.probe(0, Buffer.from([0x16, 3, 1, 0, 5, 1]), 0, 6, p)).toBe(false);
  });
});

const CAPTURES = ['zeek_wikipedia.pcap', 'zeek_mixed-vlan-mpls.pcap', 'zeek_tunnels_Teredo.pcap', 'zeek_tunnels_gre-over-udp-4754.pcap', 'zeek_tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap'];
const KEYS = ['method', 'host', 'uri', 'status_code'];

describe.skipIf(!haveTshark() || !haveCorpus())('http against Zeek http.log (corpus)', () => {
  let total = 0, matched = 0;
  for (const f of CAPTURES) {
    it(f, () => {
      const ours: ZeekRecord[] = tcpStreams(corpusFile(f)).flatMap((s) => runFlow(P, 'tcp', s).events.filter((e) => e._path === 'http'));
      const zeek = readZeekLog(corpusFile(`${f}.zeek-http.log`));
      const rep = matchZeek(zeek, ours, KEYS);
      total += rep.total; matched += rep.matched;
      if (rep.missing.length) console.log(f, JSON.stringify(rep.missing, null, 1));
      // The other http.log fields we produce. response_body_len is left out: Zeek counts the body
      // after content decoding (gzip) and counts bytes it never saw (gaps); we count wire bytes.
      const full = matchZeek(zeek, ours, [...KEYS, 'trans_depth', 'referrer', 'version', 'user_agent', 'request_body_len', 'status_msg']);
      expect(full.missing).toEqual([]);
      expect(rep.matched).toBeGreaterThan(0);
    });
  }
  it('matches >= 97 % of Zeek http records', () => {
    console.log(`http: ${matched}/${total}`);
    expect(matched / total).toBeGreaterThanOrEqual(0.97);
  });
  it('suricata-verify http-connect-tls: CONNECT then TLS inside', () => {
    const [s] = tcpStreams(corpusFile('sv_http-connect_http-connect-tls_input.pcap'));
    const r = runFlow(P, 'tcp', s);
    expect(r.services).toEqual(['http', 'ssl']);
    expect(r.events).toMatchObject([{ _path: 'http', method: 'CONNECT', uri: 'abc:443', version: '1.1', status_code: 200, user_agent: 'Victor/1.0' }]);
  });
});
