/**
 * The API's routes and wire schemas: the source of docs/openapi.json (scripts/gen-openapi.mjs),
 * of request-body checks in the server, and of the response checks in the tests. A test fails
 * when the server serves a route this table lacks, or when docs/openapi.json drifts from it.
 */
import type { JsonSchema, SchemaRegistry } from './schema.js';
import { ERROR_CODES } from './errors.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): JsonSchema => (description === undefined ? { type: 'string' } : { type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description?: string): JsonSchema => (description === undefined ? { type: 'integer', minimum: 0 } : { type: 'integer', minimum: 0, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

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
  StartRequest: obj({ paused: bool('leave the guest paused') }, []),
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
  DomainDevices: obj({
    disks: { type: 'array', items: obj({
      type: { type: 'string', enum: ['file', 'block'] },
      device: { type: 'string', enum: ['disk', 'cdrom', 'floppy'] },
      target: str("guest device name, e.g. 'vda'"),
      bus: str(),
      source: nullable(str('host path; null for an empty drive')),
      readonly: bool('read-only to the guest'),
    }) },
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
  DomainJob: obj({ job: nullable(obj({ name: str("e.g. 'start'"), kind: { type: 'string', enum: ['short', 'long'] }, elapsedMs: int() })) }),
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
  Done: obj({}, []),
  DomainEvent: obj({
    type: { type: 'string', enum: ['lifecycle', 'reboot'] },
    domain: obj({ name: str(), uuid: str(), id: nullable(int()) }),
    event: str("e.g. 'Started'"),
    detail: str("e.g. 'Booted'"),
    timestamp: int('ms since the epoch'),
  }, ['type', 'domain', 'timestamp']),
};

export interface QueryParam {
  name: string;
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
  response: string;
  /** 'array' when the reply is a list of `response`; 'ndjson' for a stream of them. */
  shape?: 'array' | 'ndjson' | 'upgrade';
  query?: QueryParam[];
}

const D = '/v1/domains/{ref}';

export const ROUTES: readonly RouteSpec[] = [
  { id: 'host.info', access: 'read', method: 'GET', path: '/v1/host', summary: 'versions, hostname, URI and KVM usability of this host', response: 'HostInfo' },
  { id: 'host.nodeinfo', access: 'read', method: 'GET', path: '/v1/host/nodeinfo', summary: 'CPU topology and memory of the host (nodeinfo)', response: 'NodeInfo' },
  { id: 'host.cpustats', access: 'read', method: 'GET', path: '/v1/host/cpustats', summary: 'cumulative CPU times of the host (nodecpustats)', response: 'NodeCpuStats', query: [{ name: 'cpu', description: 'one CPU instead of all' }] },
  { id: 'host.memstats', access: 'read', method: 'GET', path: '/v1/host/memstats', summary: 'memory of the host (nodememstats)', response: 'NodeMemStats', query: [{ name: 'cell', description: 'one NUMA cell instead of the host' }] },
  { id: 'host.freecells', access: 'read', method: 'GET', path: '/v1/host/freecells', summary: 'free memory of every NUMA cell (freecell)', response: 'FreeCell', shape: 'array' },
  { id: 'host.maxvcpus', access: 'read', method: 'GET', path: '/v1/host/maxvcpus', summary: 'the most vCPUs a guest may have (maxvcpus)', response: 'MaxVcpus', query: [{ name: 'type', description: 'kvm or qemu' }] },
  { id: 'host.capabilities', access: 'read', method: 'GET', path: '/v1/host/capabilities', summary: "libvirt's capabilities XML; the kvm domain type only where KVM can run ordinary guests", response: 'XmlResponse' },
  {
    id: 'host.domcapabilities', access: 'read',
    method: 'GET', path: '/v1/host/domcapabilities', summary: "libvirt's domain capabilities XML", response: 'XmlResponse',
    query: [
      { name: 'virttype', description: 'kvm or qemu (default: kvm where usable)' },
      { name: 'emulator', description: 'the emulator binary' },
      { name: 'arch', description: 'the guest architecture' },
      { name: 'machine', description: 'the machine type, e.g. q35' },
    ],
  },
  { id: 'host.sysinfo', access: 'read', method: 'GET', path: '/v1/host/sysinfo', summary: "the host's SMBIOS data as libvirt's sysinfo XML", response: 'XmlResponse' },
  { id: 'host.validate', access: 'read', method: 'GET', path: '/v1/host/validate', summary: "virt-host-validate's and kvm-ok's checks of this host", response: 'HostCheck', shape: 'array' },
  { id: 'domain.list', access: 'read', method: 'GET', path: '/v1/domains', summary: 'every domain', response: 'DomainSummary', shape: 'array' },
  { id: 'domain.define', access: 'write', method: 'POST', path: '/v1/domains', summary: 'define (or redefine) a domain from XML', request: 'DefineRequest', response: 'DomainSummary' },
  { id: 'domain.create', access: 'write', method: 'POST', path: '/v1/domains/create', summary: 'start a transient domain from XML', request: 'CreateRequest', response: 'DomainSummary' },
  { id: 'domain.toNative', access: 'read', method: 'POST', path: '/v1/domxml-to-native', summary: 'the QEMU command line for a domain', request: 'DomxmlToNativeRequest', response: 'NativeResponse' },
  { id: 'domain.get', access: 'read', method: 'GET', path: D, summary: 'one domain', response: 'DomainSummary' },
  {
    id: 'domain.undefine', access: 'write',
    method: 'DELETE', path: D, summary: 'undefine (a running domain becomes transient)', response: 'DomainSummary',
    query: [
      { name: 'nvram', description: "1: remove a UEFI guest's NVRAM (one of nvram/keep-nvram is required for UEFI guests)" },
      { name: 'keep-nvram', description: "1: keep a UEFI guest's NVRAM file" },
      { name: 'keep-tpm', description: '1: keep the emulated TPM state (removed otherwise)' },
    ],
  },
  {
    id: 'domain.xml', access: 'read', secretQuery: ['security-info'],
    method: 'GET', path: `${D}/xml`, summary: 'the domain XML', response: 'XmlResponse',
    query: [
      { name: 'inactive', description: '1: the persistent config rather than the live definition' },
      { name: 'security-info', description: '1: include passwords' },
      { name: 'update-cpu', description: '1: the CPU as the guest sees it' },
    ],
  },
  { id: 'domain.consoleTail', access: 'read', method: 'GET', path: `${D}/console`, summary: 'recent serial console output (of the last run when shut off)', response: 'ConsoleTail', query: [{ name: 'devname', description: 'console0 or serialN' }] },
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
      { name: 'inactive', description: '1: those of the stored definition' },
      { name: 'security-info', description: '1: include display passwords' },
    ],
  },
  { id: 'domain.job', access: 'read', method: 'GET', path: `${D}/job`, summary: 'the job a running domain is busy with (domjobinfo, domcontrol)', response: 'DomainJob' },
  {
    id: 'domain.description', access: 'read',
    method: 'GET', path: `${D}/description`, summary: 'the title or description (desc)', response: 'DescriptionResponse',
    query: [
      { name: 'title', description: '1: the title' },
      { name: 'live', description: '1: of the running guest' },
      { name: 'config', description: '1: of the stored definition' },
    ],
  },
  { id: 'domain.setDescription', access: 'write', method: 'POST', path: `${D}/description`, summary: 'set or remove the title or description', request: 'DescriptionRequest', response: 'DescriptionResponse' },
  {
    id: 'domain.metadata', access: 'read',
    method: 'GET', path: `${D}/metadata`, summary: 'the metadata element of one namespace (metadata)', response: 'XmlResponse',
    query: [
      { name: 'uri', description: 'the namespace URI (required)' },
      { name: 'live', description: '1: of the running guest' },
      { name: 'config', description: '1: of the stored definition' },
    ],
  },
  { id: 'domain.setMetadata', access: 'write', method: 'POST', path: `${D}/metadata`, summary: 'set or remove the metadata element of one namespace', request: 'MetadataRequest', response: 'Done' },
  { id: 'domain.rename', access: 'write', method: 'POST', path: `${D}/rename`, summary: 'rename a shut-off persistent domain (domrename)', request: 'RenameRequest', response: 'DomainSummary' },
  {
    id: 'domain.consoleAttach', access: 'write', readOnlyQuery: 'readonly',
    method: 'GET', path: `${D}/console/attach`, response: 'Error', shape: 'upgrade',
    summary: "with 'Upgrade: vireo-console': after 101, raw console bytes both ways (one interactive reader; ?force=1 takes over)",
    query: [
      { name: 'devname', description: 'console0 or serialN' },
      { name: 'readonly', description: '1: watch only' },
      { name: 'force', description: '1: take over from the interactive reader' },
      { name: 'replay', description: '1: send recent output first' },
    ],
  },
  { id: 'events', access: 'read', method: 'GET', path: '/v1/events', summary: 'lifecycle events as they happen, one JSON object a line', response: 'DomainEvent', shape: 'ndjson' },
];

/** The regular expression the server matches a route's path with. */
export function pathPattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
}

/** The spec of the route serving `method` and `pathname`, if any. */
export function findRoute(method: string, pathname: string): RouteSpec | undefined {
  return ROUTES.find((r) => r.method === method && pathPattern(r.path).test(pathname));
}
