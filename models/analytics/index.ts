/** Public surface of the analytics stage (what sensor/ imports). */
export { Analytics, StateFormatError, STATE_FORMAT, STATE_VERSION, type AnalyticsHooks, type AnalyticsState } from './engine.js';
export { DEFAULT_CONFIG, ZONE_KINDS, ConfigError, resolveAnalyticsConfig, validateAnalyticsConfig, type AnalyticsConfig, type ResolvedConfig, type ZoneConfig } from './config.js';
export { openAnalyticsSession, type AnalyticsSession, type AnalyticsSessionOptions } from './session.js';
export { readStateFile, writeStateFile, quarantine } from './persist.js';
export { runAnalyze, parseAnalyzeArgs, loadAnalyticsSection } from './cli.js';
export type { Alert, Case, Category } from '../alerts/types.js';
export type { FlowRecord, ProtoEvent } from '../core/records.js';
export { DETECTIONS } from '../detect/registry.js';
