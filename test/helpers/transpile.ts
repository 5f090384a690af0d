/**
 * Transpiles project TypeScript modules to plain ESM JavaScript in a temporary folder, so tests
 * can run them in child processes (a child in a network namespace, a child that must exit by
 * itself) without depending on a possibly stale dist/. TypeScript's transpileModule only strips
 * types; imports already use `.js` specifiers, so the layout under the folder mirrors the repo.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Transpiles repo-relative .ts files; returns the output root (same relative paths, .js). */
export function transpileToTemp(files: string[]): string {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ndr-ts-'));
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  for (const rel of files) {
    const src = readFileSync(path.join(repoRoot, rel), 'utf8');
    const js = ts.transpileModule(src, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: rel,
    }).outputText;
    const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  return out;
}
