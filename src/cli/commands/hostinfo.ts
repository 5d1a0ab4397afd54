/**
 * Host and Hypervisor commands about the daemon's host: nodeinfo, capabilities, domcapabilities,
 * hostname, sysinfo, nodememstats, nodecpustats, freecell, maxvcpus, and host-validate (what
 * virt-host-validate and kvm-ok check, in virt-host-validate's format).
 */
import type { HostCheck, NodeCpuStats } from '../../api/types.js';
import { attempt, CmdFailure, fail } from '../errors.js';
import type { CommandDef, OptDef } from './types.js';

/** A non-negative integer option, with virsh's message for anything else. */
export function uintOpt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*\+?\d+$/.test(value) || Number(value) > 0x7fffffff) fail(`Numeric value '${value}' for <${name}> option is malformed or out of range`);
  return Number(value);
}

/** `%-20s %s`: nodeinfo's label column. */
const label20 = (label: string, value: string | number): string => `${label.padEnd(20)} ${value}\n`;

/** printf("%5.1f") */
const pct = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '0.0').padStart(5);

/** One virt-host-validate line: `  QEMU: Checking <what, padded to 60>: RESULT (advice)`. */
export function formatCheck(c: HostCheck): string {
  return `${'QEMU'.padStart(6)}: ${`Checking ${c.check}`.padEnd(69)}: ${c.result}${c.advice === undefined ? '' : ` (${c.advice})`}\n`;
}

const NODECPU_FIELDS: ReadonlyArray<keyof NodeCpuStats> = ['user', 'system', 'idle', 'iowait'];

const num = (name: string, help: string): OptDef => ({ name, type: 'int', help });

