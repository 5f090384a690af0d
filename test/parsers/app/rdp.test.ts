import { describe, expect, it } from 'vitest';
import { rdpParser } from '../../../parsers/app/rdp.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams } from '../../helpers/tshark.js';
import { matchZeek, readZeekLog } from '../../helpers/zeek-log.js';

function tpkt(x224: Buffer): Buffer {
  const h = Buffer.from([3, 0, 0, 0]);
  h.writeUInt16BE(x224.length + 4, 2);
  return Buffer.concat([h, x224]);
}
function connectionRequest(user: string, protocols: number): Buffer {
  const neg = Buffer.from([1, 0, 8, 0, protocols, 0, 0, 0]);
  const v = Buffer.concat([Buffer.from(`Cookie: mstshash=${user}\r\n`), neg]);
  return tpkt(Buffer.concat([Buffer.from([6 + v.length, 0xe0, 0, 0, 0, 0, 0]), v]));
}
const confirm = (sel: number) => tpkt(Buffer.from([14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, sel, 0, 0, 0]));
const run = (chunks: { dir: 0 | 1; data: Buffer }[]) =>
  runFlow([rdpParser], 'tcp', { orig: { h: '10.0.0.1', p: 50000 }, resp: { h: '10.0.0.2', p: 3389 }, chunks: chunks.map((c) => ({ ...c, ts: 1 })) });

describe('RDP', () => {
  it('standard RDP security: client name and desktop size from GCC Client Core Data', () => {
    const core = Buffer.alloc(216);
    core.writeUInt16LE(0xc001, 0); core.writeUInt16LE(216, 2); core.writeUInt32LE(0x00080004, 4);
    core.writeUInt16LE(1280, 8); core.writeUInt16LE(1024, 10); core.writeUInt32LE(0x409, 16); core.writeUInt32LE(2600, 20);
    Buffer.from('WS-RADIOLOGY7', 'utf16le').copy(core, 24);
    const mcs = Buffer.concat([Buffer.from([2, 0xf0, 0x80, 0x7f, 0x65, 0x82, 0x01, 0x00]), Buffer.alloc(40, 0), core]);
    const r = run([{ dir: 0, data: connectionRequest('jdoe', 0) }, { dir: 1, data: confirm(0) }, { dir: 0, data: tpkt(mcs) }]);
    expect(r.services).toEqual(['rdp']);
    expect(r.events).toMatchObject([{ _path: 'rdp', cookie: 'jdoe', security_protocol: 'RDP', client_name: 'WS-RADIOLOGY7', desktop_width: 1280, desktop_height: 1024, client_build: 2600 }]);
  });
  it('genbench.py rdp_flow bytes: CR with cookie + RDP_NEG_REQ, CC selecting HYBRID, then TLS', () => {
    // Byte layout copied from ../shared/bench/genbench.py (rdp_flow): the generator's own framing.
    const cr = Buffer.concat([Buffer.from('Cookie: mstshash=it.admin\r\n'), Buffer.from([1, 0, 8, 0, 0x0b, 0, 0, 0])]);
    const x224 = Buffer.concat([Buffer.from([cr.length + 6, 0xe0, 0, 0, 0, 0, 0]), cr]);
    const cc = Buffer.from('030000130ed00000123400021f080002000000', 'hex');
    const hello = Buffer.from('16030100', 'hex'); // start of a ClientHello record: enough to hand over
    const r = run([{ dir: 0, data: tpkt(x224) }, { dir: 1, data: cc }, { dir: 0, data: Buffer.concat([hello, Buffer.from([0x2f, 1, 0, 0, 0x2b, 3, 3])]) }]);
    expect(r.services).toEqual(['rdp', 'ssl']);
    expect(r.events[0]).toMatchObject({ _path: 'rdp', cookie: 'it.admin', requested_protocols: 11, security_protocol: 'HYBRID', result: 'encrypted' });
  });
  it('hostile TPKT lengths', () => {
    const r = run([{ dir: 0, data: Buffer.from([3, 0, 0xff, 0xff, 6, 0xe0, 0, 0, 0, 0, 0, 1, 2]) }, { dir: 0, data: Buffer.alloc(70000, 1) }]);
    expect(r.throws).toBe(0);
  });
});

describe.skipIf(!haveTshark() || !haveCorpus())('RDP then TLS (zeek rdp-to-ssl)', () => {
  it('rdp.log and ssl.log records match Zeek; service rdp + ssl', () => {
    const f = 'zeek_rdp_rdp-to-ssl.pcap';
    const res = tcpStreams(corpusFile(f)).map((s) => runFlow([rdpParser], 'tcp', s));
    for (const r of res) expect(r.services).toEqual(['rdp', 'ssl']);
    const ev = res.flatMap((r) => r.events);
    expect(matchZeek(readZeekLog(corpusFile(`${f}.zeek-rdp.log`)), ev.filter((e) => e._path === 'rdp'), ['cookie', 'result', 'security_protocol']).missing).toEqual([]);
    expect(matchZeek(readZeekLog(corpusFile(`${f}.zeek-ssl.log`)), ev.filter((e) => e._path === 'ssl'), ['version', 'cipher', 'server_name', 'resumed', 'established']).missing).toEqual([]);
  });
});
