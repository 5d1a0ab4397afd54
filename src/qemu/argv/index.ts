/**
 * Domain definition + launch paths -> QEMU argv. A pure function: no I/O, golden-tested.
 *
 * Devices and block nodes use QEMU's JSON syntax, so paths with commas or quotes never need
 * escaping; device ids are libvirt's aliases (net0, virtio-disk0, pci.1...) and every PCI device
 * gets the bus/addr the definition assigned (conf/domain-pci.ts). The order of options follows
 * libvirt's, so `vireo domxml-to-native` reads like `virsh domxml-to-native`.
 */
import { VireoError } from '../../api/errors.js';
import type { Disk, DomainDef, Interface } from '../../conf/domain-model.js';
import { chardevDeviceArgs } from './chardev.js';
import { balloonRngPanicArgs, displayArgs, inputArgs, netArgs, nicAlias, redirdevArgs, TAP_NIC_TYPES, tpmArgs, watchdogArgs } from './devices.js';
import { bootArg, clockArgs, cpuArg, firmwareArgs, machineArg, memoryAndCpus, needsMemoryBackend, pmArgs, smbiosArgs } from './machine.js';
import { dimmArgs } from './memory.js';
import { controllerArgs, diskArgs, iothreadArgs } from './storage.js';
import { Argv, esc } from './util.js';

export interface LaunchPaths {
  /** QMP monitor socket. */
  monitor: string;
  /** Socket for the daemon-owned console of serial port N. */
  serialSocket: (port: number) => string;
  /** File that QEMU also writes serial port N's output to, so nothing is lost while vireod is down. */
  serialLog: (port: number) => string;
  /** Socket for virtio console N. */
  consoleSocket: (port: number) => string;
  /** Socket of a unix channel written without a path (e.g. the guest agent's), by channel name. */
  channelSocket: (name: string) => string;
  /** Control socket of the domain's swtpm. */
  tpmSocket: string;
}

export interface LaunchOptions {
  accel: 'kvm' | 'tcg';
  /** Wait for an incoming migration stream instead of booting (restore, migrate). */
  incoming?: boolean;
  /** Where hugetlbfs is mounted, if it is. */
  hugepagesPath?: string;
  /** Directory for file-backed guest RAM (<memoryBacking><source type='file'/>). */
  memoryFileDir?: string;
  /** The time a variable-offset clock is computed from (tests pin it). */
  now?: Date;
  /**
   * /dev/vhost-net can be opened here (hostFacts().vhostNet): KVM guests' virtio NICs then get
   * vhost=on. Absent: no vhost, as `virsh domxml-to-native` prints.
   */
  vhostNet?: boolean;
}

/** What the host offers, for checkHostSupport(). */
export interface HostFacts {
  /** QEMU was built with SPICE. */
  spice: boolean;
  /** swtpm is installed (TPM emulator). */
  swtpm: boolean;
  /** /dev/vhost-net can be opened (the vhost_net module is loaded): in-kernel virtio-net. */
  vhostNet: boolean;
  /** QEMU has its iscsi block driver (Debian: qemu-block-extra); asked only for a guest with an iSCSI disk. */
  iscsi?: boolean;
}

export { inputDevice, netdevProps, nicAlias, nicDeviceProps, rngDevice, rngObject, TAP_NIC_TYPES, usesVhost } from './devices.js';
export { isQ35, diskIndex } from '../../conf/domain-implicit.js';
export { blockQdev, diskId, diskNode, diskParts, scsiControllerDevice, throttleArgs, THROTTLE_NAMES } from './storage.js';
import { blockQdev, throttleArgs } from './storage.js';

/**
 * Refuse, before anything starts, what this host or this vireo cannot run yet; each error names
 * the device and says what would work.
 */
