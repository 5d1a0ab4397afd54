/**
 * Domain definition + launch paths -> QEMU argv: the builder lives in argv/ (one module per
 * concern); this module is its public face.
 */
export {
  buildQemuArgv,
  checkHostSupport,
  diskId,
  diskNode,
  diskParts,
  blockQdev,
  throttleArgs,
  THROTTLE_NAMES,
  diskIndex,
  expandHostModel,
  isQ35,
  monitorSetup,
  netdevProps,
  nicAlias,
  nicDeviceProps,
  rngDevice,
  inputDevice,
  rngObject,
  scsiControllerDevice,
  TAP_NIC_TYPES,
  usesVhost,
  type HostFacts,
  type LaunchOptions,
  type LaunchPaths,
  type MonitorCommand,
} from './argv/index.js';
export { dimmBackendId, dimmBackendProps, dimmDeviceProps, dimmId } from './argv/memory.js';
