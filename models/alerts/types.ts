/** Alert records (the `--alerts-out` JSON-lines contract) and what detections hand in. */

export type Category =
  | 'lateral-movement'
  | 'reconnaissance'
  | 'exfiltration'
  | 'command-and-control'
  | 'credential-access'
  | 'impact'
  | 'policy';

/** One line of `--alerts-out`. Field set and order are the public contract (issue 4). */
export interface Alert {
  ts: number;
  id: string;
  sensor_id: string;
  type: string;
  category: Category;
  mitre: string[];
  severity: number;
  src: string;
  dst: string | null;
  summary: string;
  evidence: Record<string, unknown>;
}

/** What a detection raises; the alert pipeline suppresses, deduplicates and numbers it. */
export interface AlertCandidate {
  type: string;
  category: Category;
  mitre: string[];
  /** 1..10 before baseline-maturity capping. */
  severity: number;
  src: string;
  dst: string | null;
  /** Dedup target when `dst` is null (e.g. "445/tcp" for an address scan, a domain for DNS). */
  target?: string;
  /** One sentence quoting the evidence. */
  summary: string;
  evidence: Record<string, unknown>;
  /** The detection compares against learned behaviour (maturity note and cap apply). */
  needsBaseline: boolean;
  /** Destination port the alert is about (allowlist matching). */
  port?: number;
  /** Names tied to the destination (SNI, DNS query, HTTP host) for allowlist matching. */
  names?: string[];
}

/** Per-host case: the SOC sees a few cases, not thousands of alerts. */
export interface Case {
  ts: number;
  case_id: string;
  sensor_id: string;
  host: string;
  risk: number;
  first_seen: number;
  last_seen: number;
  alert_ids: string[];
  types: string[];
  categories: Category[];
  max_severity: number;
  summary: string;
}
