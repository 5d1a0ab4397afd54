/**
 * The API contract, declared once: every route with its id, method, path, access, query
 * parameters (typed), request and reply schemas. It is the source of docs/openapi.json
 * (scripts/gen-openapi.mjs), of the server's routing, request and query checks (server/ binds
 * one handler to each id), and of the response checks in the tests.
 */
import { SCHEMAS } from './wire-schemas.js';
import { STORAGE_ROUTES } from './storage-routes.js';
import { SAVE_IMAGE_ROUTES, SAVE_ROUTES } from './save-routes.js';
import { STATS_ROUTES } from './stats-routes.js';
import { IOTHREAD_ROUTES } from './iothread-routes.js';
import { SNAPSHOT_ROUTES } from './snapshot-routes.js';

export { SCHEMAS };

/**
 * A query parameter: 'flag' is 0 or 1 (absent: 0), 'integer' a non-negative decimal, 'string'
 * any text (or one of `enum`). Anything undeclared, malformed or repeated is INVALID_ARG.
 */
export interface QueryParam {
  name: string;
  type: 'flag' | 'integer' | 'string';
  enum?: readonly string[];
  required?: boolean;
  description: string;
}

export interface RouteSpec {
  /** Stable name of the operation: handlers are bound to it, errors and docs name it. */
  id: string;
  method: 'GET' | 'POST' | 'DELETE';
  /**
   * 'write' when the route changes anything (a guest, a config, the host): the read-only socket
   * refuses it. Declared per route, never guessed from the method (domxml-to-native is a POST
   * that changes nothing).
   */
  access: 'read' | 'write';
  /** Query flags that, set to 1, need the read-write socket (e.g. security-info, which shows passwords). */
  secretQuery?: readonly string[];
  /** For a 'write' route: the query flag that, set to 1, makes it read-only (console attach ?readonly=1). */
  readOnlyQuery?: string;
  /** OpenAPI path template; `{ref}` is a domain id, UUID or name. */
  path: string;
  summary: string;
  request?: string;
  /**
   * 'bytes' when the request body is a byte stream rather than JSON (vol-upload): raw bytes
   * (application/octet-stream) or, with ?sparse=1, the framed sparse stream
   * (api/volume-stream.ts); the server streams it to disk, outside the JSON body cap.
   */
  requestBody?: 'bytes';
  response: string;
  /**
   * 'array' when the reply is a list of `response`; 'ndjson' for a stream of them; 'upgrade' only
   * by HTTP Upgrade; 'bytes' for a byte stream (vol-download: raw bytes, or with ?sparse=1 the
   * framed sparse stream), `response` being then the error a refusal carries.
   */
  shape?: 'array' | 'ndjson' | 'upgrade' | 'bytes';
  /**
   * The HTTP Upgrade protocols the route accepts: 'websocket' (RFC 6455, for browsers: text
   * frames of JSON events, binary frames of console bytes) and 'vireo-console' (raw bytes after
   * the 101, the CLI's: no framing to pay for).
   */
  upgrades?: readonly ('websocket' | 'vireo-console')[];
  query?: readonly QueryParam[];
}

const D = '/v1/domains/{ref}';
const N = '/v1/networks/{ref}';
const I = '/v1/interfaces/{ref}';

