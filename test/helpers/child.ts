/**
 * Runs test/helpers/live-child.mjs (optionally inside a network namespace) and speaks its
 * line-JSON protocol.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export class CaptureChild {
  readonly proc: ChildProcess;
  readonly messages: Msg[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr = '';
  private waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];

  /** `prefix`: a command that runs node, e.g. setpriv with reduced privileges. */
  constructor(opts: { ns?: string; modules: string; options: unknown; addon: string; prefix?: string[] }) {
    const script = path.join(import.meta.dirname, 'live-child.mjs');
    const cmd = [...(opts.prefix ?? []), process.execPath, script];
    const argv = opts.ns ? ['netns', 'exec', opts.ns, ...cmd] : cmd.slice(1);
    this.proc = spawn(opts.ns ? 'ip' : cmd[0], argv, {
      env: { ...process.env, NDR_MODULES: opts.modules, NDR_CHILD_OPTS: JSON.stringify(opts.options), NDR_PCAP_ADDON: opts.addon },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let m: Msg;
      try {
        m = JSON.parse(line) as Msg;
      } catch {
        this.stderr += `[non-JSON stdout] ${line}\n`;
        return;
      }
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  }

  /** Resolves with the first message (past or future) matching pred; rejects after timeoutMs. */
  waitFor(pred: (m: Msg) => boolean, timeoutMs = 10_000): Promise<Msg> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: Msg) => (clearTimeout(t), resolve(m)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`child: no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  async ready(): Promise<Msg> {
    const m = await this.waitFor((x) => x.ready === true || x.openError !== undefined);
    if (m.openError) throw new Error(`capture child could not open: ${m.openError.message}`);
    return m;
  }

  send(cmd: string): void {
    this.proc.stdin!.write(cmd + '\n');
  }

  async stop(): Promise<Msg> {
    this.send('STOP');
    return (await this.waitFor((x) => x.result !== undefined)).result as Msg;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
