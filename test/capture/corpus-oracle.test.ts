/**
 * The reader on the real corpus (../shared/pcaps, see its MANIFEST.tsv) against independent
 * readers: `capinfos` (Wireshark's wiretap) for the packet count of every capture, and `tshark`
 * per-packet timestamps, captured and original lengths for a set of captures covering every
 * container variant (set NDR_TSHARK_ALL=1 to compare every capture; ~45 s here).
 * Where wiretap refuses a damaged file, the MANIFEST's independent header walk is the reference
 * and the reader must report damage.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusAvailable, corpusCaptures, manifest } from '../conformance/corpus.js';
import { readCapture } from '../helpers/read-capture.js';
import { decodeBytes, dstOf, srcOf } from '../helpers/decode.js';

const run = promisify(execFile);
const available = corpusAvailable();

/** One of each: byte order, µs/ns, pcapng sections/interfaces/resolutions, link types, damage. */
const TSHARK_SET = [
  'zeek_wikipedia.pcap',
  'zeek_vntag.pcap',
  'tcpdump_pptp.pcap',
  'zeek_ldap_modify-request.pcapng',
  'zeek_pcapng-multi-interface.pcapng',
  'tcpdump_icmp-length-zero.pcapng',
  'pcapngtg_output_be_basic_test006.pcapng',
  'pcapngtg_output_le_difficult_test202.pcapng',
  'zeek_tls_irc-starttls.pcap',
  'zeek_linux_dlt_sll2.pcap',
  'zeek_nflog-http.pcap',
  'zeek_radiotap.pcap',
  'sv_http-mime-truncated_input.pcap',
  'sv_bug-1450-04_tls_DER-incomplete-header.pcap',
  'tcpdump_timestamp_invalid_nano.pcap',
  'tcpdump_esp_truncated.pcap',
];

/**
 * Files whose nanosecond field is ≥ 1e9: tshark prints such timestamps unnormalised (e.g.
 * "…370.1000000000", or negative), so only lengths are compared; the reader counts them as
 * bad_timestamps.
 */
const INVALID_TS = new Set(['tcpdump_timestamp_invalid_nano.pcap']);

/**
 * Where tshark itself is wrong. sv_bug-6875-01: after the bogus second header wiretap's pcap
 * reader tries its "modified pcap" variants and prints a record that is not in the file
 * (caplen 1, len 1 MiB, negative time); capinfos stops there with an error and the MANIFEST's
 * independent header walk finds 1 complete record, as this reader does.
 */
const TSHARK_EXTRA_RECORDS = new Map([['sv_bug-6875-01_fuzz.pcap', 1]]);

async function capinfosCount(file: string): Promise<number | null> {
  try {
    const { stdout } = await run('capinfos', ['-T', '-M', '-c', file]);
    const line = stdout.trim().split('\n')[1];
    return Number(line.split('\t')[1]);
  } catch {
    return null; // wiretap refused the file (damaged or unsupported link type)
  }
}

interface TsharkPacket { sec: number; nsec: number; cap: number; len: number; /** no timestamp (pcapng simple packet block) */ noTs: boolean }

async function tsharkPackets(file: string): Promise<TsharkPacket[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'], { maxBuffer: 64 << 20 }));
  } catch (e) {
    // tshark exits non-zero on a damaged file after printing the packets it could read.
    stdout = (e as { stdout?: string }).stdout ?? '';
  }
  const pcapng = file.endsWith('.pcapng');
  return stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'))
    // tshark 4 also lists pcapng custom and decryption-secrets blocks as records without an
    // interface; they are not packets.
    .filter(([iface]) => !pcapng || iface !== '')
    .map(([, t, cap, len]) => {
      const [s, f = '0'] = t.split('.');
      return { sec: Number(s), nsec: Number((f + '000000000').slice(0, 9)), cap: Number(cap), len: Number(len), noTs: t === '' };
    });
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const q = [...items];
  await Promise.all(Array.from({ length: n }, async () => { for (let t = q.shift(); t !== undefined; t = q.shift()) await fn(t); }));
}

