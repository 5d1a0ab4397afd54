/**
 * setvcpus: how many vCPUs the guest has, live (CPU hot-plug and unplug up to <vcpu>'s maximum)
 * and in the stored definition (the count at boot, and with --maximum the maximum), with
 * libvirt's checks and words.
 *
 * The live change works as libvirt's: a guest whose <vcpu current> is below the maximum starts
 * with `-smp CURRENT,maxcpus=MAX` (qemu/argv/machine.ts), so QEMU has empty CPU slots;
 * query-hotpluggable-cpus lists them (sorted by socket, die, core, thread, slot N is vCPU N) and
 * `device_add` of the slot's CPU type with its properties and id `vcpuN` fills one. Unplugging
 * is `device_del` of such a CPU and waits (as libvirt, 5 s) for QEMU's DEVICE_DELETED, which the
 * guest's ACPI processor driver causes when it lets the CPU go. CPUs the guest booted with sit
 * under /machine/unattached and cannot be unplugged. Which CPUs are plugged is read from QEMU
 * each time, so nothing about them needs to survive a daemon restart.
 */
import { VireoError } from '../../api/errors.js';
import type { VcpuRequest } from '../../api/types.js';
import type { CpuSlot, Monitor } from '../../qemu/monitor.js';
import { isCurrent, saveStatus } from './context.js';
import type { Domain, Runtime } from './domain.js';
import { affected, redefine, type DomainHost } from './ops.js';
import type { QmpEvent } from '../../qemu/qmp/client.js';
import { UNPLUG_WAIT_MS } from './unplug.js';

/**
 * What other parts of vireod do when vCPUs come and go: resource control (cgroups.ts) hooks
 * `vcpuAdded` to move a hot-plugged vCPU's thread into the guest's vcpuN cgroup and apply its
 * pinning and bandwidth, as it does for the boot vCPUs at start (wired in the server handler).
 */
export interface VcpuHooks {
  /** vCPU `vcpu` was plugged and runs as host thread `threadId` of the domain's QEMU. */
  vcpuAdded?(dom: Domain, vcpu: number, threadId: number): Promise<void>;
}

/** libvirt's order of CPU slots: by socket, die, core, thread. */
const TOPOLOGY_ORDER = ['socket-id', 'die-id', 'core-id', 'thread-id'] as const;

export function sortSlots(slots: CpuSlot[]): CpuSlot[] {
  const key = (s: CpuSlot): number[] => TOPOLOGY_ORDER.map((k) => s.props[k] ?? 0);
  return [...slots].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  });
}

/**
 * Per runtime: the CPU slots a vCPU was unplugged from. QEMU 7.2 under TCG never finalizes an
 * unplugged vCPU and segfaults when another is plugged into its slot (seen here with any device
 * id), so those slots stay empty until the guest restarts. Lost with a daemon restart.
 */
const unpluggedSlots = new WeakMap<Runtime, Set<number>>();

/** Where user-plugged devices (and so hot-plugged vCPUs) sit in QEMU's object tree. */
const PERIPHERAL = '/machine/peripheral/';
const peripheral = (vcpu: number): string => `${PERIPHERAL}vcpu${vcpu}`;

/**
 * How long an unplug waits for the guest: libvirt's 5 s; a TCG guest on a busy host may need
 * longer to offline the CPU and eject it, so TCG guests are given 20 s.
 */
function unplugWaitMs(rt: Runtime): number {
  return rt.liveDef.type === 'kvm' ? UNPLUG_WAIT_MS : 20_000;
}

/**
 * QEMU's DEVICE_DELETED of a vCPU whose unplug request had timed out (nobody waits for it): the
 * live definition's count follows, read from QEMU in an internal job (after the request's job).
 */
export function onVcpuDeleted(host: Pick<DomainHost, 'ctx'>, dom: Domain, rt: Runtime): void {
  dom.jobs.run('vcpu removal', 'short', async () => {
    if (!isCurrent(dom, rt) || rt.qmp === undefined) return;
    const online = (await rt.qmp.cpuSlots()).filter((s) => s.qomPath !== undefined).length;
    if (!isCurrent(dom, rt) || rt.liveDef.vcpu.current === online) return;
    rt.liveDef.vcpu.current = online;
    await saveStatus(host.ctx, dom);
  }, { internal: true }).catch(() => {}); // a guest that went meanwhile has nothing to record
}

/**
 * Wait until QEMU starts removing the vCPU at `qomPath` after the guest ejected it. QEMU 7.2 under TCG
 * never sends the CPU's own DEVICE_DELETED (the vCPU object is not finalized), only that of its
 * local APIC child (/machine/peripheral/vcpuN/lapic), which it sends as it unplugs the CPU; either
 * event will do. libvirt waits for the CPU's own event and times out on these guests.
 */
function waitVcpuGone(qmp: Monitor, qomPath: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onEvent = (ev: QmpEvent): void => {
      if (ev.event !== 'DEVICE_DELETED') return;
      const path = typeof ev.data.path === 'string' ? ev.data.path : '';
      if (path === qomPath || path.startsWith(`${qomPath}/`)) done(true);
    };
    const done = (v: boolean): void => {
      clearTimeout(timer);
      qmp.off('event', onEvent);
      resolve(v);
    };
    const timer = setTimeout(() => done(false), ms);
    qmp.on('event', onEvent);
  });
}

