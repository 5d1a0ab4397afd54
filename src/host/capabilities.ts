/**
 * The capabilities, domcapabilities and sysinfo XML documents, in libvirt's formats (they validate
 * against libvirt's capability.rng and domaincaps.rng). They describe what vireo really offers
 * here: a `kvm` domain type only where KVM can run ordinary guests, and the devices vireo's domain
 * model supports (keep the lists below in step with conf/domain-model*.ts).
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import type { KvmStatus } from './kvm.js';
import { numaCells, parseCpuList, parseMeminfo, topology } from './nodeinfo.js';

/** The most vCPUs vireo gives a guest (QEMU's limit for x86 machines without an IOMMU for x2APIC). */
export const MAX_VCPUS = 255;

export const EMULATOR = '/usr/bin/qemu-system-x86_64';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** `<name a='b'/>` or `<name a='b'>text</name>`, attributes in the given order. */
function el(name: string, attrs: Record<string, string | number | undefined> = {}, text?: string): string {
  const a = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}='${esc(String(v))}'`).join('');
  return text === undefined ? `<${name}${a}/>` : `<${name}${a}>${esc(text)}</${name}>`;
}

/** Indent every line of a block by n spaces. */
function indent(lines: readonly string[], n: number): string[] {
  return lines.map((l) => ' '.repeat(n) + l);
}

function wrap(name: string, attrs: Record<string, string | number | undefined>, inner: readonly string[]): string[] {
  const open = el(name, attrs).replace(/\/>$/, '>');
  return inner.length === 0 ? [el(name, attrs)] : [open, ...indent(inner, 2), `</${name}>`];
}

async function read(root: string, p: string): Promise<string | undefined> {
  return fs.readFile(path.join(root, p), 'utf8').catch(() => undefined);
}

async function exists(root: string, p: string, mode = fsc.F_OK): Promise<boolean> {
  return fs.access(path.join(root, p), mode).then(() => true, () => false);
}

/** The host's UUID: the SMBIOS one when readable, else /etc/machine-id in UUID form. */
async function hostUuid(root: string): Promise<string | undefined> {
  const smbios = (await read(root, 'sys/class/dmi/id/product_uuid'))?.trim().toLowerCase();
  if (smbios !== undefined && /^[0-9a-f-]{36}$/.test(smbios)) return smbios;
  const id = (await read(root, 'etc/machine-id'))?.trim().toLowerCase();
  if (id === undefined || !/^[0-9a-f]{32}$/.test(id)) return undefined;
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

/** CPU vendor and signature from the first processor of /proc/cpuinfo. */
async function cpuIdentity(root: string): Promise<{ vendor?: string; family?: string; model?: string; stepping?: string }> {
  const info = (await read(root, 'proc/cpuinfo')) ?? '';
  const field = (k: string): string | undefined => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const v = field('vendor_id');
  const vendor = v === 'GenuineIntel' ? 'Intel' : v === 'AuthenticAMD' ? 'AMD' : v === 'HygonGenuine' ? 'Hygon' : v;
  return { vendor, family: field('cpu family'), model: field('model'), stepping: field('stepping') };
}

/** Page sizes in KiB: the base page and every huge page size the kernel offers. */
async function pageSizes(root: string, dir = 'sys/kernel/mm/hugepages'): Promise<number[]> {
  const entries = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
  const huge = entries.map((e) => /^hugepages-(\d+)kB$/.exec(e)?.[1]).filter((x): x is string => x !== undefined).map(Number).sort((a, b) => a - b);
  return [4, ...huge];
}

/** `capabilities`: the host (CPU, NUMA topology, security model) and the guests vireo can run. */
export async function capabilitiesXml(root: string, kvm: KvmStatus, qemu: { major: number; minor: number } | undefined): Promise<string> {
  const topo = await topology(root);
  const id = await cpuIdentity(root);
  const uuid = await hostUuid(root);
  const pages = await pageSizes(root);
  const cpu: string[] = [el('arch', {}, 'x86_64')];
  if (id.vendor !== undefined) cpu.push(el('vendor', {}, id.vendor));
  if (id.family !== undefined && id.model !== undefined && id.stepping !== undefined) {
    cpu.push(el('signature', { family: id.family, model: id.model, stepping: id.stepping }));
  }
  cpu.push(el('topology', { sockets: topo.sockets, dies: 1, cores: topo.coresPerSocket, threads: topo.threadsPerCore }));
  for (const p of pages) cpu.push(el('pages', { unit: 'KiB', size: p }));

  const cells: string[] = [];
  const cellIds = await numaCells(root);
  for (const cell of cellIds.length === 0 ? [0] : cellIds) {
    const mem = parseMeminfo((await read(root, `sys/devices/system/node/node${cell}/meminfo`)) ?? (await read(root, 'proc/meminfo')) ?? '');
    const total = mem.get('MemTotal') ?? 0;
    const cellPages: string[] = [];
    for (const p of pages) {
      const count = p === 4
        ? Math.floor(total / 4)
        : Number((await read(root, `sys/devices/system/node/node${cell}/hugepages/hugepages-${p}kB/nr_hugepages`))?.trim() ?? '0') || 0;
      cellPages.push(el('pages', { unit: 'KiB', size: p }, String(count)));
    }
    const cellCpus = (await read(root, `sys/devices/system/node/node${cell}/cpulist`)) ?? topo.cpus.join(',');
    const cpus = topo.cpus.filter((c) => cellIds.length === 0 || parseCpuList(cellCpus).includes(c)).map((c) => {
      const t = topo.of.get(c);
      return el('cpu', { id: c, socket_id: t?.socket ?? 0, die_id: t?.die ?? 0, core_id: t?.core ?? c, siblings: t?.siblings ?? String(c) });
    });
    cells.push(...wrap('cell', { id: cell }, [
      el('memory', { unit: 'KiB' }, String(total)),
      ...cellPages,
      ...wrap('distances', {}, [el('sibling', { id: cell, value: 10 })]),
      ...wrap('cpus', { num: cpus.length }, cpus),
    ]));
  }
  const iommu = await iommuEnabled(root);
  const host = [
    ...(uuid === undefined ? [] : [el('uuid', {}, uuid)]),
    ...wrap('cpu', {}, cpu),
    el('power_management'),
    el('iommu', { support: iommu ? 'yes' : 'no' }),
    ...wrap('migration_features', {}, [el('live'), ...wrap('uri_transports', {}, [el('uri_transport', {}, 'tcp')])]),
    ...wrap('topology', {}, wrap('cells', { num: Math.max(1, cellIds.length) }, cells)),
    ...wrap('secmodel', {}, [el('model', {}, 'none'), el('doi', {}, '0')]),
  ];
  const machines = qemu === undefined ? [] : [
    el('machine', { maxCpus: MAX_VCPUS }, `pc-i440fx-${qemu.major}.${qemu.minor}`),
    el('machine', { canonical: `pc-i440fx-${qemu.major}.${qemu.minor}`, maxCpus: MAX_VCPUS }, 'pc'),
    el('machine', { maxCpus: MAX_VCPUS }, `pc-q35-${qemu.major}.${qemu.minor}`),
    el('machine', { canonical: `pc-q35-${qemu.major}.${qemu.minor}`, maxCpus: MAX_VCPUS }, 'q35'),
  ];
  const arch = [
    el('wordsize', {}, '64'),
    el('emulator', {}, EMULATOR),
    ...machines,
    el('domain', { type: 'qemu' }),
    // libvirt lists kvm whenever /dev/kvm exists; vireo only where KVM can run ordinary guests.
    ...(kvm.usable ? [el('domain', { type: 'kvm' })] : []),
  ];
  const guest = [
    el('os_type', {}, 'hvm'),
    ...wrap('arch', { name: 'x86_64' }, arch),
    ...wrap('features', {}, [
      el('acpi', { default: 'on', toggle: 'yes' }),
      el('apic', { default: 'on', toggle: 'no' }),
      el('cpuselection'),
      el('deviceboot'),
      el('disksnapshot', { default: 'on', toggle: 'no' }),
    ]),
  ];
  return ['<capabilities>', '', ...indent(wrap('host', {}, host), 2), '', ...indent(wrap('guest', {}, guest), 2), '', '</capabilities>', ''].join('\n');
}

/** Whether the kernel has set up an IOMMU (it then lists IOMMU groups). */
export async function iommuEnabled(root: string): Promise<boolean> {
  const groups = await fs.readdir(path.join(root, 'sys/kernel/iommu_groups')).catch(() => [] as string[]);
  return groups.some((g) => /^\d+$/.test(g));
}

const enumOf = (name: string, values: readonly string[]): string[] => wrap('enum', { name }, values.map((v) => el('value', {}, v)));

export interface DomCapsQuery {
  emulator?: string;
  arch?: string;
  machine?: string;
  virttype?: string;
}

/** `domcapabilities`: what a domain of this type, machine and arch may hold under vireo. */
export async function domainCapabilitiesXml(root: string, kvm: KvmStatus, qemu: { major: number; minor: number } | undefined, q: DomCapsQuery): Promise<string> {
  const emulator = q.emulator ?? EMULATOR;
  if (emulator !== EMULATOR) throw VireoError.of('INVALID_ARG', `vireo runs only ${EMULATOR}, not '${emulator}'`);
  const arch = q.arch ?? 'x86_64';
  if (arch !== 'x86_64') throw VireoError.of('CONFIG_UNSUPPORTED', `unable to find any emulator to serve '${arch}' architecture`);
  const virttype = q.virttype ?? (kvm.usable ? 'kvm' : 'qemu');
  if (virttype !== 'kvm' && virttype !== 'qemu') throw VireoError.of('INVALID_ARG', `unknown virttype: ${virttype}`);
  if (virttype === 'kvm' && !kvm.usable) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `KVM cannot run guests on this host: ${kvm.reason ?? 'unknown reason'}`, { hint: "use --virttype qemu (TCG), as <domain type='qemu'> does" });
  }
  const ver = qemu === undefined ? '' : `-${qemu.major}.${qemu.minor}`;
  const alias = q.machine ?? 'pc';
  if (!/^(pc|q35|pc-i440fx-[\d.]+|pc-q35-[\d.]+)$/.test(alias)) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `the machine '${alias}' is not supported by vireo (use pc or q35)`);
  }
  const machine = alias === 'pc' ? `pc-i440fx${ver}` : alias === 'q35' ? `pc-q35${ver}` : alias;
  const q35 = machine.startsWith('pc-q35');
  const ovmf = 'usr/share/OVMF/OVMF_CODE_4M.fd';
  const hasOvmf = await exists(root, ovmf);
  const os = hasOvmf
    ? wrap('os', { supported: 'yes' }, [
      ...enumOf('firmware', ['efi']),
      ...wrap('loader', { supported: 'yes' }, [
        el('value', {}, `/${ovmf}`),
        ...enumOf('type', ['rom', 'pflash']),
        ...enumOf('readonly', ['yes', 'no']),
        ...enumOf('secure', ['no']),
      ]),
    ])
    : wrap('os', { supported: 'yes' }, [el('loader', { supported: 'no' })]);
  const devices = [
    ...wrap('disk', { supported: 'yes' }, [
      ...enumOf('diskDevice', ['disk', 'cdrom', 'floppy']),
      ...enumOf('bus', q35 ? ['fdc', 'scsi', 'virtio', 'sata'] : ['ide', 'fdc', 'scsi', 'virtio', 'sata']),
      ...enumOf('model', ['virtio']),
    ]),
    ...wrap('graphics', { supported: 'yes' }, enumOf('type', ['vnc', 'spice'])),
    ...wrap('video', { supported: 'yes' }, enumOf('modelType', ['vga', 'cirrus', 'qxl', 'virtio', 'none', 'bochs', 'ramfb'])),
    el('hostdev', { supported: 'no' }),
    ...wrap('rng', { supported: 'yes' }, [...enumOf('model', ['virtio']), ...enumOf('backendModel', ['random', 'builtin'])]),
    ...wrap('tpm', { supported: 'yes' }, [...enumOf('model', ['tpm-tis', 'tpm-crb']), ...enumOf('backendModel', ['emulator']), ...enumOf('backendVersion', ['2.0'])]),
    ...wrap('redirdev', { supported: 'yes' }, enumOf('bus', ['usb'])),
    ...wrap('channel', { supported: 'yes' }, enumOf('type', ['pty', 'unix', 'spicevmc'])),
  ];
  const cpu = [
    el('mode', { name: 'host-passthrough', supported: virttype === 'kvm' ? 'yes' : 'no' }),
    el('mode', { name: 'maximum', supported: 'yes' }),
    el('mode', { name: 'host-model', supported: 'no' }),
    el('mode', { name: 'custom', supported: 'no' }),
  ];
  const doc = [
    el('path', {}, emulator),
    el('domain', {}, virttype),
    el('machine', {}, machine),
    el('arch', {}, arch),
    el('vcpu', { max: MAX_VCPUS }),
    el('iothreads', { supported: 'yes' }),
    ...os,
    ...wrap('cpu', {}, cpu),
    ...wrap('memoryBacking', { supported: 'yes' }, enumOf('sourceType', ['file', 'anonymous', 'memfd'])),
    ...wrap('devices', {}, devices),
    ...wrap('features', {}, [el('gic', { supported: 'no' }), el('vmcoreinfo', { supported: 'no' }), el('genid', { supported: 'no' }), el('sev', { supported: 'no' })]),
  ];
  return [...wrap('domainCapabilities', {}, doc), ''].join('\n');
}

/** SMBIOS fields the kernel exposes in sysfs, by libvirt's section and entry names. */
const DMI: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]> = [
  ['bios', [['vendor', 'bios_vendor'], ['version', 'bios_version'], ['date', 'bios_date'], ['release', 'bios_release']]],
  ['system', [['manufacturer', 'sys_vendor'], ['product', 'product_name'], ['version', 'product_version'], ['serial', 'product_serial'],
    ['uuid', 'product_uuid'], ['sku', 'product_sku'], ['family', 'product_family']]],
  ['baseBoard', [['manufacturer', 'board_vendor'], ['product', 'board_name'], ['version', 'board_version'], ['serial', 'board_serial'],
    ['asset', 'board_asset_tag']]],
  ['chassis', [['manufacturer', 'chassis_vendor'], ['version', 'chassis_version'], ['serial', 'chassis_serial'], ['asset', 'chassis_asset_tag']]],
];

/** `sysinfo`: the host's SMBIOS data (from sysfs; libvirt runs dmidecode). */
export async function sysinfoXml(root: string): Promise<string> {
  const dir = 'sys/class/dmi/id';
  if (!(await exists(root, dir))) {
    throw VireoError.of('CONFIG_UNSUPPORTED', 'Host SMBIOS information is not available');
  }
  const sections: string[] = [];
  for (const [section, fields] of DMI) {
    const entries: string[] = [];
    for (const [name, file] of fields) {
      const v = (await read(root, `${dir}/${file}`))?.trim();
      if (v !== undefined && v !== '') entries.push(el('entry', { name }, v));
    }
    // libvirt's baseBoard may repeat; there is one board in sysfs.
    if (entries.length > 0) sections.push(...wrap(section, {}, entries));
  }
  return [...wrap('sysinfo', { type: 'smbios' }, sections), ''].join('\n');
}
