// Syslog export verified by Wireshark's syslog dissector: we capture our own datagrams on the
// loopback interface with dumpcap and decode them with tshark. Needs the apt package tshark
// (it brings dumpcap) and root (or dumpcap's capture capabilities).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { alertRecord } from '../../bench/synthetic.mjs';
import { SyslogExporter, formatCef, formatSyslog, syslogSeverity, type AlertLike } from '../../sensor/export/syslog.js';
import { sleep, tmp, until } from '../ship/helpers.js';

const haveTools = spawnSync('tshark', ['-v']).status === 0 && spawnSync('dumpcap', ['-v']).status === 0 && process.getuid?.() === 0;

/** dumpcap (Wireshark's capture engine) on lo; exits by itself after `count` packets. */
async function capture(filter: string, file: string, count: number): Promise<ChildProcess> {
  const p = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-c', String(count), '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  if (!(await until(() => err.includes('Capturing on'), 5000))) throw new Error(`dumpcap: ${err}`);
  await sleep(200);
  return p;
}

async function exited(p: ChildProcess): Promise<void> {
  const t = setTimeout(() => p.kill('SIGINT'), 5000);
  await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
  clearTimeout(t);
}

function tshark(file: string, decodeAs: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-d', decodeAs, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

const hostile: AlertLike = {
  ts: 1700000000.5, id: 'A|x=1', sensor_id: 'icu sensor', type: 'dns tunnel', category: 'exfil"]\\', mitre: ['T1071.004', 'T1048'],
  severity: 9, src: '10.20.4.7', dst: '198.51.100.9', summary: 'Long TXT answers | pipe = equals\nnewline', evidence: { n: 1 },
};

describe.runIf(haveTools)('syslog export decoded by tshark', () => {
  it('RFC 5424 over UDP: facility, level, header fields and the JSON alert survive', async () => {
    const dir = tmp('syslog-');
    const rx = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    rx.on('message', (m) => got.push(m));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    const port = rx.address().port;
    const alerts = [...Array.from({ length: 20 }, (_, i) => alertRecord(i)), hostile];
    const cap = await capture(`udp port ${port}`, `${dir}/s.pcap`, alerts.length);
    const ex = new SyslogExporter({ host: '127.0.0.1', port, facility: 4 });
    await ex.start();
    for (const a of alerts) ex.send(a);
    await ex.close();
    await until(() => got.length === alerts.length, 3000);
    await exited(cap);
    rx.close();
    // What arrived is byte for byte what formatSyslog makes (UTF-8 BOM and all).
    expect(got.map((b) => b.toString('utf8'))).toEqual(alerts.map((a) => formatSyslog(a, { facility: 4 })));
    const rows = tshark(`${dir}/s.pcap`, `udp.port==${port},syslog`, ['syslog.facility', 'syslog.level', 'syslog.version', 'syslog.timestamp', 'syslog.hostname', 'syslog.appname', 'syslog.procid', 'syslog.msg']);
    expect(rows).toHaveLength(alerts.length);
    rows.forEach((r, i) => {
      const a = alerts[i];
      expect(r.slice(0, 7)).toEqual(['4', String(syslogSeverity(a.severity)), '1', r[3], a === hostile ? 'icu_sensor' : 'bench-sensor', 'ndr-sensor', String(process.pid)]);
      expect(new Date(r[3]).getTime() || Date.parse(r[3].replace(/(\.\d{3})\d+/, '$1'))).toBe(Math.round(a.ts * 1000));
      // tshark 4.0 does not split MSGID / SD / MSG; the JSON alert follows the BOM and is intact.
      const msg = r[7];
      expect(JSON.parse(msg.slice(msg.indexOf('{"ts"')))).toEqual(a);
    });
  });

  it('CEF payload over UDP', async () => {
    const dir = tmp('syslog-');
    const rx = dgram.createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    const port = rx.address().port;
    const cap = await capture(`udp port ${port}`, `${dir}/c.pcap`, 2);
    const ex = new SyslogExporter({ host: '127.0.0.1', port, format: 'cef' });
    await ex.start();
    ex.send(alertRecord(3));
    ex.send(hostile);
    await ex.close();
    await exited(cap);
    rx.close();
    const rows = tshark(`${dir}/c.pcap`, `udp.port==${port},syslog`, ['syslog.level', 'syslog.msg']);
    expect(rows).toHaveLength(2);
    expect(rows[0][1]).toContain('CEF:0|ndr-sensor|ndr-sensor|0.1.0|smb_lateral_movement|SMB admin share write from workstation 3|4|rt=1700000000030');
    expect(rows[0][1]).toContain('cs1Label=mitreTechniques cs1=T1021.002');
    expect(rows[1][0]).toBe('2');
    expect(rows[1][1]).toContain(String.raw`|dns tunnel|Long TXT answers \| pipe = equals newline|9|`);
    expect(rows[1][1]).toContain(String.raw`externalId=A|x\=1`);
  });

});

describe('syslog over TCP', () => {
  it('RFC 6587 octet counting, reconnecting and delivering the queue after the peer restarts', async () => {
    const frames: string[] = [];
    const conns = new Set<net.Socket>();
    let buf = Buffer.alloc(0);
    const onConn = (c: net.Socket) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) break;
          const n = Number(buf.subarray(0, sp).toString());
          if (buf.length < sp + 1 + n) break;
          frames.push(buf.subarray(sp + 1, sp + 1 + n).toString());
          buf = buf.subarray(sp + 1 + n);
        }
      });
    };
    let srv = net.createServer(onConn);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const ex = new SyslogExporter({ host: '127.0.0.1', port, transport: 'tcp', log: () => {} });
    await ex.start();
    for (let i = 0; i < 5; i++) ex.send(alertRecord(i)); // queued until connected
    await until(() => frames.length === 5, 3000);
    // The peer goes away (connection reset); messages queue, then flow once it is back.
    await new Promise<void>((r) => {
      srv.close(() => r());
      for (const c of conns) c.destroy();
    });
    await until(() => ex.stats.reconnects > 0, 3000);
    for (let i = 5; i < 10; i++) ex.send(alertRecord(i));
    srv = net.createServer(onConn);
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    await until(() => frames.length === 10, 5000);
    await ex.close();
    await new Promise((r) => srv.close(r));
    expect(frames).toHaveLength(10);
    frames.forEach((f, i) => expect(f).toBe(formatSyslog(alertRecord(i))));
    expect(ex.stats.dropped).toBe(0);
  });
});

describe('syslog formatting', () => {
  it('maps alert severity to syslog severity and escapes structured data', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(syslogSeverity)).toEqual([6, 6, 5, 5, 4, 4, 3, 3, 2, 2]);
    const m = formatSyslog(hostile);
    expect(m).toMatch(/^<130>1 2023-11-14T22:13:20.500Z icu_sensor ndr-sensor \d+ dns_tunnel \[ndr@32473 id="A\|x=1" /);
    expect(m).toContain('category="exfil\\"\\]\\\\"');
    expect(formatCef(hostile)).toContain('msg=Long TXT answers | pipe \\= equals\\nnewline');
    expect(formatSyslog({ ...hostile, summary: 'Grüße' }, { format: 'cef' })).toContain('\ufeffCEF:0|ndr-sensor|ndr-sensor|0.1.0|dns tunnel|Grüße|9|');
  });
});
