/**
 * DCE/RPC interface table (data only): interface UUID -> endpoint name (as Zeek's
 * `DCE_RPC::uuid_endpoint_map`) and opnum -> operation name. Each entry cites the Microsoft
 * Open Specifications document whose opnum list it follows; names are the ones Zeek's
 * `DCE_RPC::operations` uses where Zeek has them (no `R`/`IDL_` prefixes), otherwise the
 * specification's. Known differences from Zeek: IWbemServices opnums 16/17 are DeleteInstance /
 * DeleteInstanceAsync per MS-WMI (Zeek repeats DeleteClass); spoolss opnum 69 is RpcOpenPrinterEx
 * per MS-RPRN (Zeek: RpcSplOpenPrinter); ITaskSchedulerService opnum 6 is SchRpcEnumFolders.
 * `null` marks opnums the specification reserves (not used on the wire).
 */

export interface RpcInterface {
  readonly name: string;
  /** Specification section with the opnum list. */
  readonly spec: string;
  /** Operation names by opnum. */
  readonly ops: readonly (string | null)[];
}

/** [MS-EFSR] efsrpc is served under two interface UUIDs with one opnum list. */
const EFSRPC_OPS: readonly (string | null)[] = [
  "EfsRpcOpenFileRaw", "EfsRpcReadFileRaw", "EfsRpcWriteFileRaw", "EfsRpcCloseRaw", "EfsRpcEncryptFileSrv",
  "EfsRpcDecryptFileSrv", "EfsRpcQueryUsersOnFile", "EfsRpcQueryRecoveryAgents", "EfsRpcRemoveUsersFromFile",
  "EfsRpcAddUsersToFile", null, "EfsRpcNotSupported", "EfsRpcFileKeyInfo", "EfsRpcDuplicateEncryptionInfoFile",
  null, "EfsRpcAddUsersToFileEx", "EfsRpcFileKeyInfoEx", null, "EfsRpcGetEncryptedFileMetadata",
  "EfsRpcSetEncryptedFileMetadata", "EfsRpcFlushEfsCache", "EfsRpcEncryptFileExSrv", "EfsRpcQueryProtectors",
];

