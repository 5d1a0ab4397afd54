/**
 * DomainDef -> libvirt domain XML, laid out the way `virsh dumpxml` of libvirt 9.0 prints it,
 * so that the output validates against libvirt's domain.rng.
 */

import type {
  CharSource,
  Console,
  DomainDef,
  Disk,
  Graphics,
  Interface,
  SerialPort,
  Video,
} from './domain-model.js';
import { el, serializeXml, type XmlOut } from './xml.js';

/** Options for formatDomainXml. */
export interface FormatOptions {
  /** Runtime id of a running domain: printed as `<domain ... id='N'>`. */
  id?: number;
  /** Leave out secrets (the VNC password), as `virsh dumpxml` does without --security-info. */
  omitSecrets?: boolean;
}

/** Print a domain definition as libvirt-style XML (final newline included). */
export function formatDomainXml(def: DomainDef, opts: FormatOptions = {}): string {
  const memory = (name: string, kib: number): XmlOut => el(name, { unit: 'KiB' }, String(kib));
  const lifecycle = (name: string, action: string): XmlOut => el(name, {}, action);
  const root = el('domain', { type: def.type, id: opts.id }, [
    el('name', {}, def.name),
    el('uuid', {}, def.uuid),
    def.title !== undefined && el('title', {}, def.title),
    def.description !== undefined && el('description', {}, def.description),
    memory('memory', def.memoryKiB),
    memory('currentMemory', def.currentMemoryKiB),
    el('vcpu', { placement: 'static' }, String(def.vcpus)),
    formatOs(def),
    (def.features.acpi || def.features.apic) &&
      el('features', {}, [def.features.acpi && el('acpi'), def.features.apic && el('apic')]),
    el('clock', { offset: def.clock.offset }),
    lifecycle('on_poweroff', def.onPoweroff),
    lifecycle('on_reboot', def.onReboot),
    lifecycle('on_crash', def.onCrash),
    formatDevices(def, opts),
  ]);
  return serializeXml(root);
}

function formatOs(def: DomainDef): XmlOut {
  const os = def.os;
  return el('os', {}, [
    el('type', { arch: os.arch, machine: os.machine }, os.type),
    os.kernel !== undefined && el('kernel', {}, os.kernel),
    os.initrd !== undefined && el('initrd', {}, os.initrd),
    os.cmdline !== undefined && el('cmdline', {}, os.cmdline),
    ...os.boot.map((dev) => el('boot', { dev })),
  ]);
}

function formatDevices(def: DomainDef, opts: FormatOptions): XmlOut {
  const d = def.devices;
  return el('devices', {}, [
    d.emulator !== undefined && el('emulator', {}, d.emulator),
    ...d.disks.map(formatDisk),
    ...d.interfaces.map(formatInterface),
    ...d.serials.map(formatSerial),
    ...d.consoles.map((c) => formatConsole(c, d.serials)),
    ...d.graphics.map((g) => formatGraphics(g, opts)),
    ...d.videos.map(formatVideo),
    el('memballoon', { model: d.memballoon.model }),
  ]);
}

function formatDisk(disk: Disk): XmlOut {
  return el('disk', { type: disk.sourceType, device: disk.device }, [
    el('driver', { name: 'qemu', type: disk.format, cache: disk.cache }),
    disk.source !== undefined && el('source', { file: disk.source }),
    el('target', { dev: disk.target, bus: disk.bus }),
    disk.readonly && el('readonly'),
    disk.serial !== undefined && el('serial', {}, disk.serial),
    disk.bootOrder !== undefined && el('boot', { order: disk.bootOrder }),
  ]);
}

function formatInterface(nic: Interface): XmlOut {
  return el('interface', { type: nic.type }, [
    el('mac', { address: nic.mac }),
    el('model', { type: nic.model }),
    nic.bootOrder !== undefined && el('boot', { order: nic.bootOrder }),
  ]);
}

/** <source> of a character device; a pty's path is printed only once known (running domain). */
function formatSource(source: CharSource): XmlOut | undefined {
  switch (source.type) {
    case 'pty':
      return source.path === undefined ? undefined : el('source', { path: source.path });
    case 'file':
      return el('source', {
        path: source.path,
        append: source.append === undefined ? undefined : source.append ? 'on' : 'off',
      });
    case 'unix':
      return el('source', { mode: source.mode, path: source.path });
  }
}

function formatSerial(serial: SerialPort): XmlOut {
  return el('serial', { type: serial.source.type }, [
    formatSource(serial.source),
    el('target', { type: 'isa-serial', port: serial.port }, [el('model', { name: 'isa-serial' })]),
  ]);
}

function formatConsole(console: Console, serials: SerialPort[]): XmlOut {
  // A serial console is an alias: it always shows serial port 0's host side, as libvirt prints it.
  const serial0 = serials[0];
  const source = console.targetType === 'serial' && serial0 !== undefined ? serial0.source : console.source;
  const port = console.targetType === 'serial' && serial0 !== undefined ? serial0.port : console.port;
  const tty = source.type === 'pty' ? source.path : undefined;
  return el('console', { type: source.type, tty }, [
    formatSource(source),
    el('target', { type: console.targetType, port }),
  ]);
}

function formatGraphics(g: Graphics, opts: FormatOptions): XmlOut {
  return el(
    'graphics',
    {
      type: g.type,
      port: g.port,
      autoport: g.autoport ? 'yes' : 'no',
      listen: g.listen,
      passwd: opts.omitSecrets === true ? undefined : g.passwd,
    },
    [el('listen', { type: 'address', address: g.listen })],
  );
}

function formatVideo(video: Video, index: number): XmlOut {
  const primary = index === 0 && video.model !== 'none' ? 'yes' : undefined;
  return el('video', {}, [el('model', { type: video.model, vram: video.vram, heads: video.heads, primary })]);
}
