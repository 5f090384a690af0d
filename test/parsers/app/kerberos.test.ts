import { describe, expect, it } from 'vitest';
import { cipherName, kerberosTcpParser, kerberosUdpParser } from '../../../parsers/app/kerberos.js';
import type { AppEvent, Dir } from '../../../parsers/app/types.js';
import { corpusFile, genbenchCapture, runChunks, runTcp, tcpStreams, tshark } from '../../helpers/tshark-feed-b.js';
import { matchRows, readZeekRows } from '../../helpers/zeek-log.js';
import { cat, ctx, dint, gstr, octs, seq, tlv, u32be } from '../../helpers/wire-b.js';

describe('kerberos: corpus zeek_krb_optional-service-name.pcap against Zeek kerberos.log', () => {
  const pcap = corpusFile('zeek_krb_optional-service-name.pcap');
  const [s] = tcpStreams(pcap, [88]);
  const r = runTcp(kerberosTcpParser, s);

  it('matches every logged column of the Zeek row', () => {
    const zeek = readZeekRows(pcap + '.zeek-kerberos.log');
    const cols = ['request_type', 'client', 'service', 'success', 'error_msg', 'from', 'till', 'cipher', 'forwardable', 'renewable'];
    const m = matchRows(zeek, r.events, cols);
    expect(m.missing).toEqual([]);
    expect(m.extra).toEqual([]);
    expect(r.services).toEqual(['krb_tcp']); // Zeek conn.log service for this connection
  });

  it('agrees with tshark on realm, requested etype and error code', () => {
    const [req, err] = tshark(['-r', pcap, '-Y', 'kerberos', '-T', 'fields', '-e', 'kerberos.realm', '-e', 'kerberos.ENCTYPE', '-e', 'kerberos.error_code']).trim().split('\n').map((l) => l.split('\t'));
    expect(r.events[0].client).toBe('/' + req[0]);
    expect(r.events[0].requested_ciphers).toEqual(req[1].split(',').map(Number).map(cipherName));
    expect(r.events[0].error_code).toBe(Number(err[2]));
  });
});

describe('kerberos: genbench capture (seed 3), cross-checked with tshark', () => {
  const pcap = genbenchCapture(3, 20000);
  const streams = tcpStreams(pcap, [88], [88]);
  const events: AppEvent[] = [];
  for (const s of streams) events.push(...runTcp(kerberosTcpParser, s).events);

  it('logs one record per reply that is not PREAUTH_REQUIRED, with client, service and ticket cipher', () => {
    const rows = tshark(['-r', pcap, '-Y', 'kerberos.msg_type==11 || kerberos.msg_type==13', '-T', 'fields', '-e', 'kerberos.msg_type', '-e', 'kerberos.CNameString', '-e', 'kerberos.crealm', '-e', 'kerberos.SNameString', '-e', 'kerberos.etype'])
      .trim().split('\n').map((l) => l.split('\t'));
    const errors = tshark(['-r', pcap, '-Y', 'kerberos.msg_type==30 && kerberos.error_code!=25', '-T', 'fields', '-e', 'frame.number']).trim();
    expect(errors).toBe('');
    expect(events).toHaveLength(rows.length);
    const want = rows.map(([t, cname, crealm, sname, etypes]) => ({
      request_type: t === '11' ? 'AS' : 'TGS',
      client: t === '11' ? undefined : cname + '/' + crealm,
      service: sname.replace(/,/g, '/'),
      cipher: cipherName(Number(etypes.split(',')[0])),
      reply_cipher: cipherName(Number(etypes.split(',')[1])),
      success: true,
    }));
    const got = events.map((e) => ({
      request_type: e.request_type,
      client: e.request_type === 'AS' ? undefined : e.client,
      service: e.service,
      cipher: e.cipher,
      reply_cipher: e.reply_cipher,
      success: e.success,
    }));
    const key = (x: object) => JSON.stringify(x);
    expect(got.map(key).sort()).toEqual(want.map(key).sort());
  });

  it('uses the AS-REQ realm for AS clients and lists the requested etypes', () => {
    const as = events.filter((e) => e.request_type === 'AS');
    expect(as.length).toBeGreaterThan(0);
    for (const e of as) expect(e.client).toMatch(/^u\d{5}\/STMARYS\.LOCAL$/);
    for (const e of events) expect(e.requested_ciphers).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'rc4-hmac', 'rc4-hmac-exp', 'unknown--135']);
  });
});

