/** Every detection the analytics stage runs, in evaluation order. Type ids are stable. */
import { dga } from './c2/dga.js';
import { beacon } from './c2/beacon.js';
import { longConn } from './c2/long-conn.js';
import { dcsync } from './credential/dcsync.js';
import { kerberoast } from './credential/kerberoast.js';
import { passwordSpray } from './credential/password-spray.js';
import { zerologon } from './credential/zerologon.js';
import { dnsTunnel } from './exfil/dns-tunnel.js';
import { staging } from './exfil/staging.js';
import { exfilVolume } from './exfil/volume.js';
import { smbBurst } from './impact/smb-burst.js';
import { adminFanout } from './lateral/admin-fanout.js';
import { adminShareWrite } from './lateral/admin-share-write.js';
import { newAdminEdge } from './lateral/new-admin-edge.js';
import { remoteService, remoteTask, wmiExec } from './lateral/remote-exec.js';
import { medicalContract } from './medical/contract.js';
import { dicomNewAe, hl7NewApp, phiLeaving } from './medical/dicom-hl7.js';
import { rpcEnum } from './recon/rpc-enum.js';
import { scan } from './recon/scan.js';
import type { DetectionSpec, OptionSchema } from './types.js';

export const DETECTIONS: readonly DetectionSpec<OptionSchema>[] = [
  newAdminEdge,
  adminFanout,
  remoteService,
  remoteTask,
  wmiExec,
  adminShareWrite,
  dcsync,
  kerberoast,
  passwordSpray,
  zerologon,
  scan,
  rpcEnum,
  exfilVolume,
  dnsTunnel,
  staging,
  beacon,
  longConn,
  dga,
  smbBurst,
  medicalContract,
  dicomNewAe,
  hl7NewApp,
  phiLeaving,
] as unknown as DetectionSpec<OptionSchema>[];
