/** Domain Monitoring statistics: vcpuinfo, vcpucount, domblkstat, domifstat, dommemstat, domblkerror, cpu-stats, nodecpumap. */
import type { VcpuCount } from '../../api/stats-types.js';
import { isVireoError } from '../../api/errors.js';
import { attempt, fail } from '../errors.js';
import {
  formatBlockErrors, formatBlockStats, formatCpuStats, formatInterfaceStats, formatMemStats, formatNodeCpuMap, formatVcpuCountRows, formatVcpuInfo,
} from '../statsformat.js';
import { checkWritable } from './domain.js';
import { flag } from './opts.js';
import type { Args, CommandDef, OptDef } from './types.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' };

/** An int option's value as virsh reads it (any sign), with its message for a malformed one. */
function intOpt(args: Args, name: string): number | undefined {
  const text = args.str(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*[-+]?\d+$/.test(text) || n < -2147483648 || n > 2147483647) fail(`Numeric value '${text}' for <${name}> option is malformed or out of range`);
  return n;
}

/** virsh's refusal of two options given together. */
function exclusive(args: Args, a: string, b: string): void {
  if (args.bool(a) && args.bool(b)) fail(`Options --${a} and --${b} are mutually exclusive`);
}

/** The one number vcpucount prints for --maximum/--active with --live/--config/--current (libvirt's words when it does not exist). */
function vcpuCountOne(c: VcpuCount, o: { maximum: boolean; live: boolean; config: boolean }): number {
  const live = o.live || (!o.config && c.currentLive !== null);
  const v = live ? (o.maximum ? c.maximumLive : c.currentLive) : (o.maximum ? c.maximumConfig : c.currentConfig);
  if (v === null) fail(live ? 'Requested operation is not valid: domain is not running' : 'Requested operation is not valid: transient domains do not have any persistent config');
  return v;
}

