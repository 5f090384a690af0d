import { describe, expect, it } from 'vitest';
import { ldapTcpParser, ldapUdpParser } from '../../../parsers/app/ldap.js';
import type { AppEvent } from '../../../parsers/app/types.js';
import { corpusFile, genbenchCapture, runChunks, runTcp, runUdp, tcpStreams, tshark, udpDatagrams } from '../../helpers/tshark-feed-b.js';
import { matchRows, readZeekRows } from '../../helpers/zeek-log.js';
import { ctx, dint, enumv, octs, seq, tlv } from '../../helpers/wire-b.js';

const LDAP_COLS = ['message_id', 'version', 'opcode', 'result', 'diagnostic_message', 'object', 'argument'];

function runAll(pcap: string, only?: number[]): { events: AppEvent[]; services: string[][]; done: boolean[]; counters: Map<string, number>[] } {
  const events: AppEvent[] = [];
  const services: string[][] = [];
  const done: boolean[] = [];
  const counters: Map<string, number>[] = [];
  for (const s of tcpStreams(pcap, [389], only)) {
    const r = runTcp(ldapTcpParser, s);
    const host = s.orig.slice(0, s.orig.lastIndexOf(':'));
    events.push(...r.events.map((e) => ({ ...e, 'id.orig_h': host })));
    services.push(r.services);
    done.push(r.done);
    counters.push(r.counters);
  }
  return { events, services, done, counters };
}

describe('ldap: corpus captures against Zeek ldap.log', () => {
  it('ctu-sme-11 (SASL GSS-SPNEGO with NTLMSSP): every row and column matches; service ntlm,ldap_tcp', () => {
    const pcap = corpusFile('zeek_ldap_ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap');
    const r = runAll(pcap);
    const m = matchRows(readZeekRows(pcap + '.zeek-ldap.log'), r.events.filter((e) => e._path === 'ldap'), ['id.orig_h', ...LDAP_COLS]);
    expect(m.missing).toEqual([]);
    expect(m.extra).toEqual([]);
    for (const s of r.services) expect(new Set(s)).toEqual(new Set(['ntlm', 'ldap_tcp']));
  });

  it('modify-request (Kerberos SASL, integrity-protected messages): every row matches; service ldap_tcp,krb,gssapi', () => {
    const pcap = corpusFile('zeek_ldap_modify-request.pcapng');
    const r = runAll(pcap);
    const m = matchRows(readZeekRows(pcap + '.zeek-ldap.log'), r.events.filter((e) => e._path === 'ldap'), LDAP_COLS);
    expect(m.missing).toEqual([]);
    expect(m.extra).toEqual([]);
    expect(new Set(r.services[0])).toEqual(new Set(['ldap_tcp', 'krb', 'gssapi']));
    expect(r.counters[0].get('ldap_sasl_integrity_only')).toBe(3);
    // tshark agrees on the modified object and attribute
    const [dn, attr] = tshark(['-r', pcap, '-Y', 'ldap.protocolOp==6', '-T', 'fields', '-e', 'ldap.object', '-e', 'ldap.type']).trim().split('\t');
    const mod = r.events.find((e) => e.opcode === 'modify')!;
    expect(mod.object).toBe(dn);
    expect(mod.argument).toContain(attr);
    // the rootDSE search before the bind (Zeek's test compared ldap.log only)
    const search = r.events.find((e) => e._path === 'ldap_search')!;
    expect(search).toMatchObject({ message_id: 5, scope: 'base', deref_aliases: 'never', result: 'success', result_count: 1, filter: '(objectclass=*)' });
    const attrs = tshark(['-r', pcap, '-Y', 'ldap.protocolOp==3', '-T', 'fields', '-e', 'ldap.AttributeDescription']).trim().split(',');
    expect(search.attributes).toEqual(attrs);
  });

  it('CLDAP netlogon ping (suricata-verify ldap-udp expectations, tshark assertion values)', () => {
    const r = runUdp(ldapUdpParser, udpDatagrams(corpusFile('sv_ldap-udp_cldap.pcap')));
    expect(r.probed).toEqual([true, true]);
    expect(r.services).toEqual(['ldap_udp']);
    expect(r.events).toHaveLength(1);
    const s = r.events[0];
    expect(s).toMatchObject({ _path: 'ldap_search', message_id: 1, scope: 'base', deref_aliases: 'never', result: 'success', result_count: 1, attributes: ['Netlogon'] });
    expect(s).not.toHaveProperty('base_object'); // "" like Zeek: unset
    const values = tshark(['-r', corpusFile('sv_ldap-udp_cldap.pcap'), '-T', 'fields', '-e', 'ldap.assertionValue']).trim().split('\n')[0].split(',');
    expect(s.filter).toBe(`(&(&(DnsDomain=${values[0]})(Host=${values[1]}))(NtVer=0x00000016))`);
  });
});

