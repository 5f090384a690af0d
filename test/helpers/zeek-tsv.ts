/** Reader for Zeek's TSV logs (the btest baselines in ../shared/pcaps): `#fields` names the columns. */
import { readFileSync } from 'node:fs';

export type ZeekRow = Record<string, string>;

export function readZeekLog(path: string): ZeekRow[] {
  const rows: ZeekRow[] = [];
  let fields: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#fields')) fields = line.split('\t').slice(1);
    if (line === '' || line.startsWith('#')) continue;
    // Baselines made with zeek-cut carry a plain header line instead of #fields.
    if (fields.length === 0) {
      fields = line.split('\t');
      continue;
    }
    const cols = line.split('\t');
    const r: ZeekRow = {};
    fields.forEach((f, i) => { r[f] = cols[i] ?? '-'; });
    rows.push(r);
  }
  return rows;
}
