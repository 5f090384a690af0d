/**
 * Fuzzing the part-B application parsers: seeded random and mutated inputs, bounded iterations.
 * Properties: no throw out of probe/data/gap/end, bounded output (events are small, their count
 * bounded by the input size), bounded memory for hostile lengths. Seeds are real bytes: corpus
 * captures and a genbench capture (via tshark), plus the hand-built fixtures' builders.
 */
import { describe, expect, it } from 'vitest';
import { parsersB } from '../../parsers/app/registry-b.js';
import type { AppEvent, AppParser, Dir, SessionContext } from '../../parsers/app/types.js';
import { corpusFile, genbenchCapture, tcpStreams, udpDatagrams } from '../helpers/tshark-feed-b.js';
import { xorshift32 as rng } from '../helpers/prng.js';

type Msg = { dir: Dir; bytes: Buffer };

function mutate(r: () => number, msgs: Msg[], pool: Msg[][]): Msg[] {
  const out = msgs.map((m) => ({ dir: m.dir, bytes: Buffer.from(m.bytes) }));
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n && out.length; k++) {
    const m = out[Math.floor(r() * out.length)];
    const b = m.bytes;
    const op = Math.floor(r() * 8);
    const at = Math.floor(r() * Math.max(1, b.length));
    switch (op) {
      case 0: // bit flip
        if (b.length) b[at] ^= 1 << Math.floor(r() * 8);
        break;
      case 1: // interesting byte
        if (b.length) b[at] = [0, 0xff, 0x7f, 0x80, 0x01][Math.floor(r() * 5)];
        break;
      case 2: // hostile 32-bit length (big or little endian)
        if (b.length >= at + 4) b.writeUInt32BE([0xffffffff, 0x7fffffff, 0x00ffffff, 0x10000, 0][Math.floor(r() * 5)], at);
        break;
      case 3: // truncate
        m.bytes = b.subarray(0, at);
        break;
      case 4: // duplicate a slice
        m.bytes = Buffer.concat([b.subarray(0, at), b.subarray(Math.floor(at / 2), at), b.subarray(at)]);
        break;
      case 5: // splice with another seed message
        {
          const other = pool[Math.floor(r() * pool.length)];
          if (other.length) {
            const o = other[Math.floor(r() * other.length)].bytes;
            m.bytes = Buffer.concat([b.subarray(0, at), o.subarray(Math.floor(r() * o.length))]);
          }
        }
        break;
      case 6: // drop a message
        out.splice(out.indexOf(m), 1);
        break;
      default: // swap direction
        m.dir = (1 - m.dir) as Dir;
    }
  }
  return out;
}

function random(r: () => number): Msg[] {
  const out: Msg[] = [];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const len = Math.floor(r() * 3000);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
    out.push({ dir: (i & 1) as Dir, bytes: b });
  }
  return out;
}

interface Outcome {
  events: AppEvent[];
  inputBytes: number;
}

/** Feed one input: TCP in random-size pieces with occasional gaps, UDP per datagram. */
function feed(p: AppParser, msgs: Msg[], r: () => number): Outcome {
  const events: AppEvent[] = [];
  const ctx: SessionContext = { emit: (e) => events.push(e), confirm: () => {}, count: () => {}, maxBufferBytes: 256 * 1024 };
  const s = p.create(ctx);
  let ts = 1;
  let inputBytes = 0;
  for (const m of msgs) {
    inputBytes += m.bytes.length;
    p.probe(m.dir, m.bytes, 0, m.bytes.length, { origPort: 49152, respPort: p.ports[0] ?? 0 });
    if (p.transport === 'udp') {
      s.data(m.dir, m.bytes, 0, m.bytes.length, ts++);
      continue;
    }
    let o = 0;
    while (o < m.bytes.length) {
      const n = Math.min(m.bytes.length - o, 1 + Math.floor(r() * 1500));
      s.data(m.dir, m.bytes, o, n, ts);
      o += n;
      ts += 0.001;
      if (r() < 0.01) s.gap(m.dir, 1 + Math.floor(r() * 2000));
    }
  }
  s.end(ts);
  return { events, inputBytes };
}

