/** Paths into the shared, read-only conformance corpus (../shared/pcaps beside the checkout). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(REPO, '..', 'shared');
export const CORPUS = join(SHARED, 'pcaps', 'corpus');
export const REF_TSHARK = join(SHARED, 'pcaps', 'ref-tshark');
export const BIN = join(REPO, 'bin', 'ndr-sensor');

export function corpusAvailable(): boolean {
  return existsSync(CORPUS);
}

/** Capture files of the corpus (not the reference files next to them). */
export function corpusCaptures(): string[] {
  return readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
}

export interface ManifestRow {
  file: string;
  format: string;
  linktypes: string;
  packets: string;
  records: string;
  features: string;
  description: string;
}

export function manifest(): Map<string, ManifestRow> {
  const text = readFileSync(join(SHARED, 'pcaps', 'MANIFEST.tsv'), 'utf8').split('\n');
  const out = new Map<string, ManifestRow>();
  for (const line of text.slice(1)) {
    if (line.trim() === '') continue;
    const c = line.split('\t');
    const file = c[0].replace(/^corpus\//, '');
    out.set(file, { file, format: c[7], linktypes: c[8], packets: c[9], records: c[10], features: c[11], description: c[12] });
  }
  return out;
}
