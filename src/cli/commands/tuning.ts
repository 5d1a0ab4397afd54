/**
 * Resource tuning: schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin and cpu-stats,
 * with virsh 9.0's options, listings and messages (checked against virsh through libvirt-ref).
 */
import type { BlkioDeviceTune, SchedParams, TuningChange } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import type { Args, CommandDef, Ctx, OptDef } from './types.js';
import { flag } from './opts.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' };
const impactOpts: OptDef[] = [
  flag('current', 'affect current domain'),
  flag('config', 'affect next boot'),
  flag('live', 'affect running domain'),
];

/** --live/--config/--current as the API takes them (virsh refuses --current with either). */
function impact(args: Args): { live?: boolean; config?: boolean } {
  for (const o of ['live', 'config']) if (args.bool('current') && args.bool(o)) fail(`Options --current and --${o} are mutually exclusive`);
  return { ...(args.bool('live') ? { live: true } : {}), ...(args.bool('config') ? { config: true } : {}) };
}

const line = (name: string, value: string | number): string => `${name.padEnd(15)}: ${value}\n`;

const SCHED: Array<[string, keyof SchedParams, 'u' | 's']> = [
  ['cpu_shares', 'cpuShares', 'u'], ['vcpu_period', 'vcpuPeriod', 'u'], ['vcpu_quota', 'vcpuQuota', 's'],
  ['emulator_period', 'emulatorPeriod', 'u'], ['emulator_quota', 'emulatorQuota', 's'], ['global_period', 'globalPeriod', 'u'],
  ['global_quota', 'globalQuota', 's'], ['iothread_period', 'iothreadPeriod', 'u'], ['iothread_quota', 'iothreadQuota', 's'],
];

/** `name=value` words of schedinfo --set, checked as virsh checks them. */
function schedChange(words: readonly string[], args: Args): Partial<SchedParams> {
  const out: Partial<SchedParams> = {};
  for (const o of ['weight', 'cap']) if (args.has(o)) fail(`invalid scheduler option: ${o}`);
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) fail('Invalid syntax for --set, expecting name=value');
    const name = w.slice(0, eq);
    const value = w.slice(eq + 1);
    const p = SCHED.find(([n]) => n === name);
    if (p === undefined) fail(`invalid scheduler option: ${name}`);
    const ok = p[2] === 'u' ? /^\d+$/.test(value) : /^-?\d+$/.test(value);
    if (!ok) fail(`invalid argument: Invalid value for field '${name}': expecting ${p[2] === 'u' ? 'an unsigned long long' : 'a long long'}`);
    // A negative quota means "no limit", which the API spells -1.
    out[p[1]] = Math.max(-1, Number(value));
  }
  return out;
}

async function schedinfo(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const c = await ctx.client();
  await attempt(ref, null, () => c.getDomain(ref));
  const words = args.list('set');
  const setting = words.length > 0 || args.has('weight') || args.has('cap');
  // virsh names the scheduler before it tries anything.
  if (!args.bool('json')) ctx.print('Scheduler      : posix\n');
  const t = setting ? await attempt(ref, null, () => c.setTuning(ref, { ...r, sched: schedChange(words, args) })) : await attempt(ref, null, () => c.tuning(ref, r));
  if (args.bool('json')) return ctx.json(t.sched);
  ctx.print(SCHED.map(([n, k]) => line(n, t.sched[k])).join(''));
}

/** A memtune size: a scaled integer in KiB (k, M, G... suffixes), -1 for unlimited. */
function memSize(args: Args, name: string): number | null | undefined {
  const v = args.str(name);
  if (v === undefined) return undefined;
  if (/^-1$/.test(v.trim())) return null;
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(v.trim());
  const units: Record<string, number> = { '': 1, b: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024, t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024 };
  const scale = m === null ? undefined : units[m[2]!.toLowerCase()];
  if (m === null || scale === undefined) fail(`Unable to parse integer parameter ${name}`);
  return Math.ceil(Number(m[1]) * scale);
}

const unlimited = (v: number | null): string => (v === null ? 'unlimited' : String(v));

