/**
 * Analytics configuration: defaults, validation errors that name the bad key, and allowlist /
 * suppression rules whose wildcards match what operators mean (a name rule also matches the
 * destinations the name resolved to, through CNAME chains).
 */
import { describe, expect, it } from 'vitest';
import { Analytics, ConfigError, DEFAULT_CONFIG, DETECTIONS, resolveAnalyticsConfig, validateAnalyticsConfig } from '../../models/analytics/index.js';
import { Suppressor } from '../../models/alerts/suppress.js';
import type { AlertCandidate } from '../../models/alerts/types.js';

describe('config validation', () => {
  it('an empty section gives the documented defaults and every detection enabled', () => {
    const { resolved, errors } = validateAnalyticsConfig(undefined);
    expect(errors).toEqual([]);
    expect(resolved!.config.baseline).toEqual(DEFAULT_CONFIG.baseline);
    expect(resolved!.detections.map((d) => d.spec.type)).toEqual(DETECTIONS.map((d) => d.type));
    expect(resolved!.detections.length).toBe(23);
  });

  it('reports every problem at once, each naming its key', () => {
    const { resolved, errors } = validateAnalyticsConfig({
      timeZone: 'Mars/Olympus_Mons',
      zones: [
        { name: 'servers', networks: ['10.50.1.0/24'], kind: 'server' },
        { name: 'medical', networks: ['10.50.300.0/24'], kind: 'medical' },
        { name: 'x', networks: ['10.9.0.0/16'], kind: 'hospital' },
      ],
      roles: { proxies: ['zone:nope'] },
      baseline: { maxHost: 10, minLearningDays: -1 },
      detections: { 'recon.scan': { internalAddrThreshold: 'many' }, 'recon.scann': {}, 'c2.beacon': { enabled: 'yes' } },
      suppress: [{ type: 'recon.*', src: '10.50.1.70/33', port: '70000', name: 5, color: 'red' }],
    });
    expect(resolved).toBeNull();
    const text = errors.join('\n');
    expect(text).toMatch(/^analytics\.timeZone: unknown IANA time zone "Mars\/Olympus_Mons"/m);
    expect(text).toMatch(/^analytics\.zones\[1\]\.networks\[0\]: invalid IPv4 network "10\.50\.300\.0\/24"/m);
    expect(text).toMatch(/^analytics\.zones\[2\]\.kind: expected one of server, workstation, medical, dmz, guest, other \(got "hospital"\)/m);
    expect(text).toMatch(/^analytics\.roles\.proxies\[0\]: unknown zone "nope"/m);
    expect(text).toMatch(/^analytics\.baseline\.maxHost: unknown key \(did you mean "maxHosts"\?\)/m);
    expect(text).toMatch(/^analytics\.baseline\.minLearningDays: expected a number in \[0, 365\] \(got -1\)/m);
    expect(text).toMatch(/^analytics\.detections\["recon\.scan"\]\.internalAddrThreshold: expected an integer in \[2, 100000\] \(got "many"\)/m);
    expect(text).toMatch(/^analytics\.detections\.recon\.scann: unknown key \(did you mean "recon\.scan"\?\)/m);
    expect(text).toMatch(/^analytics\.detections\["c2\.beacon"\]\.enabled: expected true or false/m);
    expect(text).toMatch(/^analytics\.suppress\[0\]\.src: invalid IPv4 network "10\.50\.1\.70\/33"/m);
    expect(text).toMatch(/^analytics\.suppress\[0\]\.port: expected a port, "lo-hi" range or "\*" \(got "70000"\)/m);
    expect(text).toMatch(/^analytics\.suppress\[0\]\.name: expected a domain glob/m);
    expect(text).toMatch(/^analytics\.suppress\[0\]\.color: unknown key/m);
    expect(() => resolveAnalyticsConfig({ baseline: { maxEdges: 1.5 } })).toThrow(ConfigError);
    expect(() => resolveAnalyticsConfig({ baseline: { maxEdges: 1.5 } })).toThrow(/analytics\.baseline\.maxEdges: expected an integer/);
  });

  it('thresholds and enable flags reach the detections', () => {
    const a = new Analytics({ detections: { 'c2.dga': { enabled: false }, 'recon.scan': { internalAddrThreshold: 3 } } });
    expect(a.cfg.detections.some((d) => d.spec.type === 'c2.dga')).toBe(false);
    expect(a.cfg.detections.find((d) => d.spec.type === 'recon.scan')!.options.internalAddrThreshold).toBe(3);
    const alerts: string[] = [];
    const b = new Analytics({ detections: { 'recon.scan': { internalAddrThreshold: 3 } } }, { onAlert: (x) => alerts.push(x.type) });
    for (let i = 1; i <= 3; i++) {
      b.onFlow({ ts: 1000 + i, uid: `C${i}`, 'id.orig_h': '10.1.1.1', 'id.orig_p': 40000 + i, 'id.resp_h': `10.1.2.${i}`, 'id.resp_p': 445, proto: 'tcp', conn_state: 'S0', orig_pkts: 2, resp_pkts: 0, duration: 3 });
    }
    expect(alerts).toEqual(['recon.scan']);
  });
});