// ---- hand-built (RFC 4120 §5.4.1/5.4.2/5.9.1) --------------------------------------------------

const REALM = 'CORP.LOCAL';
const principal = (type: number, ...names: string[]) => seq(ctx(0, dint(type)), ctx(1, seq(...names.map(gstr))));
const enc = (etype: number, len: number) => seq(ctx(0, dint(etype)), ctx(1, dint(2)), ctx(2, octs(Buffer.alloc(len, 0xee))));
const ktime = (s: string) => tlv(0x18, Buffer.from(s));
const ticket = (etype: number, ...sname: string[]) => tlv(0x61, seq(ctx(0, dint(5)), ctx(1, gstr(REALM)), ctx(2, principal(2, ...sname)), ctx(3, enc(etype, 300))));
function reqBody(cname: string | null, sname: string[], etypes: number[], opts = [0x40, 0x81, 0x00, 0x10]): Buffer {
  return seq(
    ctx(0, tlv(3, Buffer.from([0, ...opts]))),
    ...(cname ? [ctx(1, principal(1, cname))] : []),
    ctx(2, gstr(REALM)), ctx(3, principal(2, ...sname)), ctx(5, ktime('20370913024805Z')), ctx(7, dint(12345)),
    ctx(8, seq(...etypes.map(dint))),
  );
}
const asReq = (user: string, preauth: boolean) => tlv(0x6a, seq(ctx(1, dint(5)), ctx(2, dint(10)),
  ...(preauth ? [ctx(3, seq(seq(ctx(1, dint(2)), ctx(2, octs(enc(18, 40))))))] : []), ctx(4, reqBody(user, ['krbtgt', REALM], [18, 17, 23]))));
const tgsReq = (sname: string[], etypes: number[]) => tlv(0x6c, seq(ctx(1, dint(5)), ctx(2, dint(12)), ctx(3, seq(seq(ctx(1, dint(1)), ctx(2, octs(Buffer.alloc(50)))))), ctx(4, reqBody(null, sname, etypes))));
const rep = (tag: number, user: string, tkEtype: number, encEtype: number, ...sname: string[]) =>
  tlv(tag, seq(ctx(0, dint(5)), ctx(1, dint(tag === 0x6b ? 11 : 13)), ctx(3, gstr(REALM)), ctx(4, principal(1, user)), ctx(5, ticket(tkEtype, ...sname)), ctx(6, enc(encEtype, 200))));
const krbError = (code: number, user?: string) => tlv(0x7e, seq(ctx(0, dint(5)), ctx(1, dint(30)), ctx(4, ktime('20240312090000Z')), ctx(5, dint(1)), ctx(6, dint(code)),
  ...(user ? [ctx(7, gstr(REALM)), ctx(8, principal(1, user))] : []), ctx(9, gstr(REALM)), ctx(10, principal(2, 'krbtgt', REALM))));
const rm = (m: Buffer) => cat(u32be(m.length), m);

