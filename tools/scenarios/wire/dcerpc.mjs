// @ts-check
/** DCE/RPC connection-oriented PDUs (C706 ch. 12, [MS-RPCE]): bind, bind_ack, request, response. */
import { W, uuidLE } from './bytes.mjs';

const NDR = '8a885d04-1ceb-11c9-9fe8-08002b104860';

/** Interfaces used by the scenarios (UUID, version, Zeek endpoint name). */
export const IFACES = {
  svcctl: { uuid: '367abb81-9844-35f1-ad32-98f038001003', ver: 2, name: 'svcctl' },
  atsvc: { uuid: '1ff70682-0a51-30e8-076d-740be8cee98b', ver: 1, name: 'atsvc' },
  tsch: { uuid: '86d35949-83c9-4044-b424-db363231fd0c', ver: 1, name: 'ITaskSchedulerService' },
  wbem: { uuid: '9556dc99-828c-11cf-a37e-00aa003240c7', ver: 0, name: 'IWbemServices' },
  wbemLogin: { uuid: 'f309ad18-d86a-11d0-a075-00c04fb68820', ver: 0, name: 'IWbemLevel1Login' },
  scmActivator: { uuid: '000001a0-0000-0000-c000-000000000046', ver: 0, name: 'IRemoteSCMActivator' },
  drsuapi: { uuid: 'e3514235-4b06-11d1-ab04-00c04fc2dcd2', ver: 4, name: 'drsuapi' },
  netlogon: { uuid: '12345678-1234-abcd-ef00-01234567cffb', ver: 1, name: 'netlogon' },
  samr: { uuid: '12345778-1234-abcd-ef00-0123456789ac', ver: 1, name: 'samr' },
  lsarpc: { uuid: '12345778-1234-abcd-ef00-0123456789ab', ver: 0, name: 'lsarpc' },
  srvsvc: { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', ver: 3, name: 'srvsvc' },
  epmapper: { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', ver: 3, name: 'epmapper' },
};

function common(type, callId, fragLen, authLen = 0) {
  return new W().u8(5).u8(0).u8(type).u8(3).u32le(0x10).u16le(fragLen).u16le(authLen).u32le(callId);
}

/** @param {number} callId @param {{uuid:string, ver:number}} iface */
export function dceBind(callId, iface) {
  const body = new W().u16le(4280).u16le(4280).u32le(0).u8(1).u8(0).u16le(0);
  body.u16le(0).u8(1).u8(0).bytes(uuidLE(iface.uuid)).u16le(iface.ver).u16le(0).bytes(uuidLE(NDR)).u32le(2);
  const b = body.build();
  return Buffer.concat([common(11, callId, 16 + b.length).build(), b]);
}

/** @param {number} callId @param {string} secAddr */
export function dceBindAck(callId, secAddr) {
  const sa = Buffer.from(secAddr + '\0', 'latin1');
  const body = new W().u16le(4280).u16le(4280).u32le(0x12345).u16le(sa.length).bytes(sa);
  body.align(4);
  body.u8(1).u8(0).u16le(0).u16le(0).u16le(0).bytes(uuidLE(NDR)).u32le(2);
  // align relative to the PDU start (header is 16 bytes, a multiple of 4)
  const b = body.build();
  return Buffer.concat([common(12, callId, 16 + b.length).build(), b]);
}

/** @param {number} callId @param {number} opnum @param {number} stubLen */
export function dceRequest(callId, opnum, stubLen = 64) {
  const stub = Buffer.alloc(stubLen, 0);
  const body = new W().u32le(stubLen).u16le(0).u16le(opnum).bytes(stub).build();
  return Buffer.concat([common(0, callId, 16 + body.length).build(), body]);
}

/** @param {number} callId @param {number} stubLen */
export function dceResponse(callId, stubLen = 32) {
  const body = new W().u32le(stubLen).u16le(0).u8(0).u8(0).bytes(Buffer.alloc(stubLen)).build();
  return Buffer.concat([common(2, callId, 16 + body.length).build(), body]);
}

/**
 * DCE/RPC directly over TCP (port 135 or a dynamic endpoint): bind, then calls.
 * Zeek's named_pipe over TCP is the server port as text.
 * @param {{uuid:string, ver:number, name:string}} iface
 * @param {{opnum:number, op:string, stub?:number, respStub?:number}[]} calls
 * @param {number} port
 */
export function rpcOverTcp(iface, calls, port, secAddr = String(port)) {
  /** @type {{d:0|1, dt:number, data:Buffer}[]} */
  const msgs = [];
  /** @type {{_path:string, _i:number, [k:string]:unknown}[]} */
  const evs = [];
  msgs.push({ d: 0, dt: 0.0005, data: dceBind(2, iface) });
  msgs.push({ d: 1, dt: 0.0004, data: dceBindAck(2, secAddr) });
  let id = 3;
  for (const c of calls) {
    msgs.push({ d: 0, dt: 0.0006, data: dceRequest(id, c.opnum, c.stub ?? 64) });
    evs.push({ _path: 'dce_rpc', _i: msgs.length - 1, rtt: 0.0004, named_pipe: String(port), endpoint: iface.name, operation: c.op });
    msgs.push({ d: 1, dt: 0.0004, data: dceResponse(id, c.respStub ?? 32) });
    id++;
  }
  return { msgs, evs };
}
