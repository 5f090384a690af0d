import { describe, expect, it } from 'vitest';
import { smbParser } from '../../../parsers/app/smb.js';
import type { AppEvent, Dir } from '../../../parsers/app/types.js';
import { corpusFile, genbenchCapture, runChunks, runTcp, tcpStreams, tshark } from '../../helpers/tshark-feed-b.js';
import { matchRows, readZeekRows } from '../../helpers/zeek-log.js';
import {
  NdrWriter, SMB2, cat, closeReq, closeResp, createReq, createResp, dceBind, dceBindAck, dceRequest, dceResponse,
  emptyResp, fileId, ioctlReq, ioctlResp, nbss, ntlmAuthenticate, ntlmChallenge, ntlmNegotiate, readReq, readResp,
  renameInfo, sessionSetupReq, sessionSetupResp, setInfoReq, smbMsg, treeConnectReq, treeConnectResp, u16le, u32le,
  writeReq, writeResp,
} from '../../helpers/wire-b.js';

const byPath = (evs: AppEvent[], p: string) => evs.filter((e) => e._path === p);

describe('smb: corpus zeek_smb_smb1.pcap (SMB2 despite its name; MANIFEST row zeek_smb_smb1)', () => {
  const pcap = corpusFile('zeek_smb_smb1.pcap');
  const [stream] = tcpStreams(pcap, [445]);
  const r = runTcp(smbParser, stream);

  it('is identified from either direction and confirmed as smb', () => {
    expect(r.probed).toEqual([true, true]);
    expect(r.services).toContain('smb');
  });

  it("matches every row of Zeek's smb_files.log (action, name, size, MAC times)", () => {
    const zeek = readZeekRows(pcap + '.zeek-smb_files.log');
    expect(zeek).toHaveLength(3);
    const m = matchRows(zeek, byPath(r.events, 'smb_files'), ['action', 'name', 'size', 'times.modified', 'times.accessed', 'times.created', 'times.changed']);
    expect(m.missing).toEqual([]);
    expect(m.matched).toHaveLength(3);
    // Our only extra row is the aggregated read (Zeek does not log FILE_READ by default).
    expect(m.extra.map((e) => e.action)).toEqual(['SMB::FILE_READ']);
  });

  it('aggregates READ bytes per handle: equal to the sum of tshark smb2.read_length', () => {
    const lens = tshark(['-r', pcap, '-Y', 'smb2.cmd==8 && smb2.flags.response==0', '-T', 'fields', '-e', 'smb2.read_length']).trim().split('\n').map(Number);
    const read = byPath(r.events, 'smb_files').find((e) => e.action === 'SMB::FILE_READ')!;
    expect(read.name).toBe('Test\\2009-12 Payroll.xlsx');
    expect(read.bytes_read).toBe(lens.reduce((a, b) => a + b, 0));
    expect(read.bytes_read).toBe(25940);
  });

  it('logs one smb_cmd CREATE per CREATE response tshark sees', () => {
    const n = tshark(['-r', pcap, '-Y', 'smb2.cmd==5 && smb2.flags.response==1', '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length;
    expect(byPath(r.events, 'smb_cmd').filter((e) => e.command === 'CREATE')).toHaveLength(n);
    const qd = byPath(r.events, 'smb_cmd').filter((e) => e.command === 'QUERY_DIRECTORY').map((e) => e.argument);
    expect(qd).toEqual(['Test', '2009-12 Payroll.xlsx']); // tshark: "Find Request … Pattern: Test" etc.
  });
});

describe('smb: corpus sv_smb2-04 (at.exe scheduling over \\PIPE\\atsvc; suricata-verify smb2-04)', () => {
  const pcap = corpusFile('sv_smb2-04_20171220_smb_at_schedule.pcap');
  const [stream] = tcpStreams(pcap, [445]);
  const r = runTcp(smbParser, stream);

  it('opens the atsvc pipe (suricata: smb.filename "atsvc", FILE_OPEN)', () => {
    const name = tshark(['-r', pcap, '-Y', 'smb2.cmd==5 && smb2.flags.response==0', '-T', 'fields', '-e', 'smb2.filename']).trim();
    expect(name).toBe('atsvc');
    const cmd = byPath(r.events, 'smb_cmd').find((e) => e.command === 'CREATE')!;
    expect(cmd['referenced_file.name']).toBe('atsvc');
    expect(cmd.status).toBe('SUCCESS');
  });

  it('decodes the DCE/RPC carried by WRITE/READ/IOCTL: atsvc NetrJobAdd with its command', () => {
    const uuids = tshark(['-r', pcap, '-T', 'fields', '-e', 'dcerpc.cn_bind_to_uuid']).trim().split(/[\n,]/).filter(Boolean);
    expect(new Set(uuids)).toEqual(new Set(['1ff70682-0a51-30e8-076d-740be8cee98b'])); // = atsvc
    const secAddr = tshark(['-r', pcap, '-Y', 'dcerpc.pkt_type==12', '-T', 'fields', '-e', 'dcerpc.cn_sec_addr']).trim();
    const cmdLine = tshark(['-r', pcap, '-Y', 'dcerpc.pkt_type==0', '-T', 'fields', '-e', 'atsvc.atsvc_JobInfo.command']).trim();
    const rpc = byPath(r.events, 'dce_rpc');
    expect(rpc).toHaveLength(1);
    expect(rpc[0]).toMatchObject({ endpoint: 'atsvc', operation: 'NetrJobAdd', named_pipe: secAddr, command: cmdLine });
    expect(cmdLine).toBe('c:\\mimikatz.exe');
    expect(r.services).toEqual(['smb', 'dce_rpc']);
    // rtt spans the STATUS_PENDING interim answer to the final IOCTL response
    const times = tshark(['-r', pcap, '-Y', 'dcerpc.pkt_type==0 || dcerpc.pkt_type==2', '-T', 'fields', '-e', 'frame.time_epoch']).trim().split('\n').map(Number);
    expect(rpc[0].rtt as number).toBeCloseTo(times[1] - times[0], 5);
  });
});

describe('smb: genbench capture (seed 3), every SMB2 flow cross-checked with tshark', () => {
  const pcap = genbenchCapture(3, 20000);
  const streams = tcpStreams(pcap, [445], [445]);
  const rows = (filter: string, ...fields: string[]) =>
    tshark(['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]).trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
  const tree = rows('smb2.cmd==3 && smb2.flags.response==0', 'tcp.stream', 'smb2.tree');
  const users = rows('smb2 && ntlmssp.messagetype==3', 'tcp.stream', 'ntlmssp.auth.username', 'ntlmssp.auth.domain');
  const creates = rows('smb2.cmd==5 && smb2.flags.response==0', 'tcp.stream', 'smb2.filename');
  const readReq = rows('smb2.cmd==8 && smb2.flags.response==0', 'tcp.stream', 'smb2.msg_id', 'smb2.read_length');
  const readResp = new Set(rows('smb2.cmd==8 && smb2.flags.response==1 && smb2.nt_status==0', 'tcp.stream', 'smb2.msg_id').map((r) => r.join(':')));
  const writes = rows('smb2.cmd==9 && smb2.flags.response==0', 'tcp.stream', 'smb2.write_length');
  const streamIds = tshark(['-r', pcap, '-Y', 'tcp.port==445 && tcp.len>0', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'tcp.dstport']).trim().split('\n').map((l) => l.split('\t'));

  it('tree paths, users, opened names and read/written byte totals agree per flow', () => {
    expect(streams.length).toBeGreaterThan(10);
    let checked = 0;
    let totalRead = 0;
    let totalWritten = 0;
    for (const s of streams) {
      const clientPort = s.orig.split(':').pop();
      const id = streamIds.find((r) => r[1] === clientPort || r[2] === clientPort)![0];
      const r = runTcp(smbParser, s);
      const of = (t: string[][]) => t.filter((x) => x[0] === id);
      expect(byPath(r.events, 'smb_mapping').map((e) => e.path)).toEqual(of(tree).map((x) => x[1]));
      expect(byPath(r.events, 'ntlm').map((e) => [e.username, e.domainname])).toEqual(of(users).map((x) => [x[1], x[2]]));
      expect(byPath(r.events, 'smb_files').filter((e) => e.action === 'SMB::FILE_OPEN').map((e) => e.name)).toEqual(of(creates).map((x) => x[1]));
      const read = of(readReq).filter((x) => readResp.has(x[0] + ':' + x[1])).reduce((n, x) => n + Number(x[2]), 0);
      const written = of(writes).reduce((n, x) => n + Number(x[1]), 0);
      const files = byPath(r.events, 'smb_files');
      expect(files.reduce((n, e) => n + ((e.bytes_read as number) ?? 0), 0)).toBe(read);
      expect(files.reduce((n, e) => n + ((e.bytes_written as number) ?? 0), 0)).toBe(written);
      totalRead += read;
      totalWritten += written;
      checked++;
    }
    expect(checked).toBe(streams.length);
    expect(totalRead).toBeGreaterThan(100000);
    expect(totalWritten).toBeGreaterThan(1000);
    expect(creates.length).toBeGreaterThan(20);
  });
});

// ---- hand-built sessions --------------------------------------------------------------------

const SVCCTL = '367abb81-9844-35f1-ad32-98f038001003';

/** PsExec-style: admin share write, then svcctl CreateServiceW/StartServiceW over \PIPE\svcctl. */
function psexecFlow(): Array<{ dir: Dir; bytes: Buffer }> {
  const sid = 0x4400000001;
  const c: Array<{ dir: Dir; bytes: Buffer }> = [];
  const q = (b: Buffer) => c.push({ dir: 0, bytes: nbss(b) });
  const a = (b: Buffer) => c.push({ dir: 1, bytes: nbss(b) });
  let mid = 0;
  q(smbMsg(SMB2.NEGOTIATE, { mid }, cat(u16le(36), u16le(1), u16le(1), u16le(0), u32le(0), Buffer.alloc(16), Buffer.alloc(8), u16le(0x0311))));
  a(smbMsg(SMB2.NEGOTIATE, { mid, resp: true }, cat(u16le(65), u16le(1), u16le(0x0311), u16le(0), Buffer.alloc(56))));
  mid++;
  q(sessionSetupReq({ mid }, ntlmNegotiate()));
  a(sessionSetupResp({ mid, sid, status: 0xc0000016 }, ntlmChallenge('FS01', 'fs01.corp.local', 'corp.local')));
  mid++;
  q(sessionSetupReq({ mid, sid }, ntlmAuthenticate('CORP', 'mallory', 'WS042')));
  a(sessionSetupResp({ mid, sid }, Buffer.alloc(0)));
  // ADMIN$ write
  mid++;
  q(treeConnectReq({ mid, sid }, '\\\\fs01\\ADMIN$'));
  a(treeConnectResp({ mid, sid, tid: 5 }, 1));
  mid++;
  q(createReq({ mid, sid, tid: 5 }, 'PSEXESVC.exe'));
  a(createResp({ mid, sid, tid: 5 }, fileId(7), 0, undefined, 2));
  for (const n of [60000, 60000, 1234]) {
    mid++;
    q(writeReq({ mid, sid, tid: 5 }, fileId(7), Buffer.alloc(n, 0x4d)));
    a(writeResp({ mid, sid, tid: 5 }, n));
  }
  mid++;
  q(closeReq({ mid, sid, tid: 5 }, fileId(7)));
  a(closeResp({ mid, sid, tid: 5 }));
  // svcctl over IPC$
  mid++;
  q(treeConnectReq({ mid, sid }, '\\\\fs01\\IPC$'));
  a(treeConnectResp({ mid, sid, tid: 6 }, 2));
  mid++;
  q(createReq({ mid, sid, tid: 6 }, 'svcctl'));
  a(createResp({ mid, sid, tid: 6 }, fileId(9), 0));
  mid++;
  q(writeReq({ mid, sid, tid: 6 }, fileId(9), dceBind(1, [{ id: 0, uuid: SVCCTL, ver: 2 }])));
  a(writeResp({ mid, sid, tid: 6 }, 72));
  mid++;
  q(readReq({ mid, sid, tid: 6 }, fileId(9), 1024));
  a(readResp({ mid, sid, tid: 6 }, dceBindAck(1, '\\PIPE\\svcctl', 1)));
  const open = new NdrWriter().uniqueWstr('FS01').u32(0).u32(0xf003f).done();
  mid++;
  q(ioctlReq({ mid, sid, tid: 6 }, 0x0011c017, fileId(9), dceRequest(2, 0, 15, open)));
  a(ioctlResp({ mid, sid, tid: 6 }, 0x0011c017, fileId(9), dceResponse(2, 0, Buffer.alloc(24))));
  const create = new NdrWriter()
    .raw(Buffer.alloc(20, 0xab)) // SC_RPC_HANDLE
    .wstr('PSEXESVC').uniqueWstr('PSEXESVC').u32(0xf01ff).u32(0x10).u32(3).u32(0)
    .wstr('%SystemRoot%\\PSEXESVC.exe').done();
  mid++;
  q(ioctlReq({ mid, sid, tid: 6 }, 0x0011c017, fileId(9), dceRequest(3, 0, 12, create)));
  a(ioctlResp({ mid, sid, tid: 6 }, 0x0011c017, fileId(9), dceResponse(3, 0, Buffer.alloc(28))));
  // rename + delete on the admin share
  mid++;
  q(createReq({ mid, sid, tid: 5 }, 'old.txt'));
  a(createResp({ mid, sid, tid: 5 }, fileId(11), 10));
  mid++;
  q(setInfoReq({ mid, sid, tid: 5 }, fileId(11), 10, renameInfo('new.txt')));
  a(emptyResp(SMB2.SET_INFO, { mid, sid, tid: 5 }));
  mid++;
  q(setInfoReq({ mid, sid, tid: 5 }, fileId(11), 13, Buffer.from([1])));
  a(emptyResp(SMB2.SET_INFO, { mid, sid, tid: 5 }));
  mid++;
  q(closeReq({ mid, sid, tid: 5 }, fileId(11)));
  a(closeResp({ mid, sid, tid: 5 }));
  return c;
}

describe('smb: hand-built PsExec-style session', () => {
  const chunks = psexecFlow();
  const r = runChunks(smbParser, chunks);

  it('logs the NTLM login with the carrier verdict and the user on later commands', () => {
    expect(byPath(r.events, 'ntlm')).toEqual([expect.objectContaining({
      username: 'mallory', domainname: 'CORP', hostname: 'WS042', server_nb_computer_name: 'FS01',
      server_dns_computer_name: 'fs01.corp.local', server_tree_name: 'corp.local', success: true,
    })]);
    const tc = byPath(r.events, 'smb_cmd').filter((e) => e.command === 'TREE_CONNECT');
    expect(tc.map((e) => [e.tree, e.tree_service, e.username])).toEqual([
      ['\\\\fs01\\ADMIN$', 'DISK', 'CORP\\mallory'],
      ['\\\\fs01\\IPC$', 'PIPE', 'CORP\\mallory'],
    ]);
    expect(byPath(r.events, 'smb_cmd').find((e) => e.command === 'NEGOTIATE_PROTOCOL')!.argument).toBe('3.1.1');
    expect(byPath(r.events, 'smb_mapping').map((e) => e.path)).toEqual(['\\\\fs01\\ADMIN$', '\\\\fs01\\IPC$']);
    expect(r.services).toEqual(['smb', 'ntlm', 'dce_rpc']);
  });

  it('aggregates the ADMIN$ writes into one FILE_WRITE with the byte total', () => {
    const w = byPath(r.events, 'smb_files').filter((e) => e.action === 'SMB::FILE_WRITE');
    expect(w).toEqual([expect.objectContaining({ path: '\\\\fs01\\ADMIN$', name: 'PSEXESVC.exe', bytes_written: 121234 })]);
  });

  it('decodes svcctl CreateServiceW with the service binary path', () => {
    const rpc = byPath(r.events, 'dce_rpc');
    expect(rpc.map((e) => [e.named_pipe, e.endpoint, e.operation])).toEqual([
      ['\\PIPE\\svcctl', 'svcctl', 'OpenSCManagerW'],
      ['\\PIPE\\svcctl', 'svcctl', 'CreateServiceW'],
    ]);
    expect(rpc[1]).toMatchObject({ service_name: 'PSEXESVC', binary_path: '%SystemRoot%\\PSEXESVC.exe' });
  });

  it('logs rename and delete from SET_INFO, and no FILE_OPEN for the pipe', () => {
    const f = byPath(r.events, 'smb_files');
    expect(f.find((e) => e.action === 'SMB::FILE_RENAME')).toMatchObject({ prev_name: 'old.txt', name: 'new.txt' });
    expect(f.find((e) => e.action === 'SMB::FILE_DELETE')).toMatchObject({ name: 'new.txt', path: '\\\\fs01\\ADMIN$' });
    expect(f.filter((e) => e.action === 'SMB::FILE_OPEN').map((e) => e.name)).toEqual(['PSEXESVC.exe', 'old.txt']);
  });

  it('gives the same events when the stream arrives one byte at a time', () => {
    const bytes: Array<{ dir: Dir; bytes: Buffer }> = [];
    for (const ch of chunks) for (let i = 0; i < ch.bytes.length; i += 1) bytes.push({ dir: ch.dir, bytes: ch.bytes.subarray(i, i + 1) });
    const r1 = runChunks(smbParser, bytes);
    const strip = (evs: AppEvent[]) => evs.map(({ ts, rtt, ...rest }) => rest);
    expect(strip(r1.events)).toEqual(strip(r.events));
  });

  it('same events when the capture made the server the originator (directions swapped)', () => {
    const swapped = chunks.map((c) => ({ dir: (1 - c.dir) as Dir, bytes: c.bytes }));
    const strip = (evs: AppEvent[]) => evs.map(({ ts, rtt, ...rest }) => rest);
    expect(strip(runChunks(smbParser, swapped).events)).toEqual(strip(r.events));
  });

  it('handles pipelined requests and responses sharing one TCP segment each', () => {
    // Three WRITEs sent back to back (credits allow it), answered by three responses in one segment.
    const writes = chunks.filter((c) => c.dir === 0 && c.bytes.readUInt16LE(4 + 12) === SMB2.WRITE && c.bytes.length > 1000);
    const acks = chunks.filter((c) => c.dir === 1 && c.bytes.readUInt16LE(4 + 12) === SMB2.WRITE);
    const before = chunks.slice(0, chunks.indexOf(writes[0]));
    const after = chunks.slice(chunks.indexOf(acks[2]) + 1);
    const r2 = runChunks(smbParser, [
      ...before,
      { dir: 0, bytes: cat(...writes.map((c) => c.bytes)) },
      { dir: 1, bytes: cat(...acks.slice(0, 3).map((c) => c.bytes)) },
      ...after,
    ]);
    const strip = (evs: AppEvent[]) => evs.map(({ ts, rtt, ...rest }) => rest);
    expect(strip(r2.events)).toEqual(strip(r.events));
  });
});

describe('smb: trees are per session', () => {
  it('two sessions reusing tree id 1 keep their own share paths', () => {
    const c: Array<{ dir: Dir; bytes: Buffer }> = [];
    const pair = (q: Buffer, a: Buffer) => c.push({ dir: 0, bytes: nbss(q) }, { dir: 1, bytes: nbss(a) });
    pair(treeConnectReq({ mid: 1, sid: 11 }, '\\\\fs\\HR'), treeConnectResp({ mid: 1, sid: 11, tid: 1 }, 1));
    pair(treeConnectReq({ mid: 2, sid: 22 }, '\\\\fs\\C$'), treeConnectResp({ mid: 2, sid: 22, tid: 1 }, 1));
    pair(createReq({ mid: 3, sid: 11, tid: 1 }, 'pay.xlsx'), createResp({ mid: 3, sid: 11, tid: 1 }, fileId(1), 5));
    pair(createReq({ mid: 4, sid: 22, tid: 1 }, 'evil.exe'), createResp({ mid: 4, sid: 22, tid: 1 }, fileId(2), 5));
    const r = runChunks(smbParser, c);
    expect(r.events.filter((e) => e._path === 'smb_files').map((e) => [e.path, e.name])).toEqual([
      ['\\\\fs\\HR', 'pay.xlsx'],
      ['\\\\fs\\C$', 'evil.exe'],
    ]);
  });
});

describe('smb: encrypted, SMB1, hostile input', () => {
  it('counts SMB3 transform (encrypted) PDUs without parsing them and stops after a run of them', () => {
    const enc = cat(Buffer.from([0xfd, 0x53, 0x4d, 0x42]), Buffer.alloc(48), Buffer.alloc(200, 0x55));
    const chunks = Array.from({ length: 20 }, (_, i) => ({ dir: (i & 1) as Dir, bytes: nbss(enc) }));
    const r = runChunks(smbParser, chunks);
    expect(r.probed).toEqual([true, true]);
    expect(r.counters.get('smb_encrypted_pdus')).toBe(16);
    expect(r.done).toBe(true);
    expect(r.events).toEqual([]);
  });

  it('identifies SMB on port 139 from the NetBIOS session request, then parses SMB2', () => {
    const enc = (n: string) => Buffer.from(n.padEnd(15, ' ') + ' ', 'latin1').reduce((a: number[], c) => [...a, 0x41 + (c >> 4), 0x41 + (c & 15)], []);
    const req = cat(Buffer.from([0x81, 0, 0, 68, 0x20]), Buffer.from(enc('FS01')), Buffer.from([0, 0x20]), Buffer.from(enc('WS042')), Buffer.from([0]));
    const r = runChunks(smbParser, [
      { dir: 0, bytes: req },
      { dir: 1, bytes: Buffer.from([0x82, 0, 0, 0]) },
      { dir: 0, bytes: nbss(treeConnectReq({ mid: 1, sid: 5 }, '\\\\FS01\\SCANS')) },
      { dir: 1, bytes: nbss(treeConnectResp({ mid: 1, sid: 5, tid: 3 }, 1)) },
    ]);
    expect(req.length).toBe(72);
    expect(r.probed).toEqual([true, true]);
    expect(r.events.find((e) => e._path === 'smb_mapping')).toMatchObject({ path: '\\\\FS01\\SCANS', share_type: 'DISK' });
  });

  it('names SMB1 replies in smb_cmd (version SMB1)', () => {
    const smb1 = (reply: boolean) => cat(Buffer.from([0xff, 0x53, 0x4d, 0x42, 0x72]), u32le(0), Buffer.from([reply ? 0x88 : 0x08]), u16le(0xc853), Buffer.alloc(20), Buffer.from([0]), u16le(0));
    const r = runChunks(smbParser, [{ dir: 0, bytes: nbss(smb1(false)) }, { dir: 1, bytes: nbss(smb1(true)) }]);
    expect(r.events).toEqual([expect.objectContaining({ _path: 'smb_cmd', command: 'NEGOTIATE', status: 'SUCCESS', version: 'SMB1' })]);
    expect(r.counters.get('smb1_pdus')).toBe(2);
  });

  it('survives a hostile NBSS length and a compound chain pointing past its end', () => {
    const huge = Buffer.from([0, 0xff, 0xff, 0xff, 0xfe, 0x53, 0x4d, 0x42, 64, 0]);
    const bad = smbMsg(SMB2.CREATE, { mid: 1, next: 0x7ffffff8 }, Buffer.alloc(8));
    const r = runChunks(smbParser, [{ dir: 0, bytes: huge }, { dir: 0, bytes: Buffer.alloc(5000) }, { dir: 1, bytes: nbss(bad) }]);
    expect(r.events).toEqual([]);
  });

  it('resynchronises on the next NBSS+SMB2 header after a gap', () => {
    const flow = psexecFlow();
    const { ctx, events } = (() => {
      const evs: AppEvent[] = [];
      return { ctx: { emit: (e: AppEvent) => evs.push(e), confirm: () => {}, maxBufferBytes: 1 << 20 }, events: evs };
    })();
    const s = smbParser.create(ctx);
    let ts = 1;
    for (const [i, c] of flow.entries()) {
      // lose 3 bytes in the middle of the 5th client message: that message is lost, the rest parse
      if (i === 8) {
        s.data(c.dir, c.bytes, 0, 10, ts++);
        s.gap(c.dir, 3);
        s.data(c.dir, c.bytes, 13, c.bytes.length - 13, ts++);
        continue;
      }
      s.data(c.dir, c.bytes, 0, c.bytes.length, ts++);
    }
    s.end(ts);
    expect(events.filter((e) => e._path === 'dce_rpc').map((e) => e.operation)).toEqual(['OpenSCManagerW', 'CreateServiceW']);
  });
});
