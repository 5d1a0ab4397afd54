/**
 * I/O threads of a guest: iothreadinfo, iothreadadd, iothreaddel, iothreadpin and iothreadset,
 * with libvirt 9.0's checks and words (compared with libvirt-ref). Live, a thread is QEMU's
 * `iothreadN` object (object-add/object-del, qom-set of its tunables) whose host thread sits in
 * the guest's `iothreadN` cgroup (cgroups.ts placeIothread); in the definition it is an entry of
 * <iothreadids>. As in hotplug.ts the config change is computed (and checked) first and saved
 * only after the live change worked.
 */
import { VireoError } from '../../api/errors.js';
import type { IothreadEntry, IothreadPinRequest, IothreadRequest, IothreadSetRequest, ModificationImpact } from '../../api/types.js';
import { idList, iothreadUser } from '../../conf/domain-iothreads.js';
import type { DomainDef, IOThread } from '../../conf/domain-model.js';
import { formatCpuList, parseCpuList } from '../../host/cgroup-path.js';
import { affinityOf, onlineCpus, setAffinity } from '../../host/affinity.js';
import { iothreadObject } from '../../qemu/argv/storage.js';
import { addIothread as qmpAdd, delIothread as qmpDel, queryIothreads, setIothreadProp } from '../../qemu/monitor-iothreads.js';
import { iothreadPin, placeIothread } from './cgroups.js';
import { saveStatus } from './context.js';
import type { Domain, Runtime } from './domain.js';
import { affected, redefine, type DomainHost } from './ops.js';
import { checkCpus } from './tuning.js';

const INT_MAX = 2147483647;

const find = (def: DomainDef | undefined, id: number): IOThread | undefined => def?.iothreads?.find((t) => t.id === id);

/** iothreadinfo: the running guest's threads in QEMU's order with their affinity, or the definition's. */
export async function iothreadInfo(host: DomainHost, ref: string, r: ModificationImpact): Promise<IothreadEntry[]> {
  const dom = host.lookup(ref);
  if (r.live === true && r.config === true) throw VireoError.of('INVALID_ARG', "flags 'live' and 'config' are mutually exclusive");
  const f = { live: r.live === true || (r.config !== true && dom.active), config: r.config === true };
  if (f.live && !dom.active) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
  const rt = dom.runtime;
  if (f.live && rt !== undefined) {
    const threads = await queryIothreads(await host.qmp(dom));
    return Promise.all(threads.map(async (t) => ({ id: t.id, affinity: await affinityOf(rt.pid, t.threadId) })));
  }
  const def = dom.persistent ?? dom.def;
  const all = await onlineCpus();
  return (def.iothreads ?? []).map((t) => ({ id: t.id, affinity: iothreadPin(def, t.id) ?? def.vcpu.cpuset ?? all }));
}

/** iothreadadd. */
export async function addIothread(host: DomainHost, ref: string, r: IothreadRequest): Promise<void> {
  if (r.id === 0) throw VireoError.of('INVALID_ARG', 'must provide a positive value for iothread_id');
  const dom = host.lookup(ref);
  await dom.jobs.run('iothreadadd', 'short', async () => {
    const f = affected(dom, r, 'iothreads');
    const used = `an IOThread is already using iothread_id '${r.id}'`;
    const rt = f.live ? dom.runtime : undefined;
    if (rt !== undefined && find(rt.liveDef, r.id) !== undefined) throw VireoError.of('INVALID_ARG', used);
    if (f.config && find(dom.persistent, r.id) !== undefined) throw VireoError.of('INVALID_ARG', used);
    const next = f.config ? redefine(dom.persistent!, (d) => (d.iothreads ??= []).push({ id: r.id })) : undefined;
    if (rt !== undefined) {
      const qmp = await host.qmp(dom);
      await qmpAdd(qmp, iothreadObject({ id: r.id }));
      const live = structuredClone(rt.liveDef);
      (live.iothreads ??= []).push({ id: r.id });
      try {
        const tid = (await queryIothreads(qmp)).find((t) => t.id === r.id)?.threadId;
        if (tid === undefined) throw VireoError.of('OPERATION_FAILED', `QEMU does not list the new I/O thread ${r.id}`);
        // Where the boot threads went: its own cgroup, the definition's pinning and bandwidth.
        if (rt.cgroup !== undefined) await placeIothread(rt.cgroup, live, r.id, tid);
        (rt.iothreadThreads ??= new Map()).set(r.id, tid);
      } catch (e) {
        await qmpDel(qmp, r.id).catch(() => {}); // undo: the error that matters is the one thrown
        throw e;
      }
      rt.liveDef = live;
      await saveStatus(host.ctx, dom);
    }
    if (next !== undefined) {
      await host.ctx.store.saveConfig(next);
      dom.persistent = next;
    }
  });
}

