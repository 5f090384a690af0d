/**
 * Compare the sensor's conn records with Zeek's conn.log for one capture: records are matched by
 * 5-tuple (and order where a tuple repeats, since Zeek masks the first timestamp), then compared
 * field by field on what the packet path decides.
 */
import type { ZeekRawRow as ZeekRow } from './zeek-log.js';

export const COMPARED_FIELDS = [
  'proto', 'orig_pkts', 'resp_pkts', 'orig_ip_bytes', 'resp_ip_bytes', 'orig_bytes', 'resp_bytes',
  'conn_state', 'history', 'missed_bytes', 'duration',
] as const;

export interface ConnDiff {
  tuple: string;
  field: string;
  zeek: string;
  ours: string;
}

export interface ConnCompareResult {
  zeekRecords: number;
  matched: number;
  missing: string[];
  diffs: ConnDiff[];
}

const ID_FIELDS = ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto'] as const;

/** Key over the identifying columns the Zeek log has (some btests log only a few columns). */
function tupleOf(o: Record<string, unknown>, present: readonly string[]): string {
  return present.map((f) => String(o[f])).join('|');
}

function ourValue(rec: Record<string, unknown>, field: string): string {
  const v = rec[field];
  if (v === undefined || v === null) return '-';
  return String(v);
}

export function compareConn(zeek: ZeekRow[], ours: Record<string, unknown>[],
  compared: readonly string[] = COMPARED_FIELDS): ConnCompareResult {
  const finals = ours.filter((r) => r.interim !== true);
  const present = zeek.length === 0 ? [...ID_FIELDS] : ID_FIELDS.filter((f) => f in zeek[0]);
  const fields = zeek.length === 0 ? [] : compared.filter((f) => f in zeek[0]);
  const tupleOfRow = (o: Record<string, unknown>): string => tupleOf(o, present);
  const byTuple = new Map<string, Record<string, unknown>[]>();
  for (const r of [...finals].sort((a, b) => (a.ts as number) - (b.ts as number))) {
    const t = tupleOfRow(r);
    const l = byTuple.get(t);
    if (l === undefined) byTuple.set(t, [r]);
    else l.push(r);
  }
  const seen = new Map<string, number>();
  const res: ConnCompareResult = { zeekRecords: zeek.length, matched: 0, missing: [], diffs: [] };
  for (const z of zeek) {
    const t = tupleOfRow(z);
    const i = seen.get(t) ?? 0;
    seen.set(t, i + 1);
    const o = byTuple.get(t)?.[i];
    if (o === undefined) {
      res.missing.push(t);
      continue;
    }
    let ok = true;
    for (const f of fields) {
      const zv = z[f] ?? '-';
      const ov = ourValue(o, f);
      let same: boolean;
      if (f === 'duration' && zv !== '-' && ov !== '-') same = Math.abs(Number(zv) - Number(ov)) <= 0.001;
      // Zeek's own order of services varies between its logs: compare them as a set.
      else if (f === 'service') same = zv.split(',').sort().join(',') === ov.split(',').sort().join(',');
      else same = zv === ov;
      if (!same) {
        ok = false;
        res.diffs.push({ tuple: `${t}#${i}`, field: f, zeek: zv, ours: ov });
      }
    }
    if (ok) res.matched++;
  }
  return res;
}
