import { describe, expect, it } from 'vitest';
import { dceRpcParser } from '../../../parsers/app/dcerpc.js';
import { RPC_INTERFACES } from '../../../parsers/app/dcerpc-interfaces.js';
import type { AppEvent, Dir } from '../../../parsers/app/types.js';
import { corpusFile, runChunks, runTcp, tcpStreams, tshark } from '../../helpers/tshark-feed-b.js';
import { matchRows, readZeekRows } from '../../helpers/zeek-log.js';
import { NDR64, NdrWriter, cat, dceBind, dceBindAck, dcePdu, dceRequest, dceResponse, ntlmAuthenticate, u16le, u32le } from '../../helpers/wire-b.js';

const MAPI = corpusFile('zeek_dce-rpc_mapi.pcap');

/** Run every stream of the capture, tagging events with the originator port like Zeek's id.orig_p. */
function runCapture(pcap: string): AppEvent[] {
  const out: AppEvent[] = [];
  for (const s of tcpStreams(pcap, [135, 1032, 4997])) {
    if (!s.chunks.some((c) => dceRpcParser.probe(c.dir, c.bytes, 0, c.bytes.length, { origPort: 0, respPort: 0 }))) continue;
    const r = runTcp(dceRpcParser, s);
    for (const e of r.events) out.push({ ...e, 'id.orig_p': s.orig.split(':').pop(), 'id.resp_p': s.resp.split(':').pop() });
  }
  return out;
}

describe('dce_rpc: corpus zeek_dce-rpc_mapi.pcap against Zeek dce_rpc.log and ntlm.log', () => {
  const events = runCapture(MAPI);
  const rpc = events.filter((e) => e._path === 'dce_rpc');

  it('matches 11 of the 12 Zeek dce_rpc rows on ports, rtt, named_pipe, endpoint, operation', () => {
    const zeek = readZeekRows(MAPI + '.zeek-dce_rpc.log');
    expect(zeek).toHaveLength(12);
    const m = matchRows(zeek, rpc, ['id.orig_p', 'id.resp_p', 'rtt', 'named_pipe', 'endpoint', 'operation']);
    expect(m.matched).toHaveLength(11);
    // The unmatched row repeats the previous EcRRegisterPushNotification with the same rtt: Zeek's
    // finalize hook re-logs the connection's last call state at teardown. Our extra row is the
    // last EcDoRpc request, which got no response before the capture ended (logged without rtt).
    expect(m.missing).toEqual([expect.objectContaining({ operation: 'EcRRegisterPushNotification', rtt: '0.003998' })]);
    expect(m.extra).toEqual([expect.objectContaining({ operation: 'EcDoRpc', 'id.orig_p': '1073' })]);
    expect(m.extra[0]).not.toHaveProperty('rtt');
  });

  it('maps every interface tshark sees bound over TCP to the endpoint name Zeek logs', () => {
    // (LSARPC binds in this capture ride SMB1 transactions on port 139: not DCE/RPC over TCP.)
    const uuids = new Set(tshark(['-r', MAPI, '-Y', 'tcp.port != 139 && tcp.port != 445', '-T', 'fields', '-e', 'dcerpc.cn_bind_to_uuid']).split(/[\n,]/).filter(Boolean));
    const names = [...uuids].map((u) => RPC_INTERFACES[u]?.name).sort();
    expect(names).toEqual(['epmapper', 'exchange_mapi', 'nspi']);
  });

  it("matches both rows of Zeek's ntlm.log (NTLMSSP in bind/alter_context auth verifiers)", () => {
    const zeek = readZeekRows(MAPI + '.zeek-ntlm.log');
    const ntlm = events.filter((e) => e._path === 'ntlm');
    const m = matchRows(zeek, ntlm, ['id.orig_p', 'username', 'hostname', 'domainname', 'server_nb_computer_name', 'server_dns_computer_name', 'server_tree_name', 'success']);
    expect(m.missing).toEqual([]);
    expect(m.extra).toEqual([]);
    const users = tshark(['-r', MAPI, '-Y', 'ntlmssp.messagetype==3', '-T', 'fields', '-e', 'ntlmssp.auth.username']).trim().split('\n');
    expect(ntlm.map((e) => e.username)).toEqual(users);
  });
});

// ---- hand-built ------------------------------------------------------------------------------

const DRSUAPI = 'e3514235-4b06-11d1-ab04-00c04fc2dcd2';
const NETLOGON = '12345678-1234-abcd-ef00-01234567cffb';
const SVCCTL = '367abb81-9844-35f1-ad32-98f038001003';
const WMI = '9556dc99-828c-11cf-a37e-00aa003240c7';

