/**
 * Zeek TSV logs (as in the shared corpus) and a matcher of our events against them.
 * Reusable end to end: the matcher takes any objects with Zeek field names (`id.orig_h`, …), so
 * the sensor's `--events-out` JSON lines can be compared the same way.
 */
import { readFileSync } from 'node:fs';

export type ZeekRecord = Record<string, unknown>;

/** Parses a Zeek TSV log: `-` → absent, `(empty)` → '' or [], vector/set types → string[]. */
export function readZeekLog(path: string): ZeekRecord[] {
  const text = readFileSync(path, 'utf8');
  let fields: string[] = [];
  let types: string[] = [];
  let setSep = ',';
  const out: ZeekRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
    else if (line.startsWith('#types\t')) types = line.split('\t').slice(1);
    else if (line.startsWith('#set_separator\t')) setSep = line.split('\t')[1];
    else if (line.startsWith('#') || line === '') continue;
    else if (fields.length === 0) fields = line.split('\t'); // btest-diff-cut output: bare header line
    else {
      const vals = line.split('\t');
      const r: ZeekRecord = {};
      fields.forEach((f, i) => {
        const v = vals[i];
        const t = types[i] ?? 'string';
        if (v === undefined || v === '-') return;
        const container = t.startsWith('vector') || t.startsWith('set');
        if (v === '(empty)') { r[f] = container ? [] : ''; return; }
        if (container) {
          const num = /\[(count|int|double|interval|port)\]$/.test(t);
          r[f] = v.split(setSep).map((x) => (num ? Number(x) : unescapeZeek(x)));
        }
        else if (t === 'count' || t === 'port' || t === 'int' || t === 'double' || t === 'interval') r[f] = Number(v);
        else if (t === 'bool') r[f] = v === 'T';
        else r[f] = unescapeZeek(v);
      });
      out.push(r);
    }
  }
  return out;
}

/** Zeek's ASCII writer escapes non-printable bytes as \\xNN and the backslash itself as \\\\. */
function unescapeZeek(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|\\)/g, (_m, e: string) => (e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16))));
}

/** Canonical value for comparison: numbers as numbers, arrays joined, booleans as T/F. */
function canon(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (Array.isArray(v)) return v.map(canon).join(',');
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return String(Number(v.toFixed(6)));
  return String(v).replace(/\\x([0-9a-fA-F]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
}

function tupleKey(r: ZeekRecord): string {
  const a = `${r['id.orig_h']}|${r['id.orig_p']}`;
  const b = `${r['id.resp_h']}|${r['id.resp_p']}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`; // unordered: Zeek may flip roles (e.g. reply seen first)
}

export interface MatchReport {
  total: number;
  matched: number;
  ratio: number;
  /** Zeek records with no equal record of ours (key fields shown), with our closest candidates. */
  missing: { zeek: Record<string, string>; ours: Record<string, string>[] }[];
  /** Our records left over after matching. */
  extra: Record<string, string>[];
}

/**
 * Matches each Zeek record to one of ours with the same connection (unordered 4-tuple) and equal
 * key fields; each of ours is used once. Key fields absent on both sides are equal.
 */
export function matchZeek(zeek: ZeekRecord[], ours: ZeekRecord[], keys: string[]): MatchReport {
  const pool = new Map<string, ZeekRecord[]>();
  for (const o of ours) {
    const k = tupleKey(o);
    if (!pool.has(k)) pool.set(k, []);
    pool.get(k)!.push(o);
  }
  const show = (r: ZeekRecord) => Object.fromEntries(['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', ...keys].map((k) => [k, canon(r[k])]));
  const rep: MatchReport = { total: zeek.length, matched: 0, ratio: 1, missing: [], extra: [] };
  for (const z of zeek) {
    const cands = pool.get(tupleKey(z)) ?? [];
    const i = cands.findIndex((o) => keys.every((k) => canon(o[k]) === canon(z[k])));
    if (i >= 0) {
      cands.splice(i, 1);
      rep.matched++;
    } else rep.missing.push({ zeek: show(z), ours: cands.map(show) });
  }
  for (const rest of pool.values()) for (const o of rest) rep.extra.push(show(o));
  rep.ratio = rep.total ? rep.matched / rep.total : 1;
  return rep;
}
