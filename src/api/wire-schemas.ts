/** The API's wire schemas (JSON Schema): request bodies the server checks, replies the tests check. */
import type { JsonSchema, SchemaRegistry } from './schema.js';
import { ERROR_CODES } from './errors.js';
import { STORAGE_SCHEMAS } from './storage-schemas.js';
import { STATS_SCHEMAS } from './stats-schemas.js';
import { TUNING_SCHEMAS } from './tuning-schemas.js';
import { IOTHREAD_SCHEMAS } from './iothread-schemas.js';
import { SNAPSHOT_SCHEMAS } from './snapshot-schemas.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): JsonSchema => (description === undefined ? { type: 'string' } : { type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description?: string): JsonSchema => (description === undefined ? { type: 'integer', minimum: 0 } : { type: 'integer', minimum: 0, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

/** blkdeviotune's settings by libvirt's names (conf/domain-iotune.ts has the same list, in the same order). */
const IOTUNE_PROPS: Record<string, JsonSchema> = Object.fromEntries([
  'total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec', 'total_iops_sec', 'read_iops_sec', 'write_iops_sec',
  'total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max', 'total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max',
  'size_iops_sec', 'total_bytes_sec_max_length', 'read_bytes_sec_max_length', 'write_bytes_sec_max_length',
  'total_iops_sec_max_length', 'read_iops_sec_max_length', 'write_iops_sec_max_length',
].map((k) => [k, int('bytes or operations per second, burst maxima, or burst lengths in seconds; 0: none')]));

const IFTUNE_RATE = (floor: boolean): JsonSchema => obj({
  average: int('kilobytes per second; 0: none'),
  peak: int('kilobytes per second at most, in bursts; 0: none'),
  burst: int('kibibytes sent at peak at most; 0: none'),
  ...(floor ? { floor: int('kilobytes per second guaranteed (needs a network with <bandwidth>); 0: none') } : {}),
}, ['average', 'peak', 'burst']);