/** A definition without I/O thread `id`, its pinning and its scheduling. */
function withoutIothread(d: DomainDef, id: number): void {
  d.iothreads = d.iothreads?.filter((t) => t.id !== id);
  if (d.iothreads?.length === 0) delete d.iothreads;
  const t = d.cputune;
  if (t === undefined) return;
  t.iothreadpin = t.iothreadpin?.filter((p) => p.iothread !== id);
  t.iothreadsched = t.iothreadsched?.flatMap((s) => {
    const ids = idList(s.iothreads).filter((x) => x !== id);
    return ids.length === 0 ? [] : [{ ...s, iothreads: formatCpuList(ids) }];
  });
  if (t.iothreadpin?.length === 0) delete t.iothreadpin;
  if (t.iothreadsched?.length === 0) delete t.iothreadsched;
}

/** iothreaddel: refused while a disk or controller runs in the thread. */
export async function delIothread(host: DomainHost, ref: string, r: IothreadRequest): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('iothreaddel', 'short', async () => {
    const f = affected(dom, r, 'iothreads');
    const rt = f.live ? dom.runtime : undefined;
    const check = (def: DomainDef | undefined): void => {
      if (def === undefined) return;
      if (find(def, r.id) === undefined) throw VireoError.of('INVALID_ARG', `cannot find IOThread '${r.id}' in iothreadids list`);
      const user = iothreadUser(def, r.id);
      if (user !== undefined) throw VireoError.of('INVALID_ARG', user);
    };
    check(rt?.liveDef);
    if (f.config) check(dom.persistent);
    const next = f.config ? redefine(dom.persistent!, (d) => withoutIothread(d, r.id)) : undefined;
    if (rt !== undefined) {
      await qmpDel(await host.qmp(dom), r.id);
      const live = structuredClone(rt.liveDef);
      withoutIothread(live, r.id);
      rt.liveDef = live;
      rt.iothreadThreads?.delete(r.id);
      await saveStatus(host.ctx, dom);
      // object-del joins the thread, so its group is empty now.
      await rt.cgroup?.removeChild(`iothread${r.id}`);
    }
    if (next !== undefined) {
      await host.ctx.store.saveConfig(next);
      dom.persistent = next;
    }
  });
}

function setPin(d: DomainDef, id: number, cpuset: string): void {
  const t = (d.cputune ??= { vcpupin: [] });
  // Unlike vcpupin, libvirt keeps a pin to every host CPU.
  t.iothreadpin = [...(t.iothreadpin ?? []).filter((p) => p.iothread !== id), { iothread: id, cpuset }].sort((a, b) => a.iothread - b.iothread);
}

/** iothreadpin: the thread's affinity and its cgroup's cpuset (live), <iothreadpin> (config). */
export async function pinIothread(host: DomainHost, ref: string, r: IothreadPinRequest): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('iothreadpin', 'short', async () => {
    const f = affected(dom, r, 'iothreads');
    const cpus = checkCpus(r.cpuset, parseCpuList(await onlineCpus()) ?? [0]);
    const rt = f.live ? dom.runtime : undefined;
    if (rt !== undefined && find(rt.liveDef, r.id) === undefined) throw VireoError.of('INVALID_ARG', `iothread ${r.id} not found`);
    if (f.config && find(dom.persistent, r.id) === undefined) throw VireoError.of('INVALID_ARG', `iothreadid ${r.id} not found`);
    const next = f.config ? redefine(dom.persistent!, (d) => setPin(d, r.id, cpus)) : undefined;
    if (rt !== undefined) {
      const tid = await threadOf(host, dom, rt, r.id);
      if (rt.cgroup?.dir('cpuset') !== undefined) await rt.cgroup.setCpus(`iothread${r.id}`, cpus);
      await setAffinity(tid, cpus);
      const live = structuredClone(rt.liveDef);
      setPin(live, r.id, cpus);
      rt.liveDef = live;
      await saveStatus(host.ctx, dom);
      host.ctx.changedTunables?.(dom, [[`cputune.iothreadpin${r.id}`, cpus]]);
    }
    if (next !== undefined) {
      await host.ctx.store.saveConfig(next);
      dom.persistent = next;
    }
  });
}

