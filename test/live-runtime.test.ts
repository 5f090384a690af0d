import { describe, expect, it } from 'vitest';
import { parseLiveFlags } from '../sensor/live-runtime.js';

describe('parseLiveFlags', () => {
  it('parses every live flag and passes the rest through for the CLI', () => {
    const f = parseLiveFlags(
      ['--config', 'a.yaml', '--interface', 'eth1', '--interface=eth2', '--bpf', 'not port 22', '--snaplen', '1600', '--buffer-mb', '256',
        '--immediate', '--timeout-ms', '10', '--no-promisc', '--dedup=drop', '--dedup-window-ms', '3', '--user', 'ndr',
        '--metrics-port', '9999', '--metrics-host', '127.0.0.1', '--log-level', 'debug', '--workers=2'],
      {},
    );
    expect(f.capture).toEqual({
      interfaces: ['eth1', 'eth2'], filter: 'not port 22', snaplen: 1600, bufferBytes: 256 * 1024 * 1024,
      immediate: true, timeoutMs: 10, promiscuous: false,
    });
    expect(f.dedup).toEqual({ drop: true, windowMs: 3 });
    expect(f.user).toBe('ndr');
    expect(f.metricsPort).toBe(9999);
    expect(f.metricsHost).toBe('127.0.0.1');
    expect(f.logLevel).toBe('debug');
    expect(f.rest).toEqual(['--config', 'a.yaml', '--workers=2']);
  });

  it('has the documented defaults, and takes the port and level from the environment', () => {
    const f = parseLiveFlags(['--interface', 'eth1'], {});
    expect(f.capture).toMatchObject({ interfaces: ['eth1'], immediate: false, promiscuous: true });
    expect(f.capture.bufferBytes).toBeUndefined(); // LiveCapture default: 64 MiB
    expect(f.dedup).toBeUndefined();
    expect(f.metricsPort).toBe(9465);
    expect(f.logLevel).toBe('info');
    const e = parseLiveFlags(['--interface', 'eth1', '--dedup'], { NDR_METRICS_PORT: '9500', NDR_LOG_LEVEL: 'warn' });
    expect(e.metricsPort).toBe(9500);
    expect(e.logLevel).toBe('warn');
    expect(e.dedup).toEqual({ drop: false, windowMs: undefined });
  });

  it('rejects bad values with messages naming the flag', () => {
    expect(() => parseLiveFlags([], {})).toThrow(/at least one --interface/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--buffer-mb', '0'], {})).toThrow(/--buffer-mb must be an integer/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--snaplen', 'big'], {})).toThrow(/--snaplen/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--metrics-port', '70000'], {})).toThrow(/--metrics-port/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--dedup=maybe'], {})).toThrow(/--dedup/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--log-level', 'loud'], {})).toThrow(/invalid log level/);
    expect(() => parseLiveFlags(['--interface', 'eth1', '--bpf'], {})).toThrow(/--bpf needs a value/);
  });
});
