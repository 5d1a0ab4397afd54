/**
 * UEFI firmware selection: <os firmware='efi'> (plus optional <firmware><feature>s) against the
 * firmware descriptors QEMU packages install (/usr/share/qemu/firmware/*.json; Debian's ovmf has
 * secure-boot-with-Microsoft-keys, secure-boot, and plain images). Pure: the caller reads the
 * descriptors (QEMU's firmware interop format, hence the QEMU driver's). Like libvirt, the
 * persistent definition keeps what the user wrote and the live definition of a running guest
 * shows the loader and NVRAM that were picked.
 */

import { VireoError } from '../api/errors.js';
import type { DomainDef } from '../conf/domain-model.js';
import { isQ35 } from '../conf/domain-implicit.js';

/** The parts of a QEMU firmware descriptor (docs/interop/firmware.json) vireo uses. */
export interface FirmwareDescriptor {
  /** Descriptor file name; lower sorts first and wins, as the spec says. */
  file: string;
  interfaceTypes: string[];
  device: 'flash' | 'memory';
  executable: string;
  nvramTemplate?: string;
  /** Machine type globs of x86_64 targets, e.g. 'pc-q35-*'. */
  machines: string[];
  features: string[];
}

/** The per-domain variable store libvirt would create: DIR/NAME_VARS.fd. */
export function defaultNvramPath(nvramDir: string, name: string): string {
  return `${nvramDir}/${name}_VARS.fd`;
}

function machineMatches(glob: string, machine: string): boolean {
  // Descriptors name versioned types; the 'q35' and 'pc' aliases stand for the newest of each.
  const canonical = machine === 'q35' ? 'pc-q35-99' : machine === 'pc' ? 'pc-i440fx-99' : machine;
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(canonical) || (isQ35(machine) && glob.startsWith('pc-q35-') && machine === 'q35');
}

/**
 * Fill in the loader and NVRAM of a UEFI guest (or of a pflash loader without an NVRAM path).
 * Returns a new definition; BIOS guests come back unchanged.
 */
export function resolveFirmware(def: DomainDef, descriptors: FirmwareDescriptor[], nvramDir: string): DomainDef {
  const os = def.os;
  if (os.firmware !== 'efi' && os.loader === undefined) return def;
  const out = structuredClone(def);
  const loader = out.os.loader ?? {};
  if (loader.path === undefined) {
    const wanted = out.os.firmwareFeatures ?? [];
    const pick = [...descriptors].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).find((d) => {
      if (!d.interfaceTypes.includes('uefi')) return false;
      if (!d.machines.some((m) => machineMatches(m, os.machine))) return false;
      for (const f of wanted) if (d.features.includes(f.name) !== f.enabled) return false;
      if (loader.secure !== undefined && d.features.includes('secure-boot') !== loader.secure) return false;
      if (out.features.smm === 'off' && d.features.includes('requires-smm')) return false;
      if (loader.type !== undefined && (loader.type === 'pflash') !== (d.device === 'flash')) return false;
      return true;
    });
    if (pick === undefined) {
      const feats = wanted.map((f) => `${f.name}=${f.enabled ? 'yes' : 'no'}`).join(', ');
      const fix = descriptors.length === 0 ? 'install the firmware (apt-get install ovmf)' : 'relax the <firmware><feature> requirements';
      throw VireoError.of('NO_SUPPORT', `no UEFI firmware on this host matches machine type '${os.machine}'${feats === '' ? '' : ` with ${feats}`}; ${fix}`);
    }
    loader.path = pick.executable;
    loader.readonly = true;
    loader.type = pick.device === 'flash' ? 'pflash' : 'rom';
    const secure = pick.features.includes('requires-smm');
    loader.secure = secure;
    if (secure) out.features.smm = 'on';
    if (pick.nvramTemplate !== undefined && loader.type === 'pflash') {
      out.os.nvram = { ...out.os.nvram, template: out.os.nvram?.template ?? pick.nvramTemplate };
    }
    out.os.firmwareFeatures = [
      { name: 'enrolled-keys', enabled: pick.features.includes('enrolled-keys') },
      { name: 'secure-boot', enabled: pick.features.includes('secure-boot') },
    ];
  } else if (loader.type === 'pflash' && out.os.nvram?.template === undefined) {
    const known = descriptors.find((d) => d.executable === loader.path && d.nvramTemplate !== undefined);
    if (known !== undefined) out.os.nvram = { ...out.os.nvram, template: known.nvramTemplate as string };
  }
  out.os.loader = loader;
  if (loader.type === 'pflash' && loader.readonly !== false) {
    out.os.nvram = { ...out.os.nvram, path: out.os.nvram?.path ?? defaultNvramPath(nvramDir, def.name) };
  }
  if (loader.secure === true && out.features.smm === 'off') {
    throw VireoError.of('XML_INVALID', "a secure-boot loader (secure='yes') needs SMM; remove <smm state='off'/>");
  }
  return out;
}

/** Parse one firmware descriptor (JSON text) into what resolveFirmware needs; undefined if it is not for x86_64. */
export function parseFirmwareDescriptor(file: string, text: string): FirmwareDescriptor | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const mapping = r.mapping as Record<string, unknown> | undefined;
  const exec = (mapping?.executable as Record<string, unknown> | undefined)?.filename;
  const tmpl = (mapping?.['nvram-template'] as Record<string, unknown> | undefined)?.filename;
  const device = mapping?.device === 'memory' ? 'memory' : mapping?.device === 'flash' ? 'flash' : undefined;
  if (typeof exec !== 'string' && typeof mapping?.filename !== 'string') return undefined;
  const targets = Array.isArray(r.targets) ? (r.targets as Array<Record<string, unknown>>) : [];
  const machines = targets.filter((t) => t.architecture === 'x86_64').flatMap((t) => (Array.isArray(t.machines) ? t.machines.filter((m): m is string => typeof m === 'string') : []));
  if (machines.length === 0 || device === undefined) return undefined;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const d: FirmwareDescriptor = {
    file,
    interfaceTypes: strings(r['interface-types']),
    device,
    executable: typeof exec === 'string' ? exec : (mapping?.filename as string),
    machines,
    features: strings(r.features),
  };
  if (typeof tmpl === 'string') d.nvramTemplate = tmpl;
  return d;
}