export const statsCommands: readonly CommandDef[] = [
  {
    name: 'vcpuinfo', group: 'domain', json: true,
    help: 'detailed domain vcpu information',
    desc: "Returns basic information about the domain virtual CPUs: the host CPU each last ran on, its CPU time and the host CPUs it may run on.",
    opts: [domainOpt, flag('pretty', 'return human readable output')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const r = await attempt(ref, null, () => c.vcpuInfo(ref));
      if (args.bool('json')) return ctx.json(r);
      ctx.print(formatVcpuInfo(r, args.bool('pretty')));
    },
  },
  {
    name: 'vcpucount', group: 'domain', json: true,
    help: 'domain vcpu counts',
    desc: 'Returns the number of virtual CPUs used by the domain.',
    opts: [
      domainOpt,
      flag('maximum', 'get maximum count of vcpus'),
      flag('active', 'get number of currently active vcpus'),
      flag('live', 'get value from running domain'),
      flag('config', 'get value to be used on next boot'),
      flag('current', 'get value according to current domain state'),
      flag('guest', 'retrieve vcpu count from the guest instead of the hypervisor'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      // virsh takes --current with --live or --config here (they win), unlike elsewhere.
      exclusive(args, 'live', 'config');
      exclusive(args, 'active', 'maximum');
      exclusive(args, 'guest', 'config');
      const c = await ctx.client();
      const guest = args.bool('guest');
      const counts = await attempt(ref, null, async () => {
        try {
          return await c.vcpuCount(ref, { guest });
        } catch (e) {
          // A shut-off guest has no agent to ask: virsh's own line first, then the reason.
          if (isVireoError(e) && e.code === 'INVALID_ARG') fail('Failed to retrieve vCPU count from the guest', e.message);
          throw e;
        }
      });
      const all = !['maximum', 'active', 'live', 'config', 'current', 'guest'].some((o) => args.bool(o));
      if (all) {
        if (args.bool('json')) return ctx.json(counts);
        const rows: Array<[string, string, number | null]> = [
          ['maximum', 'config', counts.maximumConfig], ['maximum', 'live', counts.maximumLive],
          ['current', 'config', counts.currentConfig], ['current', 'live', counts.currentLive],
        ];
        ctx.print(formatVcpuCountRows(rows.filter((r): r is [string, string, number] => r[2] !== null)));
        return;
      }
      const n = vcpuCountOne(counts, { maximum: args.bool('maximum'), live: args.bool('live'), config: args.bool('config') });
      if (args.bool('json')) return ctx.json({ count: n });
      ctx.print(`${n}\n`);
    },
  },
  {
    name: 'domblkstat', group: 'monitor', json: true,
    help: 'get device block stats for a domain',
    desc: 'Get device block stats for a running domain; without a device, every disk\'s counters summed. See --human for what the fields mean.',
    opts: [domainOpt, { name: 'device', type: 'string', help: 'block device' }, flag('human', 'print a more human readable output')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const device = args.str('device');
      const c = await ctx.client();
      const s = await attempt(ref, null, () => c.blockStats(ref, device === '' ? undefined : device));
      if (args.bool('json')) return ctx.json(s);
      ctx.print(formatBlockStats(s, args.bool('human')));
    },
  },
  {
    name: 'domifstat', group: 'monitor', json: true,
    help: 'get network interface stats for a domain',
    desc: 'Get network interface stats for a running domain, as the guest sees them.',
    opts: [domainOpt, { name: 'interface', type: 'data', required: true, help: 'interface device specified by name or MAC Address' }],
    async run(ctx, args) {
      const ref = args.need('domain');
      const iface = args.need('interface');
      const c = await ctx.client();
      const s = await attempt(ref, `Failed to get interface stats ${ref} ${iface}`, () => c.interfaceStats(ref, iface));
      if (args.bool('json')) return ctx.json(s);
      ctx.print(formatInterfaceStats(s));
    },
  },
  {
    name: 'dommemstat', group: 'monitor', json: true,
    help: 'get memory statistics for a domain',
    desc: "Get memory statistics for a running domain: the balloon's size, the guest's own figures (once its balloon driver\n"
      + 'reports them) and the host memory QEMU holds. --period N makes the guest report every N seconds (0: stop).',
    opts: [
      domainOpt,
      { name: 'period', type: 'string', namedOnly: true, help: 'period in seconds to set collection' },
      flag('config', 'affect next boot'),
      flag('live', 'affect running domain'),
      flag('current', 'affect current domain'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      exclusive(args, 'current', 'live');
      exclusive(args, 'current', 'config');
      const period = intOpt(args, 'period');
      const c = await ctx.client();
      if (period !== undefined) {
        if (period < 0) fail(`Invalid collection period value '${period}'`);
        const context = 'Unable to change balloon collection period.';
        await checkWritable(ctx, c, ref, context);
        await attempt(ref, context, () => c.setMemoryStatsPeriod(ref, { period, live: args.bool('live'), config: args.bool('config') }));
        return;
      }
      const stats = await attempt(ref, `Failed to get memory statistics for domain ${ref}`, () => c.memoryStats(ref));
      if (args.bool('json')) return ctx.json(stats);
      ctx.print(formatMemStats(stats));
    },
  },
  {
    name: 'domblkerror', group: 'monitor', json: true,
    help: 'Show errors on block devices',
    desc: 'Show block device errors: the disks QEMU stopped on an I/O error.',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const errors = await attempt(ref, null, () => c.blockErrors(ref));
      if (args.bool('json')) return ctx.json(errors);
      ctx.print(formatBlockErrors(errors));
    },
  },
  {
    name: 'cpu-stats', group: 'domain', json: true,
    help: 'show domain cpu statistics',
    desc: "Display per-CPU and total statistics about the domain's CPUs. The per-CPU part needs the guest in its own\n"
      + 'cpuacct cgroup; the total comes from its QEMU process.',
    opts: [
      domainOpt,
      flag('total', 'Show total statistics only'),
      { name: 'start', type: 'string', namedOnly: true, help: 'Show statistics from this CPU' },
      { name: 'count', type: 'string', namedOnly: true, help: 'Number of shown CPUs at most' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const start = intOpt(args, 'start');
      const count = intOpt(args, 'count');
      if (start !== undefined && start < 0) fail('Invalid value for start CPU');
      if (count !== undefined && count < 0) fail('Invalid value for number of CPUs to show');
      // virsh: --start/--count ask for the per-CPU part; --total (alone, or with them) for the total.
      const perCpu = !args.bool('total') || start !== undefined || count !== undefined;
      const total = args.bool('total') || (start === undefined && count === undefined);
      const c = await ctx.client();
      const context = `Failed to retrieve CPU statistics for domain '${ref}'`;
      const r = await attempt(ref, context, () => c.cpuStats(ref, { perCpu }));
      const first = start ?? 0;
      if (perCpu && first >= r.hostCpus) fail(`Start CPU ${first} is out of range (min: 0, max: ${r.hostCpus - 1})`);
      const shown = Math.min(count ?? r.hostCpus, r.hostCpus - first);
      if (perCpu && shown > 0 && r.cpus === undefined) fail(context, r.perCpuError ?? 'per-CPU statistics are not available');
      if (args.bool('json')) return ctx.json({ ...(total ? { total: r.total } : {}), ...(perCpu ? { cpus: (r.cpus ?? []).slice(first, first + shown) } : {}) });
      ctx.print(formatCpuStats(r, { start: first, count: shown, perCpu, total }));
    },
  },
  {
    name: 'nodecpumap', group: 'host', json: true,
    help: 'node cpu map',
    desc: "Displays the node's total number of CPUs, the number of online CPUs and the list of online CPUs.",
    opts: [flag('pretty', 'return human readable output')],
    async run(ctx, args) {
      const c = await ctx.client();
      const m = await attempt(null, null, () => c.nodeCpuMap());
      if (args.bool('json')) return ctx.json(m);
      ctx.print(formatNodeCpuMap(m, args.bool('pretty')));
    },
  },
];
