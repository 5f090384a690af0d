import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tlsParser, parseClientHello } from '../../../parsers/app/tls.js';
import { ja3String, ja4, ja4Parts, isGrease } from '../../../parsers/app/tls-fingerprint.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams, tshark } from '../../helpers/tshark.js';
import { alpnExt, appData, ccs, clientHello, ext, serverHello, sniExt, u16ListExt, versionsExt } from '../../helpers/tls-build.js';
import { matchZeek, readZeekLog } from '../../helpers/zeek-log.js';

const run = (chunks: { dir: 0 | 1; data: Buffer }[]) =>
  runFlow([tlsParser], 'tcp', { orig: { h: '10.0.0.1', p: 50000 }, resp: { h: '10.0.0.2', p: 443 }, chunks: chunks.map((c) => ({ ...c, ts: 1 })) });

// The ClientHello of JA4.md's worked example (FoxIO-LLC/ja4, technical_details/JA4.md):
// ciphers and extensions in the "original order" the spec lists, its signature algorithms, ALPN h2.
const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SPEC_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
function specHello(grease = false): Buffer {
  const order = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
  const exts = order.map((t) => {
    if (t === 0x0000) return sniExt('example.org');
    if (t === 0x0010) return alpnExt(['h2', 'http/1.1']);
    if (t === 0x000d) return u16ListExt(0x0d, SPEC_SIGALGS);
    if (t === 0x002b) return versionsExt(grease ? [0x3a3a, 0x0304, 0x0303] : [0x0304, 0x0303]);
    if (t === 0x000a) return u16ListExt(0x0a, grease ? [0x2a2a, 0x001d, 0x0017] : [0x001d, 0x0017]);
    return ext(t, []);
  });
  if (grease) exts.unshift(ext(0x0a0a, []));
  return clientHello({ ciphers: grease ? [0xdada, ...SPEC_CIPHERS] : SPEC_CIPHERS, exts });
}

