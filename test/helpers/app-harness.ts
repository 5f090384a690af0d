/**
 * Drives application parsers the way the flow engine does: probe each direction's first payload
 * (parsers whose well-known ports match are tried first), create the session of the first parser
 * that accepts, feed every chunk in order, then `end`. Events get the connection's id fields.
 * Used by tests only; the engine has its own implementation of the same contract.
 */
import type { AppEvent, AppParser, AppSession, Dir } from '../../parsers/app/types.js';
import type { Chunk, Endpoint } from './tshark.js';

export interface FlowInput { orig: Endpoint; resp: Endpoint; chunks: Chunk[] }
export interface FlowResult {
  parser: AppParser | null;
  services: string[];
  events: AppEvent[];
  /** Chunks fed before the session said `done`. */
  fedChunks: number;
  doneAt: number | null;
  throws: number;
}

export function pickParser(parsers: readonly AppParser[], transport: 'tcp' | 'udp', dir: Dir, b: Uint8Array, ports: { origPort: number; respPort: number }): AppParser | null {
  const cands = parsers.filter((p) => p.transport === transport);
  const byPort = cands.filter((p) => p.ports.includes(ports.respPort) || p.ports.includes(ports.origPort));
  const rest = cands.filter((p) => !byPort.includes(p));
  for (const p of [...byPort, ...rest]) if (p.probe(dir, b, 0, b.length, ports)) return p;
  return null;
}

export function runFlow(parsers: readonly AppParser[], transport: 'tcp' | 'udp', flow: FlowInput, maxBufferBytes = 256 * 1024): FlowResult {
  const res: FlowResult = { parser: null, services: [], events: [], fedChunks: 0, doneAt: null, throws: 0 };
  const ports = { origPort: flow.orig.p, respPort: flow.resp.p };
  let session: AppSession | null = null;
  const probed: [boolean, boolean] = [false, false];
  const held: Chunk[] = [];
  const ctx = {
    emit(ev: AppEvent) {
      res.events.push({ ...ev, 'id.orig_h': flow.orig.h, 'id.orig_p': flow.orig.p, 'id.resp_h': flow.resp.h, 'id.resp_p': flow.resp.p });
    },
    confirm(s: string) {
      if (!res.services.includes(s)) res.services.push(s);
    },
    maxBufferBytes,
  };
  const feed = (c: Chunk) => {
    if (!session || session.done) return;
    // Hand over a copy inside a larger, reused-looking buffer to catch offset mistakes.
    const pad = Buffer.alloc(c.data.length + 7, 0xee);
    c.data.copy(pad, 3);
    try {
      session.data(c.dir, pad, 3, c.data.length, c.ts);
    } catch {
      res.throws++;
    }
    res.fedChunks++;
    if (session.done && res.doneAt === null) res.doneAt = res.fedChunks;
  };
  let lastTs = 0;
  for (const c of flow.chunks) {
    lastTs = c.ts;
    if (!session) {
      held.push(c);
      if (probed[c.dir]) continue;
      probed[c.dir] = true;
      const p = pickParser(parsers, transport, c.dir, c.data, ports);
      if (!p) continue;
      res.parser = p;
      session = p.create(ctx);
      for (const h of held) feed(h);
      held.length = 0;
      continue;
    }
    feed(c);
  }
  if (session) {
    try {
      session.end(lastTs);
    } catch {
      res.throws++;
    }
  }
  return res;
}
