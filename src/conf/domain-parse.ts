/**
 * libvirt domain XML -> DomainDef: the top level (identity, memory, vcpus, os, features,
 * clock, lifecycle). Devices are read in domain-parse-devices.ts. Every default is filled here,
 * so callers never guess a missing value.
 */

import { VireoError } from '../api/errors.js';
import type {
  BootDevice,
  ClockConfig,
  CrashAction,
  DomainDef,
  DomainType,
  Features,
  LifecycleAction,
  OsConfig,
} from './domain-model.js';
import { parseDevices, type ParsedDevices } from './domain-parse-devices.js';
import { domainNameProblem, generateUuid, parseUuid } from './names.js';
import { parseXml } from './xml.js';
import { XNode } from './xml-reader.js';

const DOMAIN_TYPES: readonly DomainType[] = ['kvm', 'qemu'];
const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['destroy', 'restart', 'preserve', 'rename-restart'];
const CRASH_ACTIONS: readonly CrashAction[] = [...LIFECYCLE_ACTIONS, 'coredump-destroy', 'coredump-restart'];
const BOOT_DEVICES: readonly BootDevice[] = ['fd', 'hd', 'cdrom', 'network'];
/** libvirt allows at most this many <boot dev=.../> entries. */
const MAX_BOOT_DEVICES = 4;
export const MAX_VCPUS = 255;
/** Largest memory size we accept, in KiB (keeps every value an exact JS integer). */
const MAX_MEMORY_KIB = Number.MAX_SAFE_INTEGER;
const DEFAULT_MACHINE = 'pc';

/** Parse libvirt domain XML into a validated DomainDef with every default filled. */
export function parseDomainXml(xml: string): DomainDef {
  const rootEl = parseXml(xml);
  if (rootEl.name !== 'domain') {
    throw new VireoError(
      'XML_INVALID',
      `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a domain definition starts with <domain>`,
    );
  }
  const root = XNode.root(rootEl).check({
    // 'id' is runtime state printed by dumpxml of a running domain; like libvirt we ignore it on input.
    attrs: ['type', 'id'],
    one: [
      'name', 'uuid', 'title', 'description', 'memory', 'currentMemory', 'vcpu', 'os', 'features',
      'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'devices',
    ],
  });

  root.intAttr('id', -1, 2147483647); // validated, then ignored: ids are assigned at start
  const type = root.attr('type') === undefined
    ? missing(root, "attribute 'type' (kvm or qemu)")
    : root.enumAttr('type', DOMAIN_TYPES, 'qemu');

  const nameNode = root.child('name') ?? missing(root, 'element <name>');
  const name = nameNode.check({ text: true }).text();
  const nameProblem = domainNameProblem(name);
  if (nameProblem !== undefined) throw nameNode.invalid(`invalid domain name '${name}': ${nameProblem}`);

  const uuid = parseUuidElement(root.child('uuid'));
  const title = optionalText(root.child('title'));
  if (title !== undefined && /[\r\n]/.test(title)) {
    throw (root.child('title') as XNode).invalid('the title must be a single line');
  }
  const description = optionalText(root.child('description'));

  const memNode = root.child('memory') ?? missing(root, 'element <memory> (the maximum memory size)');
  const memoryKiB = parseMemory(memNode);
  if (memoryKiB === 0) throw memNode.invalid('memory size must be greater than 0');
  const curNode = root.child('currentMemory');
  let currentMemoryKiB = curNode === undefined ? memoryKiB : parseMemory(curNode);
  // libvirt: a balloon target of 0 or above the maximum means "the maximum".
  if (currentMemoryKiB === 0 || currentMemoryKiB > memoryKiB) currentMemoryKiB = memoryKiB;

  const vcpus = parseVcpu(root.child('vcpu'));
  const osNode = root.child('os') ?? missing(root, 'element <os> with <type>hvm</type>');
  const os = parseOs(osNode);
  const features = parseFeatures(root.child('features'));
  const clock = parseClock(root.child('clock'));
  const onPoweroff = lifecycle(root.child('on_poweroff'), LIFECYCLE_ACTIONS, 'destroy');
  const onReboot = lifecycle(root.child('on_reboot'), LIFECYCLE_ACTIONS, 'restart');
  const onCrash = lifecycle(root.child('on_crash'), CRASH_ACTIONS, 'destroy');

  const parsed: ParsedDevices = parseDevices(root.child('devices'));
  applyBootOrder(os, parsed);

  const def: DomainDef = {
    type,
    name,
    uuid,
    memoryKiB,
    currentMemoryKiB,
    vcpus,
    os,
    features,
    clock,
    onPoweroff,
    onReboot,
    onCrash,
    devices: parsed.devices,
  };
  if (title !== undefined) def.title = title;
  if (description !== undefined) def.description = description;
  return def;
}

function missing(node: XNode, what: string): never {
  throw new VireoError('XML_INVALID', `missing ${what} in ${node.where()}`);
}

function optionalText(node: XNode | undefined): string | undefined {
  return node === undefined ? undefined : node.check({ text: true }).rawText();
}

function parseUuidElement(node: XNode | undefined): string {
  if (node === undefined) return generateUuid();
  const raw = node.check({ text: true }).rawText();
  const uuid = parseUuid(raw);
  if (uuid === undefined) {
    throw node.invalidValue(raw, 'UUID', 'expected 32 hex digits, optionally dashed, e.g. 4dea22b3-1d52-d8f3-2516-782e98ab3fa0');
  }
  return uuid;
}

