/** Handlers of the memory and vCPU control routes (setmem, setmaxmem, setvcpus, node-memory-tune). */
import { placeVcpuThreadsAgain } from '../../daemon/domain/cgroups.js';
import type { MemoryRequest, NodeMemoryTuneRequest, VcpuRequest } from '../../api/types.js';
import { setMaxMemory, setMemory } from '../../daemon/domain/memory.js';
import { setVcpus } from '../../daemon/domain/vcpus.js';
import { readKsm, writeKsm } from '../../host/ksm.js';
import { field, type HandlerTable } from './call.js';
import { hostRoot } from './host.js';

type MemCpuId = 'domain.setMemory' | 'domain.setMaxMemory' | 'domain.setVcpus' | 'host.memoryParameters' | 'host.setMemoryParameters';

const { bool } = field;
const impact = (b: Record<string, unknown>): { live: boolean; config: boolean } => ({ live: bool(b, 'live'), config: bool(b, 'config') });
const memory = (b: Record<string, unknown>): MemoryRequest => ({ ...impact(b), kib: b.kib as number });
const vcpus = (b: Record<string, unknown>): VcpuRequest => ({
  ...impact(b), count: b.count as number, maximum: bool(b, 'maximum'), guest: bool(b, 'guest'), hotpluggable: bool(b, 'hotpluggable'),
});

export const memCpuHandlers: HandlerTable<MemCpuId> = {
  'domain.setMemory': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await setMemory(daemon.domains.host, ref, memory(body));
    return {};
  },
  'domain.setMaxMemory': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await setMaxMemory(daemon.domains.host, ref, memory(body));
    return {};
  },
  'domain.setVcpus': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    // A hot-plugged vCPU's thread joins the guest's cgroups (its vcpuN group, pinning), as the boot vCPUs did at start.
    await setVcpus(daemon.domains.host, ref, vcpus(body), { vcpuAdded: (dom) => (dom.runtime === undefined || dom.runtime.qmp === undefined ? Promise.resolve() : placeVcpuThreadsAgain(dom.runtime, dom.runtime.qmp)) });
    return {};
  },
  'host.memoryParameters': () => readKsm(hostRoot()),
  'host.setMemoryParameters': async ({ body }) => {
    const set: NodeMemoryTuneRequest = {};
    for (const k of ['shm_pages_to_scan', 'shm_sleep_millisecs', 'shm_merge_across_nodes'] as const) if (typeof body[k] === 'number') set[k] = body[k];
    await writeKsm(set, hostRoot());
    return readKsm(hostRoot());
  },
};
