/**
 * I/O threads: iothreadinfo, iothreadadd, iothreaddel, iothreadpin and iothreadset, with virsh
 * 9.0's options, checks, listing and messages (compared with virsh through libvirt-ref). The
 * changes print nothing on success, as virsh's.
 */
import type { IothreadSetRequest } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { flag } from './opts.js';
import type { Args, CommandDef, OptDef } from './types.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' };
const impactOpts: OptDef[] = [
  flag('config', 'affect next boot'),
  flag('live', 'affect running domain'),
  flag('current', 'affect current domain'),
];

/** --live/--config/--current as the API takes them, with virsh's refusal of --current beside either. */
function impact(args: Args): { live?: boolean; config?: boolean } {
  for (const o of ['live', 'config']) if (args.bool('current') && args.bool(o)) fail(`Options --current and --${o} are mutually exclusive`);
  return { ...(args.bool('live') ? { live: true } : {}), ...(args.bool('config') ? { config: true } : {}) };
}

const malformed = (value: string, name: string): never => fail(`Numeric value '${value}' for <${name}> option is malformed or out of range`);

/** An option virsh reads as a C int (vshCommandOptInt). */
function intOpt(value: string, name: string): number {
  if (!/^\s*[-+]?\d+$/.test(value) || Math.abs(Number(value)) > 0x7fffffff) malformed(value, name);
  return Number(value);
}

/** An option virsh reads as an unsigned int (or unsigned long long with `max`). */
function uintOpt(value: string, name: string, max = 0xffffffff): number {
  if (!/^\s*\+?\d+$/.test(value) || Number(value) > max) malformed(value, name);
  return Number(value);
}

/** The id of iothreadadd, iothreaddel and iothreadset: a positive int (virsh's own check). */
function threadId(args: Args): number {
  const text = args.need('id');
  const id = intOpt(text, 'id');
  if (id <= 0) fail(`Invalid IOThread id value: '${text.trim()}'`);
  return id;
}

/** virsh's iothreadinfo table (vshTable: columns padded to their widest cell, three spaces apart). */
function table(rows: Array<{ id: number; affinity: string }>): string {
  const w = Math.max('IOThread ID'.length, ...rows.map((r) => String(r.id).length));
  const head = ` ${'IOThread ID'.padEnd(w)}   CPU Affinity`;
  return `${head}\n${'-'.repeat(head.length + 2)}\n${rows.map((r) => ` ${String(r.id).padEnd(w)}   ${r.affinity}\n`).join('')}`;
}

/** A CPU list as virsh's vshParseCPUList reads it before anything is sent. */
function cpuList(text: string): string {
  if (!/^\s*\^?\d+(-\d+)?(\s*,\s*\^?\d+(-\d+)?)*\s*$/.test(text)) fail(`Invalid cpulist '${text}'`, `invalid argument: Failed to parse bitmap '${text}'`);
  return text;
}

const SET_OPTS: ReadonlyArray<[string, keyof IothreadSetRequest, 'ull' | 'uint' | 'int']> = [
  ['poll-max-ns', 'pollMaxNs', 'ull'], ['poll-grow', 'pollGrow', 'uint'], ['poll-shrink', 'pollShrink', 'uint'],
  ['thread-pool-min', 'poolMin', 'int'], ['thread-pool-max', 'poolMax', 'int'],
];

export const iothreadCommands: readonly CommandDef[] = [
  {
    name: 'iothreadinfo', group: 'domain', json: true,
    help: 'view domain IOThreads',
    desc: 'Returns basic information about the domain IOThreads.',
    opts: [domainOpt, ...impactOpts],
    async run(ctx, args) {
      const ref = args.need('domain');
      const r = impact(args);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      if (r.live === true && r.config === true) {
        fail('Unable to get domain IOThreads information', "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
      }
      const rows = await attempt(ref, 'Unable to get domain IOThreads information', () => c.iothreads(ref, r));
      if (args.bool('json')) return ctx.json(rows);
      // virsh leaves this line open; the blank line every command ends with closes it.
      if (rows.length === 0) return ctx.print('No IOThreads found for the domain');
      ctx.print(table(rows));
    },
  },
  {
    name: 'iothreadadd', group: 'domain', writes: true,
    help: 'add an IOThread to the guest domain',
    desc: 'Add an IOThread to the guest domain.',
    opts: [domainOpt, { name: 'id', type: 'int', required: true, help: 'iothread for the new IOThread' }, ...impactOpts],
    async run(ctx, args) {
      const ref = args.need('domain');
      const r = impact(args);
      const id = threadId(args);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      await attempt(ref, null, () => c.addIothread(ref, { ...r, id }));
    },
  },
  {
    name: 'iothreaddel', group: 'domain', writes: true,
    help: 'delete an IOThread from the guest domain',
    desc: 'Delete an IOThread from the guest domain.',
    opts: [domainOpt, { name: 'id', type: 'int', required: true, help: 'iothread_id for the IOThread to delete' }, ...impactOpts],
    async run(ctx, args) {
      const ref = args.need('domain');
      const r = impact(args);
      const id = threadId(args);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      await attempt(ref, null, () => c.delIothread(ref, { ...r, id }));
    },
  },
  {
    name: 'iothreadpin', group: 'domain', writes: true,
    help: 'control domain IOThread affinity',
    desc: 'Pin domain IOThreads to host physical CPUs.',
    opts: [domainOpt, { name: 'iothread', type: 'int', required: true, help: 'IOThread ID number' },
      { name: 'cpulist', type: 'data', required: true, complete: 'none', help: 'host cpu number(s) to set' }, ...impactOpts],
    async run(ctx, args) {
      const ref = args.need('domain');
      const r = impact(args);
      const id = uintOpt(args.need('iothread'), 'iothread');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const cpuset = cpuList(args.need('cpulist'));
      await attempt(ref, null, () => c.pinIothread(ref, { ...r, id, cpuset }));
    },
  },
  {
    name: 'iothreadset', group: 'domain', writes: true,
    help: 'modifies an existing IOThread of the guest domain',
    desc: 'Modifies an existing IOThread of the guest domain.',
    opts: [domainOpt, { name: 'id', type: 'int', required: true, help: 'iothread id of existing IOThread' },
      { name: 'poll-max-ns', type: 'int', namedOnly: true, help: 'set the maximum IOThread polling time in ns' },
      { name: 'poll-grow', type: 'int', namedOnly: true, help: 'set the value to increase the IOThread polling time' },
      { name: 'poll-shrink', type: 'int', namedOnly: true, help: 'set the value for reduction of the IOThread polling time' },
      { name: 'thread-pool-min', type: 'int', namedOnly: true, help: 'lower boundary for worker thread pool' },
      { name: 'thread-pool-max', type: 'int', namedOnly: true, help: 'upper boundary for worker thread pool' },
      ...impactOpts],
    async run(ctx, args) {
      const ref = args.need('domain');
      const r = impact(args);
      const id = threadId(args);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const set: IothreadSetRequest = { ...r, id };
      for (const [opt, key, kind] of SET_OPTS) {
        const text = args.str(opt);
        if (text === undefined) continue;
        (set as unknown as Record<string, number>)[key] = kind === 'int' ? intOpt(text, opt) : uintOpt(text, opt, kind === 'ull' ? Number.MAX_SAFE_INTEGER : 0xffffffff);
      }
      if (SET_OPTS.every(([, key]) => set[key] === undefined)) fail('Not enough arguments passed, nothing to set');
      await attempt(ref, null, () => c.setIothread(ref, set));
    },
  },
];
