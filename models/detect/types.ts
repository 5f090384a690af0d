/**
 * Contract between the analytics engine and detection modules. A detection is a small module
 * with a stable `type` id, a MITRE ATT&CK mapping, configurable thresholds (declared as an option
 * schema, so the config validator can check them and name the bad key) and a severity rule.
 */
import type { Baseline, FlowContext, ZoneInfo } from '../baseline/baseline.js';
import type { HostEntry } from '../baseline/hosts.js';
import type { FlowView, ProtoEvent } from '../core/records.js';
import type { AlertCandidate, Category } from '../alerts/types.js';

export type OptionKind = 'int' | 'num' | 'bool' | 'strings';

export interface OptionSpec<T extends number | boolean | string[] = number | boolean | string[]> {
  kind: OptionKind;
  default: T;
  min?: number;
  max?: number;
  doc: string;
}

export type OptionSchema = Record<string, OptionSpec>;
export type Options<S extends OptionSchema = OptionSchema> = { [K in keyof S]: S[K]['default'] };

export interface DetectContext {
  /** Capture-time clock of the engine. */
  readonly now: number;
  readonly baseline: Baseline;
  readonly learning: boolean;
  raise(c: AlertCandidate): void;
  zoneOf(ip: string): ZoneInfo | undefined;
  isInternal(ip: string): boolean;
  isDC(ip: string): boolean;
  isResolver(ip: string): boolean;
  isProxy(ip: string): boolean;
  /** Internal domains (search suffixes) never counted as DGA/tunnel targets. */
  isInternalName(name: string): boolean;
  /** Best name for a flow uid (SNI, HTTP host) or an IP (DNS answers), '' if none. */
  nameFor(uid: string, ip: string): string;
  /** "10.20.3.21 (zone medical)" — how summaries name a host. */
  describe(ip: string): string;
  /** Baseline age in days at `now`, for explanations. */
  baselineDays(): number;
}

export interface Detection {
  readonly type: string;
  /** Event logs this detection reads (`_path`), if any. */
  readonly paths?: readonly string[];
  /** Wants flow records. */
  readonly flows?: boolean;
  onFlow?(v: FlowView, fc: FlowContext, ctx: DetectContext): void;
  onEvent?(ev: ProtoEvent, ctx: DetectContext): void;
  /** Periodic housekeeping (window expiry), called from the engine's tick. */
  tick?(ctx: DetectContext): void;
  /** Tracked keys, for memory metrics. */
  size?(): number;
  save?(): unknown;
  load?(s: unknown): void;
}

export interface DetectionSpec<S extends OptionSchema = OptionSchema> {
  type: string;
  category: Category;
  mitre: readonly string[];
  needsBaseline: boolean;
  /** One line for docs: what it detects. */
  title: string;
  options: S;
  create(opts: Options<S>, baseline: Baseline): Detection;
}

export type { HostEntry };
