/**
 * Reader and matcher for Zeek TSV logs (the corpus' `*.zeek-<log>.log` btest baselines).
 * Handles both the full `#fields` header form and the `btest-diff-cut -m` form whose first line
 * is the bare column list. `-` (unset) becomes undefined, `(empty)` becomes ''. Zeek escapes
 * backslashes as `\\` and non-printables as `\xNN` in TSV: `unescape` undoes that.
 */
import { readFileSync } from 'node:fs';

export type ZeekRow = Record<string, string | undefined>;

export function unescape(v: string): string {
  return v.replace(/\\x([0-9a-fA-F]{2})|\\\\/g, (m, h: string | undefined) => (h ? String.fromCharCode(parseInt(h, 16)) : '\\'));
}

export function readZeekLog(path: string): ZeekRow[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  let fields: string[] | undefined;
  const rows: ZeekRow[] = [];
  for (const line of lines) {
    if (!line || line.startsWith('### ')) continue;
    if (line.startsWith('#fields\t')) {
      fields = line.split('\t').slice(1);
      continue;
    }
    if (line.startsWith('#')) continue;
    if (!fields) {
      fields = line.split('\t'); // `btest-diff-cut -m` header line
      continue;
    }
    const v = line.split('\t');
    const row: ZeekRow = {};
    fields.forEach((f, i) => {
      const x = v[i];
      row[f] = x === undefined || x === '-' ? undefined : x === '(empty)' ? '' : unescape(x);
    });
    rows.push(row);
  }
  return rows;
}

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
 * Pair Zeek rows with our events on `keys` (Zeek column names = our field names), in order:
 * each Zeek row takes the first unused event whose rendered key fields are equal.
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