const DECLARED = [
  { id: 'host.info', access: 'read', method: 'GET', path: '/v1/host', summary: 'versions, hostname, URI and KVM usability of this host', response: 'HostInfo' },
  { id: 'host.nodeinfo', access: 'read', method: 'GET', path: '/v1/host/nodeinfo', summary: 'CPU topology and memory of the host (nodeinfo)', response: 'NodeInfo' },
  { id: 'host.cpustats', access: 'read', method: 'GET', path: '/v1/host/cpustats', summary: 'cumulative CPU times of the host (nodecpustats)', response: 'NodeCpuStats', query: [{ name: 'cpu', type: 'integer', description: 'one CPU instead of all' }] },
  { id: 'host.memstats', access: 'read', method: 'GET', path: '/v1/host/memstats', summary: 'memory of the host (nodememstats)', response: 'NodeMemStats', query: [{ name: 'cell', type: 'integer', description: 'one NUMA cell instead of the host' }] },
  { id: 'host.memoryParameters', access: 'read', method: 'GET', path: '/v1/host/memory-parameters', summary: "the host's KSM settings and counters (node-memory-tune)", response: 'NodeMemoryParameters' },
  { id: 'host.setMemoryParameters', access: 'write', method: 'POST', path: '/v1/host/memory-parameters', summary: "change the host's KSM settings (node-memory-tune)", request: 'NodeMemoryTuneRequest', response: 'NodeMemoryParameters' },
  { id: 'host.freecells', access: 'read', method: 'GET', path: '/v1/host/freecells', summary: 'free memory of every NUMA cell (freecell)', response: 'FreeCell', shape: 'array' },
  { id: 'host.maxvcpus', access: 'read', method: 'GET', path: '/v1/host/maxvcpus', summary: 'the most vCPUs a guest may have (maxvcpus)', response: 'MaxVcpus', query: [{ name: 'type', type: 'string', description: 'kvm or qemu' }] },
  { id: 'host.capabilities', access: 'read', method: 'GET', path: '/v1/host/capabilities', summary: "libvirt's capabilities XML; the kvm domain type only where KVM can run ordinary guests", response: 'XmlResponse' },
  {
    id: 'host.domcapabilities', access: 'read',
    method: 'GET', path: '/v1/host/domcapabilities', summary: "libvirt's domain capabilities XML", response: 'XmlResponse',
    query: [
      { name: 'virttype', type: 'string', description: 'kvm or qemu (default: kvm where usable)' },
      { name: 'emulator', type: 'string', description: 'the emulator binary' },
      { name: 'arch', type: 'string', description: 'the guest architecture' },
      { name: 'machine', type: 'string', description: 'the machine type, e.g. q35' },
    ],
  },
  { id: 'host.sysinfo', access: 'read', method: 'GET', path: '/v1/host/sysinfo', summary: "the host's SMBIOS data as libvirt's sysinfo XML", response: 'XmlResponse' },
  { id: 'host.validate', access: 'read', method: 'GET', path: '/v1/host/validate', summary: "virt-host-validate's and kvm-ok's checks of this host", response: 'HostCheck', shape: 'array' },
  { id: 'domain.list', access: 'read', method: 'GET', path: '/v1/domains', summary: 'every domain', response: 'DomainSummary', shape: 'array' },
  { id: 'domain.define', access: 'write', method: 'POST', path: '/v1/domains', summary: 'define (or redefine) a domain from XML', request: 'DefineRequest', response: 'DomainSummary' },
  { id: 'domain.create', access: 'write', method: 'POST', path: '/v1/domains/create', summary: 'start a transient domain from XML', request: 'CreateRequest', response: 'DomainSummary' },
  ...SAVE_IMAGE_ROUTES,
  { id: 'domain.toNative', access: 'read', method: 'POST', path: '/v1/domxml-to-native', summary: 'the QEMU command line for a domain', request: 'DomxmlToNativeRequest', response: 'NativeResponse' },
  { id: 'domain.get', access: 'read', method: 'GET', path: D, summary: 'one domain', response: 'DomainSummary' },
  {
    id: 'domain.undefine', access: 'write',
    method: 'DELETE', path: D, summary: 'undefine (a running domain becomes transient)', response: 'DomainSummary',
    query: [
      { name: 'nvram', type: 'flag', description: "1: remove a UEFI guest's NVRAM (one of nvram/keep-nvram is required for UEFI guests)" },
      { name: 'keep-nvram', type: 'flag', description: "1: keep a UEFI guest's NVRAM file" },
      { name: 'keep-tpm', type: 'flag', description: 'keep the emulated TPM state (removed otherwise)' },
      { name: 'managed-save', type: 'flag', description: 'remove the managed-save image (refused while one exists otherwise)' },
      { name: 'snapshots-metadata', type: 'flag', description: "remove the snapshots' metadata (a shut-off domain with snapshots is refused otherwise)" },
    ],
  },
  {
    id: 'domain.xml', access: 'read', secretQuery: ['security-info'],
    method: 'GET', path: `${D}/xml`, summary: 'the domain XML', response: 'XmlResponse',
    query: [
      { name: 'inactive', type: 'flag', description: 'the persistent config rather than the live definition' },
      { name: 'security-info', type: 'flag', description: 'include passwords' },
      { name: 'update-cpu', type: 'flag', description: 'the CPU as the guest sees it' },
    ],
  },
  { id: 'domain.consoleTail', access: 'read', method: 'GET', path: `${D}/console`, summary: 'recent serial console output (of the last run when shut off)', response: 'ConsoleTail', query: [{ name: 'devname', type: 'string', description: 'console0 or serialN' }] },
  { id: 'domain.start', access: 'write', method: 'POST', path: `${D}/start`, summary: 'start a defined domain', request: 'StartRequest', response: 'DomainSummary' },
  { id: 'domain.destroy', access: 'write', method: 'POST', path: `${D}/destroy`, summary: 'stop at once', request: 'DestroyRequest', response: 'DomainSummary' },
  { id: 'domain.shutdown', access: 'write', method: 'POST', path: `${D}/shutdown`, summary: 'press the ACPI power button; returns at once', request: 'ShutdownRequest', response: 'DomainSummary' },
  { id: 'domain.reboot', access: 'write', method: 'POST', path: `${D}/reboot`, summary: 'power button, then reset + cont when the guest powers off', request: 'ShutdownRequest', response: 'DomainSummary' },
  { id: 'domain.reset', access: 'write', method: 'POST', path: `${D}/reset`, summary: 'reset at once', request: 'EmptyRequest', response: 'DomainSummary' },
  { id: 'domain.suspend', access: 'write', method: 'POST', path: `${D}/suspend`, summary: 'pause the vCPUs', request: 'EmptyRequest', response: 'DomainSummary' },
  { id: 'domain.resume', access: 'write', method: 'POST', path: `${D}/resume`, summary: 'continue a paused domain', request: 'EmptyRequest', response: 'DomainSummary' },
  { id: 'domain.autostart', access: 'write', method: 'POST', path: `${D}/autostart`, summary: 'mark or unmark for start with the daemon', request: 'AutostartRequest', response: 'DomainSummary' },
  {
    id: 'domain.devices', access: 'read', secretQuery: ['security-info'],
    method: 'GET', path: `${D}/devices`, summary: 'disks, interfaces and displays (domblklist, domiflist, domdisplay)', response: 'DomainDevices',
    query: [
      { name: 'inactive', type: 'flag', description: 'those of the stored definition' },
      { name: 'security-info', type: 'flag', description: 'include display passwords' },
    ],
  },
  {
    id: 'domain.blockInfo', access: 'read', method: 'GET', path: `${D}/blockinfo`, shape: 'array', response: 'DomainBlockInfo',
    summary: "disks' capacity, allocation and physical size (domblkinfo): a running guest's from QEMU, a shut-off one's from its files",
    query: [{ name: 'device', type: 'string', description: 'only this disk (target or source path); without it every disk, null sizes where unknown' }],
  },
  {
    id: 'domain.ifaddr', access: 'read', method: 'GET', path: `${D}/ifaddr`, summary: "the guest NICs' addresses (domifaddr)", response: 'DomainIfAddr', shape: 'array',
    query: [{ name: 'source', type: 'string', enum: ['lease', 'arp', 'agent'], description: "where from: the network's DHCP leases (default), the host's ARP table, or the guest agent" }],
  },
  {
    id: 'domain.getLink', access: 'read', method: 'GET', path: `${D}/link`, summary: 'the link state of a guest NIC (domif-getlink)', response: 'LinkState',
    query: [
      { name: 'interface', type: 'string', required: true, description: 'the host tap name or the MAC' },
      { name: 'config', type: 'flag', description: 'of the stored definition' },
    ],
  },
  { id: 'domain.setLink', access: 'write', method: 'POST', path: `${D}/link`, summary: 'set the link of a guest NIC up or down (domif-setlink)', request: 'LinkRequest', response: 'Done' },
  { id: 'domain.attachDevice', access: 'write', method: 'POST', path: `${D}/devices/attach`, summary: 'plug a device into the running guest and/or add it to the stored definition (attach-device, attach-interface)', request: 'DeviceRequest', response: 'DeviceResult' },
  { id: 'domain.detachDevice', access: 'write', method: 'POST', path: `${D}/devices/detach`, summary: 'unplug a device (waits up to 5 s for the guest) and/or remove it from the stored definition (detach-device, detach-interface)', request: 'DeviceRequest', response: 'DeviceResult' },
  {
    id: 'domain.tuning', access: 'read', method: 'GET', path: `${D}/tuning`, response: 'DomainTuning',
    summary: "the guest's resource tuning: CPU scheduler, memory limits, block I/O, NUMA memory, pinning (schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin)",
    query: [
      { name: 'live', type: 'flag', description: "the running guest's (read from its cgroup)" },
      { name: 'config', type: 'flag', description: 'the stored definition\'s' },
    ],
  },
  { id: 'domain.setTuning', access: 'write', method: 'POST', path: `${D}/tuning`, summary: 'change resource tuning in the running guest\'s cgroup and/or the stored definition; answers with the tuning after the change', request: 'TuningChange', response: 'DomainTuning' },
  { id: 'domain.updateDevice', access: 'write', method: 'POST', path: `${D}/devices/update`, summary: "change a device in place: a NIC's link state or network (update-device)", request: 'DeviceRequest', response: 'DeviceResult' },
  { id: 'domain.setMemory', access: 'write', method: 'POST', path: `${D}/memory`, summary: "change the guest's current memory: the balloon target live, <currentMemory> in the config (setmem)", request: 'MemoryRequest', response: 'Done' },
  { id: 'domain.setMaxMemory', access: 'write', method: 'POST', path: `${D}/maxmemory`, summary: 'change the maximum memory of the stored definition (setmaxmem); refused live', request: 'MemoryRequest', response: 'Done' },
  { id: 'domain.setVcpus', access: 'write', method: 'POST', path: `${D}/vcpus`, summary: 'plug or unplug vCPUs of the running guest and/or change the counts of the stored definition (setvcpus)', request: 'VcpuRequest', response: 'Done' },
  { id: 'domain.blockResize', access: 'write', method: 'POST', path: `${D}/blockresize`, summary: "resize a running guest's disk image; the guest sees the new size (blockresize)", request: 'BlockResizeRequest', response: 'Done' },
  { id: 'domain.blockThreshold', access: 'write', method: 'POST', path: `${D}/blockthreshold`, summary: "be told (block-threshold event) when a running guest's disk image is written past a size (domblkthreshold)", request: 'BlockThresholdRequest', response: 'Done' },
  {
    id: 'domain.ioTune', access: 'read', method: 'GET', path: `${D}/iotune`, summary: "a disk's I/O limits: QEMU's in the running guest, or the stored definition's (blkdeviotune)", response: 'IoTuneInfo',
    query: [
      { name: 'disk', type: 'string', required: true, description: 'the disk: its target (vda) or its source path' },
      { name: 'live', type: 'flag', description: 'of the running guest' },
      { name: 'config', type: 'flag', description: 'of the stored definition' },
    ],
  },
  {
    id: 'domain.ifTune', access: 'read', method: 'GET', path: `${D}/iftune`, summary: "a NIC's bandwidth limits: the running guest's, or the stored definition's (domiftune)", response: 'IfTuneInfo',
    query: [
      { name: 'iface', type: 'string', required: true, description: 'the NIC: its host tap name (vnet0) or its MAC' },
      { name: 'live', type: 'flag', description: 'of the running guest' },
      { name: 'config', type: 'flag', description: 'of the stored definition' },
    ],
  },
  { id: 'domain.setIfTune', access: 'write', method: 'POST', path: `${D}/iftune`, summary: "change a NIC's bandwidth limits (tc on its tap) in the running guest and/or the stored definition (domiftune)", request: 'IfTuneRequest', response: 'Done' },
  { id: 'domain.setIoTune', access: 'write', method: 'POST', path: `${D}/iotune`, summary: "change a disk's I/O limits in the running guest and/or the stored definition (blkdeviotune)", request: 'IoTuneRequest', response: 'Done' },
  { id: 'domain.job', access: 'read', method: 'GET', path: `${D}/job`, summary: 'the job a running domain is busy with (domjobinfo, domcontrol)', response: 'DomainJob' },
  ...SAVE_ROUTES,
  { id: 'domain.jobAbort', access: 'write', method: 'POST', path: `${D}/job/abort`, summary: 'abort the long job a domain runs (domjobabort)', request: 'EmptyRequest', response: 'Done' },
  {
    id: 'domain.description', access: 'read',
    method: 'GET', path: `${D}/description`, summary: 'the title or description (desc)', response: 'DescriptionResponse',
    query: [
      { name: 'title', type: 'flag', description: 'the title' },
      { name: 'live', type: 'flag', description: 'of the running guest' },
      { name: 'config', type: 'flag', description: 'of the stored definition' },
    ],
  },
  { id: 'domain.setDescription', access: 'write', method: 'POST', path: `${D}/description`, summary: 'set or remove the title or description', request: 'DescriptionRequest', response: 'DescriptionResponse' },
  {
    id: 'domain.metadata', access: 'read',
    method: 'GET', path: `${D}/metadata`, summary: 'the metadata element of one namespace (metadata)', response: 'XmlResponse',
    query: [
      { name: 'uri', type: 'string', required: true, description: 'the namespace URI' },
      { name: 'live', type: 'flag', description: 'of the running guest' },
      { name: 'config', type: 'flag', description: 'of the stored definition' },
    ],
  },
  { id: 'domain.setMetadata', access: 'write', method: 'POST', path: `${D}/metadata`, summary: 'set or remove the metadata element of one namespace', request: 'MetadataRequest', response: 'Done' },
  { id: 'domain.rename', access: 'write', method: 'POST', path: `${D}/rename`, summary: 'rename a shut-off persistent domain (domrename)', request: 'RenameRequest', response: 'DomainSummary' },
  {
    id: 'domain.consoleAttach', access: 'write', readOnlyQuery: 'readonly',
    method: 'GET', path: `${D}/console/attach`, response: 'Error', shape: 'upgrade', upgrades: ['vireo-console', 'websocket'],
    summary: "with 'Upgrade: websocket', binary frames of console bytes both ways; with 'Upgrade: vireo-console', raw bytes after the 101 (one interactive reader; ?force=1 takes over)",
    query: [
      { name: 'devname', type: 'string', description: 'console0 or serialN' },
      { name: 'readonly', type: 'flag', description: 'watch only' },
      { name: 'force', type: 'flag', description: 'take over from the interactive reader' },
      { name: 'replay', type: 'flag', description: 'send recent output first' },
    ],
  },
  { id: 'network.list', access: 'read', method: 'GET', path: '/v1/networks', summary: 'every virtual network (net-list)', response: 'NetworkSummary', shape: 'array' },
  { id: 'network.define', access: 'write', method: 'POST', path: '/v1/networks', summary: 'define (or redefine) a network from XML (net-define)', request: 'NetworkDefineRequest', response: 'NetworkSummary' },
  { id: 'network.create', access: 'write', method: 'POST', path: '/v1/networks/create', summary: 'start a transient network from XML (net-create)', request: 'NetworkDefineRequest', response: 'NetworkSummary' },
  { id: 'network.get', access: 'read', method: 'GET', path: N, summary: 'one network (net-info); ref is a name or UUID', response: 'NetworkSummary' },
  { id: 'network.undefine', access: 'write', method: 'DELETE', path: N, summary: 'undefine (an active network becomes transient)', response: 'NetworkSummary' },
  {
    id: 'network.xml', access: 'read', method: 'GET', path: `${N}/xml`, summary: 'the network XML (net-dumpxml)', response: 'XmlResponse',
    query: [{ name: 'inactive', type: 'flag', description: 'the persistent config rather than the live definition' }],
  },
  { id: 'network.start', access: 'write', method: 'POST', path: `${N}/start`, summary: 'start a defined network: bridge, firewall, dnsmasq (net-start)', request: 'EmptyRequest', response: 'NetworkSummary' },
  { id: 'network.destroy', access: 'write', method: 'POST', path: `${N}/destroy`, summary: 'stop a network (net-destroy)', request: 'EmptyRequest', response: 'NetworkSummary' },
  { id: 'network.autostart', access: 'write', method: 'POST', path: `${N}/autostart`, summary: 'mark or unmark for start with the daemon (net-autostart)', request: 'AutostartRequest', response: 'NetworkSummary' },
  { id: 'network.update', access: 'write', method: 'POST', path: `${N}/update`, summary: 'add, delete or modify a part of the definition (net-update)', request: 'NetworkUpdateRequest', response: 'Done' },
  {
    id: 'network.leases', access: 'read', method: 'GET', path: `${N}/leases`, summary: 'the DHCP leases dnsmasq gave out (net-dhcp-leases)', response: 'NetworkLease', shape: 'array',
    query: [{ name: 'mac', type: 'string', description: 'only the leases of this MAC' }],
  },
  { id: 'interface.list', access: 'read', method: 'GET', path: '/v1/interfaces', summary: "the host's interfaces (not bridge or bond ports) and the configs (iface-list)", response: 'InterfaceSummary', shape: 'array' },
  { id: 'interface.define', access: 'write', method: 'POST', path: '/v1/interfaces', summary: 'define (or change) a host interface config from XML (iface-define)', request: 'InterfaceDefineRequest', response: 'InterfaceSummary' },
  { id: 'interface.get', access: 'read', method: 'GET', path: I, summary: 'one interface; ref is a name, else a MAC address (iface-name, iface-mac)', response: 'InterfaceSummary' },
  { id: 'interface.undefine', access: 'write', method: 'DELETE', path: I, summary: 'forget a config; the device stays as it is (iface-undefine)', response: 'InterfaceSummary' },
  {
    id: 'interface.xml', access: 'read', method: 'GET', path: `${I}/xml`, summary: 'what the kernel has of the interface, as interface XML (iface-dumpxml)', response: 'XmlResponse',
    query: [{ name: 'inactive', type: 'flag', description: 'the config rather than the live state' }],
  },
  { id: 'interface.start', access: 'write', method: 'POST', path: `${I}/start`, summary: 'apply a config to the host (iface-start)', request: 'EmptyRequest', response: 'InterfaceSummary' },
  { id: 'interface.destroy', access: 'write', method: 'POST', path: `${I}/destroy`, summary: 'take an interface down; a bridge gives its ports their addresses back (iface-destroy)', request: 'EmptyRequest', response: 'InterfaceSummary' },
  { id: 'interface.bridge', access: 'write', method: 'POST', path: `${I}/bridge`, summary: "define a bridge that takes this interface as its port, with its addresses (iface-bridge; start it with interface.start)", request: 'InterfaceBridgeRequest', response: 'InterfaceSummary' },
  { id: 'interface.unbridge', access: 'write', method: 'POST', path: `${I}/unbridge`, summary: "take a bridge down, forget it and define its port with the bridge's addressing (iface-unbridge); replies with the port", request: 'EmptyRequest', response: 'InterfaceSummary' },
  { id: 'interface.begin', access: 'write', method: 'POST', path: '/v1/interface-transaction/begin', summary: 'snapshot the interface configs and which are active (iface-begin)', request: 'EmptyRequest', response: 'Done' },
  { id: 'interface.commit', access: 'write', method: 'POST', path: '/v1/interface-transaction/commit', summary: 'keep the changes and drop the snapshot (iface-commit)', request: 'EmptyRequest', response: 'Done' },
  { id: 'interface.rollback', access: 'write', method: 'POST', path: '/v1/interface-transaction/rollback', summary: 'restore the snapshot: configs and live state (iface-rollback)', request: 'EmptyRequest', response: 'Done' },
  ...STORAGE_ROUTES,
  ...STATS_ROUTES,
  ...IOTHREAD_ROUTES,
  ...SNAPSHOT_ROUTES,
  {
    id: 'events', access: 'read', method: 'GET', path: '/v1/events', response: 'Event', shape: 'ndjson', upgrades: ['websocket'],
    summary: "lifecycle events as they happen, one JSON object a line; with 'Upgrade: websocket', one JSON object a text frame",
  },
] as const satisfies readonly RouteSpec[];

