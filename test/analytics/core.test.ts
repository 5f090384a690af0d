/** Building blocks of the analytics stage: address parsing, domain helpers, windows, beacon score. */
import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../models/core/ip.js';
import { IpTable, tryParseCidr } from '../../models/core/ip-table.js';
import { randomness, registeredDomain, subdomainOf } from '../../models/core/names.js';
import { BucketSum, SlidingSet } from '../../models/detect/window.js';
import { scoreBeacon } from '../../models/detect/c2/beacon.js';
import { classifyRpc } from '../../models/detect/rpc.js';

describe('addresses', () => {
  it('parses IPv4 and rejects malformed text', () => {
    expect(parseIPv4('10.20.17.5')).toBe(((10 * 256 + 20) * 256 + 17) * 256 + 5);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['10.20.17', '10.20.17.256', '1.2.3.4.5', '', 'a.b.c.d', '1..2.3', '1234.1.1.1']) expect(parseIPv4(bad)).toBe(-1);
  });

  it('parses IPv6 with :: and embedded IPv4', () => {
    const w = new Uint32Array(4);
    expect(parseIPv6('2001:db8::1', w)).toBe(true);
    expect([...w]).toEqual([0x20010db8, 0, 0, 1]);
    expect(parseIPv6('::ffff:10.1.2.3', w)).toBe(true);
    expect([...w]).toEqual([0, 0, 0xffff, 0x0a010203]);
    expect(parseIPv6('1::2::3', w)).toBe(false);
    expect(parseIPv6('12345::', w)).toBe(false);
  });

  it('matches the most specific network for v4 and v6 text', () => {
    const e = (c: string, v: string) => ({ cidr: tryParseCidr(c) as any, value: v });
    const t = new IpTable([e('10.0.0.0/8', 'wide'), e('10.50.3.0/24', 'medical'), e('fd00::/8', 'ula')]);
    expect(t.lookup('10.50.3.20')).toBe('medical');
    expect(t.lookup('10.9.9.9')).toBe('wide');
    expect(t.lookup('11.0.0.1')).toBeUndefined();
    expect(t.lookup('fd12::1')).toBe('ula');
    expect(t.lookup('not an ip')).toBeUndefined();
    expect(tryParseCidr('10.0.0.0/33')).toMatch(/invalid IPv4 network/);
  });
});

describe('domain helpers', () => {
  it('registered domains and subdomains', () => {
    expect(registeredDomain('a.b.example.com')).toBe('example.com');
    expect(registeredDomain('www.nhs.uk.example.co.uk')).toBe('example.co.uk');
    expect(registeredDomain('x.y.z.cloudfront.net')).toBe('z.cloudfront.net');
    expect(registeredDomain('Example.COM.')).toBe('example.com');
    expect(subdomainOf('3f2a.c0ffee.t1.dnsupd4te.com', 'dnsupd4te.com')).toBe('3f2a.c0ffee.t1');
  });

  it('separates generated-looking labels from words', () => {
    const dga = ['xjw3kq9zpl', 'qxvbnmtrzk', 'k8f2h6v1q0z', 'zzqpxkwvtrb', 'ghtrkmvbnqxz'];
    const words = ['stmarys', 'healthcloud', 'wetterzeitung', 'microsoft', 'klinikumnord', 'google'];
    for (const d of dga) expect(randomness(d)).toBeGreaterThanOrEqual(0.6);
    for (const d of words) expect(randomness(d)).toBeLessThan(0.6);
  });
});

describe('windows', () => {
  it('SlidingSet counts distinct keys in the last window and stays bounded', () => {
    const s = new SlidingSet<string>(60, 3);
    expect(s.add('a', 0)).toBe(true);
    expect(s.add('a', 10)).toBe(false);
    s.add('b', 20);
    expect(s.size).toBe(2);
    s.add('c', 75); // 'a' (last 10) leaves the window at 75
    expect(s.keys()).toEqual(['b', 'c']);
    s.add('d', 76);
    s.add('e', 77); // cap 3: the oldest is dropped
    expect(s.size).toBe(3);
    expect(SlidingSet.from<string>(JSON.parse(JSON.stringify(s))).keys()).toEqual(s.keys());
  });

  it('BucketSum sums the recent window only', () => {
    const b = new BucketSum(600, 6);
    b.add(0, 5);
    b.add(300, 7);
    expect(b.sum(300)).toBe(12);
    expect(b.sum(650)).toBe(7);
    expect(b.sum(2000)).toBe(0);
  });
});

describe('beacon score', () => {
  it('regular intervals and sizes score high; Poisson-like traffic scores low', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const ts: number[] = [];
    const by: number[] = [];
    let t = 0;
    for (let i = 0; i < 40; i++) {
      ts.push((t += 60 * (0.9 + 0.2 * rnd())));
      by.push(420 + Math.round(10 * rnd()));
    }
    expect(scoreBeacon(ts, by, 12).score).toBeGreaterThan(0.85);
    const ts2: number[] = [];
    const by2: number[] = [];
    t = 0;
    for (let i = 0; i < 40; i++) {
      ts2.push((t += -300 * Math.log(1 - rnd())));
      by2.push(Math.round(200 + 50000 * rnd()));
    }
    expect(scoreBeacon(ts2, by2, 12).score).toBeLessThan(0.7);
  });
});

describe('DCE-RPC classification', () => {
  const ev = (endpoint: string, operation: string, named_pipe?: string) => ({ _path: 'dce_rpc', ts: 0, endpoint, operation, named_pipe });
  it('understands Zeek, tshark and opnum-only spellings', () => {
    expect(classifyRpc(ev('atsvc', 'NetrJobAdd'))).toBe('at_job');
    expect(classifyRpc(ev('atsvc', 'JobAdd'))).toBe('at_job');
    expect(classifyRpc(ev('svcctl', 'CreateServiceW'))).toBe('svc_create');
    expect(classifyRpc(ev('svcctl', 'RCreateServiceWOW64W'))).toBe('svc_create');
    expect(classifyRpc(ev('unknown-e3514235-4b06-11d1-ab04-00c04fc2dcd2', 'unknown-3'))).toBe('dcsync');
    expect(classifyRpc(ev('IWbemServices', 'ExecMethod'))).toBe('wmi_exec');
    expect(classifyRpc(ev('IWbemServices', 'ExecQuery'))).toBeNull();
    expect(classifyRpc(ev('', 'opnum_0', '\\PIPE\\atsvc'))).toBe('at_job');
    expect(classifyRpc(ev('epmapper', 'ept_map'))).toBeNull();
    expect(classifyRpc(ev('epmapper', 'ept_lookup'))).toBe('enum_epm');
  });
});
