/** The one place where error codes become HTTP statuses. */
import type { ErrorCode } from '../api/errors.js';

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_ARG':
    case 'XML_SYNTAX':
    case 'XML_INVALID':
    case 'XML_UNSUPPORTED':
      return 400;
    case 'XML_TOO_LARGE':
    case 'REQUEST_TOO_LARGE':
      return 413;
    case 'OPERATION_DENIED':
      return 403;
    case 'NO_DOMAIN':
    case 'NO_DOMAIN_SNAPSHOT':
    case 'NO_NETWORK':
    case 'NO_INTERFACE':
    case 'DEVICE_MISSING':
    case 'NO_STORAGE_POOL':
    case 'NO_STORAGE_VOL':
    case 'NOT_FOUND':
      return 404;
    case 'DOMAIN_EXISTS':
    case 'NETWORK_EXISTS':
    case 'MULTIPLE_INTERFACES':
    case 'STORAGE_POOL_EXISTS':
    case 'STORAGE_VOL_EXISTS':
    case 'STORAGE_POOL_BUILT':
    case 'OPERATION_INVALID':
    case 'VOLUME_IN_USE':
    case 'VOLUME_INCOMPLETE':
    case 'JOB_BUSY':
    case 'OPERATION_ABORTED':
      return 409;
    case 'NO_SPACE':
      return 507;
    case 'NO_SUPPORT':
    case 'ARGUMENT_UNSUPPORTED':
    case 'CONFIG_UNSUPPORTED':
    case 'KVM_UNAVAILABLE':
    case 'STORAGE_MISSING':
    case 'SAVE_IMAGE_INVALID':
      return 422;
    case 'OPERATION_FAILED':
    case 'STORAGE_FAILED':
    case 'QEMU_FAILED':
    case 'QMP_ERROR':
    case 'MONITOR_TIMEOUT':
    case 'AGENT_UNRESPONSIVE':
    case 'INTERNAL':
    case 'DAEMON_UNREACHABLE':
    case 'PROTOCOL':
      return 500;
  }
}