function seedsFor(p: AppParser): Msg[][] {
  const out: Msg[][] = [];
  const fromTcp = (pcap: string, ports: number[]) => {
    for (const s of tcpStreams(pcap, ports, ports)) {
      // coalesce consecutive same-direction chunks into messages (keeps seeds small and real)
      const msgs: Msg[] = [];
      for (const c of s.chunks.slice(0, 60)) {
        const last = msgs[msgs.length - 1];
        if (last && last.dir === c.dir && last.bytes.length < 8192) last.bytes = Buffer.concat([last.bytes, c.bytes]);
        else msgs.push({ dir: c.dir, bytes: c.bytes });
      }
      out.push(msgs);
    }
  };
  const gb = genbenchCapture(3, 20000);
  switch (p.service) {
    case 'smb':
      fromTcp(corpusFile('sv_smb2-04_20171220_smb_at_schedule.pcap'), [445]);
      fromTcp(corpusFile('zeek_smb_smb1.pcap'), [445]);
      fromTcp(gb, [445]);
      break;
    case 'dce_rpc':
      fromTcp(corpusFile('zeek_dce-rpc_mapi.pcap'), [135, 1032, 4997]);
      break;
    case 'krb_tcp':
      fromTcp(corpusFile('zeek_krb_optional-service-name.pcap'), [88]);
      fromTcp(gb, [88]);
      break;
    case 'krb':
      // UDP: the TCP records without their 4-byte record mark
      fromTcp(gb, [88]);
      for (const msgs of out) for (const m of msgs) m.bytes = m.bytes.subarray(4);
      break;
    case 'ldap_tcp':
      fromTcp(corpusFile('zeek_ldap_ctu-sme-11-win7ad-1-ldap-tcp-50041.pcap'), [389]);
      fromTcp(corpusFile('zeek_ldap_modify-request.pcapng'), [389]);
      fromTcp(gb, [389]);
      break;
    case 'ldap_udp': {
      const d = udpDatagrams(corpusFile('sv_ldap-udp_cldap.pcap'));
      out.push(d.map((x, i) => ({ dir: (i & 1) as Dir, bytes: x.bytes })));
      break;
    }
    case 'dicom':
      fromTcp(gb, [104, 11112]);
      break;
    case 'hl7':
      fromTcp(gb, [2575]);
      break;
  }
  return out.filter((x) => x.length > 0);
}

const ITER = Number(process.env.FUZZ_ITER ?? 250);

describe('fuzz: part-B application parsers (seeded, bounded)', () => {
  for (const p of parsersB) {
    it(`${p.service}/${p.transport}: random and mutated real inputs never throw, output stays bounded`, () => {
      const pool = seedsFor(p);
      expect(pool.length, 'seed inputs').toBeGreaterThan(0);
      const r = rng(0x5eed + p.service.length * 7919 + (p.transport === 'udp' ? 1 : 0));
      let events = 0;
      for (let i = 0; i < ITER; i++) {
        const input = i % 5 === 0 ? random(r) : mutate(r, pool[i % pool.length], pool);
        const o = feed(p, input, r);
        events += o.events.length;
        expect(o.events.length).toBeLessThanOrEqual(Math.max(8, o.inputBytes / 8));
        for (const e of o.events) {
          expect(typeof e._path).toBe('string');
          expect(JSON.stringify(e).length).toBeLessThan(64 * 1024);
        }
      }
      // the unmutated seeds still parse (the fuzzer is exercising the parser, not just its rejects)
      const clean = pool.map((msgs) => feed(p, msgs, rng(1)).events.length).reduce((a, b) => a + b, 0);
      expect(clean).toBeGreaterThan(0);
      expect(events).toBeGreaterThanOrEqual(0);
    });
  }

  it('hostile lengths: 16 MiB claimed by every TCP parser, fed 16 MiB, keeps buffers bounded', () => {
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const heads: Record<string, Buffer> = {
      smb: Buffer.from('00fffffffe534d4240000000', 'hex'),
      dce_rpc: Buffer.from('05000003100000007fff00000100000000000000', 'hex'),
      krb_tcp: Buffer.from('00ffffff6a84007ffffb', 'hex'),
      ldap_tcp: Buffer.from('3084ffffff0002010163', 'hex'),
      dicom: Buffer.from('0400ffffffff0000fff90103', 'hex'),
      hl7: Buffer.from('0b4d53487c5e7e5c267c', 'hex'),
    };
    for (const p of parsersB.filter((x) => x.transport === 'tcp')) {
      const ctx: SessionContext = { emit: () => {}, confirm: () => {}, maxBufferBytes: 1 << 20 };
      const s = p.create(ctx);
      const before = process.memoryUsage();
      s.data(0, heads[p.service], 0, heads[p.service].length, 1);
      for (let i = 0; i < 256; i++) s.data(0, chunk, 0, chunk.length, 1);
      const after = process.memoryUsage();
      const grown = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
      expect(grown, p.service).toBeLessThan(24 * 1024 * 1024);
      s.end(2);
    }
  });
});
