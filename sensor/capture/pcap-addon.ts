/**
 * Lazy loader for the project's libpcap binding (sensor/capture/native → ndr_pcap.node).
 *
 * Loaded only when something asks for live capture, so `replay` works on a machine where the
 * native build failed (no libpcap-dev): that machine gets one clear error when it tries `live`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeCaptureOptions {
  device?: string;
  file?: string;
  snaplen?: number;
  promisc?: boolean;
  bufferBytes?: number;
  immediate?: boolean;
  timeoutMs?: number;
  nanosecond?: boolean;
  filter?: string;
  iface?: number;
}

export interface NativePcapStats {
  /** Packets that passed the filter (Linux: counted by the kernel, u_int wraps at 2^32). */
  received: number;
  /** Packets the kernel dropped because the ring buffer was full (u_int, wraps at 2^32). */
  dropped: number;
  /** Packets the interface/driver dropped (Linux: rx_dropped delta since open). */
  ifDropped: number;
}

/** The C++ class `Capture` in native/src/pcap_binding.cc. */
export interface NativeCapture {
  dispatch(data: Uint8Array, dataOffset: number, ts: Float64Array, meta: Uint32Array, startIndex: number, maxPackets: number): number;
  stats(): NativePcapStats;
  start(onReadable: (status: number) => void): void;
  stop(): void;
  close(): void;
  setFilter(expression: string): void;
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly warning: string | null;
  readonly pendingLength: number;
  readonly eof: boolean;
  readonly isOpen: boolean;
}

export interface PcapAddon {
  Capture: new (options: NativeCaptureOptions) => NativeCapture;
  libVersion(): string;
}

export class PcapAddonUnavailableError extends Error {
  readonly code = 'ENOPCAPADDON';
}

const ADDON_REL = path.join('sensor', 'capture', 'native', 'build', 'Release', 'ndr_pcap.node');

/** Where the addon may be: beside the sources (tsx/vitest) or beside dist/ (compiled). */
function candidates(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out: string[] = [];
  if (process.env.NDR_PCAP_ADDON) out.push(process.env.NDR_PCAP_ADDON);
  out.push(path.join(here, 'native', 'build', 'Release', 'ndr_pcap.node')); // sensor/capture/*.ts
  out.push(path.resolve(here, '..', '..', '..', ADDON_REL)); // dist/sensor/capture/*.js
  return out;
}

let cached: PcapAddon | undefined;

export function loadPcapAddon(): PcapAddon {
  if (cached) return cached;
  const tried = candidates();
  const found = tried.find((p) => existsSync(p));
  if (!found) {
    throw new PcapAddonUnavailableError(
      'live capture is unavailable: the libpcap binding was not built (looked for ' +
        tried.join(', ') +
        '). Install build-essential, python3 and libpcap-dev, then run "npm run build:native" (or "npm ci").',
    );
  }
  const require = createRequire(import.meta.url);
  try {
    cached = require(found) as PcapAddon;
  } catch (err) {
    throw new PcapAddonUnavailableError(
      `live capture is unavailable: cannot load ${found}: ${(err as Error).message}. ` +
        'The runtime needs libpcap0.8; rebuild with "npm run build:native" after a Node upgrade.',
    );
  }
  return cached;
}

/** libpcap's version string, or undefined when the addon is not available. */
export function pcapLibVersion(): string | undefined {
  try {
    return loadPcapAddon().libVersion();
  } catch {
    return undefined;
  }
}