async function memtune(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const memory: NonNullable<TuningChange['memory']> = {};
  const sizes: Array<[string, keyof typeof memory]> = [['hard-limit', 'hardLimitKiB'], ['soft-limit', 'softLimitKiB'], ['swap-hard-limit', 'swapHardLimitKiB'], ['min-guarantee', 'minGuaranteeKiB']];
  for (const [opt, key] of sizes) {
    const v = memSize(args, opt);
    if (v !== undefined) memory[key] = v;
  }
  const c = await ctx.client();
  await attempt(ref, null, () => c.getDomain(ref));
  if (Object.keys(memory).length > 0) {
    await attempt(ref, 'Unable to change memory parameters', () => c.setTuning(ref, { ...r, memory }));
    return;
  }
  const t = await attempt(ref, 'Unable to get number of memory parameters', () => c.tuning(ref, r));
  if (args.bool('json')) return ctx.json(t.memory);
  ctx.print(line('hard_limit', unlimited(t.memory.hardLimitKiB)) + line('soft_limit', unlimited(t.memory.softLimitKiB)) + line('swap_hard_limit', unlimited(t.memory.swapHardLimitKiB)));
}

const BLKIO_DEV: Array<[string, string, keyof Omit<BlkioDeviceTune, 'path'>]> = [
  ['device-weights', 'device_weight', 'weight'], ['device-read-iops-sec', 'device_read_iops_sec', 'readIopsSec'],
  ['device-write-iops-sec', 'device_write_iops_sec', 'writeIopsSec'], ['device-read-bytes-sec', 'device_read_bytes_sec', 'readBytesSec'],
  ['device-write-bytes-sec', 'device_write_bytes_sec', 'writeBytesSec'],
];

/** '/dev/sda,500,/dev/sdb,300' into devices (virsh's format for every per-device option). */
function blkioDevices(args: Args): BlkioDeviceTune[] {
  const out: BlkioDeviceTune[] = [];
  for (const [opt, , key] of BLKIO_DEV) {
    const v = args.str(opt);
    if (v === undefined) continue;
    const parts = v.split(',');
    if (parts.length % 2 !== 0 || parts.length === 0) fail('Unable to change blkio parameters', `invalid argument: unable to parse blkio device '${v}'`);
    for (let i = 0; i < parts.length; i += 2) {
      const path = parts[i]!;
      const num = parts[i + 1]!;
      if (!/^\d+$/.test(num)) fail('Unable to change blkio parameters', `invalid argument: invalid value '${num}' for parameter '${opt}' of device '${path}'`);
      let d = out.find((x) => x.path === path);
      if (d === undefined) out.push((d = { path }));
      d[key] = Number(num);
    }
  }
  return out;
}

async function blkiotune(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const weightText = args.str('weight');
  if (weightText !== undefined && !/^\d+$/.test(weightText)) fail(`Numeric value '${weightText}' for <weight> option is malformed or out of range`);
  const devices = blkioDevices(args);
  const c = await ctx.client();
  await attempt(ref, null, () => c.getDomain(ref));
  if (weightText !== undefined || devices.length > 0) {
    const blkio: NonNullable<TuningChange['blkio']> = { ...(weightText === undefined ? {} : { weight: Number(weightText) }), ...(devices.length > 0 ? { devices } : {}) };
    await attempt(ref, 'Unable to change blkio parameters', () => c.setTuning(ref, { ...r, blkio }));
    return;
  }
  const t = await attempt(ref, 'Unable to get number of blkio parameters', () => c.tuning(ref, r));
  if (args.bool('json')) return ctx.json(t.blkio);
  let s = line('weight', t.blkio.weight);
  for (const [, name, key] of BLKIO_DEV) {
    const list = t.blkio.devices.flatMap((d) => (d[key] === undefined ? [] : [`${d.path},${d[key]}`]));
    s += line(name, list.join(','));
  }
  ctx.print(s);
}

