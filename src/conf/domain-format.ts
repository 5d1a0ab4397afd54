/**
 * DomainDef -> libvirt domain XML, laid out the way `virsh dumpxml` of libvirt 9.0 prints it,
 * so that the output validates against libvirt's domain.rng. Devices: domain-format-devices.ts.
 */

import { HYPERV_FLAGS, type CpuConfig, type DomainDef, type Features, type Sysinfo, type SysinfoEntry } from './domain-model.js';
import { formatDevices } from './domain-format-devices.js';
import { formatIothreadTune, formatIothreads } from './domain-iothreads.js';
import { el, fromXmlTree, serializeXml, type XmlOut } from './xml.js';

/** Options for formatDomainXml. */
export interface FormatOptions {
  /** Runtime id of a running domain: printed as `<domain ... id='N'>`. */
  id?: number;
  /** Leave out secrets (VNC/SPICE passwords), as `virsh dumpxml` does without --security-info. */
  omitSecrets?: boolean;
}

const kib = (name: string, value: number | undefined): XmlOut | undefined =>
  value === undefined ? undefined : el(name, { unit: 'KiB' }, String(value));
const num = (name: string, value: number | undefined): XmlOut | undefined => (value === undefined ? undefined : el(name, {}, String(value)));
const yesNo = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? 'yes' : 'no');

/** Print a domain definition as libvirt-style XML (final newline included). */
export function formatDomainXml(def: DomainDef, opts: FormatOptions = {}): string {
  const lifecycle = (name: string, action: string): XmlOut => el(name, {}, action);
  const root = el('domain', { type: def.type, id: opts.id }, [
    el('name', {}, def.name),
    el('uuid', {}, def.uuid),
    def.title !== undefined && el('title', {}, def.title),
    def.description !== undefined && el('description', {}, def.description),
    def.metadata !== undefined && el('metadata', {}, def.metadata.map(fromXmlTree)),
    def.maxMemory !== undefined && el('maxMemory', { slots: def.maxMemory.slots, unit: 'KiB' }, String(def.maxMemory.kib)),
    kib('memory', def.memoryKiB),
    kib('currentMemory', def.currentMemoryKiB),
    formatBlkiotune(def),
    formatMemtune(def),
    formatMemoryBacking(def),
    el('vcpu', {
      placement: def.vcpu.placement,
      cpuset: def.vcpu.cpuset,
      current: def.vcpu.current === def.vcpu.max ? undefined : def.vcpu.current,
    }, String(def.vcpu.max)),
    ...formatIothreads(def),
    formatCputune(def),
    formatNumatune(def),
    def.resourcePartition !== undefined && el('resource', {}, [el('partition', {}, def.resourcePartition)]),
    def.sysinfo !== undefined && formatSysinfo(def.sysinfo),
    formatOs(def),
    formatFeatures(def.features),
    def.cpu !== undefined && formatCpu(def.cpu),
    formatClock(def),
    lifecycle('on_poweroff', def.onPoweroff),
    lifecycle('on_reboot', def.onReboot),
    lifecycle('on_crash', def.onCrash),
    def.pm !== undefined && (def.pm.suspendToMem !== undefined || def.pm.suspendToDisk !== undefined) && el('pm', {}, [
      def.pm.suspendToMem !== undefined && el('suspend-to-mem', { enabled: yesNo(def.pm.suspendToMem) }),
      def.pm.suspendToDisk !== undefined && el('suspend-to-disk', { enabled: yesNo(def.pm.suspendToDisk) }),
    ]),
    formatDevices(def, opts),
    ...(def.seclabels ?? []).map((l) => el('seclabel', { type: l.type, model: l.model, relabel: l.type === 'dynamic' ? 'yes' : undefined })),
  ]);
  return serializeXml(root);
}

function formatBlkiotune(def: DomainDef): XmlOut | undefined {
  const t = def.blkiotune;
  if (t === undefined || (t.weight === undefined && t.devices.length === 0)) return undefined;
  return el('blkiotune', {}, [
    num('weight', t.weight),
    ...t.devices.map((d) => el('device', {}, [
      el('path', {}, d.path),
      num('weight', d.weight),
      num('read_iops_sec', d.readIopsSec),
      num('write_iops_sec', d.writeIopsSec),
      num('read_bytes_sec', d.readBytesSec),
      num('write_bytes_sec', d.writeBytesSec),
    ])),
  ]);
}

