// Types of synthetic.mjs for the tests that import it (the tests are type-checked: tsconfig.test.json).
export interface SyntheticFlow {
  ts: number;
  uid: string;
  'id.orig_h': string;
  'id.orig_p': number;
  'id.resp_h': string;
  'id.resp_p': number;
  proto: 'tcp' | 'udp';
  service: string;
  duration: number;
  orig_bytes: number;
  resp_bytes: number;
  conn_state: string;
  local_orig: boolean;
  local_resp: boolean;
  missed_bytes: number;
  history: string;
  orig_pkts: number;
  orig_ip_bytes: number;
  resp_pkts: number;
  resp_ip_bytes: number;
  tunnel_parents: string[];
  community_id: string;
  vlan: number | null;
  inner_vlan: null;
  direction: string;
}

export interface SyntheticAlert {
  ts: number;
  id: string;
  sensor_id: string;
  type: string;
  category: string;
  mitre: string[];
  severity: number;
  src: string;
  dst: string;
  summary: string;
  evidence: { share: string; files: string[]; count: number };
}

export function flowRecord(i: number, prefix?: string): SyntheticFlow;
export function alertRecord(i: number, prefix?: string): SyntheticAlert;
