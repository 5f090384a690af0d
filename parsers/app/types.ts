/**
 * Contract between the flow engine (worker threads) and application-layer parsers.
 *
 * A parser is one protocol per module (Suricata app-layer style): `probe` recognises the
 * protocol from the first bytes of a direction, `create` makes a per-connection session that
 * receives in-order stream bytes (TCP, after reassembly) or whole datagrams (UDP) and emits one
 * event per transaction. Parsers are pure over the bytes they are given: no I/O, no globals, no
 * throwing (the engine still guards every call, and counts a throw as a parser fault).
 *
 * Buffers handed to a parser are views into the shared packet batch and are reused after the
 * call returns: copy whatever must outlive the call (e.g. with `Buffer.from(view)` or by
 * decoding to a string), and keep copies bounded (`limits.maxBufferBytes`).
 */

/** 0: originator → responder, 1: responder → originator (Zeek's is_orig = dir === 0). */
export type Dir = 0 | 1;

/** One log record. `_path` names the log as Zeek does (`dns`, `ssl`, `http`, `smb_files`, …);
 *  other keys use Zeek's field names where Zeek has that log. The engine adds `ts` (if absent),
 *  `uid` and the `id.*` fields of the connection. */
export interface AppEvent {
  _path: string;
  [field: string]: unknown;
}

export interface SessionContext {
  /**
   * Emit one finished transaction. The object is handed over: the engine adds `uid`, the `id.*`
   * fields and `ts` (if absent) to it in place, so a parser must not touch it after emitting.
   */
  emit(ev: AppEvent): void;
  /** Confirm the protocol (adds it to the connection's Zeek `service` column, e.g. "dns", "ssl"). */
  confirm(service: string): void;
  /** Per-session memory cap for buffered partial messages, in bytes. */
  readonly maxBufferBytes: number;
  /**
   * Optional: add `n` (default 1) to a named parser counter, e.g. `smb_encrypted_pdus`,
   * `ldap_sasl_sealed`, `dce_rpc_desync` — for what a parser skips or drops on purpose
   * (encrypted PDUs, hostile lengths) so it is counted, not silent. Names: `<service>_<what>`.
   */
  count?(name: string, n?: number): void;
}

export interface PortPair {
  /** Originator port (0 for non-port protocols). */
  origPort: number;
  /** Responder port. */
  respPort: number;
}

export interface AppSession {
  /** In-order bytes of one direction. `ts` is the capture time of the packet that completed them. */
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void;
  /** `len` bytes of direction `dir` were lost (capture loss, one-sided SPAN): resynchronise or stop. */
  gap(dir: Dir, len: number): void;
  /** The connection ended or expired: emit what is pending. */
  end(ts: number): void;
  /** True once the parser needs no more bytes from either direction (the engine stops reassembly). */
  readonly done: boolean;
}

export interface AppParser {
  /** Zeek service name this parser confirms (`dns`, `ssl`, `http`, `smb`, `dce_rpc`, …). */
  readonly service: string;
  readonly transport: 'tcp' | 'udp';
  /** Well-known ports, used only to order probing (content decides). */
  readonly ports: readonly number[];
  /** Does this direction's first payload look like this protocol? Must be cheap and never throw. */
  probe(dir: Dir, buf: Uint8Array, off: number, len: number, ports: PortPair): boolean;
  create(ctx: SessionContext): AppSession;
}
