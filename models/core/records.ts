/**
 * Input records of the analytics stage and their normalised, reusable view.
 *
 * Flow records are Zeek conn.log JSON objects (plus `community_id`, `vlan`, `direction`,
 * `interim`); protocol events are Zeek log JSON objects with `_path`. Both arrive from all
 * workers into one analytics stage. Fields may be missing: every reader here is tolerant.
 */

export type Direction = 'internal' | 'outbound' | 'inbound' | 'external';

/** Zeek conn.log record (JSON), as produced by the flow table. */
export interface FlowRecord {
  ts: number;
  uid: string;
  'id.orig_h': string;
  'id.orig_p': number;
  'id.resp_h': string;
  'id.resp_p': number;
  proto: string;
  service?: string | null;
  duration?: number | null;
  orig_bytes?: number | null;
  resp_bytes?: number | null;
  conn_state?: string | null;
  local_orig?: boolean | null;
  local_resp?: boolean | null;
  missed_bytes?: number | null;
  history?: string | null;
  orig_pkts?: number | null;
  orig_ip_bytes?: number | null;
  resp_pkts?: number | null;
  resp_ip_bytes?: number | null;
  direction?: Direction | null;
  interim?: boolean | null;
  [k: string]: unknown;
}

/** A protocol event: Zeek log record with `_path` naming the log (`dns`, `kerberos`, …). */
export interface ProtoEvent {
  _path: string;
  ts: number;
  uid?: string;
  'id.orig_h'?: string;
  'id.orig_p'?: number;
  'id.resp_h'?: string;
  'id.resp_p'?: number;
  [k: string]: unknown;
}

const ANSWERED_TCP = new Set(['S1', 'SF', 'S2', 'S3', 'RSTO', 'RSTR']);
const FAILED = new Set(['S0', 'REJ', 'RSTOS0', 'SH', 'RSTRH', 'SHR']);

/**
 * Normalised view of one flow record. One instance is reused for every record (hot path):
 * detections must copy what they keep.
 */
export class FlowView {
  rec!: FlowRecord;
  uid = '';
  /** Start of the connection (Zeek `ts`). */
  ts = 0;
  /** Last activity covered by this record: ts + duration. */
  end = 0;
  duration = 0;
  src = '';
  dst = '';
  sport = 0;
  dport = 0;
  proto = '';
  service = '';
  /** Bytes new since the previous record of the same uid (interim records are cumulative). */
  origBytes = 0;
  respBytes = 0;
  /** Cumulative totals as carried by the record. */
  origTotal = 0;
  respTotal = 0;
  state = '';
  /** The responder answered (handshake completed or a reply was seen). */
  answered = false;
  /** An attempt that got no answer or a reset: what scan detection counts. */
  failed = false;
  dir: Direction = 'internal';
  /** First record seen for this uid (interim or final). */
  first = true;
  /** Final record (not interim). */
  final = true;
}

export function fillFlowView(v: FlowView, r: FlowRecord, dir: Direction): void {
  v.rec = r;
  v.uid = typeof r.uid === 'string' ? r.uid : '';
  v.ts = num(r.ts);
  v.duration = num(r.duration);
  v.end = v.ts + v.duration;
  v.src = str(r['id.orig_h']);
  v.dst = str(r['id.resp_h']);
  v.sport = num(r['id.orig_p']);
  v.dport = num(r['id.resp_p']);
  v.proto = str(r.proto);
  v.service = str(r.service);
  v.origTotal = num(r.orig_bytes);
  v.respTotal = num(r.resp_bytes);
  v.origBytes = v.origTotal;
  v.respBytes = v.respTotal;
  v.state = str(r.conn_state);
  const respPkts = num(r.resp_pkts);
  if (v.proto === 'tcp') {
    v.answered = ANSWERED_TCP.has(v.state) || (v.state === 'OTH' && respPkts > 0);
  } else {
    v.answered = respPkts > 0 || v.respTotal > 0;
  }
  v.failed = !v.answered && (FAILED.has(v.state) || (v.proto !== 'tcp' && respPkts === 0 && v.state === 'S0'));
  v.dir = dir;
  v.final = r.interim !== true;
  v.first = true;
}

export function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : typeof x === 'string' && x !== '' && Number.isFinite(+x) ? +x : 0;
}

export function str(x: unknown): string {
  return typeof x === 'string' ? x : x == null ? '' : String(x);
}

/** Lower-cased string field of an event, '' when absent. */
export function field(ev: ProtoEvent, ...names: string[]): string {
  for (const n of names) {
    const v = ev[n];
    if (typeof v === 'string' && v !== '' && v !== '-') return v;
    if (typeof v === 'number') return String(v);
  }
  return '';
}