/** Size units as libvirt reads them (case-insensitive): 1000-based "KB", 1024-based "K"/"KiB". */
function unitScale(node: XNode, unit: string | undefined): bigint {
  if (unit === undefined || unit === '') return 1024n;
  const u = unit.toLowerCase();
  if (u === 'b' || u === 'byte' || u === 'bytes') return 1n;
  const power = 'kmgtpe'.indexOf(u[0] ?? '') + 1;
  const rest = u.slice(1);
  let base: bigint | undefined;
  if (rest === '' || rest === 'ib') base = 1024n;
  else if (rest === 'b') base = 1000n;
  if (power === 0 || base === undefined) {
    throw node.invalidAttr('unit', unit, 'expected b, KiB, KB, MiB, MB, GiB, GB, TiB or TB');
  }
  return base ** BigInt(power);
}

/** <memory>/<currentMemory> in KiB, rounded up from the written unit as libvirt does. */
function parseMemory(node: XNode): number {
  node.check({ attrs: ['unit'], text: true });
  const scale = unitScale(node, node.attr('unit'));
  const text = node.text();
  if (!/^\d+$/.test(text)) throw node.invalidValue(node.rawText(), 'size', 'expected a non-negative integer');
  const kib = (BigInt(text) * scale + 1023n) / 1024n;
  if (kib > BigInt(MAX_MEMORY_KIB)) throw node.invalidValue(text, 'size', 'the size is too large');
  return Number(kib);
}

function parseVcpu(node: XNode | undefined): number {
  if (node === undefined) return 1;
  node.check({ attrs: ['placement', 'current', 'cpuset'], text: true });
  if (node.attr('cpuset') !== undefined) throw node.unsupported("vCPU pinning (attribute 'cpuset') is not supported yet");
  node.enumAttr('placement', ['static'] as const, 'static');
  const count = node.intText(1, MAX_VCPUS);
  const current = node.intAttr('current', 1, MAX_VCPUS);
  if (current !== undefined && current > count) {
    throw node.invalid(`current vCPUs (${current}) cannot exceed the maximum (${count})`);
  }
  if (current !== undefined && current !== count) {
    throw node.unsupported(`fewer current vCPUs (${current}) than the maximum (${count}) is not supported yet`);
  }
  return count;
}

function parseOs(node: XNode): OsConfig {
  node.check({ one: ['type', 'kernel', 'initrd', 'cmdline'], many: ['boot'] });
  const typeNode = node.child('type') ?? missing(node, 'element <type>hvm</type>');
  typeNode.check({ attrs: ['arch', 'machine'], text: true });
  typeNode.enumText(['hvm'] as const);
  typeNode.enumAttr('arch', ['x86_64'] as const, 'x86_64');
  const machine = typeNode.attr('machine') ?? DEFAULT_MACHINE;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(machine)) {
    throw typeNode.invalidAttr('machine', machine, 'expected a machine type such as pc or q35');
  }
  const os: OsConfig = { type: 'hvm', arch: 'x86_64', machine, boot: [] };

  const kernel = node.child('kernel');
  const initrd = node.child('initrd');
  const cmdline = node.child('cmdline');
  if (kernel !== undefined) os.kernel = kernel.check({ text: true }).requireText();
  if (initrd !== undefined) {
    if (kernel === undefined) throw initrd.invalid('<initrd> needs a <kernel>');
    os.initrd = initrd.check({ text: true }).requireText();
  }
  if (cmdline !== undefined) {
    if (kernel === undefined) throw cmdline.invalid('<cmdline> needs a <kernel>');
    os.cmdline = cmdline.check({ text: true }).rawText();
  }

  const boots = node.children('boot');
  if (boots.length > MAX_BOOT_DEVICES) {
    throw (boots[MAX_BOOT_DEVICES] as XNode).invalid(`at most ${MAX_BOOT_DEVICES} <boot> devices are allowed`);
  }
  for (const boot of boots) {
    boot.check({ attrs: ['dev'] });
    if (boot.attr('dev') === undefined) missing(boot, "attribute 'dev'");
    const dev = boot.enumAttr('dev', BOOT_DEVICES, 'hd');
    if (os.boot.includes(dev)) throw boot.invalid(`boot device '${dev}' is listed twice`);
    os.boot.push(dev);
  }
  return os;
}

/** os/boot and per-device boot order exclude each other; with neither, libvirt boots from 'hd'. */
function applyBootOrder(os: OsConfig, parsed: ParsedDevices): void {
  const first = parsed.firstBootOrder;
  if (first !== undefined && os.boot.length > 0) {
    throw first.invalid('per-device <boot order=.../> cannot be combined with <os>/<boot dev=.../>');
  }
  if (first === undefined && os.boot.length === 0) os.boot = ['hd'];
}

function parseFeatures(node: XNode | undefined): Features {
  const features: Features = { acpi: false, apic: false };
  if (node === undefined) return features;
  node.check({ one: ['acpi', 'apic'] });
  const acpi = node.child('acpi');
  const apic = node.child('apic');
  if (acpi !== undefined) {
    acpi.check({});
    features.acpi = true;
  }
  if (apic !== undefined) {
    apic.check({});
    features.apic = true;
  }
  return features;
}

function parseClock(node: XNode | undefined): ClockConfig {
  if (node === undefined) return { offset: 'utc' };
  node.check({ attrs: ['offset'] });
  return { offset: node.enumAttr('offset', ['utc', 'localtime'] as const, 'utc') };
}

function lifecycle<T extends string>(node: XNode | undefined, actions: readonly T[], fallback: T): T {
  if (node === undefined) return fallback;
  return node.check({ text: true }).enumText(actions);
}
