/**
 * JSON-lines output to a file or stdout ("-"), with backpressure: callers await `ready()` before
 * producing more, so a slow disk slows the replay instead of growing memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export class JsonLinesWriter {
  private readonly stream: NodeJS.WritableStream;
  private readonly own: WriteStream | null;
  private blocked = false;
  private failed: Error | null = null;
  records = 0;

  constructor(path: string) {
    if (path === '-') {
      this.stream = process.stdout;
      this.own = null;
    } else {
      this.own = createWriteStream(path, { flags: 'w', highWaterMark: 1 << 20 });
      this.own.on('error', (e) => { this.failed = e; });
      this.stream = this.own;
    }
  }

  /** Write records (one JSON object per line). */
  write(records: readonly object[]): void {
    if (records.length === 0) return;
    if (this.failed !== null) throw this.failed;
    let s = '';
    for (const r of records) s += JSON.stringify(r) + '\n';
    this.records += records.length;
    if (!this.stream.write(s)) this.blocked = true;
  }

  /** Resolves when the stream can take more. */
  async ready(): Promise<void> {
    if (this.failed !== null) throw this.failed;
    if (!this.blocked) return;
    await once(this.stream, 'drain');
    this.blocked = false;
  }

  async close(): Promise<void> {
    if (this.own !== null) {
      await new Promise<void>((resolve, reject) => this.own!.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    if (this.failed !== null) throw this.failed;
  }
}