function formatMemtune(def: DomainDef): XmlOut | undefined {
  const t = def.memtune;
  if (t === undefined || Object.keys(t).length === 0) return undefined;
  return el('memtune', {}, [
    kib('hard_limit', t.hardLimitKiB),
    kib('soft_limit', t.softLimitKiB),
    kib('min_guarantee', t.minGuaranteeKiB),
    kib('swap_hard_limit', t.swapHardLimitKiB),
  ]);
}

function formatMemoryBacking(def: DomainDef): XmlOut | undefined {
  const m = def.memoryBacking;
  if (m === undefined || Object.keys(m).length === 0) return undefined;
  return el('memoryBacking', {}, [
    m.hugepages !== undefined && el('hugepages', {}, m.hugepages.map((p) => el('page', { size: p.sizeKiB, unit: 'KiB', nodeset: p.nodeset }))),
    m.nosharepages === true && el('nosharepages'),
    m.locked === true && el('locked'),
    m.source !== undefined && el('source', { type: m.source }),
    m.access !== undefined && el('access', { mode: m.access }),
    m.allocation !== undefined && el('allocation', { mode: m.allocation.mode, threads: m.allocation.threads }),
    m.discard === true && el('discard'),
  ]);
}

function formatCputune(def: DomainDef): XmlOut | undefined {
  const t = def.cputune;
  if (t === undefined) return undefined;
  const io = formatIothreadTune(t);
  const children = [
    num('shares', t.shares),
    num('period', t.period),
    num('quota', t.quota),
    num('global_period', t.globalPeriod),
    num('global_quota', t.globalQuota),
    num('emulator_period', t.emulatorPeriod),
    num('emulator_quota', t.emulatorQuota),
    num('iothread_period', t.iothreadPeriod),
    num('iothread_quota', t.iothreadQuota),
    ...t.vcpupin.map((p) => el('vcpupin', { vcpu: p.vcpu, cpuset: p.cpuset })),
    t.emulatorpin !== undefined && el('emulatorpin', { cpuset: t.emulatorpin }),
    ...io.pins,
    ...(t.vcpusched ?? []).map((v) => el('vcpusched', { vcpus: v.vcpus, scheduler: v.scheduler, priority: v.priority })),
    ...io.sched,
  ].filter((c) => c !== undefined && c !== false);
  return children.length === 0 ? undefined : el('cputune', {}, children);
}

function formatNumatune(def: DomainDef): XmlOut | undefined {
  const t = def.numatune;
  if (t === undefined || (t.memory === undefined && t.memnodes.length === 0)) return undefined;
  return el('numatune', {}, [
    t.memory !== undefined && el('memory', {
      mode: t.memory.mode,
      placement: t.memory.placement === 'auto' ? 'auto' : undefined,
      nodeset: t.memory.nodeset,
    }),
    ...t.memnodes.map((m) => el('memnode', { cellid: m.cellid, mode: m.mode, nodeset: m.nodeset })),
  ]);
}

function formatSysinfo(s: Sysinfo): XmlOut {
  const block = (name: string, entries: SysinfoEntry[]): XmlOut | undefined =>
    entries.length === 0 ? undefined : el(name, {}, entries.map((e) => el('entry', { name: e.name }, e.value)));
  return el('sysinfo', { type: 'smbios' }, [
    block('bios', s.bios),
    block('system', s.system),
    ...s.baseBoards.map((b) => block('baseBoard', b)),
    block('chassis', s.chassis),
    s.oemStrings.length > 0 && el('oemStrings', {}, s.oemStrings.map((v) => el('entry', {}, v))),
  ]);
}

