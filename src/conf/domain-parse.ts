/**
 * libvirt domain XML -> DomainDef: the top level (identity, metadata, memory, vcpus, tuning,
 * os, features, cpu, clock, lifecycle, pm). Devices are read in domain-parse-devices.ts. Every
 * default is filled here, implicit devices are added and guest addresses assigned, so callers
 * never guess a missing value.
 */

import { VireoError } from '../api/errors.js';
import type { CrashAction, DomainDef, DomainType, LifecycleAction, OsConfig, SecLabel } from './domain-model.js';
import { completeDefinition } from './domain-implicit.js';
import { checkIothreadUse, parseIothreads } from './domain-iothreads.js';
import { parseClock, parseCpu, parseFeatures, parsePm } from './domain-parse-cpu.js';
import { parseDevices, type ParsedDevices } from './domain-parse-devices.js';
import { completeMemoryDevices } from './domain-parse-memory.js';
import { parseOs, parseSysinfo } from './domain-parse-os.js';
import {
  parseBlkiotune,
  parseCputune,
  parseMaxMemory,
  parseMemoryBacking,
  parseMemtune,
  parseNumatune,
  parseResource,
  parseVcpu,
} from './domain-parse-tuning.js';
import { missing, optionalText, sizeText } from './domain-parse-util.js';
import { domainNameProblem, generateUuid, parseUuid } from './names.js';
import { namespaceDecls, parseXml, toXmlTree } from './xml.js';
import { XNode } from './xml-reader.js';

export { MAX_VCPUS } from './domain-parse-tuning.js';

const DOMAIN_TYPES: readonly DomainType[] = ['kvm', 'qemu'];
const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['destroy', 'restart', 'preserve', 'rename-restart'];
const CRASH_ACTIONS: readonly CrashAction[] = [...LIFECYCLE_ACTIONS, 'coredump-destroy', 'coredump-restart'];

/** Top-level elements vireo does not model yet, with what to do about them. */
const NOT_YET: Record<string, string> = {
  bootloader: 'a host-side <bootloader> is for Xen guests; use <os><kernel> for direct kernel boot',
  idmap: '<idmap> is for container guests',
  genid: 'VM generation IDs (<genid>) are not supported yet',
  perf: 'perf events (<perf>) are not supported yet',
  keywrap: '<keywrap> is for s390 guests',
  launchSecurity: 'confidential guests (<launchSecurity>) are not supported yet',
  'qemu:commandline': 'raw QEMU arguments (<qemu:commandline>) are not supported: vireo builds the whole command line itself',
};

/** Options for parseDomainXml. */
export interface ParseOptions {
  /**
   * The definition the new one replaces, looked up by the new one's name and UUID: devices
   * without an address keep the one they had (a redefinition does not move hardware).
   */
  previous?: (id: { name: string; uuid: string }) => DomainDef | undefined;
  /**
   * The XML describes a running guest (vireod's status files): keep what libvirt keeps only for
   * live XML, such as the port an autoport display got.
   */
  live?: boolean;
}

