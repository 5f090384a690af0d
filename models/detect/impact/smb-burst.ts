/**
 * impact.smb_burst — many file modifications (writes, renames, deletes, attribute changes) by one
 * client on one file server within a minute, far above the client's own peak: ransomware
 * encrypting a share, or a mass copy (lateral tool transfer). Renames/deletes share is quoted
 * (encrypt-and-rename is the ransomware signature).
 */
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema, smbAction } from '../util.js';
import { KeyedState, SlidingSet, fmtDur, peakBase } from '../window.js';

const options = schema({
  windowSec: opt('int', 60, 'sliding window', 5, 3600),
  minFiles: opt('int', 80, 'distinct files modified in the window that alert', 5, 1000000),
  peakFactor: opt('num', 4, 'and above this multiple of the client’s learned peak', 1, 1000),
  severity: opt('int', 7, 'base severity', 1, 10),
  maxPairs: opt('int', 20000, 'tracked client→server pairs (memory bound)', 100, 10000000),
});

const MODIFY = new Set(['write', 'rename', 'delete', 'set_attribute', 'create']);

interface St {
  last: number;
  files: SlidingSet<string>;
  renames: number;
  deletes: number;
  writes: number;
  uids: string[];
  exts: Map<string, number>;
  base: number;
  baseAt: number;
}

export const smbBurst: DetectionSpec<typeof options> = {
  type: 'impact.smb_burst',
  category: 'impact',
  mitre: ['T1486', 'T1570'],
  needsBaseline: false,
  title: 'SMB file-operation burst far above the client’s baseline',
  options,
  create(o, baseline) {
    const slot = baseline.metric('impact.smb_burst.peak');
    const st = new KeyedState<St>(o.maxPairs);
    const type = this.type;
    return {
      type,
      paths: ['smb_files'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const act = smbAction(ev);
        if (!MODIFY.has(act)) return;
        const h = evHosts(ev);
        const name = String(ev.name ?? ev.path ?? '');
        const s = st.getOr(`${h.src}>${h.dst}`, () => ({ last: h.ts, files: new SlidingSet(o.windowSec, o.minFiles * 50), renames: 0, deletes: 0, writes: 0, uids: [], exts: new Map(), base: 0, baseAt: NaN }));
        s.last = Math.max(s.last, h.ts);
        if (act === 'rename') s.renames++;
        else if (act === 'delete') s.deletes++;
        else s.writes++;
        if (s.uids.length < 5 && h.uid && !s.uids.includes(h.uid)) s.uids.push(h.uid);
        const ext = /\.([a-z0-9]{1,12})$/i.exec(name)?.[1]?.toLowerCase() ?? '';
        if (ext && (s.exts.has(ext) || s.exts.size < 20)) s.exts.set(ext, (s.exts.get(ext) ?? 0) + 1);
        if (!s.files.add(name, h.ts)) return;
        const n = s.files.size;
        const host = baseline.peekHost(h.src);
        const peak = peakBase(s, ctx.now, () => (host ? host.peaks[slot]! : 0));
        const thr = Math.max(o.minFiles, Math.ceil(o.peakFactor * peak));
        if (n < thr || ctx.learning) {
          if (host) baseline.observePeak(host, slot, n);
          if (n < thr) return;
        }
        const total = s.renames + s.deletes + s.writes;
        const rd = (s.renames + s.deletes) / Math.max(1, total);
        const topExt = [...s.exts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
        ctx.raise({
          type,
          category: 'impact',
          mitre: ['T1486', 'T1570'],
          severity: clampSev(o.severity + (rd >= 0.3 ? 1 : 0) + (n >= 3 * thr ? 1 : 0)),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} modified ${n} distinct files on ${ctx.describe(h.dst)} within ${fmtDur(Math.max(1, h.ts - s.files.oldest()))} (${s.writes} writes, ${s.renames} renames, ${s.deletes} deletes; top extensions ${topExt.map(([e, c]) => `.${e} ${c}`).join(', ') || '-'}); its learned peak is ${peak.toFixed(0)} per ${fmtDur(o.windowSec)}.`,
          evidence: { uids: s.uids.slice(), distinct_files: n, writes: s.writes, renames: s.renames, deletes: s.deletes, rename_delete_share: +rd.toFixed(2), extensions: Object.fromEntries(topExt), threshold: thr, baseline_peak: +peak.toFixed(1), window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec * 2);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, { ...v, files: v.files.toJSON(), exts: [...v.exts] }]),
      load(x) {
        for (const [k, v] of (x as any[]) ?? []) st.m.set(k, { ...v, files: SlidingSet.from(v.files), exts: new Map(v.exts), baseAt: v.baseAt ?? NaN });
      },
    };
  },
};