function flow(pairs: Array<[Buffer, Buffer]>): Array<{ dir: Dir; bytes: Buffer }> {
  return pairs.flatMap(([q, a]) => [{ dir: 0 as Dir, bytes: q }, { dir: 1 as Dir, bytes: a }]);
}

describe('dce_rpc: hand-built associations', () => {
  it('DCSync: drsuapi DRSBind then DRSGetNCChanges, with rtt', () => {
    const r = runChunks(dceRpcParser, [
      { dir: 0, bytes: dceBind(1, [{ id: 0, uuid: DRSUAPI, ver: 4 }]), ts: 10 },
      { dir: 1, bytes: dceBindAck(1, '49667', 1), ts: 10.001 },
      { dir: 0, bytes: dceRequest(2, 0, 0, Buffer.alloc(60)), ts: 10.002 },
      { dir: 1, bytes: dceResponse(2, 0, Buffer.alloc(40)), ts: 10.005 },
      { dir: 0, bytes: dceRequest(3, 0, 3, Buffer.alloc(200)), ts: 10.01 },
      { dir: 1, bytes: dceResponse(3, 0, Buffer.alloc(3000)), ts: 10.25 },
    ]);
    expect(r.probed).toEqual([true, true]);
    expect(r.events.map((e) => [e.ts, e.named_pipe, e.endpoint, e.operation])).toEqual([
      [10.002, '49667', 'drsuapi', 'DRSBind'],
      [10.01, '49667', 'drsuapi', 'DRSGetNCChanges'],
    ]);
    expect(r.events[1].rtt as number).toBeCloseTo(0.24, 9);
  });

  it('Zerologon: netlogon ReqChallenge/Authenticate3 with an all-zero credential', () => {
    const challenge = (zero: boolean) => new NdrWriter().uniqueWstr('\\\\DC01').wstr('DC01').raw(Buffer.alloc(8, zero ? 0 : 0x11)).done();
    const auth3 = (zero: boolean) => new NdrWriter().uniqueWstr('\\\\DC01').wstr('DC01$').u16(6).wstr('DC01').raw(Buffer.alloc(8, zero ? 0 : 0x22)).u32(0x212fffff).done();
    const r = runChunks(dceRpcParser, flow([
      [dceBind(1, [{ id: 0, uuid: NETLOGON }]), dceBindAck(1, '49670', 1)],
      [dceRequest(2, 0, 4, challenge(true)), dceResponse(2, 0, Buffer.alloc(12))],
      [dceRequest(3, 0, 26, auth3(true)), dceResponse(3, 0, Buffer.alloc(16))],
      [dceRequest(4, 0, 26, auth3(false)), dceResponse(4, 0, Buffer.alloc(16))],
    ]));
    expect(r.events.map((e) => [e.operation, e.account_name, e.zero_credential])).toEqual([
      ['NetrServerReqChallenge', undefined, true],
      ['NetrServerAuthenticate3', 'DC01$', true],
      ['NetrServerAuthenticate3', 'DC01$', false],
    ]);
  });

  it('svcctl CreateServiceW in NDR64 (transfer syntax negotiated in the bind)', () => {
    const stub = new NdrWriter(true).raw(Buffer.alloc(20, 1)).wstr('evil').uniqueWstr(null).u32(0xf01ff).u32(0x10).u32(3).u32(1)
      .wstr('cmd.exe /c whoami > C:\\out.txt').done();
    const r = runChunks(dceRpcParser, flow([
      [dceBind(1, [{ id: 1, uuid: SVCCTL, ver: 2, syntax: NDR64 }]), dceBindAck(1, '135', 1)],
      [dceRequest(2, 1, 12, stub), dceResponse(2, 1, Buffer.alloc(32))],
    ]));
    expect(r.events[0]).toMatchObject({ endpoint: 'svcctl', operation: 'CreateServiceW', service_name: 'evil', binary_path: 'cmd.exe /c whoami > C:\\out.txt' });
  });

  it('scheduled task (T1053): SchRpcRegisterTask task name and command, stub split over 3 fragments', () => {
    const TSCH = '86d35949-83c9-4044-b424-db363231fd0c';
    const xml = '<?xml version="1.0" encoding="UTF-16"?><Task version="1.2"><Triggers/>' + '<!-- pad -->'.repeat(200) +
      '<Actions Context="LocalSystem"><Exec><Command>cmd.exe</Command><Arguments>/C whoami &gt; %windir%\\Temp\\x.tmp 2&gt;&amp;1</Arguments></Exec></Actions></Task>';
    const stub = new NdrWriter().uniqueWstr('\\xYzAbC').wstr(xml).u32(6).u32(0).u32(3).done();
    const third = Math.ceil(stub.length / 3);
    const frags = [0, 1, 2].map((i) => dceRequest(2, 0, 1, stub.subarray(i * third, (i + 1) * third), i === 0 ? 1 : i === 2 ? 2 : 0));
    const r = runChunks(dceRpcParser, [
      { dir: 0, bytes: dceBind(1, [{ id: 0, uuid: TSCH }]) },
      { dir: 1, bytes: dceBindAck(1, '\\PIPE\\atsvc', 1) },
      ...frags.map((b) => ({ dir: 0 as Dir, bytes: b })),
      { dir: 1, bytes: dceResponse(2, 0, Buffer.alloc(12)) },
    ]);
    expect(stub.length).toBeGreaterThan(4000);
    expect(r.events).toEqual([expect.objectContaining({
      endpoint: 'ITaskSchedulerService', operation: 'SchRpcRegisterTask', task_name: '\\xYzAbC', command: 'cmd.exe /C whoami > %windir%\\Temp\\x.tmp 2>&1',
    })]);
  });

  it('reassembles fragmented requests (first/last flags) and several PDUs per segment', () => {
    const frag = (flags: number, n: number) => dceRequest(5, 0, 24, Buffer.alloc(n), flags);
    const pdus = cat(frag(1, 1000), frag(0, 1000), frag(2, 500));
    const resp = cat(dceResponse(5, 0, Buffer.alloc(2000), 1), dceResponse(5, 0, Buffer.alloc(10), 2));
    const bind = dceBind(1, [{ id: 0, uuid: WMI }]);
    const r = runChunks(dceRpcParser, [
      { dir: 0, bytes: bind.subarray(0, 5) },
      { dir: 0, bytes: bind.subarray(5) },
      { dir: 1, bytes: dceBindAck(1, '49700', 1) },
      { dir: 0, bytes: pdus.subarray(0, 700) },
      { dir: 0, bytes: pdus.subarray(700) },
      { dir: 1, bytes: resp },
    ]);
    expect(r.events.map((e) => [e.endpoint, e.operation])).toEqual([['IWbemServices', 'ExecMethod']]);
    expect(r.events[0].rtt).toBeDefined();
  });

  it('alter_context adds a context; unknown interfaces and opnums are named as Zeek names them', () => {
    const r = runChunks(dceRpcParser, flow([
      [dceBind(1, [{ id: 0, uuid: SVCCTL }]), dceBindAck(1, '135', 1)],
      [dceBind(2, [{ id: 1, uuid: '01020304-0506-0708-090a-0b0c0d0e0f10' }], undefined, true), dcePdu(15, 3, 2, cat(u16le(4280), u16le(4280), u32le(0), u16le(0), u16le(0), Buffer.from([0, 0, 0, 0])))],
      [dceRequest(3, 1, 7, Buffer.alloc(8)), dceResponse(3, 1, Buffer.alloc(4))],
      [dceRequest(4, 0, 250, Buffer.alloc(8)), dceResponse(4, 0, Buffer.alloc(4))],
    ]));
    expect(r.events.map((e) => [e.endpoint, e.operation])).toEqual([
      ['unknown-01020304-0506-0708-090a-0b0c0d0e0f10', 'unknown-7'],
      ['svcctl', 'unknown-250'],
    ]);
  });

  it('logs NTLM from an AUTH3 auth verifier (no verdict: success unset)', () => {
    const auth = { type: 10, level: 2, value: ntlmAuthenticate('CORP', 'svc_backup', 'SRV9') };
    const r = runChunks(dceRpcParser, [
      { dir: 0, bytes: dceBind(1, [{ id: 0, uuid: SVCCTL }]) },
      { dir: 1, bytes: dceBindAck(1, '135', 1) },
      { dir: 0, bytes: dcePdu(16, 3, 1, Buffer.alloc(4), auth) },
    ]);
    expect(r.events).toEqual([expect.objectContaining({ _path: 'ntlm', username: 'svc_backup', domainname: 'CORP', hostname: 'SRV9' })]);
    expect(r.events[0]).not.toHaveProperty('success');
    expect(r.services).toEqual(['dce_rpc', 'ntlm']);
  });

  it('does not claim non-RPC payloads and survives garbage and hostile frag lengths', () => {
    const http = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(dceRpcParser.probe(0, http, 0, http.length, { origPort: 1, respPort: 135 })).toBe(false);
    const hostile = cat(Buffer.from([5, 0, 0, 3, 0x10, 0, 0, 0]), u16le(0xffff), u16le(0xfff0), u32le(1), Buffer.alloc(30));
    const r = runChunks(dceRpcParser, [{ dir: 0, bytes: hostile }, { dir: 0, bytes: Buffer.alloc(70000, 0x41) }, { dir: 1, bytes: Buffer.alloc(100, 5) }]);
    expect(r.events).toEqual([]);
  });
});
