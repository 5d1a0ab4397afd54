/**
 * Where a guest's cgroup is, as pure functions of the host's cgroup mounts and the guest's id and
 * name: the same layout libvirt 9.0 makes without systemd-machined (seen on this host):
 * `machine/qemu-ID-NAME.libvirt-qemu/{emulator,vcpuN,iothreadN}` below the root of each
 * hierarchy, with `<resource><partition>/machine/a</partition>` giving `machine/a.partition/...`.
 */

/** The controllers vireo uses (v1 names; on v2, blkio is 'io' and cpuacct is part of 'cpu'). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'devices'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** The controllers whose groups have per-thread children (vcpuN, emulator): the ones that act on threads. */
export const V1_THREAD_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'cpuset'];
/** On v2 the threaded children need these enabled in the guest group's subtree_control. */
export const V2_THREAD_CONTROLLERS = ['cpu', 'cpuset'] as const;
/** On v2, what the guest group itself is limited by (enabled from the root down to its parent). */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'memory', 'io', 'pids'] as const;

/** The cgroup hierarchies of this host. */
export type CgroupMounts =
  | { version: 1; mounts: Partial<Record<V1Controller, string>> }
  | { version: 2; root: string };

/**
 * Read /proc/self/mountinfo: v1 controllers where any are mounted (a hybrid host such as this
 * one keeps its cgroup2 mount for nothing but hugetlb: the controllers vireo needs are on v1),
 * else the cgroup2 mount. Undefined when neither is there.
 */
export function parseCgroupMounts(mountinfo: string): CgroupMounts | undefined {
  const v1: Partial<Record<V1Controller, string>> = {};
  let v2: string | undefined;
  for (const line of mountinfo.split('\n')) {
    // fields: id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountpoint = unescapeMount(left[4] ?? '');
    if (right[0] === 'cgroup2') v2 ??= mountpoint;
    if (right[0] !== 'cgroup') continue;
    const opts = (right[2] ?? '').split(',');
    for (const c of V1_CONTROLLERS) if (opts.includes(c)) v1[c] ??= mountpoint;
  }
  if (Object.keys(v1).length > 0) return { version: 1, mounts: v1 };
  return v2 === undefined ? undefined : { version: 2, root: v2 };
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Names the kernel keeps for itself in a cgroup directory: a group named so gets a '_' first, as libvirt does. */
function escapeComponent(name: string): string {
  const reserved = name.startsWith('_') || name.startsWith('.') || name.startsWith('cgroup.')
    || ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'io', 'pids', 'devices', 'freezer', 'tasks', 'notify_on_release', 'release_agent'].some((c) => name === c || name.startsWith(`${c}.`));
  return reserved ? `_${name}` : name;
}

/**
 * The directories of a resource partition below each hierarchy's root: '/machine' is
 * 'machine', and every deeper level gets '.partition' ('/machine/a' is 'machine/a.partition').
 */
export function partitionDirs(partition: string): string {
  const parts = partition.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`resource partition '${partition}' names no group`);
  return parts.map((p, i) => escapeComponent(i === 0 ? p : `${p}.partition`)).join('/');
}

/**
 * libvirt's machine name: 'qemu-ID-NAME' with only letters, digits, '-', '_' and '.' kept from
 * the name (no dot first or after another), cut to 64 characters.
 */
export function machineName(id: number, name: string): string {
  let kept = '';
  for (const ch of name) {
    if (!/[A-Za-z0-9_.-]/.test(ch)) continue;
    if (ch === '.' && (kept === '' || kept.endsWith('.'))) continue;
    kept += ch;
  }
  const prefix = `qemu-${id}-`;
  return (prefix + kept).slice(0, 64).replace(/[.-]+$/, '');
}

/** A guest's group below each hierarchy's root, e.g. 'machine/qemu-3-tg.libvirt-qemu'. */
export function guestGroupPath(partition: string, id: number, name: string): string {
  return `${partitionDirs(partition)}/${escapeComponent(`${machineName(id, name)}.libvirt-qemu`)}`;
}

/** A thread child's name: 'emulator', 'vcpu0', 'iothread1'. */
export type ThreadGroup = 'emulator' | `vcpu${number}` | `iothread${number}`;

/** Parse a cpu list ('0-3,^2,8') into sorted CPU numbers; undefined when malformed. */
export function parseCpuList(list: string): number[] | undefined {
  const on = new Set<number>();
  const off = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^\s*(\^?)(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (m === null) return undefined;
    const a = Number(m[2]);
    const b = m[3] === undefined ? a : Number(m[3]);
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) (m[1] === '^' ? off : on).add(i);
  }
  return [...on].filter((c) => !off.has(c)).sort((x, y) => x - y);
}

/** CPU numbers as the shortest list ('0-2,5'), as the kernel and virsh print them. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