export const RPC_INTERFACES: Readonly<Record<string, RpcInterface>> = {
  'e1af8308-5d1f-11c9-91a4-08002b14a0fa': {
    name: "epmapper",
    spec: "MS-RPCE 2.2.1.2 / C706 (ept)",
    ops: [
      "ept_insert", "ept_delete", "ept_lookup", "ept_map", "ept_lookup_handle_free", "ept_inq_object",
      "ept_mgmt_delete", "ept_map_auth", "ept_map_auth_async",
    ],
  },
  'afa8bd80-7d8a-11c9-bef4-08002b102989': {
    name: "mgmt",
    spec: "C706 (mgmt)",
    ops: [
      "inq_if_ids", "inq_stats", "is_server_listening", "stop_server_listening", "inq_princ_name",
    ],
  },
  '367abb81-9844-35f1-ad32-98f038001003': {
    name: "svcctl",
    spec: "MS-SCMR 3.1.4",
    ops: [
      "CloseServiceHandle", "ControlService", "DeleteService", "LockServiceDatabase", "QueryServiceObjectSecurity",
      "SetServiceObjectSecurity", "QueryServiceStatus", "SetServiceStatus", "UnlockServiceDatabase",
      "NotifyBootConfigStatus", "ScSetServiceBitsW", "ChangeServiceConfigW", "CreateServiceW",
      "EnumDependentServicesW", "EnumServicesStatusW", "OpenSCManagerW", "OpenServiceW", "QueryServiceConfigW",
      "QueryServiceLockStatusW", "StartServiceW", "GetServiceDisplayNameW", "GetServiceKeyNameW",
      "ScSetServiceBitsA", "ChangeServiceConfigA", "CreateServiceA", "EnumDependentServicesA", "EnumServicesStatusA",
      "OpenSCManagerA", "OpenServiceA", "QueryServiceConfigA", "QueryServiceLockStatusA", "StartServiceA",
      "GetServiceDisplayNameA", "GetServiceKeyNameA", "ScGetCurrentGroupStateW", "EnumServiceGroupW",
      "ChangeServiceConfig2A", "ChangeServiceConfig2W", "QueryServiceConfig2A", "QueryServiceConfig2W",
      "QueryServiceStatusEx", "EnumServicesStatusExA", "EnumServicesStatusExW", "ScSendTSMessage",
      "CreateServiceWOW64A", "CreateServiceWOW64W", "ScQueryServiceTagInfo", "NotifyServiceStatusChange",
      "GetNotifyResult", "CloseNotifyHandle", "ControlServiceExA", "ControlServiceExW", "ScSendPnPMessage",
      "ScValidatePnPService", "ScOpenServiceStatusHandle", null, "QueryServiceConfigEx", null, null, null,
      "CreateWowService", null, null, null, "OpenSCManager2",
    ],
  },
  '1ff70682-0a51-30e8-076d-740be8cee98b': {
    name: "atsvc",
    spec: "MS-TSCH 3.2.5.2",
    ops: [
      "NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo",
    ],
  },
  '378e52b0-c0a9-11cf-822d-00aa0051e40f': {
    name: "sasec",
    spec: "MS-TSCH 3.2.5.3",
    ops: [
      "SASetAccountInformation", "SASetNSAccountInformation", "SAGetNSAccountInformation", "SAGetAccountInformation",
    ],
  },
  '86d35949-83c9-4044-b424-db363231fd0c': {
    name: "ITaskSchedulerService",
    spec: "MS-TSCH 3.2.5.4",
    ops: [
      "SchRpcHighestVersion", "SchRpcRegisterTask", "SchRpcRetrieveTask", "SchRpcCreateFolder", "SchRpcSetSecurity",
      "SchRpcGetSecurity", "SchRpcEnumFolders", "SchRpcEnumTasks", "SchRpcEnumInstances", "SchRpcGetInstanceInfo",
      "SchRpcStopInstance", "SchRpcStop", "SchRpcRun", "SchRpcDelete", "SchRpcRename", "SchRpcScheduledRuntimes",
      "SchRpcGetLastRunInfo", "SchRpcGetTaskInfo", "SchRpcGetNumberOfMissedRuns", "SchRpcEnableTask",
    ],
  },
  'e3514235-4b06-11d1-ab04-00c04fc2dcd2': {
    name: "drsuapi",
    spec: "MS-DRSR 4.1",
    ops: [
      "DRSBind", "DRSUnbind", "DRSReplicaSync", "DRSGetNCChanges", "DRSUpdateRefs", "DRSReplicaAdd", "DRSReplicaDel",
      "DRSReplicaModify", "DRSVerifyNames", "DRSGetMemberships", "DRSInterDomainMove", "DRSGetNT4ChangeLog",
      "DRSCrackNames", "DRSWriteSPN", "DRSRemoveDsServer", "DRSRemoveDsDomain", "DRSDomainControllerInfo",
      "DRSAddEntry", "DRSExecuteKCC", "DRSGetReplInfo", "DRSAddSidHistory", "DRSGetMemberships2",
      "DRSReplicaVerifyObjects", "DRSGetObjectExistence", "DRSQuerySitesByCost", "DRSInitDemotion",
      "DRSReplicaDemotion", "DRSFinishDemotion", "DRSAddCloneDC", "DRSWriteNgcKey", "DRSReadNgcKey",
    ],
  },
  '12345778-1234-abcd-ef00-0123456789ac': {
    name: "samr",
    spec: "MS-SAMR 3.1.5",
    ops: [
      "SamrConnect", "SamrCloseHandle", "SamrSetSecurityObject", "SamrQuerySecurityObject", "SamrShutdownSamServer",
      "SamrLookupDomainInSamServer", "SamrEnumerateDomainsInSamServer", "SamrOpenDomain",
      "SamrQueryInformationDomain", "SamrSetInformationDomain", "SamrCreateGroupInDomain",
      "SamrEnumerateGroupsInDomain", "SamrCreateUserInDomain", "SamrEnumerateUsersInDomain",
      "SamrCreateAliasInDomain", "SamrEnumerateAliasesInDomain", "SamrGetAliasMembership", "SamrLookupNamesInDomain",
      "SamrLookupIdsInDomain", "SamrOpenGroup", "SamrQueryInformationGroup", "SamrSetInformationGroup",
      "SamrAddMemberToGroup", "SamrDeleteGroup", "SamrRemoveMemberFromGroup", "SamrGetMembersInGroup",
      "SamrSetMemberAttributesOfGroup", "SamrOpenAlias", "SamrQueryInformationAlias", "SamrSetInformationAlias",
      "SamrDeleteAlias", "SamrAddMemberToAlias", "SamrRemoveMemberFromAlias", "SamrGetMembersInAlias",
      "SamrOpenUser", "SamrDeleteUser", "SamrQueryInformationUser", "SamrSetInformationUser",
      "SamrChangePasswordUser", "SamrGetGroupsForUser", "SamrQueryDisplayInformation",
      "SamrGetDisplayEnumerationIndex", "SamrTestPrivateFunctionsDomain", "SamrTestPrivateFunctionsUser",
      "SamrGetUserDomainPasswordInformation", "SamrRemoveMemberFromForeignDomain", "SamrQueryInformationDomain2",
      "SamrQueryInformationUser2", "SamrQueryDisplayInformation2", "SamrGetDisplayEnumerationIndex2",
      "SamrCreateUser2InDomain", "SamrQueryDisplayInformation3", "SamrAddMultipleMembersToAlias",
      "SamrRemoveMultipleMembersFromAlias", "SamrOemChangePasswordUser2", "SamrUnicodeChangePasswordUser2",
      "SamrGetDomainPasswordInformation", "SamrConnect2", "SamrSetInformationUser2", "SamrSetBootKeyInformation",
      "SamrGetBootKeyInformation", "SamrConnect3", "SamrConnect4", "SamrUnicodeChangePasswordUser3", "SamrConnect5",
      "SamrRidToSid", "SamrSetDSRMPassword", "SamrValidatePassword", "SamrQueryLocalizableAccountsInDomain",
      "SamrPerformGenericOperation",
    ],
  },
  '12345778-1234-abcd-ef00-0123456789ab': {
    name: "lsarpc",
    spec: "MS-LSAD 3.1.4 / MS-LSAT 3.1.4",
    ops: [
      "LsarClose", "LsarDelete", "LsarEnumeratePrivileges", "LsarQuerySecurityObject", "LsarSetSecurityObject",
      "LsarChangePassword", "LsarOpenPolicy", "LsarQueryInformationPolicy", "LsarSetInformationPolicy",
      "LsarClearAuditLog", "LsarCreateAccount", "LsarEnumerateAccounts", "LsarCreateTrustedDomain",
      "LsarEnumerateTrustedDomains", "LsarLookupNames", "LsarLookupSids", "LsarCreateSecret", "LsarOpenAccount",
      "LsarEnumeratePrivilegesAccount", "LsarAddPrivilegesToAccount", "LsarRemovePrivilegesFromAccount",
      "LsarGetQuotasForAccount", "LsarSetQuotasForAccount", "LsarGetSystemAccessAccount",
      "LsarSetSystemAccessAccount", "LsarOpenTrustedDomain", "LsarQueryInfoTrustedDomain",
      "LsarSetInformationTrustedDomain", "LsarOpenSecret", "LsarSetSecret", "LsarQuerySecret",
      "LsarLookupPrivilegeValue", "LsarLookupPrivilegeName", "LsarLookupPrivilegeDisplayName", "LsarDeleteObject",
      "LsarEnumerateAccountsWithUserRight", "LsarEnumerateAccountRights", "LsarAddAccountRights",
      "LsarRemoveAccountRights", "LsarQueryTrustedDomainInfo", "LsarSetTrustedDomainInfo", "LsarDeleteTrustedDomain",
      "LsarStorePrivateData", "LsarRetrievePrivateData", "LsarOpenPolicy2", "LsarGetUserName",
      "LsarQueryInformationPolicy2", "LsarSetInformationPolicy2", "LsarQueryTrustedDomainInfoByName",
      "LsarSetTrustedDomainInfoByName", "LsarEnumerateTrustedDomainsEx", "LsarCreateTrustedDomainEx",
      "LsarCloseTrustedDomainEx", "LsarQueryDomainInformationPolicy", "LsarSetDomainInformationPolicy",
      "LsarOpenTrustedDomainByName", "LsarTestCall", "LsarLookupSids2", "LsarLookupNames2",
      "LsarCreateTrustedDomainEx2", "CredrWrite", "CredrRead", "CredrEnumerate", "CredrWriteDomainCredentials",
      "CredrReadDomainCredentials", "CredrDelete", "CredrGetTargetInfo", "CredrProfileLoaded", "LsarLookupNames3",
      "CredrGetSessionTypes", "LsarRegisterAuditEvent", "LsarGenAuditEvent", "LsarUnregisterAuditEvent",
      "LsarQueryForestTrustInformation", "LsarSetForestTrustInformation", "CredrRename", "LsarLookupSids3",
      "LsarLookupNames4", "LsarOpenPolicySce", "LsarAdtRegisterSecurityEventSource",
      "LsarAdtUnregisterSecurityEventSource", "LsarAdtReportSecurityEvent", "CredrFindBestCredential",
      "LsarSetAuditPolicy", "LsarQueryAuditPolicy", "LsarEnumerateAuditPolicy", "LsarEnumerateAuditCategories",
      "LsarEnumerateAuditSubCategories", "LsarLookupAuditCategoryName", "LsarLookupAuditSubCategoryName",
      "LsarSetAuditSecurity", "LsarQueryAuditSecurity", "CredReadByTokenHandle", "CredrRestoreCredentials",
      "CredrBackupCredentials",
    ],
  },
  '12345678-1234-abcd-ef00-01234567cffb': {
    name: "netlogon",
    spec: "MS-NRPC 3.5.4",
    ops: [
      "NetrLogonUasLogon", "NetrLogonUasLogoff", "NetrLogonSamLogon", "NetrLogonSamLogoff", "NetrServerReqChallenge",
      "NetrServerAuthenticate", "NetrServerPasswordSet", "NetrDatabaseDeltas", "NetrDatabaseSync",
      "NetrAccountDeltas", "NetrAccountSync", "NetrGetDCName", "NetrLogonControl", "NetrGetAnyDCName",
      "NetrLogonControl2", "NetrServerAuthenticate2", "NetrDatabaseSync2", "NetrDatabaseRedo", "NetrLogonControl2Ex",
      "NetrEnumerateTrustedDomains", "DsrGetDcName", "NetrLogonGetCapabilities", "NetrLogonSetServiceBits",
      "NetrLogonGetTrustRid", "NetrLogonComputeServerDigest", "NetrLogonComputeClientDigest",
      "NetrServerAuthenticate3", "DsrGetDcNameEx", "DsrGetSiteName", "NetrLogonGetDomainInfo",
      "NetrServerPasswordSet2", "NetrServerPasswordGet", "NetrLogonSendToSam", "DsrAddressToSiteNamesW",
      "DsrGetDcNameEx2", "NetrLogonGetTimeServiceParentDomain", "NetrEnumerateTrustedDomainsEx",
      "DsrAddressToSiteNamesExW", "DsrGetDcSiteCoverageW", "NetrLogonSamLogonEx", "DsrEnumerateDomainTrusts",
      "DsrDeregisterDnsHostRecords", "NetrServerTrustPasswordsGet", "DsrGetForestTrustInformation",
      "NetrGetForestTrustInformation", "NetrLogonSamLogonWithFlags", "NetrServerGetTrustInfo", null,
      "DsrUpdateReadOnlyServerDnsRecords", "NetrChainSetClientAttributes",
    ],
  },
  '338cd001-2244-31f1-aaaa-900038001003': {
    name: "winreg",
    spec: "MS-RRP 3.1.5",
    ops: [
      "OpenClassesRoot", "OpenCurrentUser", "OpenLocalMachine", "OpenPerformanceData", "OpenUsers",
      "BaseRegCloseKey", "BaseRegCreateKey", "BaseRegDeleteKey", "BaseRegDeleteValue", "BaseRegEnumKey",
      "BaseRegEnumValue", "BaseRegFlushKey", "BaseRegGetKeySecurity", "BaseRegLoadKey",
      "BaseRegNotifyChangeKeyValue", "BaseRegOpenKey", "BaseRegQueryInfoKey", "BaseRegQueryValue",
      "BaseRegReplaceKey", "BaseRegRestoreKey", "BaseRegSaveKey", "BaseRegSetKeySecurity", "BaseRegSetValue",
      "BaseRegUnLoadKey", "BaseInitiateSystemShutdown", "BaseAbortSystemShutdown", "BaseRegGetVersion",
      "OpenCurrentConfig", "OpenDynData", "BaseRegQueryMultipleValues", "BaseInitiateSystemShutdownEx",
      "BaseRegSaveKeyEx", "OpenPerformanceText", "OpenPerformanceNlsText", "BaseRegQueryMultipleValues2",
      "BaseRegDeleteKeyEx",
    ],
  },
  '4b324fc8-1670-01d3-1278-5a47bf6ee188': {
    name: "srvsvc",
    spec: "MS-SRVS 3.1.4",
    ops: [
      "NetrCharDevEnum", "NetrCharDevGetInfo", "NetrCharDevControl", "NetrCharDevQEnum", "NetrCharDevQGetInfo",
      "NetrCharDevQSetInfo", "NetrCharDevQPurge", "NetrCharDevQPurgeSelf", "NetrConnectionEnum", "NetrFileEnum",
      "NetrFileGetInfo", "NetrFileClose", "NetrSessionEnum", "NetrSessionDel", "NetrShareAdd", "NetrShareEnum",
      "NetrShareGetInfo", "NetrShareSetInfo", "NetrShareDel", "NetrShareDelSticky", "NetrShareCheck",
      "NetrServerGetInfo", "NetrServerSetInfo", "NetrServerDiskEnum", "NetrServerStatisticsGet",
      "NetrServerTransportAdd", "NetrServerTransportEnum", "NetrServerTransportDel", "NetrRemoteTOD",
      "NetrServerSetServiceBits", "NetprPathType", "NetprPathCanonicalize", "NetprPathCompare", "NetprNameValidate",
      "NetprNameCanonicalize", "NetprNameCompare", "NetrShareEnumSticky", "NetrShareDelStart", "NetrShareDelCommit",
      "NetrpGetFileSecurity", "NetrpSetFileSecurity", "NetrServerTransportAddEx", "NetrServerSetServiceBitsEx",
      "NetrDfsGetVersion", "NetrDfsCreateLocalPartition", "NetrDfsDeleteLocalPartition",
      "NetrDfsSetLocalVolumeState", "NetrDfsSetServerInfo", "NetrDfsCreateExitPoint", "NetrDfsDeleteExitPoint",
      "NetrDfsModifyPrefix", "NetrDfsFixLocalVolume", "NetrDfsManagerReportSiteInfo", "NetrServerTransportDelEx",
      "NetrServerAliasAdd", "NetrServerAliasEnum", "NetrServerAliasDel", "NetrShareDelEx",
    ],
  },
  '6bffd098-a112-3610-9833-46c3f87e345a': {
    name: "wkssvc",
    spec: "MS-WKST 3.2.4",
    ops: [
      "NetrWkstaGetInfo", "NetrWkstaSetInfo", "NetrWkstaUserEnum", "NetrWkstaUserGetInfo", "NetrWkstaUserSetInfo",
      "NetrWkstaTransportEnum", "NetrWkstaTransportAdd", "NetrWkstaTransportDel", "NetrUseAdd", "NetrUseGetInfo",
      "NetrUseDel", "NetrUseEnum", "NetrMessageBufferSend", "NetrWorkstationStatisticsGet", "NetrLogonDomainNameAdd",
      "NetrLogonDomainNameDel", "NetrJoinDomain", "NetrUnjoinDomain", "NetrValidateName",
      "NetrRenameMachineInDomain", "NetrGetJoinInformation", "NetrGetJoinableOUs", "NetrJoinDomain2",
      "NetrUnjoinDomain2", "NetrRenameMachineInDomain2", "NetrValidateName2", "NetrGetJoinableOUs2",
      "NetrAddAlternateComputerName", "NetrRemoveAlternateComputerName", "NetrSetPrimaryComputerName",
      "NetrEnumerateComputerNames", "NetrWorkstationResetDfsCache",
    ],
  },
  '12345678-1234-abcd-ef00-0123456789ab': {
    name: "spoolss",
    spec: "MS-RPRN 3.1.4",
    ops: [
      "RpcEnumPrinters", "RpcOpenPrinter", "RpcSetJob", "RpcGetJob", "RpcEnumJobs", "RpcAddPrinter",
      "RpcDeletePrinter", "RpcSetPrinter", "RpcGetPrinter", "RpcAddPrinterDriver", "RpcEnumPrinterDrivers",
      "RpcGetPrinterDriver", "RpcGetPrinterDriverDirectory", "RpcDeletePrinterDriver", "RpcAddPrintProcessor",
      "RpcEnumPrintProcessors", "RpcGetPrintProcessorDirectory", "RpcStartDocPrinter", "RpcStartPagePrinter",
      "RpcWritePrinter", "RpcEndPagePrinter", "RpcAbortPrinter", "RpcReadPrinter", "RpcEndDocPrinter", "RpcAddJob",
      "RpcScheduleJob", "RpcGetPrinterData", "RpcSetPrinterData", "RpcWaitForPrinterChange", "RpcClosePrinter",
      "RpcAddForm", "RpcDeleteForm", "RpcGetForm", "RpcSetForm", "RpcEnumForms", "RpcEnumPorts", "RpcEnumMonitors",
      "RpcAddPort", "RpcConfigurePort", "RpcDeletePort", "RpcCreatePrinterIC", "RpcPlayGdiScriptOnPrinterIC",
      "RpcDeletePrinterIC", "RpcAddPrinterConnection", "RpcDeletePrinterConnection", "RpcPrinterMessageBox",
      "RpcAddMonitor", "RpcDeleteMonitor", "RpcDeletePrintProcessor", "RpcAddPrintProvidor",
      "RpcDeletePrintProvidor", "RpcEnumPrintProcessorDatatypes", "RpcResetPrinter", "RpcGetPrinterDriver2",
      "RpcClientFindFirstPrinterChangeNotification", "RpcFindNextPrinterChangeNotification",
      "RpcFindClosePrinterChangeNotification", "RpcRouterFindFirstPrinterChangeNotificationOld",
      "RpcReplyOpenPrinter", "RpcRouterReplyPrinter", "RpcReplyClosePrinter", "RpcAddPortEx",
      "RpcRemoteFindFirstPrinterChangeNotification", "RpcSpoolerInit", "RpcResetPrinterEx",
      "RpcRemoteFindFirstPrinterChangeNotificationEx", "RpcRouterReplyPrinterEx",
      "RpcRouterRefreshPrinterChangeNotification", "RpcSetAllocFailCount", "RpcOpenPrinterEx", "RpcAddPrinterEx",
      "RpcSetPort", "RpcEnumPrinterData", "RpcDeletePrinterData", "RpcClusterSplOpen", "RpcClusterSplClose",
      "RpcClusterSplIsAlive", "RpcSetPrinterDataEx", "RpcGetPrinterDataEx", "RpcEnumPrinterDataEx",
      "RpcEnumPrinterKey", "RpcDeletePrinterDataEx", "RpcDeletePrinterKey", "RpcSeekPrinter",
      "RpcDeletePrinterDriverEx", "RpcAddPerMachineConnection", "RpcDeletePerMachineConnection",
      "RpcEnumPerMachineConnections", "RpcXcvData", "RpcAddPrinterDriverEx", null, "RpcGetSpoolFileInfo",
      "RpcCommitSpoolData", "RpcCloseSpoolFileHandle", "RpcFlushPrinter", "RpcSendRecvBidiData",
      "RpcAddDriverCatalog", "RpcAddPrinterConnection2", "RpcDeletePrinterConnection2",
      "RpcInstallPrinterDriverFromPackage", "RpcUploadPrinterDriverPackage", "RpcGetCorePrinterDrivers",
      "RpcCorePrinterDriverInstalled", "RpcGetPrinterDriverPackagePath", "RpcReportJobProcessingProgress",
    ],
  },
  '76f03f96-cdfd-44fc-a22c-64950a001209': {
    name: "IRemoteWinspool",
    spec: "MS-PAR 3.1.4",
    ops: [
      "RpcAsyncOpenPrinter", "RpcAsyncAddPrinter", "RpcAsyncSetJob", "RpcAsyncGetJob", "RpcAsyncEnumJobs",
      "RpcAsyncAddJob", "RpcAsyncScheduleJob", "RpcAsyncDeletePrinter", "RpcAsyncSetPrinter", "RpcAsyncGetPrinter",
      "RpcAsyncStartDocPrinter", "RpcAsyncStartPagePrinter", "RpcAsyncWritePrinter", "RpcAsyncEndPagePrinter",
      "RpcAsyncEndDocPrinter", "RpcAsyncAbortPrinter", "RpcAsyncGetPrinterData", "RpcAsyncGetPrinterDataEx",
      "RpcAsyncSetPrinterData", "RpcAsyncSetPrinterDataEx", "RpcAsyncClosePrinter", "RpcAsyncAddForm",
      "RpcAsyncDeleteForm", "RpcAsyncGetForm", "RpcAsyncSetForm", "RpcAsyncEnumForms", "RpcAsyncGetPrinterDriver",
      "RpcAsyncEnumPrinterData", "RpcAsyncEnumPrinterDataEx", "RpcAsyncEnumPrinterKey", "RpcAsyncDeletePrinterData",
      "RpcAsyncDeletePrinterDataEx", "RpcAsyncDeletePrinterKey", "RpcAsyncXcvData", "RpcAsyncSendRecvBidiData",
      "RpcAsyncCreatePrinterIC", "RpcAsyncPlayGdiScriptOnPrinterIC", "RpcAsyncDeletePrinterIC",
      "RpcAsyncEnumPrinters", "RpcAsyncAddPrinterDriver", "RpcAsyncEnumPrinterDrivers",
      "RpcAsyncGetPrinterDriverDirectory", "RpcAsyncDeletePrinterDriver", "RpcAsyncDeletePrinterDriverEx",
      "RpcAsyncAddPrintProcessor", "RpcAsyncEnumPrintProcessors", "RpcAsyncGetPrintProcessorDirectory",
      "RpcAsyncEnumPorts", "RpcAsyncEnumMonitors", "RpcAsyncAddPort", "RpcAsyncSetPort", "RpcAsyncAddMonitor",
      "RpcAsyncDeleteMonitor", "RpcAsyncDeletePrintProcessor", "RpcAsyncEnumPrintProcessorDatatypes",
      "RpcAsyncAddPerMachineConnection", "RpcAsyncDeletePerMachineConnection", "RpcAsyncEnumPerMachineConnections",
      "RpcSyncRegisterForRemoteNotifications", "RpcSyncUnRegisterForRemoteNotifications",
      "RpcSyncRefreshRemoteNotifications", "RpcAsyncGetRemoteNotifications",
      "RpcAsyncInstallPrinterDriverFromPackage", "RpcAsyncUploadPrinterDriverPackage",
      "RpcAsyncGetCorePrinterDrivers", "RpcAsyncCorePrinterDriverInstalled", "RpcAsyncGetPrinterDriverPackagePath",
      "RpcAsyncDeletePrinterDriverPackage", "RpcAsyncReadPrinter", "RpcAsyncResetPrinter",
      "RpcAsyncGetJobNamedPropertyValue", "RpcAsyncSetJobNamedProperty", "RpcAsyncDeleteJobNamedProperty",
      "RpcAsyncEnumJobNamedProperties", "RpcAsyncLogJobInfoForBranchOffice",
    ],
  },
  '82273fdc-e32a-18c3-3f78-827929dc23ea': {
    name: "eventlog",
    spec: "MS-EVEN 3.1.4",
    ops: [
      "ElfrClearELFW", "ElfrBackupELFW", "ElfrCloseEL", "ElfrDeregisterEventSource", "ElfrNumberOfRecords",
      "ElfrOldestRecord", "ElfrChangeNotify", "ElfrOpenELW", "ElfrRegisterEventSourceW", "ElfrOpenBELW",
      "ElfrReadELW", "ElfrReportEventW", "ElfrClearELFA", "ElfrBackupELFA", "ElfrOpenELA",
      "ElfrRegisterEventSourceA", "ElfrOpenBELA", "ElfrReadELA", "ElfrReportEventA", "ElfrRegisterClusterSvc",
      "ElfrDeregisterClusterSvc", "ElfrWriteClusterEvents", "ElfrGetLogInformation", "ElfrFlushEL",
      "ElfrReportEventAndSourceW",
    ],
  },
  '894de0c0-0d55-11d3-a322-00c04fa321a1': {
    name: "InitShutdown",
    spec: "MS-RSP 3.2.4",
    ops: [
      "BaseInitiateShutdown", "BaseAbortShutdown", "BaseInitiateShutdownEx",
    ],
  },
  'd95afe70-a6d5-4259-822e-2c84da1ddb0d': {
    name: "WindowsShutdown",
    spec: "MS-RSP 3.2.4.4",
    ops: [
      "WsdrInitiateShutdown", "WsdrAbortShutdown",
    ],
  },
  '3919286a-b10c-11d0-9ba8-00c04fd92ef5': {
    name: "dssetup",
    spec: "MS-DSSP 3.2.5",
    ops: [
      "DsRolerGetPrimaryDomainInformation", "DsRolerDnsNameToFlatName", "DsRolerDcAsDc", "DsRolerDcAsReplica",
      "DsRolerDemoteDc", "DsRolerGetDcOperationProgress", "DsRolerGetDcOperationResults", "DsRolerCancel",
      "DsRolerServerSaveStateForUpgrade", "DsRolerUpgradeDownlevelServer", "DsRolerAbortDownlevelServerUpgrade",
    ],
  },
  '3dde7c30-165d-11d1-ab8f-00805f14db40': {
    name: "BackupKey",
    spec: "MS-BKRP 3.1.4",
    ops: [
      "BackuprKey",
    ],
  },
  '91ae6020-9e3c-11cf-8d7c-00aa00c091be': {
    name: "ICertPassage",
    spec: "MS-ICPR 3.2.4",
    ops: [
      "CertServerRequest",
    ],
  },
  'c681d488-d850-11d0-8c52-00c04fd90f7e': { name: 'efsrpc', spec: "MS-EFSR 3.1.4.2 (over \\pipe\\lsarpc)", ops: EFSRPC_OPS },
  'df1941c5-fe89-4e79-bf10-463657acf44d': { name: 'efsrpc', spec: "MS-EFSR 3.1.4.2 (over \\pipe\\efsrpc)", ops: EFSRPC_OPS },
  'a8e0653c-2744-4389-a61d-7373df8b2292': {
    name: "FileServerVssAgent",
    spec: "MS-FSRVP 3.1.4",
    ops: [
      "GetSupportedVersion", "SetContext", "StartShadowCopySet", "AddToShadowCopySet", "CommitShadowCopySet",
      "ExposeShadowCopySet", "RecoveryCompleteShadowCopySet", "AbortShadowCopySet", "IsPathSupported",
      "IsPathShadowCopied", "GetShareMapping", "DeleteShareMapping", "PrepareShadowCopySet",
    ],
  },
  '50abc2a4-574d-40b3-9d66-ee4fd5fba076': {
    name: "dnsserver",
    spec: "MS-DNSP 3.1.4",
    ops: [
      "DnssrvOperation", "DnssrvQuery", "DnssrvComplexOperation", "DnssrvEnumRecords", "DnssrvUpdateRecord",
      "DnssrvOperation2", "DnssrvQuery2", "DnssrvComplexOperation2", "DnssrvEnumRecords2", "DnssrvUpdateRecord2",
    ],
  },
  '4fc742e0-4a10-11cf-8273-00aa004ae673': {
    name: "netdfs",
    spec: "MS-DFSNM 3.1.4",
    ops: [
      "NetrDfsManagerGetVersion", "NetrDfsAdd", "NetrDfsRemove", "NetrDfsSetInfo", "NetrDfsGetInfo", "NetrDfsEnum",
      "NetrDfsRename", "NetrDfsMove", "NetrDfsManagerGetConfigInfo", "NetrDfsManagerSendSiteInfo",
      "NetrDfsAddFtRoot", "NetrDfsRemoveFtRoot", "NetrDfsAddStdRoot", "NetrDfsRemoveStdRoot",
      "NetrDfsManagerInitialize", "NetrDfsAddStdRootForced", "NetrDfsGetDcAddress", "NetrDfsSetDcAddress",
      "NetrDfsFlushFtTable", "NetrDfsAdd2", "NetrDfsRemove2", "NetrDfsEnumEx", "NetrDfsSetInfo2",
    ],
  },
  '8d9f4e40-a03d-11ce-8f69-08003e30051b': { name: "pnp", spec: "MS-PNPR 3.1.4", ops: [] },
  '6bffd098-a112-3610-9833-012892020162': {
    name: "browser",
    spec: "MS-BRWSA 3.1.4",
    ops: [
      "BrowserrServerEnum", "BrowserrDebugCall", "BrowserrQueryOtherDomains", "BrowserrResetNetlogonState",
      "BrowserrDebugTrace", "BrowserrQueryStatistics", "BrowserrResetStatistics", "NetrBrowserStatisticsClear",
      "NetrBrowserStatisticsGet", "BrowserrSetNetlogonState", "BrowserrQueryEmulatedDomains", "BrowserrServerEnumEx",
    ],
  },
  '000001a0-0000-0000-c000-000000000046': {
    name: "IRemoteSCMActivator",
    spec: "MS-DCOM 3.1.2.5.2.3 (Wireshark: ISystemActivator)",
    ops: [
      "QueryInterface", "AddRef", "Release", "RemoteGetClassObject", "RemoteCreateInstance",
    ],
  },
  '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57': {
    name: "IActivation",
    spec: "MS-DCOM 3.1.2.5.2.3.1",
    ops: [
      "RemoteActivation",
    ],
  },
  '99fcfec4-5260-101b-bbcb-00aa0021347a': {
    name: "IObjectExporter",
    spec: "MS-DCOM 3.1.2.5.1",
    ops: [
      "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2", "ServerAlive2",
    ],
  },
  '00000131-0000-0000-c000-000000000046': {
    name: "IRemUnknown",
    spec: "MS-DCOM 3.1.1.5.6",
    ops: [
      "QueryInterface", "AddRef", "Release", "RemQueryInterface", "RemAddRef", "RemRelease",
    ],
  },
  '00000143-0000-0000-c000-000000000046': {
    name: "IRemUnknown2",
    spec: "MS-DCOM 3.1.1.5.7",
    ops: [
      "QueryInterface", "AddRef", "Release", "RemQueryInterface", "RemAddRef", "RemRelease", "RemQueryInterface2",
    ],
  },
  'f309ad18-d86a-11d0-a075-00c04fb68820': {
    name: "IWbemLevel1Login",
    spec: "MS-WMI 3.1.4.1",
    ops: [
      "QueryInterface", "AddRef", "Release", "EstablishPosition", "RequestChallenge", "WBEMLogin", "NTLMLogin",
    ],
  },
  '9556dc99-828c-11cf-a37e-00aa003240c7': {
    name: "IWbemServices",
    spec: "MS-WMI 3.1.4.3",
    ops: [
      "QueryInterface", "AddRef", "Release", "OpenNamespace", "CancelAsyncCall", "QueryObjectSink", "GetObject",
      "GetObjectAsync", "PutClass", "PutClassAsync", "DeleteClass", "DeleteClassAsync", "CreateClassEnum",
      "CreateClassEnumAsync", "PutInstance", "PutInstanceAsync", "DeleteInstance", "DeleteInstanceAsync",
      "CreateInstanceEnum", "CreateInstanceEnumAsync", "ExecQuery", "ExecQueryAsync", "ExecNotificationQuery",
      "ExecNotificationQueryAsync", "ExecMethod", "ExecMethodAsync",
    ],
  },
  '027947e1-d731-11ce-a357-000000000001': {
    name: "IEnumWbemClassObject",
    spec: "MS-WMI 3.1.4.4",
    ops: [
      "QueryInterface", "AddRef", "Release", "Reset", "Next", "NextAsync", "Clone", "Skip",
    ],
  },
  '44aca674-e8fc-11d0-a07c-00c04fb68820': { name: "IWbemContext", spec: "MS-WMI 2.2.13", ops: [] },
  'd4781cd6-e5d3-44df-ad94-930efe48a887': {
    name: "IWbemLoginClientID",
    spec: "MS-WMI 3.1.4.13",
    ops: [
      "QueryInterface", "AddRef", "Release", "SetClientInfo",
    ],
  },
  '423ec01e-2e35-11d2-b604-00104b703efd': {
    name: "IWbemWCOSmartEnum",
    spec: "MS-WMI 3.1.4.7",
    ops: [
      "QueryInterface", "AddRef", "Release", "Next",
    ],
  },
  '1c1c45ee-4395-11d2-b60b-00104b703efd': {
    name: "IWbemFetchSmartEnum",
    spec: "MS-WMI 3.1.4.6",
    ops: [
      "QueryInterface", "AddRef", "Release", "GetSmartEnum",
    ],
  },
  '44aca675-e8fc-11d0-a07c-00c04fb68820': {
    name: "IWbemCallResult",
    spec: "MS-WMI 3.1.4.5",
    ops: [
      "QueryInterface", "AddRef", "Release", "GetResultObject", "GetResultString", "GetResultServices",
      "GetCallStatus",
    ],
  },
  '7c857801-7381-11cf-884d-00aa004b2e24': {
    name: "IWbemObjectSink",
    spec: "MS-WMI 3.1.4.2",
    ops: [
      "QueryInterface", "AddRef", "Release", "Indicate", "SetStatus",
    ],
  },
  'a4f1db00-ca47-1067-b31f-00dd010662da': {
    name: "exchange_mapi",
    spec: "MS-OXCRPC 3.1.4",
    ops: [
      "EcDoConnect", "EcDoDisconnect", "EcDoRpc", "EcGetMoreRpc", "EcRRegisterPushNotification",
      "EcRUnregisterPushNotification", "EcDummyRpc", "EcRGetDCName", "EcRNetGetDCName", "EcDoRpcExt",
      "EcDoConnectEx", "EcDoRpcExt2", null, null, "EcDoAsyncConnectEx",
    ],
  },
  'f5cc5a18-4264-101a-8c59-08002b2f8426': {
    name: "nspi",
    spec: "MS-NSPI 3.1.4",
    ops: [
      "NspiBind", "NspiUnbind", "NspiUpdateStat", "NspiQueryRows", "NspiSeekEntries", "NspiGetMatches",
      "NspiResortRestriction", "NspiDNToMId", "NspiGetPropList", "NspiGetProps", "NspiCompareMIds", "NspiModProps",
      "NspiGetSpecialTable", "NspiGetTemplateInfo", "NspiModLinkAtt", null, "NspiQueryColumns",
      "NspiGetNamesFromIDs", "NspiGetIDsFromNames", "NspiResolveNames", "NspiResolveNamesW",
    ],
  },
  '1544f5e0-613c-11d1-93df-00c04fd7bd09': {
    name: "exchange_rfr",
    spec: "MS-OXABREF 3.1.4",
    ops: [
      "RfrGetNewDSA", "RfrGetFQDNFromServerDN",
    ],
  },
  '5261574a-4572-206e-b268-6b199213b4e4': {
    name: "AsyncEMSMDB",
    spec: "MS-OXCRPC 3.3.4",
    ops: [
      "EcDoAsyncWaitEx",
    ],
  },
};

