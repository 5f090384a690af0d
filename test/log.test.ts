import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Logger, parseLevel, type LogSink } from '../sensor/log.js';
import { removeTranspiled, transpileToTemp } from './helpers/transpile.js';

function capture(): LogSink & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return {
    lines,
    write(line: string) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1); // one line per record, always
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
}

describe('Logger', () => {
  it('writes JSON lines with ts, level, msg, bindings and fields; filters below the level', () => {
    const sink = capture();
    const log = Logger.create({ sink, level: 'info', bindings: { sensor_id: 's1' }, now: () => Date.UTC(2024, 4, 1, 12) });
    log.debug('hidden');
    log.info('capture opened', { interface: 'eth1' });
    log.child({ component: 'ship' }).error('collector unreachable', { peer: '127.0.0.1:9999' });
    expect(sink.lines).toEqual([
      { ts: '2024-05-01T12:00:00.000Z', level: 'info', msg: 'capture opened', sensor_id: 's1', interface: 'eth1' },
      { ts: '2024-05-01T12:00:00.000Z', level: 'error', msg: 'collector unreachable', sensor_id: 's1', component: 'ship', peer: '127.0.0.1:9999' },
    ]);
  });

  it('rate-limits per key and reports how many lines were suppressed', () => {
    const sink = capture();
    let t = 0;
    const log = Logger.create({ sink, now: () => t, rateLimit: { intervalMs: 1000, burst: 2 } });
    const written: boolean[] = [];
    for (let i = 0; i < 10; i++) written.push(log.warnLimited('decode:10.0.0.5', 'bad packet', { n: i }));
    for (let i = 0; i < 3; i++) log.warnLimited('decode:10.0.0.6', 'bad packet');
    expect(written).toEqual([true, true, false, false, false, false, false, false, false, false]);
    t = 1500;
    log.warnLimited('decode:10.0.0.5', 'bad packet', { n: 10 });
    const five = sink.lines.filter((l) => l.rate_limit_key === 'decode:10.0.0.5');
    expect(five.map((l) => l.n)).toEqual([0, 1, 10]);
    expect(five[2].suppressed).toBe(8);
    expect(sink.lines.filter((l) => l.rate_limit_key === 'decode:10.0.0.6')).toHaveLength(2);
    log.flushSuppressed();
    expect(sink.lines.at(-1)).toMatchObject({ msg: 'suppressed repeated log lines', key: 'decode:10.0.0.6', suppressed: 1 });
  });

  it('keeps the rate-limit table bounded', () => {
    const sink = capture();
    const log = Logger.create({ sink, rateLimit: { burst: 1, maxKeys: 10 } });
    for (let i = 0; i < 1000; i++) {
      log.warnLimited(`k${i}`, 'x');
      log.warnLimited(`k${i}`, 'x'); // suppressed
      expect(log.rateLimitKeys).toBeLessThanOrEqual(10);
    }
    expect(sink.lines).toHaveLength(1000);
  });

  it('serializes errors, bigints; survives circular fields', () => {
    const sink = capture();
    const log = Logger.create({ sink });
    const err = Object.assign(new Error('boom'), { code: 'EBPF' });
    log.error('open failed', { err, packets: 12n });
    const circ: Record<string, unknown> = {};
    circ.self = circ;
    log.warn('odd', { circ });
    expect(sink.lines[0].err).toMatchObject({ name: 'Error', message: 'boom', code: 'EBPF' });
    expect(sink.lines[0].packets).toBe('12');
    expect(sink.lines[1]).toMatchObject({ level: 'warn', msg: 'odd' });
    expect(String(sink.lines[1].log_error)).toMatch(/not serializable/);
  });

  it('parses levels strictly', () => {
    expect(parseLevel('WARN')).toBe('warn');
    expect(parseLevel(undefined)).toBe('info');
    expect(() => parseLevel('verbose')).toThrow(/invalid log level/);
  });

  const dir = transpileToTemp(['sensor/log.ts']);
  afterAll(() => removeTranspiled(dir));

  it('goes to stderr of a real process, stdout untouched, level from NDR_LOG_LEVEL', () => {
    const js = `import('${dir}/sensor/log.js').then(({ rootLogger }) => { const l = rootLogger(); l.info('a'); l.warn('b', { x: 1 }); })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', js], { encoding: 'utf8', env: { ...process.env, NDR_LOG_LEVEL: 'warn' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'b', x: 1 });
  });
});