describe('ldap: by content on a non-standard port (sv_output-multi-eve: JNDI-style LDAP on 1389)', () => {
  it('identifies and parses both connections as tshark does when told the port is LDAP', () => {
    const pcap = corpusFile('sv_output-multi-eve_input.pcap');
    const streams = tcpStreams(pcap, [1389], [1389]);
    expect(streams).toHaveLength(2);
    const ops = tshark(['-r', pcap, '-d', 'tcp.port==1389,ldap', '-Y', 'ldap', '-T', 'fields', '-e', 'ldap.protocolOp']).trim().split('\n');
    expect(ops.filter((o) => o === '3')).toHaveLength(2); // two searchRequests
    for (const s of streams) {
      const r = runTcp(ldapTcpParser, s);
      expect(r.probed[0]).toBe(true);
      expect(r.events.map((e) => e.opcode ?? e._path)).toEqual(['bind simple', 'ldap_search', 'unbind']);
      expect(r.events[1]).toMatchObject({ base_object: 'a', scope: 'base', deref_aliases: 'always', filter: '(objectClass=*)', result_count: 1 });
    }
  });
});

describe('ldap: genbench capture (seed 3): NTLM SASL binds, then sealed traffic', () => {
  const pcap = genbenchCapture(3, 20000);
  const r = runAll(pcap, [389]);

  it('logs both bind legs, the NTLM user (as tshark decodes it) with success, then stops at the sealed layer', () => {
    const users = tshark(['-r', pcap, '-Y', 'ldap && ntlmssp.messagetype==3', '-T', 'fields', '-e', 'ntlmssp.auth.username']).trim().split('\n');
    expect(r.events.filter((e) => e._path === 'ntlm').map((e) => e.username).sort()).toEqual(users.sort());
    for (const e of r.events.filter((x) => x._path === 'ntlm')) expect(e).toMatchObject({ domainname: 'STMARYS', success: true });
    const binds = r.events.filter((e) => e._path === 'ldap');
    expect(binds.map((e) => e.result)).toEqual(users.flatMap(() => ['SASL bind in progress', 'success']));
    expect(r.done.every(Boolean)).toBe(true);
    expect(r.counters.every((c) => c.get('ldap_sasl_sealed') === 1)).toBe(true);
  });
});

// ---- hand-built (RFC 4511) -------------------------------------------------------------------

const msg = (id: number, op: Buffer) => seq(dint(id), op);
const result = (tag: number, code: number, diag = '') => tlv(tag, enumv(code), octs(''), octs(diag));
const attrValue = (tag: number, a: string, v: string) => tlv(tag, octs(a), octs(v));