/**
 * Named pipe -> the interface most commonly bound on it, used only when the bind was not seen
 * (capture started mid-connection). Pipe names are lower-case without the `\pipe\` prefix.
 */
export const PIPE_DEFAULT_INTERFACE: Readonly<Record<string, string>> = {
  svcctl: '367abb81-9844-35f1-ad32-98f038001003',
  atsvc: '1ff70682-0a51-30e8-076d-740be8cee98b',
  samr: '12345778-1234-abcd-ef00-0123456789ac',
  lsarpc: '12345778-1234-abcd-ef00-0123456789ab',
  lsass: '12345778-1234-abcd-ef00-0123456789ab',
  netlogon: '12345678-1234-abcd-ef00-01234567cffb',
  winreg: '338cd001-2244-31f1-aaaa-900038001003',
  srvsvc: '4b324fc8-1670-01d3-1278-5a47bf6ee188',
  wkssvc: '6bffd098-a112-3610-9833-46c3f87e345a',
  spoolss: '12345678-1234-abcd-ef00-0123456789ab',
  eventlog: '82273fdc-e32a-18c3-3f78-827929dc23ea',
  epmapper: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
  efsrpc: 'df1941c5-fe89-4e79-bf10-463657acf44d',
  netdfs: '4fc742e0-4a10-11cf-8273-00aa004ae673',
  initshutdown: '894de0c0-0d55-11d3-a322-00c04fa321a1',
  fssagentrpc: 'a8e0653c-2744-4389-a61d-7373df8b2292',
};