/** Parse libvirt domain XML into a validated DomainDef with every default filled. */
export function parseDomainXml(xml: string, opts: ParseOptions = {}): DomainDef {
  const rootEl = parseXml(xml);
  if (rootEl.name !== 'domain') {
    throw VireoError.of(
      'XML_INVALID',
      `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a domain definition starts with <domain>`,
    );
  }
  const root = XNode.root(rootEl);
  for (const child of root.elementChildren()) {
    const reason = NOT_YET[child.el.name];
    if (reason !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${child.where()}: ${reason}`);
  }
  root.check({
    // 'id' is runtime state printed by dumpxml of a running domain; like libvirt we ignore it on input.
    attrs: ['type', 'id', ...Object.keys(rootEl.attrs).filter((a) => a.startsWith('xmlns:'))],
    one: [
      'name', 'uuid', 'title', 'description', 'metadata', 'memory', 'currentMemory', 'maxMemory', 'memoryBacking',
      'vcpu', 'iothreads', 'iothreadids', 'cputune', 'memtune', 'numatune', 'blkiotune', 'resource', 'sysinfo', 'os', 'features', 'cpu',
      'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'pm', 'devices',
    ],
    many: ['seclabel'],
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
  const memoryKiB = sizeText(memNode);
  if (memoryKiB === 0) throw memNode.invalid('memory size must be greater than 0');
  const curNode = root.child('currentMemory');
  let currentMemoryKiB = curNode === undefined ? memoryKiB : sizeText(curNode);
  // libvirt: a balloon target of 0 or above the maximum means "the maximum".
  if (currentMemoryKiB === 0 || currentMemoryKiB > memoryKiB) currentMemoryKiB = memoryKiB;

  const vcpu = parseVcpu(root.child('vcpu'));
  const osNode = root.child('os') ?? missing(root, 'element <os> with <type>hvm</type>');
  const os = parseOs(osNode);
  const features = parseFeatures(root.child('features'));
  const clock = parseClock(root.child('clock'));
  const onPoweroff = lifecycle(root.child('on_poweroff'), LIFECYCLE_ACTIONS, 'destroy');
  const onReboot = lifecycle(root.child('on_reboot'), LIFECYCLE_ACTIONS, 'restart');
  const onCrash = lifecycle(root.child('on_crash'), CRASH_ACTIONS, 'destroy');

  const parsed: ParsedDevices = parseDevices(root.child('devices'), { live: opts.live === true });
  applyBootOrder(os, parsed);

  const def: DomainDef = {
    type,
    name,
    uuid,
    memoryKiB,
    currentMemoryKiB,
    vcpu,
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

  const metadata = root.child('metadata');
  if (metadata !== undefined) {
    metadata.check({ many: metadata.elementChildren().map((c) => c.el.name) });
    const scope = new Map([...namespaceDecls(rootEl), ...namespaceDecls(metadata.el)]);
    def.metadata = metadata.elementChildren().map((c) => toXmlTree(c.el, scope));
  }
  const maxMemory = root.child('maxMemory');
  if (maxMemory !== undefined) def.maxMemory = parseMaxMemory(maxMemory);
  const mb = root.child('memoryBacking');
  if (mb !== undefined) def.memoryBacking = parseMemoryBacking(mb);
  const iothreads = parseIothreads(root.child('iothreads'), root.child('iothreadids'));
  if (iothreads !== undefined) def.iothreads = iothreads;
  const cputune = root.child('cputune');
  if (cputune !== undefined) def.cputune = parseCputune(cputune, vcpu.max);
  const memtune = root.child('memtune');
  if (memtune !== undefined) def.memtune = parseMemtune(memtune);
  const numatune = root.child('numatune');
  if (numatune !== undefined) def.numatune = parseNumatune(numatune);
  const blkiotune = root.child('blkiotune');
  if (blkiotune !== undefined) def.blkiotune = parseBlkiotune(blkiotune);
  const resource = root.child('resource');
  if (resource !== undefined) {
    const partition = parseResource(resource);
    if (partition !== undefined) def.resourcePartition = partition;
  }
  const sysinfo = root.child('sysinfo');
  if (sysinfo !== undefined) def.sysinfo = parseSysinfo(sysinfo);
  if (os.smbios === 'sysinfo' && def.sysinfo === undefined) {
    throw osNode.invalid("<smbios mode='sysinfo'/> needs a <sysinfo type='smbios'> element");
  }
  const cpuNode = root.child('cpu');
  if (cpuNode !== undefined) def.cpu = parseCpu(cpuNode, vcpu.max);
  // <memory> of a guest with NUMA cells is what the cells and memory modules hold (libvirt's rule).
  completeMemoryDevices(def);
  const pm = root.child('pm');
  if (pm !== undefined) def.pm = parsePm(pm);
  const seclabels = root.children('seclabel').map(parseSeclabel);
  if (seclabels.length > 0) def.seclabels = seclabels;

  checkIothreadUse(def);
  completeDefinition(def, opts.previous?.({ name, uuid }));
  return def;
}

function parseSeclabel(node: XNode): SecLabel {
  const type = node.attr('type');
  if (type === 'static') throw node.unsupported("static security labels need a security driver, which vireo does not have yet; use type='dynamic' or remove <seclabel>");
  node.check({ attrs: ['type', 'model', 'relabel'], one: ['label', 'imagelabel'], ignore: [] });
  const label: SecLabel = { type: node.enumAttr('type', ['dynamic', 'none'] as const, 'dynamic') };
  if (label.type === 'dynamic' && node.boolAttr('relabel') === false) throw node.unsupported("relabel='no' is for static labels");
  const model = node.attr('model');
  if (model !== undefined) {
    if (!/^[a-z]+$/.test(model)) throw node.invalidAttr('model', model, 'expected a security driver name such as apparmor, selinux or dac');
    label.model = model;
  }
  // <label>/<imagelabel> of a dynamic label are what the driver picked for a running guest.
  return label;
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

/** os/boot and per-device boot order exclude each other; with neither, libvirt boots from 'hd'. */
function applyBootOrder(os: OsConfig, parsed: ParsedDevices): void {
  const first = parsed.firstBootOrder;
  if (first !== undefined && os.boot.length > 0) {
    throw first.invalid('per-device <boot order=.../> cannot be combined with <os>/<boot dev=.../>');
  }
  if (first === undefined && os.boot.length === 0) os.boot = ['hd'];
}

function lifecycle<T extends string>(node: XNode | undefined, actions: readonly T[], fallback: T): T {
  if (node === undefined) return fallback;
  return node.check({ text: true }).enumText(actions);
}
