/**
 * Network zones: the kinds a zone may have, shared by the sensor configuration and the analytics
 * stage (one list, so a kind the config accepts is one the detections know).
 */
export const ZONE_KINDS = ['server', 'workstation', 'medical', 'dmz', 'guest', 'other'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];
