/** Small shared helpers for command-line values. */

export class UsageError extends Error {}

/** Parses HOST:PORT ("[v6]:port" for IPv6). Throws naming the option. */
export function parseHostPort(opt: string, v: string | undefined): { host: string; port: number } {
  if (!v) throw new UsageError(`${opt} needs HOST:PORT`);
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (!m) throw new UsageError(`${opt} ${v}: expected HOST:PORT (IPv6 as [ADDR]:PORT)`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${opt} ${v}: port must be 0-65535`);
  return { host: m[1], port };
}


