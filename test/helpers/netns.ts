/**
 * Throw-away network namespaces joined by veth pairs, for live-capture tests. Nothing is created
 * in the test runner's own namespace: both veth ends live in namespaces made here and deleted
 * afterwards, so no real interface is touched and no packet leaves them. IPv6 is disabled inside
 * so the kernel's own router solicitations / MLD reports do not add packets to the capture.
 */
import { spawnSync } from 'node:child_process';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}

/** Why netns tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'live-capture tests need root (they create network namespaces and veth pairs)';
  const probe = `ndrprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `"ip netns" is unavailable: ${(r.stderr || String(r.error)).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface Link {
  /** Namespace and interface that tcpreplay sends into. */
  txNs: string;
  txIf: string;
  /** Namespace and interface that the capture listens on. */
  rxNs: string;
  rxIf: string;
}

let seq = 0;

export class NetnsLab {
  readonly tag = `${process.pid % 100000}${String.fromCharCode(97 + (seq++ % 26))}`;
  readonly txNs = `ndrtx${this.tag}`;
  readonly rxNs = `ndrrx${this.tag}`;
  private links = 0;

  constructor() {
    for (const ns of [this.txNs, this.rxNs]) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** A new veth pair between the two namespaces, up, MTU 9000 (corpus frames can exceed 1514). */
  addLink(): Link {
    const n = this.links++;
    const txIf = `t${this.tag}${n}`;
    const rxIf = `r${this.tag}${n}`;
    run('ip', ['link', 'add', txIf, 'netns', this.txNs, 'mtu', '9000', 'type', 'veth', 'peer', 'name', rxIf, 'netns', this.rxNs, 'mtu', '9000']);
    run('ip', ['-n', this.txNs, 'link', 'set', txIf, 'up']);
    run('ip', ['-n', this.rxNs, 'link', 'set', rxIf, 'up']);
    return { txNs: this.txNs, txIf, rxNs: this.rxNs, rxIf };
  }

  /** Deletes a link (both ends), as an unplugged mirror cable would look to the sensor. */
  removeLink(link: Link): void {
    run('ip', ['-n', link.txNs, 'link', 'del', link.txIf]);
  }

  /** Creates a removed link again under the same names (the cable plugged back in, the NIC back). */
  restoreLink(link: Link): void {
    run('ip', ['link', 'add', link.txIf, 'netns', link.txNs, 'mtu', '9000', 'type', 'veth', 'peer', 'name', link.rxIf, 'netns', link.rxNs, 'mtu', '9000']);
    run('ip', ['-n', link.txNs, 'link', 'set', link.txIf, 'up']);
    run('ip', ['-n', link.rxNs, 'link', 'set', link.rxIf, 'up']);
  }

  /** Replays a capture into the link's tx end; resolves with tcpreplay's count of packets sent. */
  replay(link: Link, file: string, extra: string[] = []): { sent: number; output: string } {
    const out = run('ip', ['netns', 'exec', link.txNs, 'tcpreplay', '-q', '-i', link.txIf, ...extra, file]);
    const m = /Actual:\s+(\d+)\s+packets/.exec(out);
    if (!m) throw new Error(`cannot read tcpreplay's packet count from:\n${out}`);
    return { sent: Number(m[1]), output: out };
  }

  /** HTTP GET on 127.0.0.1:port inside a namespace (a child's metrics server lives there). */
  httpGet(ns: string, port: number, urlPath: string): { status: number; body: string } {
    const js = `fetch('http://127.0.0.1:${port}${urlPath}').then(async r => process.stdout.write(JSON.stringify({status: r.status, body: await r.text()})), e => { console.error(e); process.exit(1) })`;
    return JSON.parse(run('ip', ['netns', 'exec', ns, process.execPath, '-e', js])) as { status: number; body: string };
  }

  destroy(): void {
    for (const ns of [this.txNs, this.rxNs]) spawnSync('ip', ['netns', 'del', ns]);
  }
}
