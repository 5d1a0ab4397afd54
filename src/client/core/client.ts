/**
 * The typed vireod API client, for Node and browsers alike: no node: imports, no Buffer. It
 * turns calls into requests on a Transport (node/unix.ts for the CLI, browser/transport.ts for a
 * web UI); the CLI and the web UI talk to the daemon only through this.
 */
import type {
  DeviceRequest, DeviceResult, DomainTuning, TuningChange, DomainSummary, HostInfo, DomainEvent, NetworkEvent, XmlResponse, ConsoleTail, DomainIfAddr, LinkState,
  NodeInfo, NodeCpuStats, NodeMemStats, FreeCell, HostCheck, DomainBlockInfo, DomainDevices, DomainJob, DescriptionResponse, DescriptionRequest,
  MetadataRequest, ModificationImpact, NativeResponse, MemoryRequest, VcpuRequest, NodeMemoryParameters, NodeMemoryTuneRequest, IoTuneInfo, IoTuneRequest, IfTuneInfo, IfTuneRequest,
  SaveRequest, DumpRequest, ManagedSaveRequest, RestoreRequest, SaveImageDefineRequest,
} from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { fromBase64 } from './base64.js';
import { enc } from './client-base.js';
import { SnapshotClient } from './client-snapshots.js';

/** The whole typed client: domains and the host here, the other resources in the parts it extends. */
export class VireoClient<Channel = unknown> extends SnapshotClient<Channel> {
  host(): Promise<HostInfo> {
    return this.t.request('GET', '/v1/host');
  }

  listDomains(): Promise<DomainSummary[]> {
    return this.t.request('GET', '/v1/domains');
  }