export const SCHEMAS: SchemaRegistry = {
  Error: obj({
    error: obj({
      code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'stable error code (docs/errors.md)' },
      message: str('one sentence a user can act on'),
      hint: str('what to try instead'),
    }, ['code', 'message']),
  }),
  DomainSummary: obj({
    id: nullable(int('runtime id while active')),
    name: str(),
    uuid: str(),
    state: { type: 'string', enum: ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'] },
    reason: str("virsh's reason, e.g. 'booted', 'user', 'destroyed'"),
    persistent: bool('has a persistent config'),
    autostart: bool('starts with the daemon'),
    managedSave: bool('has a managed-save image'),
    hasSnapshot: bool('has snapshots'),
    title: str(),
    osType: { type: 'string', enum: ['hvm'] },
    vcpus: int(),
    maxMemoryKiB: int(),
    usedMemoryKiB: int(),
    cpuTimeNs: int('CPU time used by the running guest, ns'),
  }),
  HostInfo: obj({
    version: str('vireo version'),
    versionNumber: int(),
    hypervisor: nullable(obj({ name: { type: 'string', enum: ['QEMU'] }, version: str(), versionNumber: int() })),
    hostname: str(),
    uri: str('canonical URI of this daemon'),
    kvm: obj({ usable: bool('ordinary guests can run under KVM'), reason: nullable(str('why not')) }),
  }),
  DefineRequest: obj({ xml: str('libvirt domain XML'), validate: bool("check the XML against libvirt's RelaxNG schema first") }, ['xml']),
  CreateRequest: obj({ xml: str('libvirt domain XML'), paused: bool('leave the guest paused'), validate: bool("check against libvirt's RelaxNG schema first") }, ['xml']),
  DomxmlToNativeRequest: obj({ format: str("only 'qemu-argv'"), xml: str('domain XML'), domain: str('or: a defined domain') }, ['format']),
  NativeResponse: obj({ native: str('the QEMU command line') }),
  StartRequest: obj({ paused: bool('leave the guest paused'), forceBoot: bool('boot afresh, discarding a managed-save image') }, []),
  DestroyRequest: obj({ graceful: bool('SIGTERM only, never SIGKILL') }, []),
  ShutdownRequest: obj({ mode: str("'acpi' (others need a guest agent)") }, []),
  AutostartRequest: obj({ enabled: bool('start with the daemon') }),
  EmptyRequest: obj({}, []),
  XmlResponse: obj({ xml: str() }),
  ConsoleTail: obj({ data: str('recent serial output, base64') }),
  NodeInfo: obj({
    model: str("the CPU architecture, e.g. 'x86_64'"),
    cpus: int('online CPUs'),
    mhz: int('CPU frequency'),
    nodes: int('NUMA cells'),
    sockets: int('CPU sockets per NUMA cell'),
    cores: int('cores per socket'),
    threads: int('threads per core'),
    memoryKiB: int('memory of all NUMA cells'),
  }),
  NodeCpuStats: obj({ user: int('ns, nice included'), system: int('ns, interrupts included'), idle: int('ns'), iowait: int('ns') }),
  NodeMemStats: obj({ total: int('KiB'), free: int('KiB'), buffers: int('KiB (host only)'), cached: int('KiB (host only)') }, ['total', 'free']),
  FreeCell: obj({ cell: int('NUMA cell'), freeKiB: int() }),
  MaxVcpus: obj({ max: int() }),
  HostCheck: obj({
    check: str("what was checked, printed after 'Checking '"),
    result: { type: 'string', enum: ['PASS', 'WARN', 'FAIL'] },
    advice: str('for WARN and FAIL: what it means or how to fix it'),
  }, ['check', 'result']),
  DomainBlockInfo: obj({
    target: str("guest device name, e.g. 'vda'"),
    capacity: nullable(int('bytes the guest sees')),
    allocation: nullable(int('bytes the host holds for the image')),
    physical: nullable(int('size of the host file or device')),
  }),
  DomainDevices: obj({
    disks: { type: 'array', items: obj({
      type: { type: 'string', enum: ['file', 'block', 'volume', 'network'] },
      device: { type: 'string', enum: ['disk', 'cdrom', 'floppy'] },
      target: str("guest device name, e.g. 'vda'"),
      bus: str(),
      source: nullable(str("host path, a volume disk's volume name or an iSCSI disk's 'IQN/LUN'; null for an empty drive")),
      pool: str("a volume disk's pool"),
      readonly: bool('read-only to the guest'),
    }, ['type', 'device', 'target', 'bus', 'source', 'readonly']) },
    interfaces: { type: 'array', items: obj({
      name: nullable(str('host tap device; null for type user or before the guest runs')),
      type: { type: 'string', enum: ['user', 'network', 'bridge', 'ethernet'] },
      source: nullable(str('network or bridge name')),
      model: str(),
      mac: str(),
    }) },
    graphics: { type: 'array', items: obj({
      type: { type: 'string', enum: ['vnc', 'spice'] },
      listen: str(),
      port: nullable(int('null: an automatic port not picked yet')),
      tlsPort: int(),
      passwd: str('only with security-info=1'),
    }, ['type', 'listen', 'port']) },
  }),
  DomainJob: obj({
    job: nullable(obj({
      name: str("e.g. 'start'"), kind: { type: 'string', enum: ['short', 'long'] }, elapsedMs: int(),
      progress: nullable(obj({ processed: int('work done, in bytes for save'), total: int('work in all') })),
    })),
    waiting: int('jobs queued behind it'),
  }),
  DescriptionResponse: obj({ text: nullable(str('null when there is none')) }),
  DescriptionRequest: obj({
    title: bool('the title rather than the description'),
    text: str('the new text; empty removes it'),
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
  }, ['text']),
  MetadataRequest: obj({
    uri: str('the namespace URI'),
    key: str('the namespace prefix to store it with (needed to set)'),
    xml: nullable(str('one XML element; null removes the namespace')),
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
  }, ['uri', 'xml']),
  RenameRequest: obj({ name: str('the new name') }),
  SaveRequest: obj({
    file: str('the image to write (a path on the daemon host; an existing file is replaced)'),
    xml: str('domain XML to store instead of the live one; it must describe the same guest'),
    running: bool('restore resumes the guest'),
    paused: bool('restore leaves the guest paused'),
    bypassCache: bool("virsh's --bypass-cache (accepted; the image is synced to disk in any case)"),
  }, ['file']),
  DumpRequest: obj({
    file: str('the dump file (a path on the daemon host)'),
    memoryOnly: bool('dump the memory only, as ELF or kdump (else QEMU\'s migration stream)'),
    format: str('with memoryOnly: elf (default), kdump-zlib, kdump-lzo or kdump-snappy'),
    live: bool('do not pause the guest during the dump'),
    crash: bool('shut the guest off (reason crashed) after the dump'),
    reset: bool('reset the guest after the dump'),
    bypassCache: bool("virsh's --bypass-cache (accepted; the file is synced to disk in any case)"),
  }, ['file']),
  ManagedSaveRequest: obj({
    running: bool('start resumes the guest'),
    paused: bool('start leaves the guest paused'),
    bypassCache: bool("virsh's --bypass-cache (accepted; the image is synced to disk in any case)"),
  }, []),
  RestoreRequest: obj({
    file: str('the save image (a path on the daemon host)'),
    xml: str('domain XML to restore with instead of the image\'s; it must describe the same guest'),
    running: bool('resume the guest whatever the image says'),
    paused: bool('leave the guest paused whatever the image says'),
    bypassCache: bool("virsh's --bypass-cache (accepted)"),
  }, ['file']),
  SaveImageDefineRequest: obj({
    file: str('the save image (save-image-define only)'),
    xml: str('the new domain XML; it must describe the same guest'),
    running: bool('restore resumes the guest'),
    paused: bool('restore leaves the guest paused'),
  }, ['xml']),
  DeviceRequest: obj({
    xml: str("one device as libvirt XML (<interface>, <disk>, <rng> or <watchdog>)"),
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
  }, ['xml']),
  DeviceResult: obj({
    device: str("the device's kind, e.g. 'interface'"),
    alias: nullable(str("the device id in the running guest, e.g. 'net1'")),
    mac: nullable(str("a NIC's MAC address")),
    pending: bool('detach: the guest has not let the device go yet; a device-removed event follows when it does'),
  }),
  BlockResizeRequest: obj({
    disk: str('the disk: its target (vda) or its source path'),
    bytes: int('the new size in bytes (rounded up to whole 512-byte sectors)'),
  }),
  IfTuneInfo: obj({ inbound: IFTUNE_RATE(true), outbound: IFTUNE_RATE(false) }),
  IfTuneRequest: obj({
    iface: str('the NIC: its host tap name (vnet0) or its MAC'),
    inbound: IFTUNE_RATE(true),
    outbound: IFTUNE_RATE(false),
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
  }, ['iface']),
  IoTuneInfo: obj({ ...IOTUNE_PROPS, group_name: str("the throttle group ('' for none)") }),
  IoTuneRequest: obj({
    disk: str('the disk: its target (vda) or its source path'),
    values: obj({ ...IOTUNE_PROPS, group_name: str("the throttle group ('' removes it)") }, []),
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
  }, ['disk', 'values']),
  BlockThresholdRequest: obj({
    disk: str('the disk: its target (vda) or its source path'),
    bytes: int('the offset in the image whose first write past it is reported; 0 disarms'),
  }),
  Done: obj({}, []),
  MemoryRequest: obj({
    kib: int('the new size, KiB'),
    live: bool('change the running guest (through its balloon)'),
    config: bool('change the stored definition'),
  }, ['kib']),
  VcpuRequest: obj({
    count: int('the number of vCPUs'),
    live: bool('plug or unplug vCPUs of the running guest'),
    config: bool('change the stored definition'),
    maximum: bool('change the maximum (stored definition only)'),
    guest: bool('through the guest agent (refused: no agent support yet)'),
    hotpluggable: bool('make added vCPUs hot-(un)pluggable (they always are)'),
  }, ['count']),
  NodeMemoryParameters: obj(Object.fromEntries([
    'shm_pages_to_scan', 'shm_sleep_millisecs', 'shm_pages_shared', 'shm_pages_sharing', 'shm_pages_unshared',
    'shm_pages_volatile', 'shm_full_scans', 'shm_merge_across_nodes',
  ].map((k) => [k, nullable(int(`/sys/kernel/mm/ksm/${k.slice(4)}; null when this host has no such file`))]))),
  NodeMemoryTuneRequest: obj({
    shm_pages_to_scan: int('pages KSM scans before it sleeps'),
    shm_sleep_millisecs: int('how long KSM sleeps between scans, ms'),
    shm_merge_across_nodes: int('1: merge pages of different NUMA nodes, 0: not'),
  }, []),
  DomainIfAddr: obj({
    name: str("the host tap, '-' for none"),
    mac: str(),
    addrs: { type: 'array', items: obj({ type: { type: 'string', enum: ['ipv4', 'ipv6'] }, addr: str(), prefix: int() }) },
  }),
  LinkRequest: obj({
    interface: str('the host tap name or the MAC of the NIC'),
    state: { type: 'string', enum: ['up', 'down'] },
    config: bool('change the stored definition instead of the running guest'),
  }, ['interface', 'state']),
  LinkState: obj({ interface: str(), state: { type: 'string', enum: ['up', 'down'] } }),
  NetworkSummary: obj({
    name: str(),
    uuid: str(),
    active: bool('running: its bridge (and dnsmasq) are up'),
    persistent: bool('has a persistent config'),
    autostart: bool('starts with the daemon'),
    bridge: nullable(str('the host bridge')),
  }),
  NetworkDefineRequest: obj({ xml: str('libvirt network XML') }),
  NetworkUpdateRequest: obj({
    command: { type: 'string', enum: ['add', 'add-first', 'add-last', 'delete', 'modify'] },
    section: str("e.g. 'ip-dhcp-host', 'dns-host'"),
    xml: str('the element to add, delete or modify'),
    parentIndex: int('which <ip> the section belongs to'),
    live: bool('change the running network'),
    config: bool('change the stored definition'),
  }, ['command', 'section', 'xml']),
  NetworkLease: obj({
    expiryTime: int('seconds since the epoch; 0: never expires'),
    mac: str(),
    type: { type: 'string', enum: ['ipv4', 'ipv6'] },
    ip: str(),
    prefix: int(),
    hostname: nullable(str()),
    clientId: nullable(str()),
  }),
  InterfaceSummary: obj({
    name: str(),
    type: { type: 'string', enum: ['ethernet', 'bridge', 'bond', 'vlan'] },
    mac: nullable(str()),
    active: bool('the device exists and is up'),
    persistent: bool('vireod has a config for it'),
  }),
  InterfaceDefineRequest: obj({ xml: str('libvirt interface XML') }),
  InterfaceBridgeRequest: obj({
    bridge: str('the new bridge'),
    stp: bool('enable STP'),
    delay: { type: 'number', minimum: 0, description: 'forward delay in seconds' },
  }, ['bridge', 'stp']),
  NetworkEvent: obj({
    type: { type: 'string', enum: ['network-lifecycle'] },
    network: obj({ name: str(), uuid: str() }),
    event: str("'Defined', 'Undefined', 'Started' or 'Stopped'"),
    timestamp: int('ms since the epoch'),
  }),
  ...STORAGE_SCHEMAS,
  ...STATS_SCHEMAS,
  ...TUNING_SCHEMAS,
  ...IOTHREAD_SCHEMAS,
  ...SNAPSHOT_SCHEMAS,
  Event: { anyOf: [ref('DomainEvent'), ref('NetworkEvent'), ref('PoolEvent')] },
  DomainEvent: obj({
    type: { type: 'string', enum: ['lifecycle', 'reboot', 'device-added', 'device-removed', 'balloon-change', 'tunable', 'block-threshold'] },
    domain: obj({ name: str(), uuid: str(), id: nullable(int()) }),
    actualKiB: int("balloon-change: the guest's memory now, KiB"),
    event: str("e.g. 'Started'"),
    detail: str("e.g. 'Booted'"),
    device: str("device-added, device-removed: the device id, e.g. 'net1'; block-threshold: the disk's target, e.g. 'vda'"),
    path: str("block-threshold: the disk's image"),
    threshold: int('block-threshold: the threshold crossed, in bytes'),
    excess: int('block-threshold: how many bytes the write went past it'),
    params: { type: 'array', items: { type: 'array', items: str() }, description: "tunable: the changed parameters as [name, value] pairs, e.g. ['cputune.cpu_shares', '700']" },
    timestamp: int('ms since the epoch'),
  }, ['type', 'domain', 'timestamp']),
};

