/**
 * Domain definition + launch paths -> QEMU argv. A pure function: no I/O, golden-tested.
 *
 * Devices and block nodes use QEMU's JSON syntax, so paths with commas or quotes never need
 * escaping. Serial ports of type 'pty' become a socket chardev owned by vireod (the daemon keeps
 * the console ring buffer and serves readers; see docs/architecture.md).
 */
import type { CharSource, DomainDef, Disk } from '../conf/domain-model.js';
import { VireoError } from '../api/errors.js';

export interface LaunchPaths {
  /** QMP monitor socket. */
  monitor: string;
  /** Socket for the daemon-owned console of serial port N. */
  serialSocket: (port: number) => string;
  /** File that QEMU also writes serial port N's output to, so nothing is lost while vireod is down. */
  serialLog: (port: number) => string;
  /** Socket for virtio console N. */
  consoleSocket: (port: number) => string;
}

export interface LaunchOptions {
  accel: 'kvm' | 'tcg';
  /** Wait for an incoming migration stream instead of booting (restore, migrate). */
  incoming?: boolean;
}

/** True for the q35 family of machine types. */
export function isQ35(machine: string): boolean {
  return machine === 'q35' || machine.includes('-q35');
}

const json = (o: Record<string, unknown>): string => JSON.stringify(o);
/** Legacy QEMU option syntax doubles commas inside values. */
const esc = (v: string): string => v.replace(/,/g, ',,');

