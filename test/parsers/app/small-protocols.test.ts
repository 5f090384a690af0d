import { describe, expect, it } from 'vitest';
import { parsersA } from '../../../parsers/app/registry-a.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams } from '../../helpers/tshark.js';
import { matchZeek, readZeekLog } from '../../helpers/zeek-log.js';

const tcp = (port: number, chunks: { dir: 0 | 1; data: Buffer | string }[]) =>
  runFlow(parsersA, 'tcp', { orig: { h: '10.0.0.1', p: 50000 }, resp: { h: '10.0.0.2', p: port }, chunks: chunks.map((c) => ({ dir: c.dir, data: Buffer.from(c.data), ts: 1 })) });
const udp = (sport: number, dport: number, chunks: { dir: 0 | 1; data: Buffer | string }[]) =>
  runFlow(parsersA, 'udp', { orig: { h: '10.0.0.1', p: sport }, resp: { h: '10.0.0.2', p: dport }, chunks: chunks.map((c) => ({ dir: c.dir, data: Buffer.from(c.data), ts: 1 })) });

describe('service identification of small protocols', () => {
  it('FTP on its port and on another port (banner says FTP)', () => {
    expect(tcp(21, [{ dir: 1, data: '220 Welcome\r\n' }, { dir: 0, data: 'USER anonymous\r\n' }]).services).toEqual(['ftp']);
    expect(tcp(2121, [{ dir: 1, data: '220 ProFTPD Server ready.\r\n' }, { dir: 0, data: 'USER x\r\n' }]).services).toEqual(['ftp']);
  });
  it('SMTP greeting + EHLO, and not FTP', () => {
    const r = tcp(25, [{ dir: 1, data: '220 mx.example.org ESMTP Postfix\r\n' }, { dir: 0, data: 'EHLO client\r\n' }, { dir: 1, data: '250-mx\r\n250 OK\r\n' }]);
    expect(r.services).toEqual(['smtp']);
    expect(r.doneAt).toBe(2);
  });
  it('MQTT 3.1.1 and 3.1 CONNECT; a truncated one is not MQTT', () => {
    const c311 = Buffer.from('101000044d5154540402003c0004abcd', 'hex');
    expect(tcp(1883, [{ dir: 0, data: c311 }]).services).toEqual(['mqtt']);
    const c31 = Buffer.from('101200064d514973647003020000000461626364', 'hex');
    expect(tcp(8883, [{ dir: 0, data: c31 }]).services).toEqual(['mqtt']);
    expect(tcp(1883, [{ dir: 0, data: c311.subarray(0, 9) }]).services).toEqual([]);
  });
  it('NTP client/server on 123 with mode and stratum', () => {
    const req = Buffer.alloc(48); req[0] = 0xe3;
    const rsp = Buffer.alloc(48); rsp[0] = 0x24; rsp[1] = 2; rsp[2] = 6; rsp[3] = 0xe9;
    const r = udp(123, 123, [{ dir: 0, data: req }, { dir: 1, data: rsp }]);
    expect(r.services).toEqual(['ntp']);
    expect(r.events).toMatchObject([{ _path: 'ntp', version: 4, mode: 3 }, { version: 4, mode: 4, stratum: 2, poll: 64 }]);
  });
  it('syslog over UDP', () => {
    const r = udp(40000, 514, [{ dir: 0, data: '<34>Oct 11 22:14:15 host su: failed\n' }]);
    expect(r.services).toEqual(['syslog']);
    expect(r.events).toMatchObject([{ facility: 'AUTH', severity: 'CRIT', message: 'Oct 11 22:14:15 host su: failed' }]);
  });
  it('unknown stays unset (random bytes, plain text on odd ports)', () => {
    const rnd = Buffer.from(Array.from({ length: 400 }, (_v, i) => (i * 7919 + 13) & 255));
    expect(tcp(5555, [{ dir: 0, data: rnd }, { dir: 1, data: rnd }]).services).toEqual([]);
    expect(tcp(7777, [{ dir: 0, data: 'hello there\r\n' }]).services).toEqual([]);
    expect(udp(40000, 9999, [{ dir: 0, data: rnd }]).services).toEqual([]);
  });
});

describe.skipIf(!haveTshark() || !haveCorpus())('corpus: syslog over TCP, IRC STARTTLS', () => {
  it('tcp-syslog: Zeek syslog.log (octet counting + LF framing)', () => {
    const f = 'zeek_tcp-syslog.pcap';
    const ev = tcpStreams(corpusFile(f)).flatMap((s) => runFlow(parsersA, 'tcp', s).events);
    const rep = matchZeek(readZeekLog(corpusFile(`${f}.zeek-syslog.log`)), ev, ['proto', 'facility', 'severity', 'message']);
    expect(rep.missing).toEqual([]);
    expect(rep.matched).toBe(4);
  });
  it('irc-starttls: irc then ssl; ssl.log matches Zeek', () => {
    const f = 'zeek_tls_irc-starttls.pcap';
    const [r] = tcpStreams(corpusFile(f)).map((s) => runFlow(parsersA, 'tcp', s));
    expect(r.services).toEqual(['irc', 'ssl']);
    const rep = matchZeek(readZeekLog(corpusFile(`${f}.zeek-ssl.log`)), r.events, ['version', 'cipher', 'curve', 'server_name', 'resumed', 'next_protocol', 'established']);
    expect(rep.missing).toEqual([]);
  });
});
