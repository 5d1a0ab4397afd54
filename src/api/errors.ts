/**
 * The one error type of vireo and the registry of its stable codes.
 *
 * Every failure a user can see carries one of these codes; the API sends it as
 * `{ "error": { "code", "message", "hint"? } }` and the CLI prints the message
 * the way virsh would. docs/errors.md lists every code (a test keeps it complete).
 * This module imports nothing, so every layer may use it.
 */

/** Stable error codes with their one-line meaning (the doc line is the contract). */
export const ERROR_CODES = {
  INTERNAL: 'An unexpected failure inside vireo; the message says where.',
  INVALID_ARG: 'A request argument is missing, malformed or out of range.',
  XML_SYNTAX: 'The XML document is not well-formed.',
  XML_INVALID: 'The XML is well-formed but a value is wrong or a required part is missing.',
  XML_UNSUPPORTED: 'The XML uses an element, attribute or value vireo does not support.',
  XML_TOO_LARGE: 'The XML document is larger than vireo reads: over 4 MiB, 256 levels of nesting or 50,000 elements.',
  REQUEST_TOO_LARGE: 'The request body is larger than vireod reads (9 MiB); the connection is closed after the reply.',
  NO_DOMAIN: 'No domain has the given name, UUID or id.',
  DOMAIN_EXISTS: 'A domain with that name or UUID already exists.',
  NO_NETWORK: 'No virtual network has the given name or UUID.',
  NETWORK_EXISTS: 'A virtual network with that name or UUID already exists.',
  NO_INTERFACE: 'No host interface (device or config) has the given name or MAC address.',
  MULTIPLE_INTERFACES: 'More than one host interface has the given MAC address; name one instead.',
  NO_DOMAIN_SNAPSHOT: 'The domain has no snapshot with the given name, or no current snapshot.',
  DEVICE_MISSING: 'The domain has no device matching the one given (detach-device, update-device).',
  NO_STORAGE_POOL: 'No storage pool has the given name or UUID.',
  STORAGE_POOL_EXISTS: 'A storage pool with that name or UUID already exists, or another pool uses the same storage.',
  NO_STORAGE_VOL: 'No storage volume has the given name, key or path.',
  STORAGE_VOL_EXISTS: 'A storage volume with that name already exists in the pool.',
  STORAGE_POOL_BUILT: 'pool-build found storage already on the device (a file system, partition table or LVM signature); --overwrite replaces it.',
  STORAGE_FAILED: "A storage operation on the host failed; the message names the file and the system's reason.",
  VOLUME_IN_USE: 'The storage volume is a disk of a running guest of this daemon; deleting, wiping, shrinking or uploading into it would change that disk under the guest.',
  VOLUME_INCOMPLETE: 'An upload into the storage volume was cut off: its content is part old, part new; upload it again, wipe it or delete it.',
  OPERATION_INVALID: 'The operation is not valid in the domain\'s current state.',
  OPERATION_FAILED: 'The operation was attempted and failed.',
  JOB_BUSY: 'Another job is running on the domain and conflicts with this one.',
  OPERATION_ABORTED: 'The operation was cut short before it finished, e.g. by a destroy of the domain.',
  SAVE_IMAGE_INVALID: 'The file is not a complete vireo save image: foreign, truncated, or cut short while it was written; QEMU could not load it.',
  NO_SPACE: 'A file could not be written because its file system is full (or a quota is reached); nothing was changed.',
  NO_SUPPORT: 'The host or hypervisor cannot do what was asked.',
  CONFIG_UNSUPPORTED: 'The host or vireo cannot provide the configuration asked for.',
  KVM_UNAVAILABLE: 'The domain asks for KVM, but this host cannot run ordinary guests under KVM.',
  QEMU_FAILED: 'QEMU could not be started or stopped responding.',
  QMP_ERROR: 'QEMU rejected a monitor command.',
  MONITOR_TIMEOUT: 'QEMU\'s monitor did not answer in time; QEMU may be hung or stopped.',
  STORAGE_MISSING: 'A disk, kernel or other file the domain needs does not exist.',
  ARGUMENT_UNSUPPORTED: 'The request asks for something this hypervisor or domain does not have (e.g. --guest without a guest agent channel, memtune\'s min_guarantee under QEMU).',
  AGENT_UNRESPONSIVE: 'The guest agent does not answer (vireo has no guest agent connection yet).',
  OPERATION_DENIED: 'The connection may not do this, e.g. a change over the read-only socket (libvirt\'s "operation forbidden").',
  NOT_FOUND: 'The API resource does not exist.',
  DAEMON_UNREACHABLE: 'The client cannot reach the vireod daemon.',
  PROTOCOL: 'The daemon and client disagree about the wire protocol.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * What each code's messages start with: libvirt's words for its error kinds (virsh users and
 * their scripts know them), '' where vireo's messages carry none. Build messages with
 * VireoError.of(code, detail) so that the prefix comes from here, never spelled at a call site.
 */
