/**
 * Per-internal-host and per-peer-group state: hour-of-day volume profiles (east-west vs outbound,
 * up vs down), host roles seen on the wire (DC, resolver), learned service signature, and
 * detection-registered peak metrics (e.g. admin fan-out per window) that decay daily.
 *
 * Memory per host is fixed-size (typed arrays); the table is bounded and evicts the least
 * recently seen hosts in batches.
 */
import { ewUpdate } from './robust.js';

/** Volume series index. */
export const OUT_UP = 0;
export const OUT_DOWN = 1;
export const EW_UP = 2;
export const EW_DOWN = 3;
export const SERIES = 4;
const VOL_LEN = SERIES * 24 * 2;

export const F_ALIVE = 1; // answered as a responder at least once
export const F_SRV_KRB = 2;
export const F_SRV_LDAP = 4;
export const F_SRV_DNS = 8;
export const F_CFG_DC = 16;
export const F_CFG_DNS = 32;

export interface HostEntry {
  ip: string;
  zone: number;
  group: string;
  first: number;
  last: number;
  flags: number;
  cliSvc: number;
  srvSvc: number;
  /** Volume of the hour in progress, by series. */
  cur: Float64Array;
  /** [series][hour] → (mean, dev) of log1p(bytes). */
  vol: Float32Array;
  /** Observations per hour-of-day slot (days seen), saturating at 255. */
  volN: Uint8Array;
  /** Detection peak metrics, EW-decayed daily (index from Baseline.metric()). */
  peaks: Float32Array;
}

export interface GroupEntry {
  name: string;
  vol: Float32Array;
  volN: Uint8Array;
  peaks: Float32Array;
  members: number;
}

export function volIndex(series: number, hour: number): number {
  return (series * 24 + hour) * 2;
}

export function newVol(): Float32Array {
  return new Float32Array(VOL_LEN);
}

/**
 * Close an hour for one profile: fold the hour's volumes into the hour-of-day stats. Takes
 * log1p(bytes) per series: an hour closes over every host and folds each host's volumes into its
 * own and its group's profile, so the caller takes the logs once.
 */
export function foldHour(vol: Float32Array, volN: Uint8Array, hour: number, logCur: ArrayLike<number>, alphaMin: number): void {
  const n = volN[hour]!;
  for (let s = 0; s < SERIES; s++) ewUpdate(vol, volIndex(s, hour), logCur[s]!, n, alphaMin);
  if (n < 255) volN[hour] = n + 1;
}

export function isDC(h: HostEntry | undefined): boolean {
  return !!h && ((h.flags & F_CFG_DC) !== 0 || ((h.flags & F_SRV_KRB) !== 0 && (h.flags & F_SRV_LDAP) !== 0));
}

export function isResolver(h: HostEntry | undefined): boolean {
  return !!h && (h.flags & (F_CFG_DNS | F_SRV_DNS)) !== 0;
}
