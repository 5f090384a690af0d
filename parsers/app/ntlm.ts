/**
 * NTLMSSP ([MS-NLMP] §2.2.1) as carried by SMB2 SESSION_SETUP, LDAP SASL binds, HTTP
 * `Authorization: NTLM|Negotiate` and DCE-RPC auth verifiers. NTLM has no transport of its own:
 * each carrier owns an `NtlmAuth`, feeds it every security blob it sees (SPNEGO-wrapped or raw)
 * and asks for the `ntlm` log record once the carrier knows the outcome (Zeek ntlm.log:
 * username, hostname, domainname, server_nb_computer_name, server_dns_computer_name,
 * server_tree_name, success).
 *
 * Strings are decoded with explicit bounds (offset+length inside the message, at most 512 bytes).
 */
import type { AppEvent } from './types.js';
import { MECH_KRB5, MECH_NTLM, MechToken, findMechToken, isNtlmssp } from './gssapi.js';

const NEGOTIATE_UNICODE = 0x00000001;
const MAX_STR = 512;

/** Decode an NTLM security buffer (len u16, maxlen u16, offset u32 at `field`) of message m. */
function secBuf(b: Uint8Array, m: number, mlen: number, field: number, unicode: boolean): string | undefined {
  if (field + 8 > mlen) return undefined;
  const p = m + field;
  const len = b[p] | (b[p + 1] << 8);
  const o = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
  if (len === 0 || o + len > mlen) return undefined;
  const n = Math.min(len, MAX_STR) & (unicode ? ~1 : ~0);
  return Buffer.from(b.buffer, b.byteOffset + m + o, n).toString(unicode ? 'utf16le' : 'latin1');
}

function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** What a carrier learns from one security blob. */
export const BLOB_NONE = 0;
export const BLOB_NTLM = 1;
export const BLOB_KRB5 = 2;

export class NtlmAuth {
  username?: string;
  hostname?: string;
  domainname?: string;
  serverNb?: string;
  serverDns?: string;
  serverTree?: string;
  /** An AUTHENTICATE message was seen and not yet logged. */
  pending = false;
  /** Capture time of the pending AUTHENTICATE. */
  authTs = 0;
  /** Blob was SPNEGO-wrapped (for the "gssapi" service). */
  sawSpnego = false;
  private readonly tok = new MechToken();

  /**
   * Feed one security blob (raw NTLMSSP or GSS/SPNEGO). Returns BLOB_NTLM, BLOB_KRB5 or BLOB_NONE.
   * Never throws; malformed blobs yield BLOB_NONE.
   */
  feedBlob(b: Uint8Array, off: number, len: number, ts: number): number {
    if (len <= 0) return BLOB_NONE;
    if (!findMechToken(b, off, len, this.tok)) {
      if (this.tok.spnego) this.sawSpnego = true;
      return BLOB_NONE;
    }
    if (this.tok.spnego) this.sawSpnego = true;
    if (this.tok.mech === MECH_KRB5) return BLOB_KRB5;
    if (this.tok.mech === MECH_NTLM) {
      this.feedMessage(b, this.tok.off, this.tok.len, ts);
      return BLOB_NTLM;
    }
    return BLOB_NONE;
  }

  /** Parse one NTLMSSP message starting with the signature. Returns its type (1..3) or 0. */
  feedMessage(b: Uint8Array, m: number, mlen: number, ts: number): number {
    if (!isNtlmssp(b, m, mlen)) return 0;
    const type = u32(b, m + 8);
    if (type === 2 && mlen >= 48) {
      // CHALLENGE: TargetName @12, NegotiateFlags @20, ServerChallenge @24, TargetInfo @40
      this.targetInfo(b, m, mlen);
      return 2;
    }
    if (type === 3 && mlen >= 64) {
      // AUTHENTICATE: Lm @12, Nt @20, Domain @28, User @36, Workstation @44, SessionKey @52, Flags @60
      const flags = u32(b, m + 60);
      const uni = (flags & NEGOTIATE_UNICODE) !== 0;
      this.domainname = secBuf(b, m, mlen, 28, uni);
      this.username = secBuf(b, m, mlen, 36, uni);
      this.hostname = secBuf(b, m, mlen, 44, uni);
      this.pending = true;
      this.authTs = ts;
      return 3;
    }
    return type === 1 ? 1 : 0;
  }

  /** AV_PAIR list of the CHALLENGE's TargetInfo ([MS-NLMP] §2.2.2.1). */
  private targetInfo(b: Uint8Array, m: number, mlen: number): void {
    const p = m + 40;
    const len = b[p] | (b[p + 1] << 8);
    const o = u32(b, p + 4);
    if (len === 0 || o + len > mlen) return;
    let q = m + o;
    const end = q + len;
    for (let i = 0; i < 32 && q + 4 <= end; i++) {
      const id = b[q] | (b[q + 1] << 8);
      const n = b[q + 2] | (b[q + 3] << 8);
      q += 4;
      if (id === 0 || q + n > end) break; // MsvAvEOL
      const v = n > 0 ? Buffer.from(b.buffer, b.byteOffset + q, Math.min(n, MAX_STR) & ~1).toString('utf16le') : '';
      if (id === 1) this.serverNb = v;
      else if (id === 3) this.serverDns = v;
      else if (id === 5) this.serverTree = v;
      q += n;
    }
  }

  /**
   * The ntlm log record for the pending AUTHENTICATE (or null if there is none), with `success`
   * when the carrier knows it (SMB/LDAP/HTTP status; DCE-RPC carries no verdict). Clears the pending flag; the CHALLENGE names stay for re-auths.
   */
  takeEvent(success?: boolean): AppEvent | null {
    if (!this.pending) return null;
    this.pending = false;
    const ev: AppEvent = { _path: 'ntlm', ts: this.authTs };
    if (this.username) ev.username = this.username;
    if (this.hostname) ev.hostname = this.hostname;
    if (this.domainname) ev.domainname = this.domainname;
    if (this.serverNb) ev.server_nb_computer_name = this.serverNb;
    if (this.serverDns) ev.server_dns_computer_name = this.serverDns;
    if (this.serverTree) ev.server_tree_name = this.serverTree;
    if (success !== undefined) ev.success = success;
    return ev;
  }
}
