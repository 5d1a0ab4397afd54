/**
 * Networking commands (virsh's "Networking" group): net-define, net-create, net-start,
 * net-destroy, net-undefine, net-autostart, net-list, net-info, net-dumpxml, net-uuid, net-name,
 * net-dhcp-leases — with virsh 9.0's messages. net-update, net-edit and net-event are in
 * netupdate.ts.
 */
import type { NetworkSummary } from '../../api/types.js';
import { isVireoError } from '../../api/errors.js';
import { CmdFailure, failureHint, failureLines, fail } from '../errors.js';
import { formatLeases, formatNetInfo, formatNetList, parseUuid, selectNetworks, sortLeases, type NetListOptions } from '../netformat.js';
import { readXmlFile } from './domain.js';
import type { Args, CliClient, CommandDef, OptDef } from './types.js';
import { flag } from './opts.js';

export const networkOpt = (help = 'network name or UUID'): OptDef => ({ name: 'network', type: 'data', required: true, help });
const fileOpt: OptDef = { name: 'file', type: 'data', required: true, help: 'file holding the network XML' };
const validateOpt: OptDef = { name: 'validate', type: 'bool', help: "check the XML against libvirt's network schema first" };

/** virsh's two lines for a network it cannot find. */
export function notFound(ref: string, message: string): CmdFailure {
  return new CmdFailure([`failed to get network '${ref}'`, message]);
}

/**
 * Run one daemon call about the network `ref` (null: none yet) and turn its failure into virsh's
 * lines: a missing network is "failed to get network 'REF'" and the daemon's reason, anything
 * else is `context` (the command's own line) and the reason.
 */
export async function netAttempt<T>(ref: string | null, context: string | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ref !== null && isVireoError(e) && e.code === 'NO_NETWORK') throw notFound(ref, e.message);
    throw new CmdFailure(failureLines(e, null, context), failureHint(e));
  }
}

/** The network XML of `file`, checked against libvirt's schema first with --validate. */
async function readNetworkXml(file: string, validate: boolean, context: string): Promise<string> {
  const xml = await readXmlFile(file);
  if (validate) {
    // Loaded on use: the schema check spawns xmllint, which no other command needs.
    const { validateNetworkXml } = await import('../../client/schema.js');
    await netAttempt(null, context, () => validateNetworkXml(xml));
  }
  return xml;
}

interface NetActionSpec {
  name: string;
  help: string;
  desc: string;
  opts?: OptDef[];
  networkState?: CommandDef['networkState'];
  /** virsh names the network the way the user wrote it in both lines. */
  done: (ref: string, args: Args) => string;
  failed: (ref: string, args: Args) => string;
  call: (c: CliClient, ref: string, args: Args) => Promise<unknown>;
}

/** A command that changes one network and says so in one line. */
function netAction(spec: NetActionSpec): CommandDef {
  return {
    name: spec.name, group: 'network', help: spec.help, desc: spec.desc, writes: true,
    ...(spec.networkState === undefined ? {} : { networkState: spec.networkState }),
    opts: [networkOpt(), ...(spec.opts ?? [])],
    async run(ctx, args) {
      const ref = args.need('network');
      const c = await ctx.client();
      await netAttempt(ref, spec.failed(ref, args), () => spec.call(c, ref, args));
      ctx.extra(`${spec.done(ref, args)}\n`);
    },
  };
}

/** net-list's flags in virsh's order, each with the NetListOptions key it sets. */
const LIST_FLAGS: ReadonlyArray<readonly [string, keyof NetListOptions | 'table', string]> = [
  ['inactive', 'inactive', 'list only inactive networks'],
  ['all', 'all', 'list active and inactive networks'],
  ['persistent', 'persistent', 'list persistent networks'],
  ['transient', 'transient', 'list transient networks'],
  ['autostart', 'autostart', 'list networks that start with the daemon'],
  ['no-autostart', 'noAutostart', 'list networks that do not start with the daemon'],
  ['uuid', 'uuid', 'print only UUIDs'],
  ['name', 'name', 'print only names'],
  ['table', 'table', 'print a table (the default)'],
];