describe('kerberos: hand-built exchanges', () => {
  it('Kerberoasting signal: TGS-REQ asking only for RC4, ticket issued with rc4-hmac', () => {
    const r = runChunks(kerberosTcpParser, [
      { dir: 0, bytes: rm(tgsReq(['MSSQLSvc', 'db01.corp.local:1433'], [23])) },
      { dir: 1, bytes: rm(rep(0x6d, 'svc_sql', 23, 18, 'MSSQLSvc', 'db01.corp.local:1433')) },
    ]);
    expect(r.events).toEqual([expect.objectContaining({
      request_type: 'TGS', client: 'svc_sql/CORP.LOCAL', service: 'MSSQLSvc/db01.corp.local:1433', success: true,
      cipher: 'rc4-hmac', reply_cipher: 'aes256-cts-hmac-sha1-96', requested_ciphers: ['rc4-hmac'], forwardable: true, renewable: true,
    })]);
  });

  it('password spraying signal: PREAUTH_FAILED is logged, PREAUTH_REQUIRED is only counted (Zeek)', () => {
    const r = runChunks(kerberosTcpParser, [
      { dir: 0, bytes: rm(asReq('alice', false)) },
      { dir: 1, bytes: rm(krbError(25)) },
      { dir: 0, bytes: rm(asReq('alice', true)) },
      { dir: 1, bytes: rm(krbError(24, 'alice')) },
      { dir: 0, bytes: rm(asReq('bob', true)) },
      { dir: 1, bytes: rm(rep(0x6b, 'bob', 18, 18, 'krbtgt', REALM)) },
    ]);
    expect(r.counters.get('krb_preauth_required')).toBe(1);
    expect(r.events.map((e) => [e.request_type, e.client, e.success, e.error_msg, e.preauth])).toEqual([
      ['AS', 'alice/CORP.LOCAL', false, 'KDC_ERR_PREAUTH_FAILED', true],
      ['AS', 'bob/CORP.LOCAL', true, undefined, true],
    ]);
    expect(r.events[1].service).toBe('krbtgt/CORP.LOCAL');
  });

  it('parses UDP datagrams and answers from the KDC direction alike', () => {
    const r = runChunks(kerberosUdpParser, [
      { dir: 0, bytes: asReq('carol', true) },
      { dir: 1, bytes: rep(0x6b, 'carol', 18, 23, 'krbtgt', REALM) },
    ]);
    expect(r.probed).toEqual([true, true]);
    expect(r.services).toEqual(['krb']);
    expect(r.events[0]).toMatchObject({ request_type: 'AS', client: 'carol/CORP.LOCAL', cipher: 'aes256-cts-hmac-sha1-96', reply_cipher: 'rc4-hmac' });
  });

  it('same result when the TCP record arrives one byte at a time', () => {
    const msgs: Array<{ dir: Dir; bytes: Buffer }> = [
      { dir: 0, bytes: rm(tgsReq(['cifs', 'fs01'], [18, 23])) },
      { dir: 1, bytes: rm(rep(0x6d, 'dave', 18, 18, 'cifs', 'fs01')) },
    ];
    const whole = runChunks(kerberosTcpParser, msgs).events.map(({ ts, ...e }) => e);
    const split = runChunks(kerberosTcpParser, msgs.flatMap((m) => [...m.bytes].map((x) => ({ dir: m.dir, bytes: Buffer.from([x]) })))).events.map(({ ts, ...e }) => e);
    expect(split).toEqual(whole);
    expect(whole).toHaveLength(1);
  });

  it('rejects non-Kerberos payloads and survives hostile record lengths and truncation', () => {
    const tls = Buffer.from('160301020001', 'hex');
    expect(kerberosTcpParser.probe(0, tls, 0, tls.length, { origPort: 1, respPort: 88 })).toBe(false);
    const hostile = cat(u32be(0x00ffffff), Buffer.from([0x6a, 0x84, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(100));
    const trunc = rm(asReq('eve', true)).subarray(0, 40);
    const r = runChunks(kerberosTcpParser, [{ dir: 0, bytes: hostile }, { dir: 1, bytes: trunc }, { dir: 1, bytes: Buffer.alloc(64, 0x30) }]);
    expect(r.events).toEqual([]); // neither record ever completes
  });
});