async function numatune(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const mode = args.str('mode');
  const nodeset = args.str('nodeset');
  if (mode !== undefined && !['strict', 'preferred', 'interleave', 'restrictive'].includes(mode) && !/^\d+$/.test(mode)) fail(`Invalid mode: ${mode}`);
  const c = await ctx.client();
  await attempt(ref, null, () => c.getDomain(ref));
  if (mode !== undefined || nodeset !== undefined) {
    const modes = ['strict', 'preferred', 'interleave', 'restrictive'];
    const numa = { ...(mode === undefined ? {} : { mode: /^\d+$/.test(mode) ? modes[Number(mode)] ?? mode : mode }), ...(nodeset === undefined ? {} : { nodeset }) };
    await attempt(ref, 'Unable to change numa parameters', () => c.setTuning(ref, { ...r, numa }));
    return;
  }
  const t = await attempt(ref, 'Unable to get number of memory parameters', () => c.tuning(ref, r));
  if (args.bool('json')) return ctx.json(t.numa);
  ctx.print(line('numa_mode', t.numa.mode) + line('numa_nodeset', t.numa.nodeset));
}

/** virsh's vcpupin table (vshTable: columns padded to their widest cell, three spaces apart). */
function pinTable(rows: Array<[number, string]>): string {
  const w = Math.max(4, ...rows.map(([v]) => String(v).length));
  const head = ` ${'VCPU'.padEnd(w)}   CPU Affinity`;
  return `${head}\n${'-'.repeat(head.length + 2)}\n${rows.map(([v, a]) => ` ${String(v).padEnd(w)}   ${a}\n`).join('')}`;
}

async function vcpupin(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const vcpuText = args.str('vcpu');
  const cpulist = args.str('cpulist');
  if (vcpuText !== undefined && !/^\d+$/.test(vcpuText)) fail(`Numeric value '${vcpuText}' for <vcpu> option is malformed or out of range`);
  if (cpulist !== undefined && vcpuText === undefined) fail('vcpupin: Missing vCPU number in pin mode.');
  const c = await ctx.client();
  const d = await attempt(ref, null, () => c.getDomain(ref));
  if (cpulist !== undefined) {
    if (cpulist === '') fail('cpulist: Invalid format. Empty string.');
    await attempt(ref, null, () => c.setTuning(ref, { ...r, vcpupin: { vcpu: Number(vcpuText), cpuset: cpulist } }));
    return;
  }
  if (r.live === true && d.id === null) fail('cannot get vcpupin for offline domain');
  const t = await attempt(ref, null, () => c.tuning(ref, r));
  const rows = t.vcpupin.map((a, i): [number, string] => [i, a]).filter(([i]) => vcpuText === undefined || i === Number(vcpuText));
  if (vcpuText !== undefined && rows.length === 0) fail(`invalid argument: vcpu ${vcpuText} is out of range of ${d.id !== null && r.config !== true ? 'live' : 'persistent'} cpu count ${t.vcpupin.length}`);
  if (args.bool('json')) return ctx.json(rows.map(([vcpu, affinity]) => ({ vcpu, affinity })));
  ctx.print(pinTable(rows));
}

async function emulatorpin(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const r = impact(args);
  const cpulist = args.str('cpulist');
  const c = await ctx.client();
  const d = await attempt(ref, null, () => c.getDomain(ref));
  if (cpulist !== undefined) {
    if (cpulist === '') fail('cpulist: Invalid format. Empty string.');
    await attempt(ref, null, () => c.setTuning(ref, { ...r, emulatorpin: cpulist }));
    return;
  }
  if (r.live === true && d.id === null) fail('cannot get emulatorpin for offline domain');
  const t = await attempt(ref, null, () => c.tuning(ref, r));
  if (args.bool('json')) return ctx.json({ affinity: t.emulatorpin });
  ctx.print(`emulator: CPU Affinity\n${'-'.repeat(34)}\n       *: ${t.emulatorpin}\n`);
}

const impactDesc = '--live changes (or shows) the running guest, --config the stored definition; neither: the running guest if it runs, else the definition.';