export function checkHostSupport(def: DomainDef, host: HostFacts): void {
  def.devices.interfaces.forEach((nic, i) => {
    const which = `interface net${i} (${nic.mac})`;
    if (nic.type !== 'user' && !TAP_NIC_TYPES.includes(nic.type)) {
      // The parser knows only these today; a type it learns (direct/macvtap, vhostuser...) must
      // be refused here until the start path can make its host side.
      throw VireoError.of('NO_SUPPORT', `${which} of type '${String(nic.type)}' cannot be started by vireo yet; use type 'network', 'bridge', 'ethernet' or 'user'`);
    }
    // As libvirt: an explicit vhost request is checked only where vhost would be used (KVM guests'
    // tap NICs); elsewhere it is ignored.
    if (def.type !== 'kvm' || nic.type === 'user' || nic.driver?.name !== 'vhost') return;
    if (nic.model !== 'virtio') {
      throw VireoError.of('NO_SUPPORT', `${which}: vhost-net is only supported for virtio network interfaces; use <model type='virtio'> or remove <driver name='vhost'>`);
    }
    if (!host.vhostNet) {
      throw VireoError.of('NO_SUPPORT', `${which} asks for vhost-net (<driver name='vhost'>), but /dev/vhost-net is not available on this host; load it (modprobe vhost_net) or remove name='vhost' to use QEMU's own virtio-net backend`);
    }
  });
  if (!host.spice && def.devices.graphics.some((g) => g.type === 'spice')) {
    throw VireoError.of('NO_SUPPORT', "this QEMU was built without SPICE support; use <graphics type='vnc'>");
  }
  const iscsiDisk = def.devices.disks.find((d) => d.network !== undefined || d.resolved?.type === 'network');
  if (iscsiDisk !== undefined && host.iscsi === false) {
    throw VireoError.of('NO_SUPPORT', `disk ${iscsiDisk.target} is on iSCSI, but this QEMU has no iscsi block driver; install it (Debian: apt-get install qemu-block-extra)`);
  }
  if (def.devices.tpms.some((t) => t.backend.type === 'emulator') && !host.swtpm) {
    throw VireoError.of('NO_SUPPORT', 'the TPM emulator needs swtpm, which is not installed (apt-get install swtpm)');
  }
}

/** bootindex of each bootable device: per-device <boot order>, or <os><boot dev> mapped as libvirt does. */
function bootIndexes(def: DomainDef): { disk: (d: Disk) => number | undefined; nic: (n: Interface) => number | undefined; redir: (i: number) => number | undefined } {
  const byDisk = new Map<Disk, number>();
  const byNic = new Map<Interface, number>();
  const d = def.devices;
  if (def.os.boot.length > 0) {
    // libvirt hands <boot dev> out as bootindex to the first device of each kind, in boot order.
    let next = 1;
    for (const dev of def.os.boot) {
      if (dev === 'network') {
        const nic = d.interfaces[0];
        if (nic !== undefined) byNic.set(nic, next++);
        continue;
      }
      const kind = dev === 'hd' ? 'disk' : dev === 'cdrom' ? 'cdrom' : 'floppy';
      const disk = d.disks.find((x) => x.device === kind);
      if (disk !== undefined) byDisk.set(disk, next++);
    }
  }
  return {
    disk: (x) => x.bootOrder ?? byDisk.get(x),
    nic: (x) => x.bootOrder ?? byNic.get(x),
    redir: (i) => d.redirdevs[i]?.bootOrder,
  };
}