/** The host thread of I/O thread `id`, as known since start (or asked again). */
async function threadOf(host: DomainHost, dom: Domain, rt: Runtime, id: number): Promise<number> {
  const known = rt.iothreadThreads?.get(id);
  if (known !== undefined) return known;
  const tid = (await queryIothreads(await host.qmp(dom))).find((t) => t.id === id)?.threadId;
  if (tid === undefined) throw VireoError.of('OPERATION_FAILED', `QEMU does not list I/O thread iothread${id}`);
  return tid;
}

/** iothreadset: polling (live only, as libvirt 9.0) and the worker pool bounds. */
export async function setIothread(host: DomainHost, ref: string, req: IothreadSetRequest): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('iothreadset', 'short', async () => {
    const f = affected(dom, req, 'iothreads');
    const poll = (['pollMaxNs', 'pollGrow', 'pollShrink'] as const).filter((k) => req[k] !== undefined);
    if (f.config && poll.length > 0) throw VireoError.of('NO_SUPPORT', 'Operation not supported: configuring persistent polling values is not supported');
    const names = { pollMaxNs: 'poll-max-ns', pollGrow: 'poll-grow', pollShrink: 'poll-shrink' } as const;
    for (const k of poll) {
      if (req[k]! > INT_MAX) throw VireoError.of('CONFIG_UNSUPPORTED', `${names[k]} (${req[k]}) must be less than or equal to ${INT_MAX}`);
    }
    if (req.poolMax === 0) throw VireoError.of('CONFIG_UNSUPPORTED', 'thread_pool_max (0) must be a positive number or -1');
    if (f.live) {
      for (const [k, name] of [['poolMin', 'thread_pool_min'], ['poolMax', 'thread_pool_max']] as const) {
        if (req[k] === -1) throw VireoError.of('OPERATION_INVALID', `${name} (-1) must be equal to or greater than 0 for live change`);
      }
    }
    const pool = (def: DomainDef | undefined): IOThread | undefined => {
      const t = find(def, req.id);
      if (def !== undefined && t === undefined) throw VireoError.of('INVALID_ARG', `cannot find IOThread '${req.id}' in iothreadids`);
      if (t === undefined) return undefined;
      const next: IOThread = { ...t };
      if (req.poolMin !== undefined) next.poolMin = req.poolMin;
      if (req.poolMax !== undefined) next.poolMax = req.poolMax;
      const min = next.poolMin ?? -1;
      const max = next.poolMax ?? -1;
      // As libvirt: an unset maximum is -1, so a minimum alone is refused until a maximum is set.
      if (min > max) throw VireoError.of('OPERATION_INVALID', `thread_pool_min (${min}) can't be greater than thread_pool_max (${max})`);
      if (next.poolMin === -1) delete next.poolMin;
      if (next.poolMax === -1) delete next.poolMax;
      delete next.autofill;
      return next;
    };
    const rt = f.live ? dom.runtime : undefined;
    const liveNext = pool(rt?.liveDef);
    const configNext = f.config ? pool(dom.persistent) : undefined;
    const next = configNext === undefined ? undefined : redefine(dom.persistent!, (d) => replace(d, configNext));
    if (rt !== undefined && liveNext !== undefined) {
      const qmp = await host.qmp(dom);
      for (const k of poll) await setIothreadProp(qmp, req.id, k, req[k]!);
      // QEMU refuses a minimum above the maximum at every step: lower the minimum first when the maximum drops below it.
      const old = find(rt.liveDef, req.id);
      const order: Array<'poolMin' | 'poolMax'> = req.poolMax !== undefined && req.poolMax < (old?.poolMin ?? 0) ? ['poolMin', 'poolMax'] : ['poolMax', 'poolMin'];
      for (const k of order) {
        const v = req[k];
        if (v !== undefined) await setIothreadProp(qmp, req.id, k, v);
      }
      const live = structuredClone(rt.liveDef);
      replace(live, liveNext);
      rt.liveDef = live;
      await saveStatus(host.ctx, dom);
    }
    if (next !== undefined) {
      await host.ctx.store.saveConfig(next);
      dom.persistent = next;
    }
  });
}

function replace(d: DomainDef, t: IOThread): void {
  d.iothreads = d.iothreads?.map((x) => (x.id === t.id ? t : x));
}