describe('ldap: hand-built operations', () => {
  it('simple bind: DN logged, password never (REDACTED)', () => {
    const pw = 'Winter2024!Secret';
    const r = runChunks(ldapTcpParser, [
      { dir: 0, bytes: msg(1, tlv(0x60, dint(3), octs('CN=svc_scan,OU=Service,DC=corp,DC=local'), tlv(0x80, Buffer.from(pw)))) },
      { dir: 1, bytes: msg(1, result(0x61, 49, '80090308: LdapErr: DSID-0C09041C')) },
    ]);
    expect(r.events).toEqual([expect.objectContaining({ _path: 'ldap', message_id: 1, version: 3, opcode: 'bind simple', result: 'invalid credentials', object: 'CN=svc_scan,OU=Service,DC=corp,DC=local', argument: 'REDACTED', diagnostic_message: '80090308: LdapErr: DSID-0C09041C' })]);
    expect(JSON.stringify(r.events)).not.toContain(pw);
  });

  it("renders and/or/not/substring/extensible filters exactly as Zeek's analyzer does", () => {
    const filter = tlv(0xa0,
      attrValue(0xa3, 'objectClass', 'user'),
      tlv(0xa1, tlv(0xa4, octs('sAMAccountName'), seq(tlv(0x80, Buffer.from('adm')))), tlv(0xa4, octs('cn'), seq(tlv(0x81, Buffer.from('admin')), tlv(0x82, Buffer.from('x'))))),
      tlv(0xa2, tlv(0xa9, tlv(0x81, Buffer.from('1.2.840.113556.1.4.803')), tlv(0x82, Buffer.from('userAccountControl')), tlv(0x83, Buffer.from('2')))),
      tlv(0x87, Buffer.from('servicePrincipalName')),
    );
    const search = tlv(0x63, octs('DC=corp,DC=local'), enumv(2), enumv(0), dint(0), dint(0), tlv(1, Buffer.from([0])), filter, seq(octs('sAMAccountName'), octs('servicePrincipalName')));
    const r = runChunks(ldapTcpParser, [
      { dir: 0, bytes: msg(7, search) },
      { dir: 1, bytes: msg(7, tlv(0x64, octs('CN=a,DC=corp,DC=local'), seq())) },
      { dir: 1, bytes: msg(7, tlv(0x64, octs('CN=b,DC=corp,DC=local'), seq())) },
      { dir: 1, bytes: msg(7, result(0x65, 0)) },
    ]);
    expect(r.events).toEqual([expect.objectContaining({
      _path: 'ldap_search', message_id: 7, scope: 'tree', deref_aliases: 'never', base_object: 'DC=corp,DC=local', result_count: 2, result: 'success',
      filter: '(&(&(&(objectClass=user)(|(sAMAccountName=adm*)(cn=*admin*x)))(!(userAccountControl:1.2.840.113556.1.4.803:=2)))(servicePrincipalName=*))',
      attributes: ['sAMAccountName', 'servicePrincipalName'],
    })]);
  });

  it('StartTLS success ends parsing (the rest is TLS) and is counted', () => {
    const r = runChunks(ldapTcpParser, [
      { dir: 0, bytes: msg(1, tlv(0x77, tlv(0x80, Buffer.from('1.3.6.1.4.1.1466.20037')))) },
      { dir: 1, bytes: msg(1, result(0x78, 0)) },
      { dir: 0, bytes: Buffer.from('16030100c4010000c00303', 'hex') },
    ]);
    expect(r.events).toEqual([expect.objectContaining({ opcode: 'extended', object: '1.3.6.1.4.1.1466.20037 (StartTLS)', result: 'success' })]);
    expect(r.done).toBe(true);
    expect(r.counters.get('ldap_starttls')).toBe(1);
  });

  it('redacts password attributes in modify arguments', () => {
    const change = seq(enumv(2), seq(octs('unicodePwd'), tlv(0x31, octs('"NewPassw0rd!"'))));
    const r = runChunks(ldapTcpParser, [
      { dir: 0, bytes: msg(4, tlv(0x66, octs('CN=bob,DC=corp,DC=local'), seq(change))) },
      { dir: 1, bytes: msg(4, result(0x67, 0)) },
    ]);
    expect(r.events[0]).toMatchObject({ opcode: 'modify', argument: 'replace(unicodePwd=REDACTED)' });
    expect(JSON.stringify(r.events)).not.toContain('NewPassw0rd');
  });

  it('bounds hostile filter nesting and survives garbage', () => {
    let f = tlv(0x87, Buffer.from('cn'));
    for (let i = 0; i < 300; i++) f = tlv(0xa2, f);
    const search = tlv(0x63, octs(''), enumv(0), enumv(0), dint(0), dint(0), tlv(1, Buffer.from([0])), f, seq());
    const r = runChunks(ldapTcpParser, [{ dir: 0, bytes: msg(2, search) }, { dir: 0, bytes: Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 2, 1]) }, { dir: 1, bytes: Buffer.alloc(50, 0xff) }]);
    expect(r.events).toEqual([expect.objectContaining({ _path: 'ldap_search', filter: 'FILTER_PARSING_ERROR' })]);
    const junk = Buffer.from('SSH-2.0-OpenSSH_9.6\r\n');
    expect(ldapTcpParser.probe(0, junk, 0, junk.length, { origPort: 1, respPort: 389 })).toBe(false);
    void ctx;
  });
});