/** The id of a route: handlers are bound to these (server/handlers), one each. */
export type RouteId = (typeof DECLARED)[number]['id'];

/** Every route of the API. */
export const ROUTES: ReadonlyArray<RouteSpec & { id: RouteId }> = DECLARED;

/** A matched route: its spec and its path parameters, still percent-encoded. */
export interface RouteMatch {
  spec: RouteSpec & { id: RouteId };
  params: Record<string, string>;
}

const SEGMENTS: ReadonlyArray<readonly string[]> = ROUTES.map((r) => r.path.split('/'));

/**
 * The route serving `method` and `pathname`, with its path parameters (`{ref}` -> segment).
 * Segments are compared one by one: a parameter matches any non-empty segment.
 */
export function matchRoute(method: string, pathname: string): RouteMatch | undefined {
  const parts = pathname.split('/');
  outer: for (const [i, r] of ROUTES.entries()) {
    if (r.method !== method) continue;
    const template = SEGMENTS[i]!;
    if (template.length !== parts.length) continue;
    const params: Record<string, string> = {};
    for (const [k, t] of template.entries()) {
      const part = parts[k]!;
      if (t.startsWith('{') && t.endsWith('}')) {
        if (part === '') continue outer;
        params[t.slice(1, -1)] = part;
      } else if (t !== part) continue outer;
    }
    return { spec: r, params };
  }
  return undefined;
}

/** The spec of the route serving `method` and `pathname`, if any. */
export function findRoute(method: string, pathname: string): (RouteSpec & { id: RouteId }) | undefined {
  return matchRoute(method, pathname)?.spec;
}
