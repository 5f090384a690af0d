// Types of synthetic.mjs for the tests that import it (the tests are type-checked: tsconfig.test.json).
import type { ConnRecord } from '../models/flow/conn-record.js';

/** A conn record as the sensor writes it, except that vlan/inner_vlan are null when absent and ip_proto is missing. */
export type SyntheticFlow = Omit<ConnRecord, 'vlan' | 'inner_vlan' | 'ip_proto' | 'interim'> & {
  vlan: number | null;
  inner_vlan: null;
};

export interface SyntheticAlert {
  ts: number;
  id: string;
  sensor_id: string;
  type: string;
  category: string;
  mitre: string[];
  severity: number;
  src: string;
  dst: string;
  summary: string;
  evidence: { share: string; files: string[]; count: number };
}

export function flowRecord(i: number, prefix?: string): SyntheticFlow;
export function alertRecord(i: number, prefix?: string): SyntheticAlert;