export const MESSAGE_PREFIXES: { readonly [C in ErrorCode]: string } = {
  INTERNAL: 'internal error: ',
  INVALID_ARG: 'invalid argument: ',
  XML_SYNTAX: '',
  XML_INVALID: '',
  XML_UNSUPPORTED: '',
  XML_TOO_LARGE: '',
  REQUEST_TOO_LARGE: '',
  NO_DOMAIN: 'Domain not found: ',
  NO_DOMAIN_SNAPSHOT: 'Domain snapshot not found: ',
  DOMAIN_EXISTS: 'operation failed: ',
  NO_NETWORK: 'Network not found: ',
  NETWORK_EXISTS: 'operation failed: ',
  NO_INTERFACE: 'Interface not found: ',
  MULTIPLE_INTERFACES: 'multiple matching interfaces found: ',
  DEVICE_MISSING: 'device not found: ',
  NO_STORAGE_POOL: 'Storage pool not found: ',
  STORAGE_POOL_EXISTS: 'operation failed: ',
  NO_STORAGE_VOL: 'Storage volume not found: ',
  STORAGE_VOL_EXISTS: '',
  STORAGE_POOL_BUILT: 'Storage pool already built: ',
  STORAGE_FAILED: '',
  VOLUME_IN_USE: 'Requested operation is not valid: ',
  VOLUME_INCOMPLETE: 'Requested operation is not valid: ',
  OPERATION_INVALID: 'Requested operation is not valid: ',
  OPERATION_FAILED: 'operation failed: ',
  JOB_BUSY: '',
  OPERATION_ABORTED: 'operation aborted: ',
  SAVE_IMAGE_INVALID: 'operation failed: ',
  NO_SPACE: '',
  NO_SUPPORT: '',
  CONFIG_UNSUPPORTED: 'unsupported configuration: ',
  KVM_UNAVAILABLE: '',
  QEMU_FAILED: '',
  QMP_ERROR: 'internal error: ',
  MONITOR_TIMEOUT: 'Timed out during operation: ',
  STORAGE_MISSING: '',
  NOT_FOUND: '',
  ARGUMENT_UNSUPPORTED: 'argument unsupported: ',
  AGENT_UNRESPONSIVE: 'Guest agent is not responding: ',
  OPERATION_DENIED: 'operation forbidden: ',
  DAEMON_UNREACHABLE: '',
  PROTOCOL: '',
};

/** The wire form of an error. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  hint?: string;
}

/** A failure with a stable code, a message a user can act on, an optional hint, and its cause. */
export class VireoError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VireoError';
    this.code = code;
    this.hint = options.hint;
  }

  /** An error whose message is the code's prefix (MESSAGE_PREFIXES) followed by `detail`. */
  static of(code: ErrorCode, detail: string, options: { hint?: string; cause?: unknown } = {}): VireoError {
    return new VireoError(code, MESSAGE_PREFIXES[code] + detail, options);
  }

  toJSON(): ErrorBody {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }

  /** Rebuild an error received over the wire. */
  static fromBody(body: ErrorBody): VireoError {
    const code = body.code in ERROR_CODES ? body.code : 'INTERNAL';
    return new VireoError(code, body.message, body.hint === undefined ? {} : { hint: body.hint });
  }
}

export function isVireoError(e: unknown): e is VireoError {
  return e instanceof VireoError;
}
