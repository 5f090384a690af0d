/**
 * Command-line options of `replay`/`live` for the outputs that leave the box, and the factory that
 * builds them. The CLI integration is:
 *
 *   const { rest, values } = takeOutputArgs(argv);      // pull our flags out of argv
 *   const opts = parseShipOptions(values);               // throws OptionError naming the flag
 *   const outputs = await createOutputs(opts);           // starts shipper / IPFIX / syslog
 *   ... outputs.flow(rec) / outputs.event(rec) / outputs.alert(rec) ...
 *   const report = await outputs.finish();               // drain (bounded), close, report
 *
 * Flags (all take a value):
 *   --ship udp://HOST:PORT      ship flows, events and alerts to a collector (needs --key-file)
 *   --key-file FILE             pre-shared keys (see keys.ts); refused if group/other-readable
 *   --spool DIR                 disk spool for unacknowledged batches (strongly recommended)
 *   --spool-max-mb N            spool cap, default 1024
 *   --drain-timeout S           wait at most S seconds for acknowledgements at the end (default 30)
 *   --sensor-id ID              sensor id on the wire and in the collector's paths (default: host name)
 *   --ipfix HOST:PORT           IPFIX biflow export of conn records
 *   --syslog [udp://|tcp://]HOST:PORT   alerts as RFC 5424 syslog (UDP default; TCP uses RFC 6587)
 *   --syslog-format json|cef    MSG part of the syslog messages (default json)
 */
import { hostname } from 'node:os';
import { parseHostPort, UsageError } from './args.js';
import { KeyFileError, loadKeyFile, type KeyRing } from './keys.js';
import { isValidSensorId } from './wire.js';

export class OptionError extends Error {}

export const OUTPUT_FLAGS = [
  '--ship', '--key-file', '--spool', '--spool-max-mb', '--drain-timeout', '--sensor-id', '--ipfix', '--syslog', '--syslog-format',
] as const;
export type OutputFlag = (typeof OUTPUT_FLAGS)[number];

export interface ShipOptions {
  ship?: {
    host: string;
    port: number;
    keys: KeyRing;
    keyFile: string;
    spoolDir?: string;
    spoolMaxBytes: number;
    sensorId: string;
  };
  drainTimeoutMs: number;
  ipfix?: { host: string; port: number };
  syslog?: { host: string; port: number; transport: 'udp' | 'tcp'; format: 'json' | 'cef' };
}

/**
 * Splits argv into our flags (`values`) and everything else (`rest`, order kept). A flag without a
 * value, or given twice, is an OptionError.
 */
export function takeOutputArgs(argv: string[]): { rest: string[]; values: Partial<Record<OutputFlag, string>> } {
  const rest: string[] = [];
  const values: Partial<Record<OutputFlag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a) as OutputFlag;
    if (!(OUTPUT_FLAGS as readonly string[]).includes(name)) {
      rest.push(a);
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new OptionError(`${name} needs a value`);
    if (values[name] !== undefined) throw new OptionError(`${name} given twice`);
    values[name] = v;
  }
  return { rest, values };
}

function hostPort(flag: string, v: string): { host: string; port: number } {
  try {
    const hp = parseHostPort(flag, v);
    if (hp.port === 0) throw new OptionError(`${flag} ${v}: port must be 1-65535`);
    return hp;
  } catch (e) {
    if (e instanceof UsageError) throw new OptionError(e.message);
    throw e;
  }
}

function positive(flag: string, v: string, allowZero: boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new OptionError(`${flag} ${v}: expected a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return n;
}

/** Validates the output flags; loads (and permission-checks) the key file. */
export function parseShipOptions(v: Partial<Record<OutputFlag, string>>): ShipOptions {
  const out: ShipOptions = { drainTimeoutMs: 30_000 };
  if (v['--drain-timeout'] !== undefined) out.drainTimeoutMs = positive('--drain-timeout', v['--drain-timeout'], true) * 1000;
  if (v['--ship'] !== undefined) {
    const m = /^udp:\/\/(.+)$/.exec(v['--ship']);
    if (!m) throw new OptionError(`--ship ${v['--ship']}: expected udp://HOST:PORT`);
    const hp = hostPort('--ship', m[1]);
    const keyFile = v['--key-file'];
    if (!keyFile) throw new OptionError('--ship needs --key-file FILE');
    let keys: KeyRing;
    try {
      keys = loadKeyFile(keyFile);
    } catch (e) {
      if (e instanceof KeyFileError) throw new OptionError(`--key-file: ${e.message}`);
      throw e;
    }
    const sensorId = v['--sensor-id'] ?? hostname().replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, 64);
    if (!isValidSensorId(sensorId)) {
      throw new OptionError(`--sensor-id ${sensorId}: 1-64 characters of [A-Za-z0-9._-], not starting with a dot`);
    }
    const spoolMaxBytes = v['--spool-max-mb'] !== undefined ? positive('--spool-max-mb', v['--spool-max-mb'], false) * 1024 * 1024 : 1024 ** 3;
    out.ship = { ...hp, keys, keyFile, spoolDir: v['--spool'], spoolMaxBytes, sensorId };
  } else {
    for (const f of ['--key-file', '--spool', '--spool-max-mb', '--sensor-id'] as const) {
      if (v[f] !== undefined) throw new OptionError(`${f} only applies with --ship`);
    }
  }
  if (v['--ipfix'] !== undefined) out.ipfix = hostPort('--ipfix', v['--ipfix']);
  if (v['--syslog'] !== undefined) {
    const m = /^(?:(udp|tcp):\/\/)?(.+)$/.exec(v['--syslog'])!;
    const transport = (m[1] ?? 'udp') as 'udp' | 'tcp';
    const format = v['--syslog-format'] ?? 'json';
    if (format !== 'json' && format !== 'cef') throw new OptionError(`--syslog-format ${format}: expected json or cef`);
    out.syslog = { ...hostPort('--syslog', m[2]), transport, format };
  } else if (v['--syslog-format'] !== undefined) {
    throw new OptionError('--syslog-format only applies with --syslog');
  }
  return out;
}
