/**
 * Can this host run ordinary guests under KVM? Not merely "does /dev/kvm exist": a /dev/kvm
 * provided by a software nested-virtualization module (kvm_pvm) answers ioctls but runs only
 * PVM-enabled guest kernels, so an ordinary guest hangs there. See docs/architecture.md.
 */
import { promises as fs, constants as fsc } from 'node:fs';

export interface KvmStatus {
  usable: boolean;
  /** CPU advertises vmx (Intel VT-x) or svm (AMD-V). */
  cpuFlag: 'vmx' | 'svm' | undefined;
  devKvm: 'missing' | 'no-access' | 'ok';
  /** Loaded KVM modules, e.g. ['kvm', 'kvm_intel'] or ['kvm', 'kvm_pvm']. */
  modules: string[];
  /** Why KVM cannot be used, in one sentence; undefined when usable. */
  reason: string | undefined;
}

const KVM_MODULES = ['kvm', 'kvm_intel', 'kvm_amd', 'kvm_pvm'];

/** Inspect CPU flags, /dev/kvm and loaded modules. Reads sysfs/procfs only. */
export async function probeKvm(root = '/'): Promise<KvmStatus> {
  const cpuinfo = await fs.readFile(`${root}proc/cpuinfo`, 'utf8').catch(() => '');
  const flagsLine = cpuinfo.split('\n').find((l) => l.startsWith('flags')) ?? '';
  const flags = new Set(flagsLine.split(':')[1]?.trim().split(/\s+/) ?? []);
  const cpuFlag = flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : undefined;

  let devKvm: KvmStatus['devKvm'] = 'ok';
  try {
    await fs.access(`${root}dev/kvm`, fsc.R_OK | fsc.W_OK);
  } catch (e) {
    devKvm = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'no-access';
  }

  const modules: string[] = [];
  for (const m of KVM_MODULES) {
    if (await fs.stat(`${root}sys/module/${m}`).then(() => true, () => false)) modules.push(m);
  }

  let reason: string | undefined;
  if (cpuFlag === undefined) {
    reason = modules.includes('kvm_pvm')
      ? 'the CPU has no hardware virtualization (vmx/svm); /dev/kvm comes from kvm_pvm, which runs only PVM-enabled guest kernels'
      : 'the CPU has no hardware virtualization (vmx/svm flag)';
  } else if (devKvm === 'missing') {
    reason = '/dev/kvm does not exist (is the kvm_intel or kvm_amd module loaded?)';
  } else if (devKvm === 'no-access') {
    reason = '/dev/kvm is not readable and writable by this user';
  }
  return { usable: reason === undefined, cpuFlag, devKvm, modules, reason };
}
