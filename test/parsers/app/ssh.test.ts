import { describe, expect, it } from 'vitest';
import { sshParser } from '../../../parsers/app/ssh.js';
import { runFlow } from '../../helpers/app-harness.js';
import { corpusFile, haveCorpus, haveTshark, tcpStreams, tshark } from '../../helpers/tshark.js';
import { matchZeek, readZeekLog } from '../../helpers/zeek-log.js';

function kexinitPacket(lists: string[]): Buffer {
  const parts = [Buffer.from([20]), Buffer.alloc(16, 1)];
  for (const l of [...lists, '', '']) { const b = Buffer.from(l); const n = Buffer.alloc(4); n.writeUInt32BE(b.length); parts.push(n, b); }
  parts.push(Buffer.from([0, 0, 0, 0, 0]));
  const payload = Buffer.concat(parts);
  const pad = 4;
  const hdr = Buffer.alloc(5);
  hdr.writeUInt32BE(payload.length + pad + 1);
  hdr[4] = pad;
  return Buffer.concat([hdr, payload, Buffer.alloc(pad)]);
}
const run = (chunks: { dir: 0 | 1; data: Buffer | string }[]) =>
  runFlow([sshParser], 'tcp', { orig: { h: '10.0.0.1', p: 50000 }, resp: { h: '10.0.0.2', p: 22 }, chunks: chunks.map((c) => ({ dir: c.dir, data: Buffer.from(c.data), ts: 1 })) });

describe('SSH on hand-built exchanges', () => {
  it('banners, negotiated algorithms, hassh/hasshServer, done after both KEXINITs', () => {
    const cl = ['curve25519-sha256,diffie-hellman-group14-sha1', 'ssh-ed25519,rsa-sha2-512', 'aes128-ctr,aes256-gcm@openssh.com', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none,zlib@openssh.com', 'none'];
    const sv = ['diffie-hellman-group14-sha1,curve25519-sha256', 'rsa-sha2-512', 'aes256-gcm@openssh.com,aes128-ctr', 'aes128-ctr', 'hmac-sha1,hmac-sha2-256', 'hmac-sha2-256', 'zlib@openssh.com,none', 'none'];
    const r = run([
      { dir: 1, data: 'Welcome\r\nSSH-2.0-Srv_1.0\r\n' },
      { dir: 0, data: 'SSH-2.0-Cli_2.0\r\n' },
      { dir: 0, data: kexinitPacket(cl) },
      { dir: 1, data: kexinitPacket(sv) },
      { dir: 0, data: Buffer.alloc(5000, 7) },
    ]);
    expect(r.services).toEqual(['ssh']);
    expect(r.events).toMatchObject([{ _path: 'ssh', version: 2, client: 'SSH-2.0-Cli_2.0', server: 'SSH-2.0-Srv_1.0', kex_alg: 'curve25519-sha256', host_key_alg: 'rsa-sha2-512', cipher_alg: 'aes128-ctr', mac_alg: 'hmac-sha2-256', compression_alg: 'none' }]);
    expect(r.doneAt).toBe(4);
    expect(r.events[0].hassh).toMatch(/^[0-9a-f]{32}$/);
  });
  it('hostile: huge packet length, endless pre-banner text', () => {
    const r = run([{ dir: 0, data: 'SSH-2.0-x\r\n' }, { dir: 0, data: Buffer.from([0xff, 0xff, 0xff, 0xff, 4]) }, { dir: 1, data: 'x'.repeat(20000) }]);
    expect(r.throws).toBe(0);
    expect(r.events).toMatchObject([{ client: 'SSH-2.0-x' }]);
  });
});

const CAPTURES = ['zeek_ssh_server-pre-banner-data.pcap', 'zeek_ssh_ssh.client-side-half-duplex.pcap', 'zeek_tunnels_gre-sample.pcap'];
describe.skipIf(!haveTshark() || !haveCorpus())('ssh against Zeek ssh.log and tshark hassh', () => {
  for (const f of CAPTURES) {
    it(f, () => {
      const pcap = corpusFile(f);
      const streams = tcpStreams(pcap);
      const results = new Map(streams.map((s) => [s.stream, runFlow([sshParser], 'tcp', s)]));
      const ours = [...results.values()].flatMap((r) => r.events);
      const zeek = readZeekLog(corpusFile(`${f}.zeek-ssh.log`));
      const rep = matchZeek(zeek, ours, ['version', 'client', 'server', 'cipher_alg', 'mac_alg', 'compression_alg', 'kex_alg', 'host_key_alg']);
      expect(rep.missing).toEqual([]);
      const ref = tshark(['-n', '-r', pcap, '-Y', 'ssh.kex.hassh || ssh.kex.hasshserver', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ssh.kex.hassh', '-e', 'ssh.kex.hasshserver']);
      for (const l of ref.split('\n').filter(Boolean)) {
        const [s, h, hs] = l.split('\t');
        const e = results.get(+s)?.events[0];
        if (h) expect(e?.hassh).toBe(h);
        if (hs) expect(e?.hasshServer).toBe(hs);
      }
    });
  }
});
