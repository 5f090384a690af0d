/**
 * Every application parser the engine probes, both parts. Within a transport the order only
 * breaks ties; parsers registered for one of a flow's ports are probed first.
 */
import type { AppParser } from './types.js';
import { parsersA } from './registry-a.js';
import { parsersB } from './registry-b.js';

export const allParsers: readonly AppParser[] = [...parsersB, ...parsersA];

export { DhcpAggregator } from './registry-a.js';
