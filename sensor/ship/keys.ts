/**
 * Pre-shared AES-256-GCM keys for shipping, the same file format on sensor and collector:
 *
 *   # comment
 *   KEYID HEX
 *
 * KEYID is 1–16 characters of [A-Za-z0-9_-], HEX exactly 64 hex digits (32 bytes). The first key
 * is the one a sender uses; every key in the file is accepted on receipt, so a rotation is: add
 * the new key as a second line on the collectors, then put it first on the sensors, then remove
 * the old one. A file readable by group or others is refused: the key is the only thing standing
 * between the hospital's metadata and the network.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface ShipKey {
  id: string;
  /** ASCII bytes of `id`, as they stand in the datagram header. */
  idBytes: Buffer;
  key: Buffer;
}

export interface KeyRing {
  /** The key a sender encrypts with (first line of the file). */
  send: ShipKey;
  /** All keys by id, for receiving. */
  byId: Map<string, ShipKey>;
}

export class KeyFileError extends Error {}

const KEYID_RE = /^[A-Za-z0-9_-]{1,16}$/;
const HEX_RE = /^[0-9a-fA-F]{64}$/;

export function isValidKeyId(id: string): boolean {
  return KEYID_RE.test(id);
}

/** Parses key file text. Throws KeyFileError naming the line on the first problem. */
export function parseKeyFile(text: string, name = 'key file'): KeyRing {
  const byId = new Map<string, ShipKey>();
  let send: ShipKey | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new KeyFileError(`${name}:${i + 1}: expected "KEYID HEX", got ${parts.length} fields`);
    const [id, hex] = parts;
    if (!KEYID_RE.test(id)) throw new KeyFileError(`${name}:${i + 1}: key id must be 1-16 characters of [A-Za-z0-9_-]`);
    if (!HEX_RE.test(hex)) throw new KeyFileError(`${name}:${i + 1}: key must be exactly 64 hex digits (32 bytes)`);
    if (byId.has(id)) throw new KeyFileError(`${name}:${i + 1}: duplicate key id ${id}`);
    const k: ShipKey = { id, idBytes: Buffer.from(id, 'ascii'), key: Buffer.from(hex, 'hex') };
    byId.set(id, k);
    send ??= k;
  }
  if (!send) throw new KeyFileError(`${name}: no key in file`);
  return { send, byId };
}

/** Reads and parses a key file, refusing one that group or others may read (or write). */
export function loadKeyFile(path: string): KeyRing {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new KeyFileError(`key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isFile()) throw new KeyFileError(`key file ${path}: not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new KeyFileError(
      `key file ${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group/others access it; chmod 600 it`,
    );
  }
  return parseKeyFile(readFileSync(path, 'utf8'), path);
}

/** A fresh key line for a key file. */
export function keygenLine(keyId = 'k1'): string {
  if (!KEYID_RE.test(keyId)) throw new KeyFileError(`key id must be 1-16 characters of [A-Za-z0-9_-]`);
  return `${keyId} ${randomBytes(32).toString('hex')}`;
}

/** `keygen [KEYID]`: prints a fresh key line. Exit 0, or 2 on a bad key id. */
export async function runKeygen(argv: string[]): Promise<number> {
  if (argv.length > 1 || (argv[0] ?? '').startsWith('-')) {
    process.stderr.write('usage: ndr-sensor keygen [KEYID]\n');
    return 2;
  }
  try {
    process.stdout.write(keygenLine(argv[0] ?? 'k1') + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`keygen: ${(e as Error).message}\n`);
    return 2;
  }
}