function formatOs(def: DomainDef): XmlOut {
  const os = def.os;
  return el('os', { firmware: os.firmware }, [
    el('type', { arch: os.arch, machine: os.machine }, os.type),
    os.firmwareFeatures !== undefined && os.firmwareFeatures.length > 0 &&
      el('firmware', {}, os.firmwareFeatures.map((f) => el('feature', { enabled: yesNo(f.enabled), name: f.name }))),
    os.loader !== undefined && el('loader', {
      readonly: yesNo(os.loader.readonly),
      secure: yesNo(os.loader.secure),
      type: os.loader.type,
    }, os.loader.path ?? ''),
    os.nvram !== undefined && el('nvram', { template: os.nvram.template }, os.nvram.path ?? ''),
    os.kernel !== undefined && el('kernel', {}, os.kernel),
    os.initrd !== undefined && el('initrd', {}, os.initrd),
    os.cmdline !== undefined && el('cmdline', {}, os.cmdline),
    ...os.boot.map((dev) => el('boot', { dev })),
    os.bootmenu !== undefined && el('bootmenu', { enable: yesNo(os.bootmenu.enable), timeout: os.bootmenu.timeoutMs }),
    os.smbios !== undefined && el('smbios', { mode: os.smbios }),
    os.bios !== undefined && el('bios', { useserial: yesNo(os.bios.useserial), rebootTimeout: os.bios.rebootTimeoutMs }),
  ]);
}

function formatFeatures(f: Features): XmlOut | undefined {
  const state = (name: string, s: string | undefined): XmlOut | undefined => (s === undefined ? undefined : el(name, { state: s }));
  const hv = f.hyperv;
  const children = [
    f.acpi && el('acpi'),
    f.apic && el('apic', { eoi: f.apicEoi }),
    f.pae && el('pae'),
    hv !== undefined && el('hyperv', { mode: hv.mode }, HYPERV_FLAGS.filter((n) => hv.flags[n] !== undefined).map((n) => {
      const st = hv.flags[n] as string;
      if (n === 'spinlocks') return el(n, { state: st, retries: st === 'on' ? hv.spinlockRetries : undefined });
      if (n === 'vendor_id') return el(n, { state: st, value: st === 'on' ? hv.vendorId : undefined });
      if (n === 'stimer' && hv.stimerDirect !== undefined) return el(n, { state: st }, [el('direct', { state: hv.stimerDirect })]);
      return el(n, { state: st });
    })),
    f.kvmHidden !== undefined && el('kvm', {}, [el('hidden', { state: f.kvmHidden })]),
    state('pvspinlock', f.pvspinlock),
    state('pmu', f.pmu),
    state('vmport', f.vmport),
    state('smm', f.smm),
    f.ioapic !== undefined && el('ioapic', { driver: f.ioapic }),
    state('vmcoreinfo', f.vmcoreinfo),
  ].filter((c) => c !== undefined && c !== false);
  return children.length === 0 ? undefined : el('features', {}, children);
}

/** <cpu> as dumpxml prints it. */
export function formatCpu(cpu: CpuConfig): XmlOut {
  return el('cpu', { mode: cpu.mode, match: cpu.match, check: cpu.check, migratable: cpu.migratable }, [
    cpu.model !== undefined && el('model', { fallback: cpu.model.fallback }, cpu.model.name),
    cpu.vendor !== undefined && el('vendor', {}, cpu.vendor),
    cpu.topology !== undefined && el('topology', { ...cpu.topology }),
    cpu.cache !== undefined && el('cache', { level: cpu.cache.level, mode: cpu.cache.mode }),
    ...cpu.features.map((f) => el('feature', { policy: f.policy, name: f.name })),
    cpu.numa !== undefined && el('numa', {}, cpu.numa.map((c) => el('cell', { id: c.id, cpus: c.cpus, memory: c.memoryKiB, unit: 'KiB', memAccess: c.memAccess }))),
  ]);
}

function formatClock(def: DomainDef): XmlOut {
  const c = def.clock;
  return el('clock', { offset: c.offset, adjustment: c.adjustment, basis: c.basis }, c.timers.map((t) => el('timer', {
    name: t.name,
    present: yesNo(t.present),
    tickpolicy: t.tickpolicy,
    track: t.track,
  })));
}
