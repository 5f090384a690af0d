// Key file format and permissions, keygen, and the collect command's exit codes and signals.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import dgram from 'node:dgram';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyFileError, keygenLine, loadKeyFile, parseKeyFile } from '../../sensor/ship/keys.js';
import { ensureBuilt, keyFile, ROOT, spawnCollector, tmp } from './helpers.js';

const HEX = 'ab'.repeat(32);

describe('key file', () => {
  it('parses ids, comments, blank lines; first key sends, all receive', () => {
    const r = parseKeyFile(`# keys\n\nnew-2 ${HEX}\n  old_1   ${'CD'.repeat(32)}  \n`);
    expect(r.send.id).toBe('new-2');
    expect([...r.byId.keys()]).toEqual(['new-2', 'old_1']);
    expect(r.byId.get('old_1')!.key.equals(Buffer.from('cd'.repeat(32), 'hex'))).toBe(true);
  });

  it.each([
    [`k1 ${HEX.slice(2)}`, /64 hex digits/],
    [`k1 ${HEX}0`, /64 hex digits/],
    [`k1 ${'zz'.repeat(32)}`, /64 hex digits/],
    [`${'a'.repeat(17)} ${HEX}`, /key id/],
    [`bad.id ${HEX}`, /key id/],
    [`k1 ${HEX} extra`, /expected "KEYID HEX"/],
    [`k1 ${HEX}\nk1 ${HEX}`, /duplicate/],
    ['# only a comment', /no key/],
  ])('refuses %j', (text, re) => {
    expect(() => parseKeyFile(text)).toThrow(re);
  });

  it('refuses a key file readable by group or others', () => {
    const d = tmp();
    const p = keyFile(d);
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      chmodSync(p, mode);
      expect(() => loadKeyFile(p)).toThrow(KeyFileError);
      expect(() => loadKeyFile(p)).toThrow(/chmod 600/);
    }
    chmodSync(p, 0o400);
    expect(loadKeyFile(p).send.id).toBe('k1');
  });

  it('keygen prints a line that parses, fresh every time', () => {
    const a = keygenLine('site-7');
    expect(a).toMatch(/^site-7 [0-9a-f]{64}$/);
    expect(parseKeyFile(a).send.id).toBe('site-7');
    expect(keygenLine('x')).not.toBe(keygenLine('x'));
    expect(() => keygenLine('no/slash')).toThrow(/key id/);
  });
});

describe('collect command', () => {
  beforeAll(() => ensureBuilt());
  const run = (args: string[]) => {
    const code = `import(${JSON.stringify(`${ROOT}/dist/sensor/ship/collector.js`)}).then(async (m) => process.exit(await m.runCollect(process.argv.slice(1))))`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { encoding: 'utf8', timeout: 10000 });
  };

  it('exit 2 with a one-line reason naming the option on usage/config errors', () => {
    const d = tmp();
    const kf = keyFile(d);
    const cases: [string[], RegExp][] = [
      [[], /--listen needs HOST:PORT/],
      [['--listen', 'nohost', '--out', d, '--key-file', kf], /--listen nohost: expected HOST:PORT/],
      [['--listen', '127.0.0.1:99999', '--out', d, '--key-file', kf], /port must be/],
      [['--listen', '127.0.0.1:0', '--key-file', kf], /--out DIR is required/],
      [['--listen', '127.0.0.1:0', '--out', d], /--key-file FILE is required/],
      [['--listen', '127.0.0.1:0', '--out', d, '--key-file', kf, '--bogus', '1'], /unknown option --bogus/],
      [['--listen', '127.0.0.1:0', '--out', d, '--key-file', `${d}/missing`], /ENOENT/],
      [['--listen', '127.0.0.1:0', '--out', d, '--key-file', kf, '--metrics-port', 'x'], /--metrics-port needs an integer/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(re);
    }
    chmodSync(kf, 0o644);
    const r = run(['--listen', '127.0.0.1:0', '--out', d, '--key-file', kf]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/group\/others/);
  });

  it('exit 1 when the listen port is taken', async () => {
    const d = tmp();
    const kf = keyFile(d);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const r = run(['--listen', `127.0.0.1:${s.address().port}`, '--out', d, '--key-file', kf]);
    s.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE/);
  });

  it('serves /metrics and exits 0 on SIGTERM and on SIGINT', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const d = tmp();
      const kf = keyFile(d);
      const { child, stderr } = await spawnCollector(['--listen', '127.0.0.1:0', '--out', `${d}/out`, '--key-file', kf, '--metrics-port', '0']);
      const port = Number(/metrics on port (\d+)/.exec(stderr())![1]);
      const text = await new Promise<string>((res, rej) => {
        http.get(`http://127.0.0.1:${port}/metrics`, (r) => {
          let t = '';
          r.on('data', (x) => (t += x));
          r.on('end', () => res(t));
        }).on('error', rej);
      });
      expect(text).toMatch(/ndr_collector_datagrams_total\{result="bad_tag"\} 0/);
      child.kill(sig);
      expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    }
  });
});

// keygen through the exported command
describe('runKeygen', () => {
  beforeAll(() => ensureBuilt());
  it('prints a key line; rejects a bad id with exit 2', () => {
    const code = (arg: string) => `import(${JSON.stringify(`${ROOT}/dist/sensor/ship/keys.js`)}).then(async (m) => process.exit(await m.runKeygen(${arg})))`;
    const ok = spawnSync(process.execPath, ['--input-type=module', '-e', code('["soc-1"]')], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^soc-1 [0-9a-f]{64}\n$/);
    const d = tmp();
    writeFileSync(`${d}/k`, ok.stdout, { mode: 0o600 });
    expect(loadKeyFile(`${d}/k`).send.id).toBe('soc-1');
    const bad = spawnSync(process.execPath, ['--input-type=module', '-e', code('["a b"]')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
