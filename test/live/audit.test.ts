/**
 * The self-audit over flow records (sensor/live-audit.ts) and the live config sections
 * (sensor/live-config.ts), in process with a controlled clock.
 */
import { describe, expect, it } from 'vitest';
import { SelfAudit, parseAddressWords } from '../../sensor/live-audit.js';
import { liveSettings, restartOnlyChanges } from '../../sensor/live-config.js';
import { ConfigError, validateConfig } from '../../sensor/config.js';
import { parseCidr } from '../../models/net/networks.js';

describe('parseAddressWords', () => {
  // Reference: ip-num through parseCidr (a bare address is a host route; its network words are the
  // address). ip-num does not read IPv6 with an embedded IPv4 part: the WHATWG URL parser rewrites it first.
  const reference = (a: string) => parseCidr(a.includes(':') && a.includes('.') ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a).w;
  const good = ['0.0.0.0', '10.20.3.4', '255.255.255.255', '141.142.220.118', '::', '::1', '1::', 'fe80::217:f2ff:fed7:cf65',
    '2001:db8:0:0:1:0:0:1', '2001:DB8::8:800:200C:417A', 'ff02::1:3', '::ffff:10.1.2.3', '64:ff9b::192.0.2.33', '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6::8', '::2:3:4:5:6:7:8'];
  for (const a of good) {
    it(`reads ${a} as ip-num does`, () => {
      const w = new Uint32Array(4);
      expect(parseAddressWords(a, w)).toBe(true);
      expect([...w]).toEqual(reference(a));
    });
  }
  const bad = ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4 ', ':', ':::', '1:::2', '1::2::3', '12345::', 'g::1',
    '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4'];
  for (const a of bad) {
    it(`refuses ${JSON.stringify(a)}`, () => {
      expect(parseAddressWords(a, new Uint32Array(4))).toBe(false);
    });
  }
});

describe('SelfAudit', () => {
  const zones = [
    { name: 'imaging', networks: ['10.20.3.0/24'], kind: 'medical' as const },
    { name: 'servers', networks: ['10.20.1.0/24', 'fd00:1::/64'], kind: 'server' as const },
  ];
  const tcp = (o: number, r: number, extra: Record<string, unknown> = {}) => ({
    proto: 'tcp', orig_pkts: o, resp_pkts: r, 'id.orig_h': '192.168.1.1', 'id.resp_h': '192.168.1.2', ...extra,
  });

  it('one-way TCP share over the window: final TCP records only, old ones slide out', () => {
    let now = 1_000_000;
    const a = new SelfAudit(zones, 100, () => now);
    a.flows([tcp(3, 0), tcp(2, 2), tcp(0, 1), tcp(5, 5, { interim: true }), { proto: 'udp', orig_pkts: 1, resp_pkts: 0 }]);
    expect(a.snapshot().tcpOneWayRatio).toBeCloseTo(2 / 3, 12);
    now += 60_000;
    a.flows([tcp(1, 1)]);
    expect(a.snapshot().tcpOneWayRatio).toBeCloseTo(2 / 4, 12);
    now += 50_000; // the first three are more than a window old
    expect(a.snapshot().tcpOneWayRatio).toBe(1 - 1);
    now += 200_000;
    expect(a.snapshot().tcpOneWayRatio).toBe(0); // nothing recent: 0, not NaN
  });

  it('a zone is silent after a window without any record touching it; reloads keep what was seen', () => {
    let now = 5_000_000;
    const a = new SelfAudit(zones, 60, () => now);
    expect(a.snapshot()).toMatchObject({ zones: ['imaging', 'servers'], silentZones: [] });
    now += 30_000;
    a.flows([{ proto: 'udp', 'id.orig_h': '192.168.9.9', 'id.resp_h': '10.20.3.17' }]);
    now += 40_000;
    expect(a.snapshot().silentZones).toEqual(['servers']);
    a.flows([{ proto: 'tcp', interim: true, 'id.orig_h': 'fd00:1::5', 'id.resp_h': '2001:db8::1' }]);
    expect(a.snapshot().silentZones).toEqual([]);
    now += 61_000;
    expect(a.snapshot().silentZones).toEqual(['imaging', 'servers']);
    a.flows([{ proto: 'udp', 'id.orig_h': '10.20.1.1', 'id.resp_h': 'not-an-address' }]);
    // SIGHUP: a new zone starts its window now; known zones keep their last-seen time.
    a.configure([...zones, { name: 'lab', networks: ['10.30.0.0/16'], kind: 'medical' }], 60);
    expect(a.snapshot().silentZones).toEqual(['imaging']);
  });
});

describe('live config sections', () => {
  it('reads capture.bpf, metrics.audit_window, log.level with defaults', () => {
    expect(liveSettings(validateConfig({}))).toEqual({ auditWindowS: 900 });
    expect(liveSettings(validateConfig({ capture: { bpf: 'not port 22', interfaces: ['eth1', 'eth2'] }, metrics: { audit_window: 60 }, log: { level: 'debug' } })))
      .toEqual({ interfaces: ['eth1', 'eth2'], bpf: 'not port 22', auditWindowS: 60, logLevel: 'debug' });
  });

  it('refuses bad values naming the key', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ capture: { bpf: 5 } }, /capture\.bpf: must be a string/],
      [{ capture: { filter: 'tcp' } }, /capture\.filter: unknown key/],
      [{ capture: 'tcp' }, /capture: must be a mapping/],
      [{ capture: { interfaces: [] } }, /capture\.interfaces: must be a non-empty list/],
      [{ capture: { interfaces: ['eth1', 'a b'] } }, /capture\.interfaces/],
      [{ metrics: { audit_window: 0 } }, /metrics\.audit_window/],
      [{ log: { level: 'loud' } }, /log\.level: must be one of/],
    ];
    for (const [doc, re] of bad) {
      expect(() => liveSettings(validateConfig(doc))).toThrow(ConfigError);
      expect(() => liveSettings(validateConfig(doc))).toThrow(re);
    }
  });

  it('names the changed keys that need a restart', () => {
    const a = validateConfig({ zones: [{ name: 'x', networks: ['10.0.0.0/8'] }] });
    const b = validateConfig({ timeouts: { tcp: 100 }, flow: { vlan_in_key: true }, capture: { bpf: 'tcp', interfaces: ['eth2'] } });
    expect(restartOnlyChanges(a, b)).toEqual(['timeouts', 'flow', 'capture.interfaces']);
    expect(restartOnlyChanges(a, a)).toEqual([]);
  });
});
