/**
 * Memory and vCPU control: setmem, setmaxmem, setvcpus (Domain Management) and node-memory-tune
 * (Host and Hypervisor), with virsh 9.0's options, checks, messages and output (setmem,
 * setmaxmem and setvcpus print nothing on success).
 */
import type { NodeMemoryParameters, NodeMemoryTuneRequest } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { uintOpt } from './hostinfo.js';
import { flag } from './opts.js';
import type { Args, CommandDef, OptDef } from './types.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' };
const impactOpts: OptDef[] = [
  flag('config', 'affect next boot'),
  flag('live', 'affect running domain'),
  flag('current', 'affect current domain'),
];

/** virsh's VSH_EXCLUSIVE_OPTIONS and VSH_REQUIRE_OPTION checks, in its order. */
function exclusive(args: Args, pairs: ReadonlyArray<[string, string]>): void {
  for (const [a, b] of pairs) if (args.bool(a) && args.bool(b)) fail(`Options --${a} and --${b} are mutually exclusive`);
}

const impact = (args: Args): { live?: boolean; config?: boolean } => ({
  ...(args.bool('live') ? { live: true } : {}),
  ...(args.bool('config') ? { config: true } : {}),
});

/**
 * A scaled size as virsh reads it (vshCommandOptScaledInt), in KiB: no suffix means KiB, 'b' bytes,
 * k/M/G/T/P/E (or KiB, MiB...) powers of 1024, KB/MB... powers of 1000; bytes round up to KiB.
 */
export function scaledKiB(text: string, name: string): number {
  const m = /^\s*(\d+)\s*([A-Za-z]*)$/.exec(text);
  const bad = (): never => fail(`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`);
  if (m === null) return bad();
  const unit = m[2]!.toLowerCase();
  let scale = 1024;
  if (unit === 'b' || unit === 'byte' || unit === 'bytes') scale = 1;
  else if (unit !== '') {
    const power = 'kmgtpe'.indexOf(unit[0]!) + 1;
    const rest = unit.slice(1);
    if (power === 0 || !['', 'ib', 'b'].includes(rest)) {
      fail(`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`, `invalid argument: unknown suffix '${m[2]!}'`);
    }
    scale = (rest === 'b' ? 1000 : 1024) ** power;
  }
  const bytes = Number(m[1]) * scale;
  if (!Number.isSafeInteger(bytes)) return bad();
  return Math.ceil(bytes / 1024);
}

/** node-memory-tune's listing: "Shared memory:" then `\t%-15s %s` for each parameter the host has. */
export function formatMemoryParameters(p: NodeMemoryParameters): string {
  let s = 'Shared memory:\n';
  for (const [k, v] of Object.entries(p)) if (v !== null) s += `\t${k.padEnd(15)} ${v}\n`;
  return s;
}

function memCommand(name: 'setmem' | 'setmaxmem', help: string, desc: string, sizeHelp: string): CommandDef {
  return {
    name, group: 'domain', writes: true, help, desc,
    opts: [domainOpt, { name: 'size', type: 'int', required: true, help: sizeHelp }, ...impactOpts],
    async run(_ctx, args) {
      exclusive(args, [['current', 'live'], ['current', 'config']]);
      const ref = args.need('domain');
      const c = await _ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const kib = scaledKiB(args.need('size'), 'size');
      const r = { ...impact(args), kib };
      if (name === 'setmem') await attempt(ref, null, () => c.setMemory(ref, r));
      else await attempt(ref, 'Unable to change MaxMemorySize', () => c.setMaxMemory(ref, r));
    },
  };
}

export const memCpuCommands: readonly CommandDef[] = [
  memCommand('setmem', 'change memory allocation', 'Change the current memory allocation in the guest domain.',
    'new memory size, as scaled integer (default KiB)'),
  memCommand('setmaxmem', 'change maximum memory limit', 'Change the maximum memory allocation limit in the guest domain.',
    'new maximum memory size, as scaled integer (default KiB)'),
  {
    name: 'setvcpus', group: 'domain', writes: true,
    help: 'change number of virtual CPUs',
    desc: 'Change the number of virtual CPUs in the guest domain.',
    opts: [
      domainOpt,
      { name: 'count', type: 'int', required: true, help: 'number of virtual CPUs' },
      flag('maximum', 'set maximum limit on next boot'),
      ...impactOpts,
      flag('guest', 'modify cpu state in the guest'),
      flag('hotpluggable', 'make added vcpus hot(un)pluggable'),
    ],
    async run(ctx, args) {
      exclusive(args, [['current', 'live'], ['current', 'config'], ['guest', 'config']]);
      if (args.bool('maximum') && !args.bool('config')) fail('Option --config is required by option --maximum');
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const count = uintOpt(args.need('count'), 'count')!;
      const r = {
        ...impact(args), count,
        ...(args.bool('maximum') ? { maximum: true } : {}),
        ...(args.bool('guest') ? { guest: true } : {}),
        ...(args.bool('hotpluggable') ? { hotpluggable: true } : {}),
      };
      await attempt(ref, null, () => c.setVcpus(ref, r));
    },
  },
  {
    name: 'node-memory-tune', group: 'host', json: true,
    help: 'Get or set node memory parameters',
    desc: 'Get or set node memory parameters\nTo get the memory parameters, use following command: \n\nvirsh # node-memory-tune',
    opts: [
      { name: 'shm-pages-to-scan', type: 'int', namedOnly: true, help: 'number of pages to scan before the shared memory service goes to sleep' },
      { name: 'shm-sleep-millisecs', type: 'int', namedOnly: true, help: 'number of millisecs the shared memory service should sleep before next scan' },
      { name: 'shm-merge-across-nodes', type: 'int', namedOnly: true, help: 'Specifies if pages from different numa nodes can be merged' },
    ],
    async run(ctx, args) {
      const set: NodeMemoryTuneRequest = {};
      const opt = (o: string, k: keyof NodeMemoryTuneRequest): void => {
        const v = uintOpt(args.str(o), o);
        if (v !== undefined) set[k] = v;
      };
      opt('shm-pages-to-scan', 'shm_pages_to_scan');
      opt('shm-sleep-millisecs', 'shm_sleep_millisecs');
      opt('shm-merge-across-nodes', 'shm_merge_across_nodes');
      const c = await ctx.client();
      if (Object.keys(set).length > 0) {
        // As virsh: setting prints nothing (--json prints the parameters after the change).
        const after = await attempt(null, 'Unable to change memory parameters', () => c.nodeMemoryParameters(set));
        if (args.bool('json')) ctx.json(after);
        return;
      }
      const p = await attempt(null, 'Unable to get number of memory parameters', () => c.nodeMemoryParameters());
      if (args.bool('json')) return ctx.json(p);
      ctx.print(formatMemoryParameters(p));
    },
  },
];