describe.skipIf(!available && !process.env.CI)('corpus captures vs wiretap (capinfos, tshark)', () => {
  it('every capture: packet count equals capinfos, or the independent walker where wiretap refuses the file', async () => {
    const rows = manifest();
    const files = corpusCaptures();
    expect(files.length).toBeGreaterThanOrEqual(70);
    const problems: string[] = [];
    let compared = 0;
    let walker = 0;
    await pool(files, 2, async (f) => {
      const path = join(CORPUS, f);
      const [ours, ci] = await Promise.all([readCapture([path]), capinfosCount(path)]);
      if (ci !== null) {
        compared++;
        if (ours.count !== ci) problems.push(`${f}: reader ${ours.count}, capinfos ${ci}`);
        return;
      }
      walker++;
      const ref = Number(rows.get(f)?.records);
      // The walker stops at the first bad header; the reader may resynchronise and recover more
      // (checked record by record for sv_bug-1450-04 below).
      if (ours.count < ref || (ours.count > ref && ours.damage.resyncs === 0)) problems.push(`${f}: reader ${ours.count}, MANIFEST walker ${ref}`);
      const damaged = ours.damage.total > 0;
      const unsupportedLink = /unsupported-by-tshark/.test(rows.get(f)?.features ?? '');
      if (!damaged && !unsupportedLink) problems.push(`${f}: wiretap refuses it but the reader reported no damage`);
    });
    expect(problems).toEqual([]);
    expect(compared + walker).toBe(files.length);
    expect(walker).toBeLessThanOrEqual(5);
  }, 60_000);

  it.each(process.env.NDR_TSHARK_ALL ? (available ? corpusCaptures() : []) : TSHARK_SET)('%s: every timestamp, caplen and wire length equals tshark', async (f) => {
    const path = join(CORPUS, f);
    const [ours, ts] = await Promise.all([readCapture([path]), tsharkPackets(path)]);
    if (ts.length === 0) return; // link type tshark cannot read (counted against the walker above)
    // tshark may stop earlier on damage; it never reads more than the complete records.
    const extra = TSHARK_EXTRA_RECORDS.get(f) ?? 0;
    expect(ours.count).toBeGreaterThanOrEqual(ts.length - extra);
    ts.splice(ts.length - extra, extra);
    const diffs: string[] = [];
    ts.forEach((t, i) => {
      const o = ours.records[i];
      if (o.caplen !== t.cap || o.wirelen !== t.len) diffs.push(`#${i + 1}: lengths ${o.caplen}/${o.wirelen} vs tshark ${t.cap}/${t.len}`);
      // A simple packet block has no timestamp; the reader gives it the previous packet's.
      if (INVALID_TS.has(f) || t.noTs) return;
      const sec = Math.floor(o.ts);
      const err = Math.abs((o.ts - t.sec) - t.nsec / 1e9);
      if (sec !== t.sec || err > 5e-7) diffs.push(`#${i + 1}: ts ${o.ts} vs tshark ${t.sec}.${String(t.nsec).padStart(9, '0')}`);
    });
    expect(diffs).toEqual([]);
    if (INVALID_TS.has(f)) expect(ours.damage.badTimestamps).toBeGreaterThan(0);
  }, 30_000);

  it('sv_bug-1450-04 (absurd caplen mid-file): 6 records before the damage, 7 real TCP packets recovered after it', async () => {
    const r = await readCapture([join(CORPUS, 'sv_bug-1450-04_tls_DER-incomplete-header.pcap')], { keepData: true });
    expect(r.count).toBe(13);
    expect(r.damage.badRecordHeaders).toBe(1);
    expect(r.damage.resyncs).toBe(1);
    expect(r.damage.abandonedFiles).toBe(0);
    // Every recovered record is a frame of the same loopback TCP connection as the first six.
    for (const rec of r.records) {
      const d = decodeBytes(rec.data!, rec.linktype, { wirelen: rec.wirelen });
      expect(d.reason).toBe('ok');
      expect([srcOf(d.pkt), dstOf(d.pkt)]).toEqual(['127.0.0.1', '127.0.0.1']);
      expect([d.pkt.sport, d.pkt.dport].sort()).toEqual([10443, 50802]);
    }
  });
});