export function buildQemuArgv(def: DomainDef, paths: LaunchPaths, opts: LaunchOptions): string[] {
  const out = new Argv();
  out.push('-name', `guest=${esc(def.name)},debug-threads=on`);
  out.push('-S');
  firmwareArgs(def, out);
  const backend = needsMemoryBackend(def) && def.cpu?.numa === undefined;
  out.push('-machine', machineArg(def, opts, backend));
  out.push('-accel', opts.accel);
  out.push('-cpu', cpuArg(def, opts));
  if (def.os.loader?.secure === true) out.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  if (def.os.loader?.type === 'rom' && def.os.loader.path !== undefined) out.push('-bios', def.os.loader.path);
  memoryAndCpus(def, opts, out);
  iothreadArgs(def, out);
  out.push('-uuid', def.uuid);
  smbiosArgs(def, out);
  out.push('-no-user-config', '-nodefaults');
  out.push('-chardev', `socket,id=charmonitor,path=${esc(paths.monitor)},server=on,wait=off`);
  out.push('-mon', 'chardev=charmonitor,id=monitor,mode=control');
  clockArgs(def, opts, out);
  out.push('-no-shutdown');
  // A guest reboot must end the domain: QEMU then reports SHUTDOWN instead of resetting.
  if (def.onReboot === 'destroy') out.push('-no-reboot');
  pmArgs(def, out);
  if (!def.features.acpi) out.push('-no-acpi');
  out.push('-boot', bootArg(def));
  if (def.os.kernel !== undefined) out.push('-kernel', def.os.kernel);
  if (def.os.initrd !== undefined) out.push('-initrd', def.os.initrd);
  if (def.os.cmdline !== undefined) out.push('-append', def.os.cmdline);

  const boot = bootIndexes(def);
  controllerArgs(def, out);
  dimmArgs(def, opts, out);
  diskArgs(def, out, boot.disk);
  netArgs(def, out, boot.nic, opts.vhostNet === true);
  chardevDeviceArgs(def, paths, out);
  inputArgs(def, out);
  tpmArgs(def, paths, out);
  displayArgs(def, out);
  redirdevArgs(def, out, boot.redir);
  watchdogArgs(def, out);
  balloonRngPanicArgs(def, out);
  if (def.features.vmcoreinfo === 'on') out.device({ driver: 'vmcoreinfo' });
  if (opts.incoming === true) out.push('-incoming', 'defer');
  out.push('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  out.push('-msg', 'timestamp=on');
  return out.a;
}

/** A QMP command to run after QEMU is up and before the guest's CPUs start (qemu/monitor.ts runs them). */
export type MonitorCommand =
  | { execute: 'set_password'; arguments: { protocol: 'vnc' | 'spice'; password: string } }
  | { execute: 'set_link'; arguments: { name: string; up: boolean } }
  | { execute: 'qom-set'; arguments: { path: string; property: string; value: unknown } }
  | { execute: 'balloon'; arguments: { value: number } }
  | { execute: 'block_set_io_throttle'; arguments: Record<string, unknown> };

/**
 * Settings that go over QMP rather than the command line: graphics passwords (so they never show
 * in the process list), NIC link state, balloon statistics and target.
 */
export function monitorSetup(def: DomainDef): MonitorCommand[] {
  const cmds: MonitorCommand[] = [];
  for (const g of def.devices.graphics) {
    if (g.passwd !== undefined) cmds.push({ execute: 'set_password', arguments: { protocol: g.type, password: g.passwd } });
  }
  def.devices.interfaces.forEach((nic, i) => {
    if (nic.linkState === 'down') cmds.push({ execute: 'set_link', arguments: { name: nicAlias(nic, i), up: false } });
  });
  // I/O limits of the disks (<iotune>), as libvirt sets them: over QMP before the CPUs start.
  for (const d of def.devices.disks) {
    if (d.iotune !== undefined && (d.source !== undefined || d.volume !== undefined || d.network !== undefined)) {
      cmds.push({ execute: 'block_set_io_throttle', arguments: throttleArgs(blockQdev(def, d), d.iotune) });
    }
  }
  const b = def.devices.memballoon;
  if (b.model === 'virtio' && b.statsPeriod !== undefined) {
    cmds.push({ execute: 'qom-set', arguments: { path: '/machine/peripheral/balloon0', property: 'guest-stats-polling-interval', value: b.statsPeriod } });
  }
  // A <currentMemory> below <memory> is the balloon's target from the start, as libvirt sets it;
  // the guest's driver gives the rest back once it loads.
  if (b.model === 'virtio' && def.currentMemoryKiB < def.memoryKiB) cmds.push({ execute: 'balloon', arguments: { value: def.currentMemoryKiB * 1024 } });
  return cmds;
}

/**
 * `dumpxml --update-cpu`: a host-model CPU shown as what the guest really gets. libvirt fills in
 * the host's model from its CPU map; vireo gives host-model guests QEMU's 'host' CPU under KVM
 * and 'max' under TCG (see cpuArg), so that is the model printed, with topology and features kept.
 */
export function expandHostModel(def: DomainDef, accel: 'kvm' | 'tcg'): DomainDef {
  if (def.cpu?.mode !== 'host-model') return def;
  const out = structuredClone(def);
  const cpu = out.cpu as NonNullable<DomainDef['cpu']>;
  out.cpu = { ...cpu, mode: 'custom', match: 'exact', check: 'none', model: { name: accel === 'kvm' ? 'host' : 'max', fallback: 'forbid' } };
  return out;
}
