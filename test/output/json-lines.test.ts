import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { JsonLinesWriter } from '../../sensor/output/json-lines.js';

describe('JsonLinesWriter', () => {
  it('ready() resolves when the stream drained before it was called (no lost drain event)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ndr-jsonl-')), 'out.json');
    const w = new JsonLinesWriter(path);
    // More than the 1 MiB high-water mark: write() reports backpressure.
    const recs = Array.from({ length: 20000 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    w.write(recs);
    const stream = (w as unknown as { stream: NodeJS.WritableStream }).stream;
    // Let the stream drain with nobody waiting, as happens while the pipeline awaits other work.
    await once(stream, 'drain');
    const r = await Promise.race([w.ready().then(() => 'ready'), new Promise((res) => setTimeout(() => res('hung'), 2000))]);
    expect(r).toBe('ready');
    w.write([{ last: true }]);
    await w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20001);
    expect(JSON.parse(lines[20000])).toEqual({ last: true });
  });

  it('ready() waits while the stream is above its high-water mark', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ndr-jsonl-')), 'out.json');
    const w = new JsonLinesWriter(path);
    w.write(Array.from({ length: 20000 }, (_, i) => ({ i, pad: 'y'.repeat(80) })));
    const stream = (w as unknown as { stream: NodeJS.WritableStream & { writableNeedDrain: boolean } }).stream;
    expect(stream.writableNeedDrain).toBe(true);
    await w.ready();
    expect(stream.writableNeedDrain).toBe(false);
    await w.close();
  });
});