/** Look a network up and print it, or one of its fields. */
function lookup(name: string, help: string, desc: string, show: (n: NetworkSummary) => string, json: (n: NetworkSummary) => unknown): CommandDef {
  return {
    name, group: 'network', help, desc, json: true,
    opts: [networkOpt()],
    async run(ctx, args) {
      const ref = args.need('network');
      const c = await ctx.client();
      const n = await netAttempt(ref, null, () => c.getNetwork(ref));
      if (args.bool('json')) ctx.json(json(n));
      else ctx.print(show(n));
    },
  };
}

/** net-uuid looks networks up by name only, as virsh does. */
async function byName(c: CliClient, ref: string): Promise<NetworkSummary> {
  const n = await netAttempt(ref, null, () => c.getNetwork(ref));
  if (n.name === ref) return n;
  // The daemon matched a UUID; a network may still carry this text as its name.
  const named = (await netAttempt(null, null, () => c.listNetworks())).find((x) => x.name === ref);
  if (named === undefined) throw notFound(ref, `Network not found: no network with matching name '${ref}'`);
  return named;
}

/** net-name looks networks up by UUID only: text that is no UUID finds nothing, without a reason (as in virsh). */
async function byUuid(c: CliClient, ref: string): Promise<NetworkSummary> {
  const uuid = parseUuid(ref);
  if (uuid === null) fail(`failed to get network '${ref}'`);
  let n: NetworkSummary | undefined;
  try {
    n = await c.getNetwork(uuid);
  } catch (e) {
    if (!isVireoError(e) || e.code !== 'NO_NETWORK') throw new CmdFailure(failureLines(e), failureHint(e));
  }
  // The daemon also matches names: a network named like this UUID is not the one asked for.
  if (n === undefined || n.uuid !== uuid) throw notFound(ref, `Network not found: no network with matching uuid '${uuid}'`);
  return n;
}