/** Run one setvcpus request. */
export async function setVcpus(host: DomainHost, ref: string, r: VcpuRequest, hooks: VcpuHooks = {}): Promise<void> {
  if (r.count === 0) throw new VireoError('INVALID_ARG', "Can't set 0 processors for a VM");
  const dom = host.lookup(ref);
  await dom.jobs.run('setvcpus', 'short', async () => {
    // --guest acts in the running guest only.
    const f = affected(dom, r.guest === true ? { live: true } : r, 'vcpus');
    if (r.guest === true) throw VireoError.of('NO_SUPPORT', 'argument unsupported: QEMU guest agent is not configured');
    if (r.maximum === true && f.live) throw VireoError.of('NO_SUPPORT', "Operation not supported: maximum vcpu count of a live domain can't be modified");
    const rt = dom.runtime;
    if (f.live && rt !== undefined && r.count > rt.liveDef.vcpu.max) {
      throw VireoError.of('INVALID_ARG', `requested vcpus is greater than max allowable vcpus for the live domain: ${r.count} > ${rt.liveDef.vcpu.max}`);
    }
    const def = dom.persistent;
    if (f.config && def !== undefined && r.maximum !== true && r.count > def.vcpu.max) {
      throw VireoError.of('INVALID_ARG', `requested vcpus is greater than max allowable vcpus for the persistent domain: ${r.count} > ${def.vcpu.max}`);
    }
    const next = f.config && def !== undefined
      ? redefine(def, (d) => {
        if (r.maximum === true) {
          d.vcpu.max = r.count;
          d.vcpu.current = Math.min(d.vcpu.current, r.count);
        } else {
          d.vcpu.current = r.count;
        }
      })
      : undefined;
    if (f.live && rt !== undefined) await setLiveVcpus(host, dom, rt, await host.qmp(dom), r.count, hooks);
    if (next !== undefined) {
      await host.ctx.store.saveConfig(next);
      dom.persistent = next;
    }
  });
}

/** Plug or unplug vCPUs until the guest has `count`; the live definition follows each step. */
async function setLiveVcpus(host: DomainHost, dom: Domain, rt: Runtime, qmp: Monitor, count: number, hooks: VcpuHooks): Promise<void> {
  const slots = sortSlots(await qmp.cpuSlots());
  let online = slots.filter((s) => s.qomPath !== undefined).length;
  const record = async (): Promise<void> => {
    if (!isCurrent(dom, rt) || rt.liveDef.vcpu.current === online) return;
    rt.liveDef.vcpu.current = online;
    await saveStatus(host.ctx, dom);
  };
  // QEMU is the truth: an unplug that finished after its request timed out shows here.
  await record();
  if (count > online) {
    for (const [vcpu, slot] of slots.entries()) {
      if (online >= count) break;
      if (slot.qomPath !== undefined) continue;
      if (rt.liveDef.type !== 'kvm' && unpluggedSlots.get(rt)?.has(vcpu) === true) {
        throw VireoError.of('NO_SUPPORT', `vCPU ${vcpu} was unplugged from this running guest, and QEMU under TCG crashes when a vCPU is plugged into the same slot again; restart the guest to have ${count} vCPUs`);
      }
      await qmp.deviceAdd({ driver: slot.type, id: `vcpu${vcpu}`, ...slot.props });
      online++;
      await record();
      if (hooks.vcpuAdded !== undefined) {
        const thread = (await qmp.cpuThreads()).find((t) => t.qomPath === peripheral(vcpu));
        if (thread !== undefined) await hooks.vcpuAdded(dom, vcpu, thread.threadId);
      }
    }
    return;
  }
  // Newest first, as libvirt: the highest hot-plugged vCPUs go (by their QOM path: whoever plugged them).
  const removable = slots.flatMap((s) => (s.qomPath?.startsWith(PERIPHERAL) === true ? [s.qomPath] : [])).reverse();
  if (online - count > removable.length) {
    throw VireoError.of('INVALID_ARG', 'failed to find appropriate hotpluggable vcpus to reach the desired target vcpu count');
  }
  for (const qomPath of removable.slice(0, online - count)) {
    const vcpu = slots.findIndex((s) => s.qomPath === qomPath);
    let unplugged = unpluggedSlots.get(rt);
    if (unplugged === undefined) unpluggedSlots.set(rt, (unplugged = new Set()));
    unplugged.add(vcpu);
    const gone = waitVcpuGone(qmp, qomPath, unplugWaitMs(rt));
    await qmp.deviceDel(qomPath.slice(PERIPHERAL.length));
    const ok = await gone;
    // The event says the removal began; the slot being empty that it is done.
    if (!ok || (await qmp.cpuSlots()).some((s) => s.qomPath === qomPath)) {
      throw VireoError.of('MONITOR_TIMEOUT', 'vcpu unplug request timed out. Unplug result must be manually inspected in the domain');
    }
    online--;
    await record();
  }
}
