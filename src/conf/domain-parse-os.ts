/** <os> (machine, firmware, kernel boot, boot order, boot menu, SMBIOS mode) and <sysinfo>. */

import type { BootDevice, FirmwareFeature, Loader, OsConfig, Sysinfo, SysinfoEntry } from './domain-model.js';
import { missing } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

const BOOT_DEVICES: readonly BootDevice[] = ['fd', 'hd', 'cdrom', 'network'];
/** libvirt allows at most this many <boot dev=.../> entries. */
const MAX_BOOT_DEVICES = 4;
const DEFAULT_MACHINE = 'pc';
const ABS_PATH = /^\/.*/;

export function parseOs(node: XNode): OsConfig {
  node.check({
    attrs: ['firmware'],
    one: ['type', 'firmware', 'loader', 'nvram', 'kernel', 'initrd', 'cmdline', 'bootmenu', 'smbios', 'bios'],
    many: ['boot'],
  });
  const typeNode = node.child('type') ?? missing(node, 'element <type>hvm</type>');
  typeNode.check({ attrs: ['arch', 'machine'], text: true });
  typeNode.enumText(['hvm'] as const);
  typeNode.enumAttr('arch', ['x86_64'] as const, 'x86_64');
  const machine = typeNode.attr('machine') ?? DEFAULT_MACHINE;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(machine)) {
    throw typeNode.invalidAttr('machine', machine, 'expected a machine type such as pc or q35');
  }
  const os: OsConfig = { type: 'hvm', arch: 'x86_64', machine, boot: [] };
  const firmware = node.enumAttr('firmware', ['efi', 'bios'] as const);
  if (firmware !== undefined) os.firmware = firmware;

  const fwNode = node.child('firmware');
  if (fwNode !== undefined) {
    if (firmware !== 'efi') throw fwNode.invalid("<firmware> features need <os firmware='efi'>");
    fwNode.check({ many: ['feature'] });
    const features: FirmwareFeature[] = [];
    for (const f of fwNode.children('feature')) {
      f.check({ attrs: ['enabled', 'name'] });
      const name = f.enumAttr('name', ['secure-boot', 'enrolled-keys'] as const) ?? missing(f, "attribute 'name'");
      const enabled = f.boolAttr('enabled') ?? missing(f, "attribute 'enabled' (yes or no)");
      if (features.some((x) => x.name === name)) throw f.invalid(`firmware feature '${name}' is listed twice`);
      features.push({ name, enabled });
    }
    os.firmwareFeatures = features;
  }

  const loaderNode = node.child('loader');
  if (loaderNode !== undefined) {
    loaderNode.check({ attrs: ['readonly', 'secure', 'type'], text: true });
    const loader: Loader = {};
    const path = loaderNode.text();
    if (path !== '') {
      if (!ABS_PATH.test(path)) throw loaderNode.invalidValue(path, 'firmware path', 'expected an absolute path');
      loader.path = path;
    }
    const readonly = loaderNode.boolAttr('readonly');
    const secure = loaderNode.boolAttr('secure');
    const type = loaderNode.enumAttr('type', ['rom', 'pflash'] as const);
    if (readonly !== undefined) loader.readonly = readonly;
    if (secure !== undefined) loader.secure = secure;
    if (type !== undefined) loader.type = type;
    if (loader.path === undefined && firmware !== 'efi') throw loaderNode.invalid("<loader> needs a firmware path, or <os firmware='efi'> to pick one");
    os.loader = loader;
  }
  const nvramNode = node.child('nvram');
  if (nvramNode !== undefined) {
    nvramNode.check({ attrs: ['template'], text: true });
    const path = nvramNode.text();
    const template = nvramNode.attr('template');
    os.nvram = {};
    if (path !== '') {
      if (!ABS_PATH.test(path)) throw nvramNode.invalidValue(path, 'NVRAM path', 'expected an absolute path');
      os.nvram.path = path;
    }
    if (template !== undefined) {
      if (!ABS_PATH.test(template)) throw nvramNode.invalidAttr('template', template, 'expected an absolute path');
      os.nvram.template = template;
    }
  }

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

  const menu = node.child('bootmenu');
  if (menu !== undefined) {
    menu.check({ attrs: ['enable', 'timeout'] });
    const enable = menu.boolAttr('enable') ?? missing(menu, "attribute 'enable' (yes or no)");
    const timeout = menu.intAttr('timeout', 0, 65535);
    os.bootmenu = timeout === undefined ? { enable } : { enable, timeoutMs: timeout };
  }
  const smbios = node.child('smbios');
  if (smbios !== undefined) {
    smbios.check({ attrs: ['mode'] });
    os.smbios = smbios.enumAttr('mode', ['sysinfo', 'host', 'emulate'] as const) ?? missing(smbios, "attribute 'mode'");
  }
  const bios = node.child('bios');
  if (bios !== undefined) {
    bios.check({ attrs: ['useserial', 'rebootTimeout'] });
    os.bios = {};
    const useserial = bios.boolAttr('useserial');
    const reboot = bios.intAttr('rebootTimeout', -1, 65535);
    if (useserial !== undefined) os.bios.useserial = useserial;
    if (reboot !== undefined) os.bios.rebootTimeoutMs = reboot;
  }
  return os;
}

const SYSINFO_NAMES = {
  bios: ['vendor', 'version', 'date', 'release'],
  system: ['manufacturer', 'product', 'version', 'serial', 'uuid', 'sku', 'family'],
  baseBoard: ['manufacturer', 'product', 'version', 'serial', 'asset', 'location'],
  chassis: ['manufacturer', 'version', 'serial', 'asset', 'sku'],
} as const;

function entries(node: XNode, names: readonly string[]): SysinfoEntry[] {
  node.check({ many: ['entry'] });
  const out: SysinfoEntry[] = [];
  for (const e of node.children('entry')) {
    e.check({ attrs: ['name'], text: true });
    const name = e.enumAttr('name', names) ?? missing(e, "attribute 'name'");
    if (out.some((x) => x.name === name)) throw e.invalid(`entry '${name}' is listed twice`);
    out.push({ name, value: e.rawText() });
  }
  return out;
}

export function parseSysinfo(node: XNode): Sysinfo {
  node.check({ attrs: ['type'], one: ['bios', 'system', 'chassis', 'oemStrings'], many: ['baseBoard'] });
  if (node.attr('type') === undefined) missing(node, "attribute 'type' (smbios)");
  node.enumAttr('type', ['smbios'] as const);
  const bios = node.child('bios');
  const system = node.child('system');
  const chassis = node.child('chassis');
  const oem = node.child('oemStrings');
  const info: Sysinfo = {
    bios: bios === undefined ? [] : entries(bios, SYSINFO_NAMES.bios),
    system: system === undefined ? [] : entries(system, SYSINFO_NAMES.system),
    baseBoards: node.children('baseBoard').map((b) => entries(b, SYSINFO_NAMES.baseBoard)),
    chassis: chassis === undefined ? [] : entries(chassis, SYSINFO_NAMES.chassis),
    oemStrings: [],
  };
  if (oem !== undefined) {
    oem.check({ many: ['entry'] });
    info.oemStrings = oem.children('entry').map((e) => e.check({ text: true }).rawText());
  }
  return info;
}