describe('JA4 (FoxIO spec examples)', () => {
  it('spec sub-hashes', () => {
    const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
    expect(h('002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9')).toBe('8daaf6152771');
  });
  it('the worked example gives t13d1516h2_8daaf6152771_e5627efa2ab1', () => {
    const b = specHello();
    const ch = parseClientHello(b, 9, b.length)!;
    expect(ja4Parts(ch).cRaw).toBe('0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
    expect(ja4(ch)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });
  it('GREASE is ignored everywhere', () => {
    const b = specHello(true);
    expect(ja4(parseClientHello(b, 9, b.length)!)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a0b)).toBe(true);
  });
  it('without signature algorithms the extension list alone is hashed (spec: 6d807ffa2a79)', () => {
    const b = specHello();
    const ch = parseClientHello(b, 9, b.length)!;
    ch.sigAlgs = [];
    expect(ja4(ch).split('_')[2]).toBe('6d807ffa2a79');
  });
  it('no SNI, no ALPN, TLS 1.2, empty lists', () => {
    const b = clientHello({ ciphers: [], exts: [] });
    const ch = parseClientHello(b, 9, b.length)!;
    expect(ja4(ch)).toBe('t12i000000_000000000000_000000000000');
    expect(ja3String(ch)).toBe('771,,,,');
  });
  it('non-alphanumeric ALPN uses hex first/last characters', () => {
    const raw = Buffer.from([0x30, 0xab, 0xcd, 0x31]);
    const b = clientHello({ ciphers: [0x1301], exts: [ext(0x10, Buffer.concat([Buffer.from([0, 5, 4]), raw]))] });
    expect(ja4(parseClientHello(b, 9, b.length)!).slice(8, 10)).toBe('01');
  });
});

describe('TLS session on hand-built handshakes', () => {
  it('TLS 1.3: version from supported_versions, curve from key_share, ALPN, established, done', () => {
    const r = run([
      { dir: 0, data: specHello(true) },
      { dir: 1, data: Buffer.concat([serverHello({ cipher: 0x1301, exts: [ext(0x2b, [3, 4]), ext(0x33, [0, 0x1d, 0, 4, 1, 2, 3, 4]), ext(0x10, [0, 3, 2, 0x68, 0x32])] }), ccs(), appData(40)]) },
      { dir: 0, data: Buffer.concat([ccs(), appData(60)]) },
      { dir: 1, data: appData(5000) },
    ]);
    expect(r.services).toEqual(['ssl']);
    expect(r.events).toHaveLength(1);
    const e = r.events[0];
    expect(e).toMatchObject({ _path: 'ssl', version: 'TLSv13', cipher: 'TLS_AES_128_GCM_SHA256', curve: 'x25519', server_name: 'example.org', next_protocol: 'h2', established: true, resumed: false, client_alpn: ['h2', 'http/1.1'], ja4: 't13d1516h2_8daaf6152771_e5627efa2ab1' });
    expect(r.doneAt).toBe(3); // the bulk record after the handshake is not needed
  });
  it('TLS 1.2 resumption by session id; byte-at-a-time delivery', () => {
    const sid = Buffer.alloc(32, 1);
    const ch = clientHello({ ciphers: [0xc02f], exts: [sniExt('a.example')], sessionId: sid });
    const sh = serverHello({ cipher: 0xc02f, exts: [], sessionId: sid });
    const chunks: { dir: 0 | 1; data: Buffer }[] = [];
    chunks.push({ dir: 0, data: ch.subarray(0, 10) }); // probe sees the record header + hello type
    for (const b of ch.subarray(10)) chunks.push({ dir: 0, data: Buffer.from([b]) });
    for (const b of Buffer.concat([sh, ccs()])) chunks.push({ dir: 1, data: Buffer.from([b]) });
    chunks.push({ dir: 0, data: ccs() });
    const r = run(chunks);
    expect(r.events[0]).toMatchObject({ version: 'TLSv12', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', resumed: true, established: true, server_name: 'a.example' });
  });
  it('hostile: huge handshake length, bogus record, truncated hello — no throw, bounded', () => {
    const big = Buffer.from([22, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff, 1, 2, 3]);
    const r1 = run([{ dir: 0, data: big }, { dir: 0, data: Buffer.alloc(20000, 0x41) }]);
    expect(r1.throws).toBe(0);
    const r2 = run([{ dir: 0, data: clientHello({ ciphers: [1], exts: [] }).subarray(0, 30) }]);
    expect(r2.throws).toBe(0);
    expect(r2.events).toEqual([]); // nothing parseable: no record
  });
  it('probe rejects HTTP and random bytes, accepts an SSLv2-compatible hello', () => {
    const ports = { origPort: 1, respPort: 443 };
    expect(tlsParser.probe(0, Buffer.from('GET / HTTP/1.1\r\n'), 0, 16, ports)).toBe(false);
    // SSLv2 framing: len 0x2e, CLIENT-HELLO offering TLS 1.0, 7 cipher specs, no session id, 16-byte challenge
    const v2 = Buffer.from('802e010301001500000010' + '000039000038000035000016000013010080070000' + '11'.repeat(16), 'hex');
    expect(tlsParser.probe(0, v2, 0, v2.length, ports)).toBe(true);
    const sh = serverHello({ version: 0x0301, cipher: 0x0035, exts: [] });
    const r = run([{ dir: 0, data: v2 }, { dir: 1, data: Buffer.concat([sh, ccs()]) }, { dir: 0, data: ccs() }]);
    expect(r.events[0]).toMatchObject({ version: 'TLSv10', cipher: 'TLS_RSA_WITH_AES_256_CBC_SHA', established: true });
  });
});

// JA3/JA3S cross-check against tshark 4.0's own implementation on every TLS capture it decodes.
const TLS_CAPTURES = ['zeek_tls_tls-conn-with-extensions.pcap', 'zeek_tls_openjdk-25.0.2-zeek.org.pcap', 'sv_bug-5758_input.pcap', 'sv_bug-1450-04_tls_DER-incomplete-header.pcap'];
describe.skipIf(!haveTshark() || !haveCorpus())('TLS on corpus captures', () => {
  for (const f of TLS_CAPTURES) {
    it(`JA3/JA3S/SNI agree with tshark: ${f}`, () => {
      const pcap = corpusFile(f);
      // (tshark exits non-zero on the deliberately cut capture but prints what it read)
      const ref = tshark(['-n', '-r', pcap, '-Y', 'tls.handshake.type==1 || tls.handshake.type==2', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tls.handshake.ja3', '-e', 'tls.handshake.ja3s', '-e', 'tls.handshake.extensions_server_name']);
      const byStream = new Map<number, { ja3?: string; ja3s?: string; sni?: string }>();
      for (const l of ref.split('\n').filter(Boolean)) {
        const [s, j3, j3s, sni] = l.split('\t');
        const o = byStream.get(+s) ?? {};
        if (j3 && !o.ja3) { o.ja3 = j3; o.sni = sni || undefined; }
        if (j3s && !o.ja3s) o.ja3s = j3s;
        byStream.set(+s, o);
      }
      let checked = 0;
      for (const st of tcpStreams(pcap)) {
        const want = byStream.get(st.stream);
        if (!want) continue;
        const r = runFlow([tlsParser], 'tcp', st);
        expect(r.services).toContain('ssl');
        const e = r.events[0];
        expect(e.ja3).toBe(want.ja3);
        if (want.ja3s) expect(e.ja3s).toBe(want.ja3s);
        expect(e.server_name).toBe(want.sni);
        expect(e.ja4).toMatch(/^t1[0-3][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
        checked++;
      }
      expect(checked).toBe(byStream.size);
    });
  }
  it('ssl.log fields match Zeek: tls-conn-with-extensions', () => {
    const f = 'zeek_tls_tls-conn-with-extensions.pcap';
    const ev = tcpStreams(corpusFile(f)).flatMap((s) => runFlow([tlsParser], 'tcp', s).events);
    const rep = matchZeek(readZeekLog(corpusFile(`${f}.zeek-ssl.log`)), ev, ['version', 'cipher', 'curve', 'server_name', 'resumed', 'next_protocol', 'established']);
    expect(rep.missing).toEqual([]);
  });
});