  /** Look a domain up by id, UUID or name (virsh's order). */
  getDomain(ref: string): Promise<DomainSummary> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}`);
  }

  define(xml: string, opts: { validate?: boolean } = {}): Promise<DomainSummary> {
    return this.t.request('POST', '/v1/domains', opts.validate === true ? { xml, validate: true } : { xml });
  }

  create(xml: string, opts: { paused?: boolean; validate?: boolean } = {}): Promise<DomainSummary> {
    return this.t.request('POST', '/v1/domains/create', { xml, paused: opts.paused === true, ...(opts.validate === true ? { validate: true } : {}) });
  }

  /** The QEMU command line for `xml` (or a defined domain), as domxml-to-native prints it. */
  async domxmlToNative(format: string, source: { xml: string } | { domain: string }): Promise<string> {
    const r = await this.t.request<NativeResponse>('POST', '/v1/domxml-to-native', { format, ...source });
    return r.native;
  }

  /** Forget a domain; a UEFI variable store needs `nvram` (remove) or `keepNvram`, as with virsh. */
  undefine(ref: string, opts: { nvram?: boolean; keepNvram?: boolean; keepTpm?: boolean; managedSave?: boolean; snapshotsMetadata?: boolean } = {}): Promise<DomainSummary> {
    const q = new URLSearchParams();
    if (opts.managedSave === true) q.set('managed-save', '1');
    if (opts.snapshotsMetadata === true) q.set('snapshots-metadata', '1');
    if (opts.nvram === true) q.set('nvram', '1');
    if (opts.keepNvram === true) q.set('keep-nvram', '1');
    if (opts.keepTpm === true) q.set('keep-tpm', '1');
    const qs = q.toString();
    return this.t.request('DELETE', `/v1/domains/${enc(ref)}${qs === '' ? '' : `?${qs}`}`);
  }

  /** The domain's XML; passwords only with securityInfo, as virsh's --security-info. */
  async dumpXml(ref: string, opts: { inactive?: boolean; securityInfo?: boolean; updateCpu?: boolean } = {}): Promise<string> {
    const q = new URLSearchParams();
    if (opts.inactive === true) q.set('inactive', '1');
    if (opts.securityInfo === true) q.set('security-info', '1');
    if (opts.updateCpu === true) q.set('update-cpu', '1');
    const qs = q.toString();
    const r = await this.t.request<XmlResponse>('GET', `/v1/domains/${enc(ref)}/xml${qs === '' ? '' : `?${qs}`}`);
    return r.xml;
  }

  private action(ref: string, action: string, body: unknown = {}): Promise<DomainSummary> {
    return this.t.request('POST', `/v1/domains/${enc(ref)}/${action}`, body);
  }

  /** Start; a managed-save image is restored unless `forceBoot` (which discards it). */
  start(ref: string, opts: { paused?: boolean; forceBoot?: boolean } = {}): Promise<DomainSummary> {
    return this.action(ref, 'start', { paused: opts.paused === true, ...(opts.forceBoot === true ? { forceBoot: true } : {}) });
  }

  /** Save a running guest's state into `r.file` (a path on the daemon host) and stop it; a long job. */
  async save(ref: string, r: SaveRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/save`, r);
  }

  /** Dump a guest's memory into a file on the daemon host (a long job: job(), abortJob()). */
  async dump(ref: string, r: DumpRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/dump`, r);
  }

  /** screenshot: the PNG of the guest's screen `screen` (0: the primary display). */
  async screenshot(ref: string, screen?: number): Promise<{ mime: string; data: Uint8Array }> {
    if (this.t.receiveBytes === undefined) throw new VireoError('PROTOCOL', 'this transport cannot receive a byte stream');
    const q = screen === undefined ? '' : `?screen=${screen}`;
    const reply = await this.t.receiveBytes(`/v1/domains/${enc(ref)}/screenshot${q}`);
    const parts: Uint8Array[] = [];
    for await (const b of reply.body) parts.push(b);
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    if (reply.length !== undefined && at !== reply.length) throw new VireoError('OPERATION_FAILED', `operation failed: the screenshot was cut off after ${at} bytes of ${reply.length}`);
    return { mime: reply.contentType, data };
  }

  /** Start a domain from a save image. */
  restore(r: RestoreRequest): Promise<DomainSummary> {
    return this.t.request('POST', '/v1/domains/restore', r);
  }

  /** The domain XML a save image holds. */
  async saveImageXml(file: string, opts: { securityInfo?: boolean } = {}): Promise<string> {
    const q = new URLSearchParams({ file });
    if (opts.securityInfo === true) q.set('security-info', '1');
    return (await this.t.request<XmlResponse>('GET', `/v1/save-image/xml?${q.toString()}`)).xml;
  }

  /** Replace the XML (and/or the running/paused choice) a save image holds. */
  async saveImageDefine(r: SaveImageDefineRequest & { file: string }): Promise<void> {
    await this.t.request('POST', '/v1/save-image/define', r);
  }

  async managedSave(ref: string, r: ManagedSaveRequest = {}): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/managed-save`, r);
  }

  async managedSaveRemove(ref: string): Promise<void> {
    await this.t.request('DELETE', `/v1/domains/${enc(ref)}/managed-save`);
  }

  async managedSaveXml(ref: string, opts: { securityInfo?: boolean } = {}): Promise<string> {
    const qs = opts.securityInfo === true ? '?security-info=1' : '';
    return (await this.t.request<XmlResponse>('GET', `/v1/domains/${enc(ref)}/managed-save/xml${qs}`)).xml;
  }

  async managedSaveDefine(ref: string, r: SaveImageDefineRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/managed-save/define`, r);
  }
  destroy(ref: string, opts: { graceful?: boolean } = {}): Promise<DomainSummary> {
    return this.action(ref, 'destroy', { graceful: opts.graceful === true });
  }
  shutdown(ref: string, opts: { mode?: string } = {}): Promise<DomainSummary> {
    return this.action(ref, 'shutdown', opts);
  }
  reboot(ref: string, opts: { mode?: string } = {}): Promise<DomainSummary> {
    return this.action(ref, 'reboot', opts);
  }
  reset(ref: string): Promise<DomainSummary> {
    return this.action(ref, 'reset');
  }
  suspend(ref: string): Promise<DomainSummary> {
    return this.action(ref, 'suspend');
  }
  resume(ref: string): Promise<DomainSummary> {
    return this.action(ref, 'resume');
  }
  setAutostart(ref: string, enabled: boolean): Promise<DomainSummary> {
    return this.action(ref, 'autostart', { enabled });
  }

  /** Recent serial console output kept by the daemon (raw bytes); for a shut-off domain, its last run's. */
  async consoleTail(ref: string, opts: { devname?: string } = {}): Promise<Uint8Array> {
    const q = opts.devname === undefined ? '' : `?devname=${enc(opts.devname)}`;
    const r = await this.t.request<ConsoleTail>('GET', `/v1/domains/${enc(ref)}/console${q}`);
    return fromBase64(r.data);
  }

  /**
   * Attach to a running domain's console: a raw byte stream both ways (read-only with `readOnly`).
   * `force` takes over from another interactive reader; `replay` first sends recent output.
   */
  attachConsole(ref: string, opts: { devname?: string; force?: boolean; readOnly?: boolean; replay?: boolean } = {}): Promise<Channel> {
    const q = new URLSearchParams();
    if (opts.devname !== undefined) q.set('devname', opts.devname);
    if (opts.force === true) q.set('force', '1');
    if (opts.readOnly === true) q.set('readonly', '1');
    if (opts.replay === true) q.set('replay', '1');
    const qs = q.toString();
    return this.t.console(`/v1/domains/${enc(ref)}/console/attach${qs === '' ? '' : `?${qs}`}`);
  }

  /** Follow the daemon's event stream until the returned function is called. */
  events(onEvent: (e: DomainEvent) => void, onEnd: () => void = () => {}): Promise<() => void> {
    // The stream carries every kind's events; these are the domains'.
    return this.t.events('/v1/events', (json) => {
      const ev = JSON.parse(json) as DomainEvent | NetworkEvent;
      if (ev.type === 'lifecycle' || ev.type === 'reboot' || ev.type === 'device-added' || ev.type === 'device-removed' || ev.type === 'balloon-change' || ev.type === 'tunable' || ev.type === 'block-threshold') onEvent(ev);
    }, onEnd);
  }

  /** The host's CPU topology and memory (nodeinfo). */
  nodeInfo(): Promise<NodeInfo> {
    return this.t.request('GET', '/v1/host/nodeinfo');
  }

  /** Cumulative CPU times of the host, or of one CPU, in nanoseconds (nodecpustats). */
  nodeCpuStats(cpu?: number): Promise<NodeCpuStats> {
    return this.t.request('GET', `/v1/host/cpustats${cpu === undefined ? '' : `?cpu=${cpu}`}`);
  }

  /** Memory of the host, or of one NUMA cell, in KiB (nodememstats). */
  nodeMemStats(cell?: number): Promise<NodeMemStats> {
    return this.t.request('GET', `/v1/host/memstats${cell === undefined ? '' : `?cell=${cell}`}`);
  }

  /** Free memory of every NUMA cell (freecell). */
  freeCells(): Promise<FreeCell[]> {
    return this.t.request('GET', '/v1/host/freecells');
  }

  /** The most vCPUs a guest of this type may have (maxvcpus). */
  async maxVcpus(type?: string): Promise<number> {
    const r = await this.t.request<{ max: number }>('GET', `/v1/host/maxvcpus${type === undefined ? '' : `?type=${enc(type)}`}`);
    return r.max;
  }

  /** The capabilities XML of the host and its hypervisor. */
  async capabilities(): Promise<string> {
    return (await this.t.request<XmlResponse>('GET', '/v1/host/capabilities')).xml;
  }

  /** The domain capabilities XML for an emulator, architecture, machine and domain type. */
  async domainCapabilities(q: { emulator?: string; arch?: string; machine?: string; virttype?: string } = {}): Promise<string> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries<string | undefined>(q)) if (v !== undefined) p.set(k, v);
    const qs = p.toString();
    return (await this.t.request<XmlResponse>('GET', `/v1/host/domcapabilities${qs === '' ? '' : `?${qs}`}`)).xml;
  }

  /** The host's SMBIOS data as libvirt's sysinfo XML. */
  async sysinfo(): Promise<string> {
    return (await this.t.request<XmlResponse>('GET', '/v1/host/sysinfo')).xml;
  }

  /** virt-host-validate's checks, run by the daemon on its host. */
  validateHost(): Promise<HostCheck[]> {
    return this.t.request('GET', '/v1/host/validate');
  }

  /** domblkinfo: one disk's sizes (`device`: target or source path) or every disk's. */
  blockInfo(ref: string, device?: string): Promise<DomainBlockInfo[]> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/blockinfo${device === undefined ? '' : `?device=${enc(device)}`}`);
  }

  /** Disks, interfaces and displays of a domain (live ones unless `inactive`). */
  devices(ref: string, opts: { inactive?: boolean; securityInfo?: boolean } = {}): Promise<DomainDevices> {
    const q = new URLSearchParams();
    if (opts.inactive === true) q.set('inactive', '1');
    if (opts.securityInfo === true) q.set('security-info', '1');
    const qs = q.toString();
    return this.t.request('GET', `/v1/domains/${enc(ref)}/devices${qs === '' ? '' : `?${qs}`}`);
  }

  /** The guest NICs' addresses (domifaddr): from DHCP leases (default), the ARP table or the agent. */
  interfaceAddresses(ref: string, source?: 'lease' | 'arp' | 'agent'): Promise<DomainIfAddr[]> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/ifaddr${source === undefined ? '' : `?source=${source}`}`);
  }

  /** A NIC's link state (domif-getlink), by host tap name or MAC. */
  linkState(ref: string, iface: string, opts: { config?: boolean } = {}): Promise<LinkState> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/link?interface=${enc(iface)}${opts.config === true ? '&config=1' : ''}`);
  }

  /** Take a NIC's link up or down (domif-setlink). */
  async setLinkState(ref: string, iface: string, state: 'up' | 'down', opts: { config?: boolean } = {}): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/link`, { interface: iface, state, ...(opts.config === true ? { config: true } : {}) });
  }

  /** Change the guest's current memory: the balloon live, <currentMemory> in the config (setmem). */
  async setMemory(ref: string, r: MemoryRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/memory`, r);
  }

  /** Change the stored definition's maximum memory (setmaxmem). */
  async setMaxMemory(ref: string, r: MemoryRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/maxmemory`, r);
  }

  /** Plug or unplug vCPUs and/or change the stored counts (setvcpus). */
  async setVcpus(ref: string, r: VcpuRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/vcpus`, r);
  }

  /** The host's KSM settings and counters, after changing those given (node-memory-tune). */
  nodeMemoryParameters(set?: NodeMemoryTuneRequest): Promise<NodeMemoryParameters> {
    return set === undefined ? this.t.request('GET', '/v1/host/memory-parameters') : this.t.request('POST', '/v1/host/memory-parameters', set);
  }

  /** Plug a device (libvirt XML; only <interface> so far) into the guest and/or its config (attach-device). */
  /** Plug a device (libvirt XML: <interface>, <disk>, <rng>, <watchdog>) into the guest and/or its config (attach-device). */
  attachDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return this.t.request<DeviceResult>('POST', `/v1/domains/${enc(ref)}/devices/attach`, r);
  }

  /** Unplug a device; `pending` in the reply: the guest has not let it go yet (detach-device). */
  detachDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return this.t.request<DeviceResult>('POST', `/v1/domains/${enc(ref)}/devices/detach`, r);
  }

  /** A guest's resource tuning: the running guest's (live), the stored definition's (config), or the current one's. */
  tuning(ref: string, opts: { live?: boolean; config?: boolean } = {}): Promise<DomainTuning> {
    const q = opts.live === true ? '?live=1' : opts.config === true ? '?config=1' : '';
    return this.t.request('GET', `/v1/domains/${enc(ref)}/tuning${q}`);
  }

  /** Change resource tuning (schedinfo --set, memtune, blkiotune, numatune, vcpupin, emulatorpin); answers with the tuning after it. */
  setTuning(ref: string, change: TuningChange): Promise<DomainTuning> {
    return this.t.request<DomainTuning>('POST', `/v1/domains/${enc(ref)}/tuning`, change);
  }

  /** Resize a running guest's disk (target or source path) to `bytes` (blockresize). */
  async blockResize(ref: string, disk: string, bytes: number): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/blockresize`, { disk, bytes });
  }

  /** Be told (block-threshold event) of the first write to a disk's image past `bytes`; 0 disarms (domblkthreshold). */
  async blockThreshold(ref: string, disk: string, bytes: number): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/blockthreshold`, { disk, bytes });
  }

  /** A disk's I/O limits (blkdeviotune without settings). */
  ioTune(ref: string, disk: string, opts: { live?: boolean; config?: boolean } = {}): Promise<IoTuneInfo> {
    const q = new URLSearchParams({ disk });
    if (opts.live === true) q.set('live', '1');
    if (opts.config === true) q.set('config', '1');
    return this.t.request<IoTuneInfo>('GET', `/v1/domains/${enc(ref)}/iotune?${q.toString()}`);
  }

  /** Change a disk's I/O limits (blkdeviotune). */
  async setIoTune(ref: string, r: IoTuneRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iotune`, r);
  }

  /** A NIC's bandwidth limits (domiftune without settings); `iface`: its tap name or MAC. */
  ifTune(ref: string, iface: string, opts: { live?: boolean; config?: boolean } = {}): Promise<IfTuneInfo> {
    const q = new URLSearchParams({ iface });
    if (opts.live === true) q.set('live', '1');
    if (opts.config === true) q.set('config', '1');
    return this.t.request<IfTuneInfo>('GET', `/v1/domains/${enc(ref)}/iftune?${q.toString()}`);
  }

  /** Change a NIC's bandwidth limits (domiftune --inbound/--outbound). */
  async setIfTune(ref: string, r: IfTuneRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iftune`, r);
  }

  /** Change a device in place: a NIC's link state or network (update-device). */
  updateDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return this.t.request<DeviceResult>('POST', `/v1/domains/${enc(ref)}/devices/update`, r);
  }

  /** Abort the long job a domain runs (domjobabort). */
  async abortJob(ref: string): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/job/abort`, {});
  }

  /** The job a running domain is busy with, if any. */
  job(ref: string): Promise<DomainJob> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/job`);
  }

  /** The title (`title`) or description of a domain; null when it has none. */
  async description(ref: string, opts: ModificationImpact & { title?: boolean } = {}): Promise<string | null> {
    const q = new URLSearchParams();
    for (const k of ['title', 'live', 'config'] as const) if (opts[k] === true) q.set(k, '1');
    const qs = q.toString();
    return (await this.t.request<DescriptionResponse>('GET', `/v1/domains/${enc(ref)}/description${qs === '' ? '' : `?${qs}`}`)).text;
  }

  /** Set the title or description; empty text removes it. */
  async setDescription(ref: string, req: DescriptionRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/description`, req);
  }

  /** The metadata element of one namespace, as virsh metadata prints it. */
  async metadata(ref: string, uri: string, opts: ModificationImpact = {}): Promise<string> {
    const q = new URLSearchParams({ uri });
    if (opts.live === true) q.set('live', '1');
    if (opts.config === true) q.set('config', '1');
    return (await this.t.request<XmlResponse>('GET', `/v1/domains/${enc(ref)}/metadata?${q.toString()}`)).xml;
  }

  /** Set (or with xml null, remove) the metadata element of one namespace. */
  async setMetadata(ref: string, req: MetadataRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/metadata`, req);
  }

  /** Rename a shut-off persistent domain. */
  rename(ref: string, name: string): Promise<DomainSummary> {
    return this.t.request('POST', `/v1/domains/${enc(ref)}/rename`, { name });
  }
}