describe('suppression rules and wildcards', () => {
  // the engine learns which names an address answers for from real DNS answers (CNAME chain)
  const engine = new Analytics({ zones: [{ name: 'workstations', networks: ['10.50.16.0/22'], kind: 'workstation' }] });
  engine.onEvent({
    _path: 'dns', ts: 1000, uid: 'Cdns', 'id.orig_h': '10.50.17.5', 'id.orig_p': 53000, 'id.resp_h': '10.50.1.10', 'id.resp_p': 53,
    query: 'sls.update.microsoft.com', qtype_name: 'A', rcode_name: 'NOERROR',
    answers: ['sls.emea.update.microsoft.com.akadns.net', 'glb.sls.prod.dcat.dsp.trafficmanager.net', '20.72.205.209'],
  });
  const hosts = { zoneOf: (ip: string) => engine.cfg.zones.lookup(ip)?.name, namesOf: (ip: string) => engine.baseline.namesOf(ip) };
  const cand = (o: Partial<AlertCandidate> = {}): AlertCandidate => ({
    type: 'c2.beacon', category: 'command-and-control', mitre: ['T1071'], severity: 7, src: '10.50.17.5', dst: '20.72.205.209', port: 443,
    summary: 'x.', evidence: {}, needsBaseline: true, ...o,
  });
  const matches = (rule: object, c = cand()) => {
    const errors: string[] = [];
    const s = new Suppressor([rule], 'suppress', errors);
    expect(errors).toEqual([]);
    return s.match(c, hosts) === 0;
  };

  it('learned the names behind the address from the DNS answer chain', () => {
    expect(engine.baseline.namesOf('20.72.205.209')).toEqual(['sls.update.microsoft.com', 'glb.sls.prod.dcat.dsp.trafficmanager.net', 'sls.emea.update.microsoft.com.akadns.net']);
  });

  it('"*.x.com" matches any depth below x.com and x.com itself, also for IP-only alerts', () => {
    expect(matches({ name: '*.update.microsoft.com' })).toBe(true);
    expect(matches({ name: '*.microsoft.com' })).toBe(true);
    expect(matches({ name: '*.akadns.net' })).toBe(true);
    expect(matches({ name: '*.update.microsoft.com' }, cand({ dst: '1.2.3.4', names: ['update.microsoft.com'] }))).toBe(true);
    expect(matches({ name: '*.UPDATE.Microsoft.com.' })).toBe(true);
  });

  it('names without a wildcard match exactly; unrelated names do not match', () => {
    expect(matches({ name: 'update.microsoft.com' })).toBe(false);
    expect(matches({ name: 'sls.update.microsoft.com' })).toBe(true);
    expect(matches({ name: '*.windowsupdate.com' })).toBe(false);
    expect(matches({ name: '*.microsoft.com' }, cand({ dst: '9.9.9.9' }))).toBe(false);
  });

  it('type globs, CIDR/zone/IP/* addresses and port ranges combine with AND', () => {
    expect(matches({ type: 'c2.*' })).toBe(true);
    expect(matches({ type: 'c2.*' }, cand({ type: 'exfil.volume' }))).toBe(false);
    expect(matches({ type: '*' }, cand({ type: 'exfil.volume' }))).toBe(true);
    expect(matches({ src: 'zone:workstations' })).toBe(true);
    expect(matches({ src: '10.50.16.0/22' })).toBe(true);
    expect(matches({ src: ['10.50.4.0/24', '10.50.17.5'] })).toBe(true);
    expect(matches({ src: '10.50.4.0/24' })).toBe(false);
    expect(matches({ dst: '*' })).toBe(true);
    expect(matches({ dst: '*' }, cand({ dst: null }))).toBe(false);
    expect(matches({ port: '440-450' })).toBe(true);
    expect(matches({ port: [80, '8000-8100'] })).toBe(false);
    expect(matches({ port: '*' }, cand({ port: undefined }))).toBe(true);
    expect(matches({ port: 443 }, cand({ port: undefined }))).toBe(false);
    expect(matches({ type: 'c2.*', src: 'zone:workstations', port: 443, name: '*.microsoft.com' })).toBe(true);
    expect(matches({ type: 'c2.*', src: 'zone:workstations', port: 80, name: '*.microsoft.com' })).toBe(false);
  });
});
