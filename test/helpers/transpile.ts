/**
 * Transpiles project TypeScript modules to plain ESM JavaScript in a temporary folder, so tests
 * can run them in child processes (a child in a network namespace, a child that must exit by
 * itself) without depending on a possibly stale dist/. TypeScript's transpileModule only strips
 * types; imports already use `.js` specifiers, so the layout under the folder mirrors the repo.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * Transpiles repo-relative .ts files; returns the output root (same relative paths, .js). The root
 * is under node_modules/.cache so bare imports (prom-client) resolve to the repo's node_modules.
 */
export function transpileToTemp(files: string[]): string {
  const cache = path.join(repoRoot, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(path.join(cache, 'ndr-test-js-'));
  chmodSync(out, 0o755); // readable by a child that dropped privileges
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

export function removeTranspiled(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
