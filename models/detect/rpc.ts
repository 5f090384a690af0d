/**
 * DCE-RPC event classification shared by the lateral-movement, credential-access and
 * enumeration detections. Tolerant of naming: Zeek logs `endpoint` (interface name from the
 * bind's UUID) and `operation` (e.g. "NetrJobAdd"; tshark says "JobAdd", MS docs
 * "RCreateServiceW"); a parser may also give a bare UUID or an opnum ("opnum_12", "12").
 */
import { field, type ProtoEvent } from '../core/records.js';

export type RpcKind =
  | 'svc_create'
  | 'svc_start'
  | 'at_job'
  | 'task_register'
  | 'task_run'
  | 'wmi_exec'
  | 'dcsync'
  | 'netlogon_challenge'
  | 'netlogon_auth'
  | 'netlogon_pwset'
  | 'enum_samr'
  | 'enum_lsa'
  | 'enum_share'
  | 'enum_session'
  | 'enum_wks'
  | 'enum_epm';

const UUID_NAMES: Record<string, string> = {
  '367abb81-9844-35f1-ad32-98f038001003': 'svcctl',
  '86d35949-83c9-4044-b424-db363231fd0c': 'itaskschedulerservice',
  '1ff70682-0a51-30e8-076d-740be8cee98b': 'atsvc',
  '378e52b0-c0a9-11cf-822d-00aa0051e40f': 'sasec',
  '9556dc99-828c-11cf-a37e-00aa003240c7': 'iwbemservices',
  'e3514235-4b06-11d1-ab04-00c04fc2dcd2': 'drsuapi',
  '12345678-1234-abcd-ef00-01234567cffb': 'netlogon',
  '12345778-1234-abcd-ef00-0123456789ac': 'samr',
  '12345778-1234-abcd-ef00-0123456789ab': 'lsarpc',
  '4b324fc8-1670-01d3-1278-5a47bf6ee188': 'srvsvc',
  '6bffd098-a112-3610-9833-46c3f87e345a': 'wkssvc',
  'e1af8308-5d1f-11c9-91a4-08002b14a0fa': 'epmapper',
};

/** (endpoint, opnum) → kind, for parsers that give numbers only. Opnums from MS-SCMR, MS-TSCH, MS-WMI, MS-DRSR, MS-NRPC, MS-SAMR, MS-LSAT, MS-SRVS, MS-WKST, DCE 1.1 epm. */
const OPNUMS: Record<string, Record<number, RpcKind>> = {
  svcctl: { 12: 'svc_create', 24: 'svc_create', 44: 'svc_create', 45: 'svc_create', 19: 'svc_start', 31: 'svc_start' },
  atsvc: { 0: 'at_job' },
  sasec: { 0: 'at_job' },
  itaskschedulerservice: { 1: 'task_register', 12: 'task_run' },
  iwbemservices: { 24: 'wmi_exec', 25: 'wmi_exec' },
  drsuapi: { 3: 'dcsync' },
  netlogon: { 4: 'netlogon_challenge', 5: 'netlogon_auth', 15: 'netlogon_auth', 26: 'netlogon_auth', 6: 'netlogon_pwset', 30: 'netlogon_pwset' },
  samr: { 6: 'enum_samr', 11: 'enum_samr', 13: 'enum_samr', 15: 'enum_samr', 17: 'enum_samr', 40: 'enum_samr', 48: 'enum_samr', 65: 'enum_samr' },
  lsarpc: { 11: 'enum_lsa', 14: 'enum_lsa', 15: 'enum_lsa', 57: 'enum_lsa', 58: 'enum_lsa', 76: 'enum_lsa', 77: 'enum_lsa' },
  srvsvc: { 12: 'enum_session', 15: 'enum_share', 8: 'enum_session' },
  wkssvc: { 2: 'enum_wks' },
  epmapper: { 2: 'enum_epm' },
};

const NAME_RULES: [string, RegExp, RpcKind][] = [
  ['svcctl', /createservice/, 'svc_create'],
  ['svcctl', /^r?startservice/, 'svc_start'],
  ['atsvc', /jobadd/, 'at_job'],
  ['sasec', /sasetaccountinformation/, 'at_job'],
  ['itaskschedulerservice', /schrpcregistertask/, 'task_register'],
  ['itaskschedulerservice', /schrpcrun/, 'task_run'],
  ['iwbemservices', /^execmethod/, 'wmi_exec'],
  ['drsuapi', /getncchanges/, 'dcsync'],
  ['netlogon', /serverreqchallenge/, 'netlogon_challenge'],
  ['netlogon', /serverauthenticate/, 'netlogon_auth'],
  ['netlogon', /serverpasswordset/, 'netlogon_pwset'],
  ['samr', /enumerate|querydisplayinformation|lookupnamesindomain|getmembersingroup|getaliasmembership|querygroupmember/, 'enum_samr'],
  ['lsarpc', /lookupsids|lookupnames|enumerateaccounts|enumeratetrusteddomains/, 'enum_lsa'],
  ['srvsvc', /sessionenum|connectionenum/, 'enum_session'],
  ['srvsvc', /shareenum/, 'enum_share'],
  ['wkssvc', /wkstauserenum/, 'enum_wks'],
  ['epmapper', /^ept_lookup$|^lookup$/, 'enum_epm'],
];

export function rpcEndpoint(ev: ProtoEvent): string {
  let ep = field(ev, 'endpoint', 'interface').toLowerCase();
  const uuid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(ep);
  if (uuid) ep = UUID_NAMES[uuid[1]!] ?? ep;
  if (ep === '' || ep.startsWith('unknown')) {
    // fall back to the named pipe: "\\PIPE\\svcctl" → svcctl
    const pipe = field(ev, 'named_pipe').toLowerCase().replace(/^.*[\\/]/, '');
    if (pipe === 'atsvc' || pipe === 'svcctl' || pipe === 'samr' || pipe === 'lsarpc' || pipe === 'srvsvc' || pipe === 'netlogon' || pipe === 'wkssvc') ep = pipe;
    else if (pipe === 'lsass') ep = 'lsarpc';
  }
  if (ep === 'itaskscheduler' || ep === 'taskscheduler') ep = 'itaskschedulerservice';
  return ep;
}

export function rpcOperation(ev: ProtoEvent): string {
  return field(ev, 'operation', 'opnum').toLowerCase();
}

export function classifyRpc(ev: ProtoEvent): RpcKind | null {
  const ep = rpcEndpoint(ev);
  const op = rpcOperation(ev);
  if (!ep || !op) return null;
  const num = /^(?:opnum[_-]?|unknown-)?(\d+)$/.exec(op);
  if (num) return OPNUMS[ep]?.[+num[1]!] ?? null;
  for (const [e, re, kind] of NAME_RULES) if (e === ep && re.test(op)) return kind;
  return null;
}

/** Original-case operation name for explanations. */
export function rpcOpLabel(ev: ProtoEvent): string {
  return `${field(ev, 'endpoint') || rpcEndpoint(ev)}::${field(ev, 'operation', 'opnum')}`;
}