export function buildQemuArgv(def: DomainDef, paths: LaunchPaths, opts: LaunchOptions): string[] {
  const q35 = isQ35(def.os.machine);
  const a: string[] = [];
  a.push('-name', `guest=${esc(def.name)},debug-threads=on`);
  a.push('-S');
  a.push('-machine', `${esc(def.os.machine)},usb=off,dump-guest-core=off`);
  a.push('-accel', opts.accel);
  a.push('-cpu', 'qemu64');
  a.push('-m', memoryArg(def.memoryKiB));
  a.push('-overcommit', 'mem-lock=off');
  a.push('-smp', `${def.vcpus},sockets=${def.vcpus},cores=1,threads=1`);
  a.push('-uuid', def.uuid);
  a.push('-no-user-config', '-nodefaults');
  a.push('-chardev', `socket,id=charmonitor,path=${esc(paths.monitor)},server=on,wait=off`);
  a.push('-mon', 'chardev=charmonitor,id=monitor,mode=control');
  a.push('-rtc', `base=${def.clock.offset}`);
  a.push('-no-shutdown');
  // A guest reboot must end the domain: QEMU then reports SHUTDOWN instead of resetting.
  if (def.onReboot === 'destroy') a.push('-no-reboot');
  if (!def.features.acpi) a.push('-no-acpi');
  a.push('-boot', def.os.boot.length > 0 ? `order=${def.os.boot.map(bootLetter).join('')},strict=on` : 'strict=on');
  if (def.os.kernel !== undefined) a.push('-kernel', def.os.kernel);
  if (def.os.initrd !== undefined) a.push('-initrd', def.os.initrd);
  if (def.os.cmdline !== undefined) a.push('-append', def.os.cmdline);

  a.push(...diskArgs(def, q35));
  def.devices.interfaces.forEach((nic, i) => {
    a.push('-netdev', json({ type: 'user', id: `hostnet${i}` }));
    const dev: Record<string, unknown> = { driver: nicDriver(nic.model), netdev: `hostnet${i}`, id: `net${i}`, mac: nic.mac };
    if (nic.bootOrder !== undefined) dev.bootindex = nic.bootOrder;
    a.push('-device', json(dev));
  });
  for (const s of def.devices.serials) {
    a.push('-chardev', chardevArg(`charserial${s.port}`, s.source, paths.serialSocket(s.port), paths.serialLog(s.port)));
    a.push('-device', json({ driver: 'isa-serial', chardev: `charserial${s.port}`, id: `serial${s.port}`, index: s.port }));
  }
  const virtioConsoles = def.devices.consoles.filter((c) => c.targetType === 'virtio');
  if (virtioConsoles.length > 0) {
    a.push('-device', json({ driver: 'virtio-serial-pci', id: 'virtio-serial0' }));
    for (const c of virtioConsoles) {
      const id = `charconsole${c.port}`;
      a.push('-chardev', chardevArg(id, c.source, paths.consoleSocket(c.port), undefined));
      a.push('-device', json({ driver: 'virtconsole', chardev: id, id: `console${c.port}`, bus: 'virtio-serial0.0', nr: c.port }));
    }
  }
  if (def.devices.graphics.length === 0) a.push('-display', 'none');
  for (const g of def.devices.graphics) {
    const display = g.autoport || g.port < 0 ? '0,to=99' : String(g.port - 5900);
    if (!g.autoport && g.port >= 0 && g.port < 5900) throw new VireoError('XML_INVALID', `VNC port ${g.port} is below 5900`);
    a.push('-vnc', `${esc(vncHost(g.listen))}:${display}${g.passwd !== undefined ? ',password=on' : ''}`);
  }
  for (const [i, v] of def.devices.videos.entries()) {
    if (v.model === 'none') continue;
    const dev: Record<string, unknown> = { driver: videoDriver(v.model, i === 0), id: `video${i}` };
    if (v.model === 'qxl' && v.vram !== undefined) dev.vram_size = v.vram * 1024;
    if (v.model === 'virtio' && v.heads !== undefined) dev.max_outputs = v.heads;
    a.push('-device', json(dev));
  }
  if (def.devices.memballoon.model === 'virtio') {
    a.push('-device', json({ driver: 'virtio-balloon-pci', id: 'balloon0' }));
  }
  if (opts.incoming === true) a.push('-incoming', 'defer');
  a.push('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  a.push('-msg', 'timestamp=on');
  return a;
}

function memoryArg(kib: number): string {
  return kib % 1024 === 0 ? String(kib / 1024) : `${kib}k`;
}

function bootLetter(dev: string): string {
  return ({ hd: 'c', cdrom: 'd', network: 'n', fd: 'a' } as Record<string, string>)[dev] ?? 'c';
}

function nicDriver(model: string): string {
  return ({ virtio: 'virtio-net-pci', e1000: 'e1000', e1000e: 'e1000e', rtl8139: 'rtl8139' } as Record<string, string>)[model] ?? model;
}

function videoDriver(model: string, primary: boolean): string {
  switch (model) {
    case 'vga': return 'VGA';
    case 'cirrus': return 'cirrus-vga';
    case 'virtio': return primary ? 'virtio-vga' : 'virtio-gpu-pci';
    case 'qxl': return primary ? 'qxl-vga' : 'qxl';
    case 'bochs': return 'bochs-display';
    default: throw new VireoError('XML_UNSUPPORTED', `unsupported video model '${model}'`);
  }
}

function vncHost(listen: string): string {
  return listen.includes(':') ? `[${listen}]` : listen;
}

function chardevArg(id: string, src: CharSource, daemonSocket: string, logfile: string | undefined): string {
  switch (src.type) {
    case 'pty': {
      const log = logfile === undefined ? '' : `,logfile=${esc(logfile)},logappend=on`;
      return `socket,id=${id},path=${esc(daemonSocket)},server=on,wait=off${log}`;
    }
    case 'file':
      return `file,id=${id},path=${esc(src.path)},append=${src.append === true ? 'on' : 'off'}`;
    case 'unix':
      return src.mode === 'bind'
        ? `socket,id=${id},path=${esc(src.path)},server=on,wait=off`
        : `socket,id=${id},path=${esc(src.path)},server=off`;
  }
}

/** Index of a disk on its bus, from its target name: vda -> 0, sdb -> 1, hdc -> 2. */
export function diskIndex(target: string): number {
  const letters = target.replace(/^(vd|sd|hd|xvd)/, '');
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

function diskArgs(def: DomainDef, q35: boolean): string[] {
  const a: string[] = [];
  const disks = def.devices.disks;
  if (disks.some((d) => d.bus === 'scsi')) a.push('-device', json({ driver: 'virtio-scsi-pci', id: 'scsi0' }));
  if (!q35 && disks.some((d) => d.bus === 'sata')) a.push('-device', json({ driver: 'ich9-ahci', id: 'sata0' }));
  if (q35 && disks.some((d) => d.bus === 'ide')) {
    throw new VireoError('XML_UNSUPPORTED', `IDE disks are not supported on machine type '${def.os.machine}'`, { hint: "use bus='sata' on q35" });
  }
  disks.forEach((d, i) => {
    const node = `vireo-${i + 1}`;
    const dev = diskDevice(d, q35);
    if (d.source !== undefined) {
      const file: Record<string, unknown> = { driver: 'file', filename: d.source, 'node-name': `${node}-storage`, 'auto-read-only': true, discard: 'unmap' };
      if (d.cache === 'none' || d.cache === 'directsync') file.cache = { direct: true, 'no-flush': false };
      if (d.cache === 'unsafe') file.cache = { direct: false, 'no-flush': true };
      a.push('-blockdev', json(file));
      a.push('-blockdev', json({ 'node-name': `${node}-format`, 'read-only': d.readonly || d.device === 'cdrom', driver: d.format, file: `${node}-storage` }));
      dev.drive = `${node}-format`;
    }
    a.push('-device', json(dev));
  });
  return a;
}

function diskDevice(d: Disk, q35: boolean): Record<string, unknown> {
  const idx = diskIndex(d.target);
  const dev: Record<string, unknown> = {};
  switch (d.bus) {
    case 'virtio':
      if (d.device === 'cdrom') throw new VireoError('XML_UNSUPPORTED', `cdrom ${d.target} cannot be on the virtio bus`, { hint: "use bus='sata' or bus='scsi'" });
      Object.assign(dev, { driver: 'virtio-blk-pci', id: `virtio-disk${idx}` });
      break;
    case 'sata':
      Object.assign(dev, { driver: d.device === 'cdrom' ? 'ide-cd' : 'ide-hd', bus: q35 ? `ide.${idx}` : `sata0.${idx}`, id: `sata0-0-${idx}` });
      break;
    case 'ide':
      Object.assign(dev, { driver: d.device === 'cdrom' ? 'ide-cd' : 'ide-hd', bus: `ide.${Math.floor(idx / 2)}`, unit: idx % 2, id: `ide0-${Math.floor(idx / 2)}-${idx % 2}` });
      break;
    case 'scsi':
      Object.assign(dev, { driver: d.device === 'cdrom' ? 'scsi-cd' : 'scsi-hd', bus: 'scsi0.0', channel: 0, 'scsi-id': 0, lun: idx, id: `scsi0-0-0-${idx}` });
      break;
  }
  if (d.serial !== undefined) dev.serial = d.serial;
  if (d.bootOrder !== undefined) dev.bootindex = d.bootOrder;
  return dev;
}