export const tuningCommands: readonly CommandDef[] = [
  {
    name: 'schedinfo', group: 'domain', json: true, writes: true,
    help: 'show/set scheduler parameters',
    desc: `Show or set the guest's CPU scheduler parameters: cpu_shares, the CFS period and quota of its vCPUs, emulator\nthreads and whole guest (cgroup cpu controller). ${impactDesc}`,
    opts: [domainOpt, { name: 'weight', type: 'int', namedOnly: true, help: 'weight for XEN_CREDIT' }, { name: 'cap', type: 'int', namedOnly: true, help: 'cap for XEN_CREDIT' },
      ...impactOpts, { name: 'set', type: 'argv', help: 'parameter=value' }],
    run: schedinfo,
  },
  {
    name: 'memtune', group: 'domain', json: true, writes: true,
    help: 'Get or set memory parameters',
    desc: `Get or set the guest's memory limits (KiB unless a unit is given; -1: unlimited) in its memory cgroup. ${impactDesc}`,
    opts: [domainOpt,
      { name: 'hard-limit', type: 'string', namedOnly: true, help: 'Max memory, as scaled integer (default KiB)' },
      { name: 'soft-limit', type: 'string', namedOnly: true, help: 'Memory during contention, as scaled integer (default KiB)' },
      { name: 'swap-hard-limit', type: 'string', namedOnly: true, help: 'Max memory plus swap, as scaled integer (default KiB)' },
      { name: 'min-guarantee', type: 'string', namedOnly: true, help: 'Min guaranteed memory, as scaled integer (default KiB)' },
      ...impactOpts],
    run: memtune,
  },
  {
    name: 'blkiotune', group: 'domain', json: true, writes: true,
    help: 'Get or set blkio parameters',
    desc: `Get or set the guest's block I/O weight and per-device weights and throttles (cgroup blkio/io). ${impactDesc}`,
    opts: [domainOpt,
      { name: 'weight', type: 'string', namedOnly: true, help: 'IO Weight' },
      { name: 'device-weights', type: 'string', namedOnly: true, help: 'per-device IO Weights, in the form of /path/to/device,weight,...' },
      { name: 'device-read-iops-sec', type: 'string', namedOnly: true, help: 'per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...' },
      { name: 'device-write-iops-sec', type: 'string', namedOnly: true, help: 'per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...' },
      { name: 'device-read-bytes-sec', type: 'string', namedOnly: true, help: 'per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...' },
      { name: 'device-write-bytes-sec', type: 'string', namedOnly: true, help: 'per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...' },
      ...impactOpts],
    run: blkiotune,
  },
  {
    name: 'numatune', group: 'domain', json: true, writes: true,
    help: 'Get or set numa parameters',
    desc: `Get or set the guest's NUMA memory mode and host nodes (a strict nodeset is the cgroup's cpuset.mems). ${impactDesc}`,
    opts: [domainOpt,
      { name: 'mode', type: 'string', namedOnly: true, help: 'NUMA mode, one of strict, preferred and interleave or a number from the virDomainNumatuneMemMode enum' },
      { name: 'nodeset', type: 'string', namedOnly: true, help: 'NUMA node selections to set' },
      ...impactOpts],
    run: numatune,
  },
  {
    name: 'vcpupin', group: 'domain', json: true, writes: true,
    help: 'control or query domain vcpu affinity',
    desc: `Pin a vCPU to host CPUs (its thread's affinity and its vcpuN cgroup's cpuset), or list every vCPU's affinity. ${impactDesc}`,
    opts: [domainOpt, { name: 'vcpu', type: 'string', help: 'vcpu number' }, { name: 'cpulist', type: 'string', emptyOk: true, help: "host cpu number(s) to set, or omit option to query" }, ...impactOpts],
    run: vcpupin,
  },
  {
    name: 'emulatorpin', group: 'domain', json: true, writes: true,
    help: 'control or query domain emulator affinity',
    desc: `Pin the emulator threads (every QEMU thread but the vCPUs') to host CPUs, or show their affinity. ${impactDesc}`,
    opts: [domainOpt, { name: 'cpulist', type: 'string', emptyOk: true, help: 'host cpu number(s) to set, or omit option to query' }, ...impactOpts],
    run: emulatorpin,
  },
];
