/**
 * Sensor self-audit: signs of a broken mirror feed, computed from the flow records the workers
 * emit (never from packets):
 *  - one-way TCP share: final TCP records with no packet in one direction (orig_pkts or
 *    resp_pkts 0) among all final TCP records of the audit window. A one-sided SPAN session
 *    (only one direction mirrored) drives it towards 1. Connection attempts to closed or absent
 *    hosts are one-way too, so a healthy network sits above 0: watch for jumps.
 *  - silent zones: configured zones with no flow record (final or interim) touching them within
 *    the window — a cable or SPAN source that went away.
 * The duplicate ratio comes from the dedup detector (sensor/metrics reads it directly).
 *
 * Cost: one branch per record for the TCP share; zone lookups only while some zone has not been
 * seen within the last second, with an allocation-free address parser and a precompiled network
 * set (so a silent zone costs two parses and lookups per record, ~0.2 µs).
 */
import type { ZoneConfig } from './config.js';
import { NetworkSet, parseCidr } from '../models/net/networks.js';

/** Window buckets: the window slides in steps of window/BUCKETS. */
const BUCKETS = 10;
/** A zone seen within this long needs no lookups. */
const FRESH_MS = 1000;

export interface AuditSnapshot {
  tcpOneWayRatio: number;
  zones: string[];
  silentZones: string[];
}

interface ConnLike {
  proto?: string;
  interim?: boolean;
  orig_pkts?: number;
  resp_pkts?: number;
  'id.orig_h'?: string;
  'id.resp_h'?: string;
}

export class SelfAudit {
  private zones: string[] = [];
  private nets = new NetworkSet([]);
  private lastSeen = new Float64Array(0);
  private windowMs = 900_000;
  private readonly tcp = new Float64Array(BUCKETS);
  private readonly oneWay = new Float64Array(BUCKETS);
  private bucket = 0;
  private bucketStart: number;
  private readonly words = new Uint32Array(4);

  constructor(zones: readonly ZoneConfig[], windowS: number, private readonly now: () => number = Date.now) {
    this.bucketStart = now();
    this.configure(zones, windowS);
  }

  /** New zones or window (SIGHUP). Zones keep their last-seen time across reloads; new ones start now. */
  configure(zones: readonly ZoneConfig[], windowS: number): void {
    const t = this.now();
    const old = new Map(this.zones.map((z, i) => [z, this.lastSeen[i]]));
    this.zones = zones.map((z) => z.name);
    this.lastSeen = new Float64Array(zones.map((z) => old.get(z.name) ?? t));
    this.nets = new NetworkSet(zones.flatMap((z, id) => z.networks.map((n) => ({ cidr: parseCidr(n), id }))));
    this.windowMs = windowS * 1000;
  }

  /** Records of one shard result. */
  flows(records: readonly object[]): void {
    if (records.length === 0) return;
    this.roll();
    const t = this.now();
    let lookups = false;
    for (let z = 0; z < this.lastSeen.length; z++) if (t - this.lastSeen[z] > FRESH_MS) lookups = true;
    const b = this.bucket;
    for (const o of records) {
      const r = o as ConnLike;
      if (r.proto === 'tcp' && r.interim !== true) {
        this.tcp[b]++;
        if (r.orig_pkts === 0 || r.resp_pkts === 0) this.oneWay[b]++;
      }
      if (lookups) {
        this.seen(r['id.orig_h'], t);
        this.seen(r['id.resp_h'], t);
      }
    }
  }

  snapshot(): AuditSnapshot {
    this.roll();
    let tcp = 0;
    let one = 0;
    for (let i = 0; i < BUCKETS; i++) {
      tcp += this.tcp[i];
      one += this.oneWay[i];
    }
    const t = this.now();
    return {
      tcpOneWayRatio: tcp > 0 ? one / tcp : 0,
      zones: [...this.zones],
      silentZones: this.zones.filter((_, i) => t - this.lastSeen[i] > this.windowMs),
    };
  }

  private seen(addr: string | undefined, t: number): void {
    if (addr === undefined || !parseAddressWords(addr, this.words)) return;
    const w = this.words;
    const z = this.nets.lookup(w[0], w[1], w[2], w[3]);
    if (z >= 0) this.lastSeen[z] = t;
  }

  /** Starts new buckets for the time passed (each bucket = window/BUCKETS). */
  private roll(): void {
    const step = this.windowMs / BUCKETS;
    const t = this.now();
    let n = Math.floor((t - this.bucketStart) / step);
    if (n <= 0) return;
    this.bucketStart += n * step;
    if (n > BUCKETS) n = BUCKETS;
    for (let i = 0; i < n; i++) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.tcp[this.bucket] = 0;
      this.oneWay[this.bucket] = 0;
    }
  }
}

const groups = new Uint16Array(8);

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Dotted quad at s[from..] to a 32-bit value, or -1. */
function parseV4(s: string, from: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return v * 256 + part;
}

/**
 * A textual IPv4/IPv6 address (as in conn records) to four 32-bit words in the layout of
 * models/net/networks.ts (IPv4 mapped into ::ffff:0:0/96). No allocation. False when malformed.
 */
export function parseAddressWords(s: string, out: Uint32Array): boolean {
  if (s.indexOf(':') < 0) {
    const v = parseV4(s, 0);
    if (v < 0) return false;
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = v >>> 0;
    return true;
  }
  const len = s.length;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let j = i;
    let v = 0;
    while (j < len && j - i < 5) {
      const h = hexVal(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < len && s.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits.
      const v4 = parseV4(s, i);
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    groups[n++] = v;
    if (j === len) break;
    if (s.charCodeAt(j) !== 58) return false;
    if (s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      j += 2;
    } else {
      j++;
      if (j === len) return false;
    }
    i = j;
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let k = 0; k < 4; k++) out[k] = ((groups[2 * k] << 16) | groups[2 * k + 1]) >>> 0;
  return true;
}
