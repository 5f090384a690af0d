/**
 * Application parsers of part B (Windows/AD and clinical protocols), in probing order.
 * The engine merges this list with part A's (`registry-a.ts`); content decides, ports only
 * order the probing. NTLM and GSS-API have no transport of their own: SMB, LDAP and DCE/RPC
 * carry them (see ntlm.ts for HTTP's use).
 */
import type { AppParser } from './types.js';
import { smbParser } from './smb.js';
import { dceRpcParser } from './dcerpc.js';
import { kerberosTcpParser, kerberosUdpParser } from './kerberos.js';
import { ldapTcpParser, ldapUdpParser } from './ldap.js';
import { dicomParser } from './dicom.js';
import { hl7Parser } from './hl7.js';

export const parsersB: AppParser[] = [
  smbParser,
  dceRpcParser,
  kerberosTcpParser,
  kerberosUdpParser,
  ldapTcpParser,
  ldapUdpParser,
  dicomParser,
  hl7Parser,
];
