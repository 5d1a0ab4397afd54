/**
 * host-validate: what virt-host-validate and kvm-ok check, for the QEMU guests vireo runs —
 * hardware virtualization, a /dev/kvm that can run ordinary guests (not merely one that exists:
 * see kvm.ts), /dev/net/tun and /dev/vhost-net, cgroup controllers (v1 and v2), the IOMMU.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import type { HostCheck } from '../api/types.js';
import { iommuEnabled, EMULATOR } from './capabilities.js';
import { probeKvm } from './kvm.js';

async function exists(root: string, p: string, mode = fsc.F_OK): Promise<boolean> {
  return fs.access(path.join(root, p), mode).then(() => true, () => false);
}

const pass = (check: string): HostCheck => ({ check, result: 'PASS' });
const warn = (check: string, advice: string): HostCheck => ({ check, result: 'WARN', advice });
const failed = (check: string, advice: string): HostCheck => ({ check, result: 'FAIL', advice });

/** Controllers a QEMU guest's resource control uses, by their v1 names (virt-host-validate's list). */
const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'blkio'] as const;

/** What cgroup v2 calls each v1 controller; v2 has no devices controller (it filters devices with BPF). */
const V2_NAME: Readonly<Record<string, string | null>> = { cpu: 'cpu', cpuacct: 'cpu', cpuset: 'cpuset', memory: 'memory', devices: null, blkio: 'io' };

/** The cgroup controllers this host has mounted: v1 hierarchies and those enabled at a v2 root. */
export async function cgroupControllers(root: string): Promise<{ v1: Set<string>; v2: Set<string> | undefined }> {
  const mounts = (await fs.readFile(path.join(root, 'proc/mounts'), 'utf8').catch(() => '')).split('\n');
  const v1 = new Set<string>();
  let v2: Set<string> | undefined;
  for (const line of mounts) {
    const [, where, type, options] = line.split(' ');
    if (type === 'cgroup' && options !== undefined) for (const o of options.split(',')) v1.add(o);
    if (type === 'cgroup2' && where !== undefined) {
      const text = await fs.readFile(path.join(root, where, 'cgroup.controllers'), 'utf8').catch(() => '');
      v2 ??= new Set();
      for (const c of text.trim().split(/\s+/)) if (c !== '') v2.add(c);
    }
  }
  return { v1, v2 };
}

async function cpuVendor(root: string): Promise<string | undefined> {
  const info = await fs.readFile(path.join(root, 'proc/cpuinfo'), 'utf8').catch(() => '');
  return /^vendor_id\s*:\s*(\S+)/m.exec(info)?.[1];
}

/** Every check, in the order they are printed. */
export async function validateHost(root: string): Promise<HostCheck[]> {
  const r = root.endsWith('/') ? root : `${root}/`;
  const kvm = await probeKvm(r);
  const out: HostCheck[] = [];

  out.push(await exists(root, EMULATOR.slice(1), fsc.X_OK)
    ? pass(`for the QEMU emulator ${EMULATOR}`)
    : failed(`for the QEMU emulator ${EMULATOR}`, 'Install it with: apt-get install qemu-system-x86'));

  const hw = 'for hardware virtualization';
  out.push(kvm.cpuFlag !== undefined
    ? pass(hw)
    : failed(hw, 'Host not compatible with KVM; HW virtualization CPU features not found. Only emulated CPUs are available; performance will be significantly limited'));
  if (kvm.cpuFlag !== undefined || kvm.devKvm !== 'missing') {
    out.push(kvm.devKvm !== 'missing'
      ? pass('if device /dev/kvm exists')
      : failed('if device /dev/kvm exists', "Check that the 'kvm-intel' or 'kvm-amd' modules are loaded & the BIOS has enabled virtualization"));
  }
  if (kvm.devKvm !== 'missing') {
    out.push(kvm.devKvm === 'ok'
      ? pass('if device /dev/kvm is accessible')
      : failed('if device /dev/kvm is accessible', 'Check /dev/kvm is world writable or you are in a group that is allowed to access it'));
  }
  // kvm-ok's question, asked honestly: a /dev/kvm from kvm_pvm answers ioctls but hangs ordinary kernels.
  const usable = 'if KVM acceleration can be used';
  out.push(kvm.usable
    ? pass(usable)
    : failed(usable, `${kvm.reason ?? 'KVM is not usable'}; guests run under TCG: use <domain type='qemu'>`));

  out.push(await exists(root, 'dev/vhost-net')
    ? pass('if device /dev/vhost-net exists')
    : warn('if device /dev/vhost-net exists', "Load the 'vhost_net' module to improve performance of virtio networking"));
  out.push(await exists(root, 'dev/net/tun')
    ? pass('if device /dev/net/tun exists')
    : failed('if device /dev/net/tun exists', "Load the 'tun' module to enable networking for QEMU guests"));

  const cg = await cgroupControllers(root);
  for (const c of CONTROLLERS) {
    const v2name = V2_NAME[c];
    const inV2 = cg.v2 !== undefined && (v2name === null ? true : cg.v2.has(v2name as string));
    const check = `for cgroup '${c}' controller support`;
    out.push(cg.v1.has(c) || inV2 ? pass(check) : warn(check, `Enable '${c}' in kernel Kconfig file or mount/enable cgroup controller in your system`));
  }

  const vendor = await cpuVendor(root);
  const table = vendor === 'GenuineIntel' ? 'DMAR' : vendor === 'AuthenticAMD' || vendor === 'HygonGenuine' ? 'IVRS' : undefined;
  const iommu = 'for device assignment IOMMU support';
  if (table === undefined) {
    out.push(warn(iommu, 'Unknown if this platform has IOMMU support'));
  } else if (!(await exists(root, `sys/firmware/acpi/tables/${table}`))) {
    out.push(warn(iommu, `No ACPI ${table} table found, IOMMU either disabled in BIOS or not supported by this hardware platform`));
  } else {
    out.push(pass(iommu));
    const param = table === 'DMAR' ? 'intel_iommu=on' : 'amd_iommu=on';
    out.push(await iommuEnabled(root)
      ? pass('if IOMMU is enabled by kernel')
      : warn('if IOMMU is enabled by kernel', `IOMMU appears to be disabled in kernel. Add ${param} to kernel cmdline arguments`));
  }
  return out;
}
