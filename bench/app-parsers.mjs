// Per-parser cost of the application parsers (registry A), single thread.
// Usage: npx tsc -p . && node bench/app-parsers.mjs
// Reports ns per message / per byte for the hot cases: probe over a first payload, DNS pairs,
// TLS handshakes (until done), HTTP transactions, SSH banner+KEXINIT, and TLS bulk skipping.
import { parsersA } from '../dist/parsers/app/registry-a.js';
import { dnsUdpParser } from '../dist/parsers/app/dns.js';
import { tlsParser } from '../dist/parsers/app/tls.js';
import { httpParser } from '../dist/parsers/app/http.js';
import { sshParser } from '../dist/parsers/app/ssh.js';

const ctx = () => ({ emit() {}, confirm() {}, maxBufferBytes: 256 * 1024 });
const u16 = (n) => [n >> 8, n & 255];

function dnsPair(name) {
  const q = [];
  for (const l of name.split('.')) q.push(l.length, ...Buffer.from(l));
  q.push(0, 0, 1, 0, 1);
  const query = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...q]);
  const resp = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, ...q,
    0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 6, 3, 0x77, 0x77, 0x77, 0xc0, 12,
    0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 10, 20, 1, 2]);
  return [query, resp];
}

function tlsHandshake() {
  const sni = Buffer.from('ehr.hospital.example');
  const ext = Buffer.concat([
    Buffer.from([0, 0, ...u16(sni.length + 5), ...u16(sni.length + 3), 0, ...u16(sni.length)]), sni,
    Buffer.from([0, 0x0a, 0, 8, 0, 6, 0, 0x1d, 0, 0x17, 0, 0x18, 0, 0x0b, 0, 2, 1, 0]),
    Buffer.from([0, 0x10, 0, 14, 0, 12, 2, 0x68, 0x32, 8, ...Buffer.from('http/1.1')]),
    Buffer.from([0, 0x0d, 0, 10, 0, 8, 4, 3, 8, 4, 4, 1, 5, 3]),
    Buffer.from([0, 0x2b, 0, 5, 4, 3, 4, 3, 3]),
    Buffer.from([0, 0x33, 0, 38, 0, 36, 0, 0x1d, 0, 32]), Buffer.alloc(32),
  ]);
  const ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x9c, 0x9d, 0x2f, 0x35];
  const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 1), Buffer.from([32]), Buffer.alloc(32, 2),
    Buffer.from([...u16(ciphers.length * 2), ...ciphers.flatMap(u16), 1, 0, ...u16(ext.length)]), ext]);
  const hs = Buffer.concat([Buffer.from([1, 0, ...u16(body.length)]), body]);
  const ch = Buffer.concat([Buffer.from([22, 3, 1, ...u16(hs.length)]), hs]);
  const sext = Buffer.from([0, 0x2b, 0, 2, 3, 4, 0, 0x33, 0, 36, 0, 0x1d, 0, 32, ...Buffer.alloc(32)]);
  const sbody = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 3), Buffer.from([32]), Buffer.alloc(32, 2), Buffer.from([0x13, 1, 0, ...u16(sext.length)]), sext]);
  const shs = Buffer.concat([Buffer.from([2, 0, ...u16(sbody.length)]), sbody]);
  const app = (n) => Buffer.concat([Buffer.from([23, 3, 3, ...u16(n)]), Buffer.alloc(n, 0x5a)]);
  const sh = Buffer.concat([Buffer.from([22, 3, 3, ...u16(shs.length)]), shs, Buffer.from([20, 3, 3, 0, 1, 1]), app(2000)]);
  const cf = Buffer.concat([Buffer.from([20, 3, 3, 0, 1, 1]), app(53)]);
  return [ch, sh, cf];
}

const httpReq = Buffer.from('GET /pki/crl/products/MicRooCerAut2011_2011_03_22.crl HTTP/1.1\r\nHost: www.microsoft.com\r\nUser-Agent: Microsoft-CryptoAPI/10.0\r\nAccept: */*\r\nConnection: Keep-Alive\r\n\r\n');
const httpResp = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 4000\r\n\r\n'), Buffer.alloc(4000, 0x30)]);

function kexinit(lists) {
  const parts = [Buffer.from([20]), Buffer.alloc(16, 1)];
  for (const l of [...lists, '', '']) { const b = Buffer.from(l); parts.push(Buffer.from([0, 0, ...u16(b.length)]), b); }
  parts.push(Buffer.alloc(5));
  const payload = Buffer.concat(parts);
  const len = payload.length + 5;
  return Buffer.concat([Buffer.from([0, 0, ...u16(len), 4]), payload, Buffer.alloc(4)]);
}
const sshC = Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), kexinit(['curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256', 'ssh-ed25519,rsa-sha2-512', 'chacha20-poly1305@openssh.com,aes128-ctr', 'chacha20-poly1305@openssh.com,aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none'])]);
const sshS = Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_8.4p1\r\n'), kexinit(['curve25519-sha256', 'ssh-ed25519', 'aes128-ctr', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none'])]);

function bench(name, n, fn, bytesPerIter) {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  const perByte = bytesPerIter ? ` ${(ns / bytesPerIter).toFixed(2)} ns/byte (${bytesPerIter} B)` : '';
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns/op${perByte}`);
}

const [q, r] = dnsPair('wpad.campus.hospital.example');
const tls = tlsHandshake();
const P = { origPort: 50123, respPort: 443 };
const rnd = Buffer.from(Array.from({ length: 1460 }, (_v, i) => (i * 7919 + 13) & 255));

bench('probe: all registry-A parsers, random 1460 B', 200000, () => { for (const p of parsersA) p.probe(0, rnd, 0, rnd.length, P); });
bench('probe: all registry-A parsers, ClientHello', 200000, () => { for (const p of parsersA) p.probe(0, tls[0], 0, tls[0].length, P); });
bench('dns: query+response pair (udp)', 200000, () => { const s = dnsUdpParser.create(ctx()); s.data(0, q, 0, q.length, 1); s.data(1, r, 0, r.length, 1.001); s.end(2); }, q.length + r.length);
bench('tls: handshake to done (CH, SH+CCS+app, CCS+app)', 100000, () => { const s = tlsParser.create(ctx()); s.data(0, tls[0], 0, tls[0].length, 1); s.data(1, tls[1], 0, tls[1].length, 1); s.data(0, tls[2], 0, tls[2].length, 1); if (!s.done) throw new Error('tls not done'); }, tls[0].length + tls[1].length + tls[2].length);
const bulk = Buffer.concat(Array.from({ length: 4 }, () => Buffer.concat([Buffer.from([23, 3, 3, 0x40, 0x00]), Buffer.alloc(16384, 0x77)])));
bench('tls: record skipping of app data (not done)', 20000, () => { const s = tlsParser.create(ctx()); s.data(0, tls[0], 0, tls[0].length, 1); s.data(0, bulk, 0, bulk.length, 1); }, bulk.length);
bench('http: GET + 4000 B response (one tx)', 200000, () => { const s = httpParser.create(ctx()); s.data(0, httpReq, 0, httpReq.length, 1); s.data(1, httpResp, 0, httpResp.length, 1); s.end(2); }, httpReq.length + httpResp.length);
bench('ssh: banners + both KEXINITs + hassh', 100000, () => { const s = sshParser.create(ctx()); s.data(0, sshC, 0, sshC.length, 1); s.data(1, sshS, 0, sshS.length, 1); if (!s.done) throw new Error('ssh not done'); }, sshC.length + sshS.length);