export const networkCommands: readonly CommandDef[] = [
  {
    name: 'net-define', group: 'network', writes: true,
    help: 'define (but do not start) a persistent network from an XML file',
    desc: 'Make a virtual network persistent from its libvirt network XML, or change the stored definition of an existing one.\n'
      + 'The network stays inactive until net-start.',
    opts: [fileOpt, validateOpt],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to define network from ${file}`;
      const xml = await netAttempt(null, context, () => readNetworkXml(file, args.bool('validate'), context));
      const c = await ctx.client();
      const n = await netAttempt(null, context, () => c.defineNetwork(xml));
      ctx.extra(`Network ${n.name} defined from ${file}\n`);
    },
  },
  {
    name: 'net-create', group: 'network', writes: true,
    help: 'create and start a transient network from an XML file',
    desc: 'Start a virtual network from its XML without keeping its definition: it is gone once it stops.',
    opts: [fileOpt, validateOpt],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to create network from ${file}`;
      const xml = await netAttempt(null, context, () => readNetworkXml(file, args.bool('validate'), context));
      const c = await ctx.client();
      const n = await netAttempt(null, context, () => c.createNetwork(xml));
      ctx.extra(`Network ${n.name} created from ${file}\n`);
    },
  },
  netAction({
    name: 'net-start', networkState: 'inactive', help: 'start a defined network that is inactive',
    desc: 'Bring a network up from its stored definition: its bridge and address, firewall rules, and dnsmasq for DHCP and DNS.',
    done: (n) => `Network ${n} started`, failed: (n) => `Failed to start network ${n}`,
    call: (c, ref) => c.startNetwork(ref),
  }),
  netAction({
    name: 'net-destroy', networkState: 'active', help: 'stop a network',
    desc: 'Take an active network down: dnsmasq, its firewall rules and its bridge. A persistent network keeps its definition;\n'
      + 'a transient one is gone.',
    done: (n) => `Network ${n} destroyed`, failed: (n) => `Failed to destroy network ${n}`,
    call: (c, ref) => c.destroyNetwork(ref),
  }),
  netAction({
    name: 'net-undefine', networkState: 'persistent', help: 'remove the definition of a persistent network',
    desc: 'Forget a persistent network. An active network keeps running as a transient one until net-destroy.',
    done: (n) => `Network ${n} has been undefined`, failed: (n) => `Failed to undefine network ${n}`,
    call: (c, ref) => c.undefineNetwork(ref),
  }),
  netAction({
    name: 'net-autostart', networkState: 'persistent', help: 'start a network when the daemon starts',
    desc: 'Mark a persistent network to be started whenever vireod starts (before autostart guests), or with --disable\n'
      + 'stop doing so.',
    opts: [flag('disable', 'turn autostart off')],
    done: (n, a) => (a.bool('disable') ? `Network ${n} unmarked as autostarted` : `Network ${n} marked as autostarted`),
    failed: (n, a) => (a.bool('disable') ? `failed to unmark network ${n} as autostarted` : `failed to mark network ${n} as autostarted`),
    call: (c, ref, a) => c.setNetworkAutostart(ref, !a.bool('disable')),
  }),
  {
    name: 'net-list', group: 'network', json: true,
    help: 'list networks',
    desc: 'List active networks, or with --all every network, sorted by name.',
    opts: LIST_FLAGS.map(([name, , help]) => flag(name, help)),
    async run(ctx, args) {
      if (['table', 'name', 'uuid'].filter((o) => args.bool(o)).length > 1) fail('Only one argument from --table, --name and --uuid may be specified.');
      const o: NetListOptions = { quiet: ctx.quiet };
      for (const [name, key] of LIST_FLAGS) {
        if (key !== 'table' && args.bool(name)) o[key] = true;
      }
      const c = await ctx.client();
      const networks = await netAttempt(null, null, () => c.listNetworks());
      if (args.bool('json')) ctx.json(selectNetworks(networks, o));
      else ctx.print(formatNetList(networks, o));
    },
  },
  lookup('net-info', 'print basic facts about a network', 'Print a network\'s name, UUID, whether it is active, persistent and autostarted, and its bridge.',
    formatNetInfo, (n) => n),
  {
    name: 'net-dumpxml', group: 'network',
    help: 'print the XML of a network',
    desc: 'Print the network\'s libvirt XML: the live definition of an active network, else the stored one.',
    opts: [networkOpt(), flag('inactive', 'print the stored definition, not the live one')],
    async run(ctx, args) {
      const ref = args.need('network');
      const c = await ctx.client();
      ctx.print(await netAttempt(ref, null, () => c.networkXml(ref, { inactive: args.bool('inactive') })));
    },
  },
  {
    name: 'net-uuid', group: 'network', json: true,
    help: 'print the UUID of a network',
    desc: 'Print the UUID of a network given by name.',
    opts: [networkOpt('network name')],
    async run(ctx, args) {
      const ref = args.need('network');
      const n = await byName(await ctx.client(), ref);
      if (args.bool('json')) ctx.json({ uuid: n.uuid });
      else ctx.print(`${n.uuid}\n`);
    },
  },
  {
    name: 'net-name', group: 'network', json: true,
    help: 'print the name of a network',
    desc: 'Print the name of a network given by UUID.',
    opts: [networkOpt('network UUID')],
    async run(ctx, args) {
      const ref = args.need('network');
      const n = await byUuid(await ctx.client(), ref);
      if (args.bool('json')) ctx.json({ name: n.name });
      else ctx.print(`${n.name}\n`);
    },
  },
  {
    name: 'net-dhcp-leases', group: 'network', json: true, networkState: 'active',
    help: 'list the DHCP leases of a network',
    desc: 'Print the addresses dnsmasq leased on the network: expiry time (local time), MAC address, protocol, address with\n'
      + 'prefix, host name and client id; with --mac only those of one interface.',
    opts: [networkOpt(), { name: 'mac', type: 'string', help: 'only the leases of this MAC address' }],
    async run(ctx, args) {
      const ref = args.need('network');
      const mac = args.str('mac');
      const c = await ctx.client();
      const leases = await netAttempt(ref, `Failed to get leases info for ${ref}`, () => c.networkLeases(ref, mac === undefined ? {} : { mac }));
      if (args.bool('json')) ctx.json(sortLeases(leases));
      else ctx.print(formatLeases(leases, ctx.quiet));
    },
  },
];
