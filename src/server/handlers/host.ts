/**
 * Handlers of the host routes (nodeinfo, capabilities, domcapabilities, sysinfo, memory and CPU
 * statistics, free memory per cell, maximum vCPUs, host-validate). They read the host's procfs
 * and sysfs; VIREO_HOST_ROOT (for tests only) makes them read a fake tree instead.
 */
import * as os from 'node:os';
import { VireoError } from '../../api/errors.js';
import type { FreeCell, HostCheck, HostInfo, NodeCpuStats, NodeInfo, NodeMemStats, XmlResponse } from '../../api/types.js';
import type { Daemon } from '../../daemon/daemon.js';
import { capabilitiesXml, domainCapabilitiesXml, MAX_VCPUS, sysinfoXml } from '../../host/capabilities.js';
import { probeKvm } from '../../host/kvm.js';
import { cpuStats, freeCells, memStats, nodeInfo } from '../../host/nodeinfo.js';
import { qemuVersion } from '../../host/qemu-binary.js';
import { validateHost } from '../../host/validate.js';
import type { HandlerTable } from './call.js';

export const VIREO_VERSION = '0.1.0';

/** The root host facts are read under: '/' in production. */
export function hostRoot(): string {
  const r = process.env.VIREO_HOST_ROOT;
  return r === undefined || r === '' ? '/' : r;
}

/** The KVM status of the host being described: the daemon's own, unless a fake root is read. */
async function kvmOf(daemon: Daemon, root: string): ReturnType<typeof probeKvm> {
  return root === '/' ? daemon.kvm : probeKvm(root.endsWith('/') ? root : `${root}/`);
}

type HostId = 'host.info' | 'host.nodeinfo' | 'host.cpustats' | 'host.memstats' | 'host.freecells' | 'host.maxvcpus'
  | 'host.capabilities' | 'host.domcapabilities' | 'host.sysinfo' | 'host.validate';

export const hostHandlers: HandlerTable<HostId> = {
  'host.info': async ({ daemon, uri }): Promise<HostInfo> => {
    const q = await qemuVersion().catch(() => undefined);
    return {
      version: VIREO_VERSION,
      versionNumber: 1000,
      hypervisor: q === undefined ? null : { name: 'QEMU', version: `${q.major}.${q.minor}.${q.micro}`, versionNumber: q.number },
      hostname: os.hostname(),
      uri,
      kvm: { usable: daemon.kvm.usable, reason: daemon.kvm.reason ?? null },
    };
  },
  'host.nodeinfo': async (): Promise<NodeInfo> => nodeInfo(hostRoot()),
  'host.cpustats': async ({ query }): Promise<NodeCpuStats> => cpuStats(hostRoot(), query.int('cpu')),
  'host.memstats': async ({ query }): Promise<NodeMemStats> => memStats(hostRoot(), query.int('cell')),
  'host.freecells': async (): Promise<FreeCell[]> => freeCells(hostRoot()),
  'host.maxvcpus': ({ query }): { max: number } => {
    const type = query.str('type');
    // Checked here rather than as an enum in the spec: virsh's own message names the type.
    if (type !== undefined && type !== 'qemu' && type !== 'kvm') throw new VireoError('INVALID_ARG', `invalid argument: unknown type '${type}'`);
    return { max: MAX_VCPUS };
  },
  'host.capabilities': async ({ daemon }): Promise<XmlResponse> => {
    const root = hostRoot();
    const q = await qemuVersion().catch(() => undefined);
    return { xml: await capabilitiesXml(root, await kvmOf(daemon, root), q) };
  },
  'host.domcapabilities': async ({ daemon, query }): Promise<XmlResponse> => {
    const root = hostRoot();
    const q = await qemuVersion().catch(() => undefined);
    const opt = (k: 'emulator' | 'arch' | 'machine' | 'virttype'): { [key: string]: string } => {
      const v = query.str(k);
      return v === undefined || v === '' ? {} : { [k]: v };
    };
    return { xml: await domainCapabilitiesXml(root, await kvmOf(daemon, root), q, { ...opt('emulator'), ...opt('arch'), ...opt('machine'), ...opt('virttype') }) };
  },
  'host.sysinfo': async (): Promise<XmlResponse> => ({ xml: await sysinfoXml(hostRoot()) }),
  'host.validate': async (): Promise<HostCheck[]> => validateHost(hostRoot()),
};