export const hostInfoCommands: readonly CommandDef[] = [
  {
    name: 'nodeinfo', group: 'host', json: true,
    help: 'print the CPU and memory of the host',
    desc: 'Print the host\'s CPU architecture, CPU count, frequency and topology, NUMA cells and memory size.',
    opts: [],
    async run(ctx, args) {
      const c = await ctx.client();
      const n = await attempt(null, 'failed to get node information', () => c.nodeInfo());
      if (args.bool('json')) return ctx.json(n);
      ctx.print(label20('CPU model:', n.model) + label20('CPU(s):', n.cpus) + label20('CPU frequency:', `${n.mhz} MHz`)
        + label20('CPU socket(s):', n.sockets) + label20('Core(s) per socket:', n.cores) + label20('Thread(s) per core:', n.threads)
        + label20('NUMA cell(s):', n.nodes) + label20('Memory size:', `${n.memoryKiB} KiB`));
    },
  },
  {
    name: 'hostname', group: 'host', json: true,
    help: 'print the name of the daemon\'s host',
    desc: 'Print the host name of the machine vireod runs on.',
    opts: [],
    async run(ctx, args) {
      const c = await ctx.client();
      const { hostname } = await attempt(null, 'failed to get hostname', () => c.host());
      if (args.bool('json')) ctx.json({ hostname });
      else ctx.print(`${hostname}\n`);
    },
  },
  {
    name: 'capabilities', group: 'host',
    help: 'print the capabilities of the host and its hypervisor',
    desc: 'Print libvirt\'s capabilities XML: the host\'s CPU and NUMA topology, and the guests vireo can run.\n'
      + 'The kvm domain type is listed only where KVM can run ordinary guests.',
    opts: [],
    async run(ctx) {
      const c = await ctx.client();
      ctx.print(`${await attempt(null, 'failed to get capabilities', () => c.capabilities())}\n`);
    },
  },
  {
    name: 'domcapabilities', group: 'host',
    help: 'print what a domain may hold on this host',
    desc: 'Print libvirt\'s domain capabilities XML for a domain type, emulator, architecture and machine:\n'
      + 'the firmware, CPU modes and devices vireo supports for it.',
    opts: [
      { name: 'virttype', type: 'string', help: 'the domain type, kvm or qemu (default: kvm where usable, else qemu)' },
      { name: 'emulatorbin', type: 'string', help: 'the emulator binary' },
      { name: 'arch', type: 'string', help: 'the guest architecture' },
      { name: 'machine', type: 'string', help: 'the machine type, e.g. q35 or pc' },
    ],
    async run(ctx, args) {
      const c = await ctx.client();
      const q: { emulator?: string; arch?: string; machine?: string; virttype?: string } = {};
      const e = args.str('emulatorbin');
      if (e !== undefined) q.emulator = e;
      for (const k of ['arch', 'machine', 'virttype'] as const) {
        const v = args.str(k);
        if (v !== undefined) q[k] = v;
      }
      ctx.print(`${await attempt(null, 'failed to get emulator capabilities', () => c.domainCapabilities(q))}\n`);
    },
  },
  {
    name: 'sysinfo', group: 'host',
    help: 'print the host\'s SMBIOS data',
    desc: 'Print the host\'s BIOS, system, board and chassis data as libvirt\'s sysinfo XML.',
    opts: [],
    async run(ctx) {
      const c = await ctx.client();
      ctx.print(await attempt(null, 'failed to get sysinfo', () => c.sysinfo()));
    },
  },
  {
    name: 'nodememstats', group: 'host', json: true,
    help: 'print the memory statistics of the host',
    desc: 'Print the host\'s total, free, buffer and cache memory, or with --cell the total and free memory of one NUMA cell.',
    opts: [num('cell', 'a NUMA cell number')],
    async run(ctx, args) {
      const cell = uintOpt(args.str('cell'), 'cell');
      const c = await ctx.client();
      const m = await attempt(null, 'Unable to get number of memory stats', () => c.nodeMemStats(cell));
      if (args.bool('json')) return ctx.json(m);
      let s = '';
      for (const k of ['total', 'free', 'buffers', 'cached'] as const) {
        const v = m[k];
        if (v !== undefined) s += `${k.padEnd(7)}: ${String(v).padStart(20)} KiB\n`;
      }
      ctx.print(s);
    },
  },
  {
    name: 'nodecpustats', group: 'host', json: true,
    help: 'print the CPU statistics of the host',
    desc: 'Print the time all CPUs (or one, with --cpu) spent in user and system code, idle and waiting for I/O, in\n'
      + 'nanoseconds; with --percent, the share of each over one second.',
    opts: [num('cpu', 'a CPU number'), { name: 'percent', type: 'bool', help: 'print percentages over one second' }],
    async run(ctx, args) {
      const cpu = uintOpt(args.str('cpu'), 'cpu');
      const c = await ctx.client();
      const first = await attempt(null, 'Unable to get node cpu stats', () => c.nodeCpuStats(cpu));
      if (!args.bool('percent')) {
        if (args.bool('json')) return ctx.json(first);
        ctx.print(NODECPU_FIELDS.map((k) => `${`${k}:`.padEnd(15)} ${String(first[k]).padStart(20)}\n`).join(''));
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
      const second = await attempt(null, 'Unable to get node cpu stats', () => c.nodeCpuStats(cpu));
      const d = Object.fromEntries(NODECPU_FIELDS.map((k) => [k, second[k] - first[k]])) as unknown as NodeCpuStats;
      const total = d.user + d.system + d.idle + d.iowait;
      const share = (x: number): number => (total > 0 ? (x * 100) / total : 0);
      if (args.bool('json')) {
        const round = (x: number): number => Math.round(share(x) * 10) / 10;
        return ctx.json({ usage: round(d.user + d.system), user: round(d.user), system: round(d.system), idle: round(d.idle), iowait: round(d.iowait) });
      }
      const line = (l: string, x: number): string => `${l.padEnd(15)} ${pct(x)}%\n`;
      ctx.print(line('usage:', share(d.user + d.system)) + line('user:', share(d.user)) + line('system:', share(d.system))
        + line('idle:', share(d.idle)) + line('iowait:', share(d.iowait)));
    },
  },
  {
    name: 'freecell', group: 'host', json: true,
    help: 'print the free memory of the host or of its NUMA cells',
    desc: 'Print the free memory of the host, of one NUMA cell (--cellno), or of every cell and their total (--all).',
    opts: [num('cellno', 'a NUMA cell number'), { name: 'all', type: 'bool', help: 'print every cell and the total' }],
    async run(ctx, args) {
      if (args.bool('all') && args.str('cellno') !== undefined) fail('Options --all and --cellno are mutually exclusive');
      const cellno = uintOpt(args.str('cellno'), 'cellno');
      const c = await ctx.client();
      const cells = await attempt(null, 'failed to get free memory', () => c.freeCells());
      const total = cells.reduce((s, x) => s + x.freeKiB, 0);
      if (cellno !== undefined) {
        const cell = cells.find((x) => x.cell === cellno);
        if (cell === undefined) fail(`internal error: start cell ${cellno} out of range (0-${Math.max(0, ...cells.map((x) => x.cell))})`);
        if (args.bool('json')) return ctx.json(cell);
        ctx.print(`${cell.cell}: ${cell.freeKiB} KiB\n`);
        return;
      }
      if (args.bool('json')) return ctx.json({ cells, totalKiB: total });
      if (!args.bool('all')) {
        ctx.print(`Total: ${total} KiB\n`);
        return;
      }
      let s = cells.map((x) => `${String(x.cell).padStart(5)}: ${String(x.freeKiB).padStart(10)} KiB\n`).join('');
      s += `${'-'.repeat(20)}\n${'Total'.padStart(5)}: ${String(total).padStart(10)} KiB\n`;
      ctx.print(s);
    },
  },
  {
    name: 'maxvcpus', group: 'host', json: true,
    help: 'print the most vCPUs a guest may have',
    desc: 'Print the largest number of virtual CPUs vireo gives a guest of the given type (kvm or qemu).',
    opts: [{ name: 'type', type: 'string', help: 'the domain type, kvm or qemu' }],
    async run(ctx, args) {
      const c = await ctx.client();
      const max = await attempt(null, null, () => c.maxVcpus(args.str('type')));
      if (args.bool('json')) ctx.json({ max });
      else ctx.print(`${max}\n`);
    },
  },
  {
    name: 'host-validate', group: 'host', json: true,
    help: 'check that the host can run guests well',
    desc: 'Check what virt-host-validate and kvm-ok check, on the daemon\'s host: hardware virtualization, whether /dev/kvm\n'
      + 'can run ordinary guests, /dev/net/tun and /dev/vhost-net, cgroup controllers (v1 or v2) and the IOMMU.\n'
      + 'Prints PASS, WARN or FAIL lines as virt-host-validate does; the exit status is 1 when any check fails.',
    opts: [],
    async run(ctx, args) {
      const c = await ctx.client();
      const checks = await attempt(null, 'failed to validate the host', () => c.validateHost());
      if (args.bool('json')) ctx.json({ ok: !checks.some((x) => x.result === 'FAIL'), checks });
      else ctx.print(checks.map(formatCheck).join(''));
      if (checks.some((x) => x.result === 'FAIL')) throw new CmdFailure([]);
    },
  },
];
