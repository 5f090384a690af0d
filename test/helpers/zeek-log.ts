/**
 * Zeek's TSV logs (the corpus' `*.zeek-<log>.log` btest baselines) and matchers of our records
 * against them. One reader of the format — the full `#fields`/`#types` header form and the
 * `btest-diff-cut -m` form whose first line is the bare column list — with three views of a row:
 *
 * - `readZeekLog`: typed values (count/port/int/double/interval → number, bool → boolean,
 *   vector/set → array), unset `-` absent, `(empty)` → '' or [];
 * - `readZeekRows`: strings as Zeek printed them (unescaped), unset → undefined, `(empty)` → '';
 * - `readZeekRaw`: the cells untouched (`-` stays `-`), for conn.log comparisons that render our
 *   records the way Zeek prints them.
 *
 * The matchers take any objects with Zeek's field names (`id.orig_h`, …), so the sensor's
 * `--events-out` JSON lines compare the same way.
 */
import { readFileSync } from 'node:fs';

interface ZeekTable {
  fields: string[];
  /** Column types from `#types` (empty for bare-header logs). */
  types: string[];
  setSep: string;
  rows: string[][];
}

function readTable(path: string): ZeekTable {
  const t: ZeekTable = { fields: [], types: [], setSep: ',', rows: [] };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#fields\t')) t.fields = line.split('\t').slice(1);
    else if (line.startsWith('#types\t')) t.types = line.split('\t').slice(1);
    else if (line.startsWith('#set_separator\t')) t.setSep = unescape(line.split('\t')[1] ?? ',');
    else if (line.startsWith('#')) continue;
    else if (t.fields.length === 0) t.fields = line.split('\t'); // btest-diff-cut: bare header line
    else t.rows.push(line.split('\t'));
  }
  return t;
}

/** Zeek's ASCII writer escapes non-printable bytes as \xNN and the backslash itself as \\. */
export function unescape(v: string): string {
  return v.replace(/\\x([0-9a-fA-F]{2})|\\\\/g, (_m, h: string | undefined) => (h ? String.fromCharCode(parseInt(h, 16)) : '\\'));
}

/** Marks a cell the view leaves out of the row. */
const OMIT = Symbol('omit');

/** One object per row, a property per column, the value given by `cell` (or left out). */
function rowsOf<V>(path: string, cell: (v: string | undefined, type: string, t: ZeekTable) => V | typeof OMIT): Record<string, V>[] {
  const t = readTable(path);
  return t.rows.map((vals) => {
    const r: Record<string, V> = {};
    t.fields.forEach((f, i) => {
      const v = cell(vals[i], t.types[i] ?? 'string', t);
      if (v !== OMIT) r[f] = v;
    });
    return r;
  });
}

export type ZeekRecord = Record<string, unknown>;

const NUMERIC = new Set(['count', 'port', 'int', 'double', 'interval']);

/** Typed records: `-` → absent, `(empty)` → '' or [], vector/set types → arrays. */
export function readZeekLog(path: string): ZeekRecord[] {
  return rowsOf<unknown>(path, (v, type, t) => {
    if (v === undefined || v === '-') return OMIT;
    const container = type.startsWith('vector') || type.startsWith('set');
    if (v === '(empty)') return container ? [] : '';
    if (container) {
      const num = /\[(count|int|double|interval|port)\]$/.test(type);
      return v.split(t.setSep).map((x) => (num ? Number(x) : unescape(x)));
    }
    if (NUMERIC.has(type)) return Number(v);
    if (type === 'bool') return v === 'T';
    return unescape(v);
  });
}

export type ZeekRow = Record<string, string | undefined>;

/** Rows of strings as Zeek printed them (unescaped): `-` → undefined, `(empty)` → ''. */
export function readZeekRows(path: string): ZeekRow[] {
  return rowsOf<string | undefined>(path, (x) => (x === undefined || x === '-' ? undefined : x === '(empty)' ? '' : unescape(x)));
}

export type ZeekRawRow = Record<string, string>;

/** Rows of the cells exactly as in the file (`-` kept; missing trailing cells read as `-`). */
export function readZeekRaw(path: string): ZeekRawRow[] {
  return rowsOf<string>(path, (x) => x ?? '-');
}

// ------------------------------------------------------------------ matchZeek (unordered tuple)

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
 * Matches each typed Zeek record (`readZeekLog`) to one of ours with the same connection
 * (unordered 4-tuple) and equal key fields; each of ours is used once. Key fields absent on both
 * sides are equal. For logs whose records belong to connections (dns, ssl, http, …).
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

// ------------------------------------------------------------------ matchRows (in order, as printed)

/** Zeek columns of type `time` or `interval`: printed with 6 decimals even when integral. */
const TIME_FIELD = /^(ts|rtt|from|till|duration)$|^times\.|\.ts$/;

/** How one of our event fields renders in Zeek's TSV (bools T/F, times to 6 decimals, vectors comma-joined). */
export function asZeek(v: unknown, key = ''): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return TIME_FIELD.test(key) || !Number.isInteger(v) ? v.toFixed(6) : String(v);
  if (Array.isArray(v)) return v.length ? v.map((x) => asZeek(x)).join(',') : '';
  return String(v);
}

export interface MatchResult<E> {
  matched: Array<{ zeek: ZeekRow; ours: E }>;
  missing: ZeekRow[];
  extra: E[];
}

/**
 * Pair Zeek rows (`readZeekRows`) with our events on `keys` (Zeek column names = our field
 * names), in order: each Zeek row takes the first unused event whose key fields, rendered as Zeek
 * prints them, are equal. For logs whose key fields say it all (smb, dce_rpc, kerberos, ldap).
 */
export function matchRows<E extends Record<string, unknown>>(zeek: ZeekRow[], ours: E[], keys: string[]): MatchResult<E> {
  const used = new Set<number>();
  const matched: Array<{ zeek: ZeekRow; ours: E }> = [];
  const missing: ZeekRow[] = [];
  for (const z of zeek) {
    const i = ours.findIndex((e, j) => !used.has(j) && keys.every((k) => asZeek(e[k], k) === z[k]));
    if (i < 0) missing.push(z);
    else {
      used.add(i);
      matched.push({ zeek: z, ours: ours[i] });
    }
  }
  return { matched, missing, extra: ours.filter((_, j) => !used.has(j)) };
}
