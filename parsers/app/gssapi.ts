/**
 * GSS-API / SPNEGO unwrapping (RFC 2743 §3.1, RFC 4178 §4.2): find the mechanism token inside
 * the security blobs that SMB2 SESSION_SETUP, LDAP SASL GSS-SPNEGO, HTTP Negotiate and DCE-RPC
 * auth verifiers carry, so the NTLM parser (or a Kerberos presence check) can look at it.
 * Walks only the two SPNEGO shapes plus raw NTLMSSP / raw Kerberos GSS tokens; one level of
 * nesting, every read bounded by the blob.
 */
import { APPLICATION, CONTEXT, Tlv, UNIVERSAL, findChild, readTlv } from './ber.js';

export const MECH_NONE = 0;
export const MECH_NTLM = 1;
export const MECH_KRB5 = 2;

export class MechToken {
  /** MECH_NTLM, MECH_KRB5 or MECH_NONE. */
  mech = MECH_NONE;
  off = 0;
  len = 0;
  /** The blob was SPNEGO-wrapped (Zeek confirms the "gssapi" service for these). */
  spnego = false;
  /** NegTokenResp negState (0 accept-completed, 1 accept-incomplete, 2 reject), or -1. */
  negState = -1;
}

const NTLMSSP_SIG = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00];
const OID_SPNEGO = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
const OID_KRB5 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
const OID_MS_KRB5 = [0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

export function isNtlmssp(b: Uint8Array, off: number, len: number): boolean {
  if (len < 12) return false;
  for (let i = 0; i < 8; i++) if (b[off + i] !== NTLMSSP_SIG[i]) return false;
  return true;
}

/** Universal tag check (a function, so TypeScript does not narrow a reused header's fields). */
function isTag(t: Tlv, tag: number): boolean {
  return t.cls === UNIVERSAL && t.tag === tag;
}

function oidIs(b: Uint8Array, t: Tlv, oid: readonly number[]): boolean {
  if (t.end - t.body !== oid.length) return false;
  for (let i = 0; i < oid.length; i++) if (b[t.body + i] !== oid[i]) return false;
  return true;
}

/** Scratch TLV headers for one walk (auth blobs are rare: allocating per call is fine). */
class Scratch {
  t1 = new Tlv();
  t2 = new Tlv();
  t3 = new Tlv();
}

/**
 * Locate the mechanism token in a GSS blob at b[off, off+len). Returns true and fills `out`
 * when an NTLMSSP message or a Kerberos token was found.
 */
export function findMechToken(b: Uint8Array, off: number, len: number, out: MechToken): boolean {
  out.mech = MECH_NONE;
  out.spnego = false;
  out.negState = -1;
  return walk(b, off, off + len, out, 0, new Scratch());
}

function walk(b: Uint8Array, off: number, end: number, out: MechToken, depth: number, s: Scratch): boolean {
  const { t1, t2, t3 } = s;
  if (depth > 2 || off >= end) return false;
  if (isNtlmssp(b, off, end - off)) {
    out.mech = MECH_NTLM;
    out.off = off;
    out.len = end - off;
    return true;
  }
  if (!readTlv(b, off, end, t1, true)) return false;
  if (t1.cls === APPLICATION && t1.tag === 0 && t1.constructed) {
    // InitialContextToken: thisMech OID, then the mechanism's innerContextToken.
    if (!readTlv(b, t1.body, t1.end, t2) || !isTag(t2, 6)) return false;
    if (oidIs(b, t2, OID_SPNEGO)) {
      out.spnego = true;
      return negTokenInit(b, t2.end, t1.end, out, depth, s);
    }
    if (oidIs(b, t2, OID_KRB5) || oidIs(b, t2, OID_MS_KRB5)) {
      out.mech = MECH_KRB5;
      out.off = t2.end;
      out.len = t1.end - t2.end;
      return true;
    }
    return walk(b, t2.end, t1.end, out, depth + 1, s);
  }
  if (t1.cls === CONTEXT && t1.tag === 0) {
    out.spnego = true;
    return negTokenInit(b, off, end, out, depth, s);
  }
  if (t1.cls === CONTEXT && t1.tag === 1) {
    // NegTokenResp ::= SEQUENCE { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] }
    out.spnego = true;
    if (!readTlv(b, t1.body, t1.end, t2, true) || !isTag(t2, 16)) return false;
    const seqBody = t2.body;
    const seqEnd = t2.end;
    if (findChild(b, seqBody, seqEnd, CONTEXT, 0, t3) && readTlv(b, t3.body, t3.end, t2) && isTag(t2, 10)) {
      out.negState = t2.end > t2.body ? b[t2.body] : -1;
    }
    if (findChild(b, seqBody, seqEnd, CONTEXT, 2, t3) && readTlv(b, t3.body, t3.end, t2, true) && isTag(t2, 4)) {
      return walk(b, t2.body, t2.end, out, depth + 1, s);
    }
    return false;
  }
  if (t1.cls === APPLICATION && t1.tag === 14) {
    // Raw Kerberos AP-REQ (some LDAP/HTTP clients skip the GSS header).
    out.mech = MECH_KRB5;
    out.off = off;
    out.len = end - off;
    return true;
  }
  return false;
}

/** [0] NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] } */
function negTokenInit(b: Uint8Array, off: number, end: number, out: MechToken, depth: number, s: Scratch): boolean {
  const { t1, t2, t3 } = s;
  if (!readTlv(b, off, end, t1, true) || t1.cls !== CONTEXT || t1.tag !== 0) return false;
  if (!readTlv(b, t1.body, t1.end, t2, true) || !isTag(t2, 16)) return false;
  if (findChild(b, t2.body, t2.end, CONTEXT, 2, t3) && readTlv(b, t3.body, t3.end, t2, true) && isTag(t2, 4)) {
    return walk(b, t2.body, t2.end, out, depth + 1, s);
  }
  return false;
}
