/**
 * Host interface commands (virsh's "Interface" group): iface-list, iface-name, iface-mac,
 * iface-dumpxml, iface-define, iface-undefine, iface-start, iface-destroy, iface-edit,
 * iface-bridge, iface-unbridge and iface-begin/-commit/-rollback, with virsh 9.0's messages.
 */
import type { InterfaceSummary } from '../../api/types.js';
import { isVireoError } from '../../api/errors.js';
import { CmdFailure, failureHint, failureLines, fail } from '../errors.js';
import { renderTable } from '../table.js';
import { READ_ONLY, readXmlFile } from './domain.js';
import type { CliClient, CommandDef, OptDef } from './types.js';
import { flag } from './opts.js';

const ifaceOpt = (help = 'interface name or MAC address'): OptDef => ({ name: 'interface', type: 'data', required: true, complete: 'none', help });
const MAC_LIKE = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

/**
 * One daemon call about the interface `ref` (null: none), its failure as virsh's lines: a missing
 * interface is "failed to get interface 'REF'" and the reason; anything else `context` and the reason.
 */
async function ifAttempt<T>(ref: string | null, context: string | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ref !== null && isVireoError(e) && (e.code === 'NO_INTERFACE' || e.code === 'MULTIPLE_INTERFACES')) {
      throw new CmdFailure([`failed to get interface '${ref}'`, e.message]);
    }
    throw new CmdFailure(failureLines(e, null, context), failureHint(e));
  }
}

/** The interfaces iface-list shows, by name: active ones, inactive ones, or both. */
export function selectInterfaces(all: readonly InterfaceSummary[], o: { all?: boolean; inactive?: boolean }): InterfaceSummary[] {
  const shown = all.filter((i) => (o.all === true ? true : o.inactive === true ? !i.active : i.active));
  return shown.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** iface-list's table, as virsh prints it. */
export function formatIfaceList(all: readonly InterfaceSummary[], o: { all?: boolean; inactive?: boolean; quiet?: boolean }): string {
  const rows = selectInterfaces(all, o).map((i) => [i.name, i.active ? 'active' : 'inactive', i.mac ?? '']);
  return renderTable(['Name', 'State', 'MAC Address'], rows, o.quiet !== true);
}

/** A command that changes one interface and says so in one line. */
function ifAction(name: string, help: string, desc: string, done: string, failed: string, call: (c: CliClient, ref: string) => Promise<InterfaceSummary>): CommandDef {
  return {
    name, group: 'interface', help, desc, writes: true,
    opts: [ifaceOpt()],
    async run(ctx, args) {
      const ref = args.need('interface');
      const c = await ctx.client();
      const i = await ifAttempt(ref, `${failed} ${ref}`, () => call(c, ref));
      ctx.extra(`${done.replace('%s', i.name)}\n`);
    },
  };
}

/** iface-begin, iface-commit, iface-rollback. */
function txCommand(step: 'begin' | 'commit' | 'rollback', help: string, desc: string, done: string, failed: string): CommandDef {
  return {
    name: `iface-${step}`, group: 'interface', help, desc, writes: true, opts: [],
    async run(ctx) {
      const c = await ctx.client();
      await ifAttempt(null, failed, () => c.interfaceTransaction(step));
      ctx.extra(`${done}\n`);
    },
  };
}

export const ifaceCommands: readonly CommandDef[] = [
  {
    name: 'iface-list', group: 'interface', json: true,
    help: 'list physical host interfaces',
    desc: 'Returns list of physical host interfaces: the host\'s network devices that are not a bridge\'s or bond\'s port, and the\n'
      + 'defined configs. Active means the device exists and is up.',
    opts: [flag('inactive', 'list inactive interfaces'), flag('all', 'list inactive & active interfaces')],
    async run(ctx, args) {
      const o = { all: args.bool('all'), inactive: args.bool('inactive'), quiet: ctx.quiet };
      const c = await ctx.client();
      const all = await ifAttempt(null, null, () => c.listInterfaces());
      if (args.bool('json')) ctx.json(selectInterfaces(all, o));
      else ctx.print(formatIfaceList(all, o));
    },
  },
  {
    name: 'iface-name', group: 'interface', json: true,
    help: 'convert an interface MAC address to interface name',
    desc: 'Print the name of the host interface with this MAC address (a bridge\'s ports share it with the bridge and are not\n'
      + 'counted).',
    opts: [ifaceOpt('interface mac')],
    async run(ctx, args) {
      const ref = args.need('interface');
      if (!MAC_LIKE.test(ref)) fail(`failed to get interface '${ref}'`, `Interface not found: couldn't find interface with MAC address '${ref}'`);
      const c = await ctx.client();
      const i = await ifAttempt(ref, null, () => c.getInterface(ref));
      if (args.bool('json')) ctx.json({ name: i.name });
      else ctx.print(`${i.name}\n`);
    },
  },
  {
    name: 'iface-mac', group: 'interface', json: true,
    help: 'convert an interface name to interface MAC address',
    desc: 'Print the MAC address of the host interface with this name.',
    opts: [ifaceOpt('interface name')],
    async run(ctx, args) {
      const ref = args.need('interface');
      const c = await ctx.client();
      const i = await ifAttempt(ref, null, () => c.getInterface(ref));
      if (i.name !== ref) fail(`failed to get interface '${ref}'`, `Interface not found: couldn't find interface named '${ref}'`);
      if (args.bool('json')) ctx.json({ mac: i.mac });
      else ctx.print(`${i.mac ?? ''}\n`);
    },
  },
  {
    name: 'iface-dumpxml', group: 'interface',
    help: 'interface information in XML',
    desc: 'Output the physical host interface information as an XML dump to stdout: what the kernel has (type, MTU, link, MAC,\n'
      + 'addresses and default routes, bridge ports), or with --inactive the defined config.',
    opts: [ifaceOpt(), flag('inactive', 'show inactive defined XML')],
    async run(ctx, args) {
      const ref = args.need('interface');
      const c = await ctx.client();
      ctx.print(await ifAttempt(ref, null, () => c.interfaceXml(ref, { inactive: args.bool('inactive') })));
    },
  },
  {
    name: 'iface-define', group: 'interface', writes: true,
    help: 'define an inactive persistent physical host interface or modify an existing persistent one from an XML file',
    desc: 'Define or modify a persistent physical host interface. A running interface gets the new config when it is started\n'
      + 'again. A bridge or bond config takes over the configs of its members.',
    opts: [{ name: 'file', type: 'data', required: true, help: 'file containing an XML interface description' }],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to define interface from ${file}`;
      const xml = await ifAttempt(null, context, () => readXmlFile(file));
      const c = await ctx.client();
      const i = await ifAttempt(null, context, () => c.defineInterface(xml));
      ctx.extra(`Interface ${i.name} defined from ${file}\n`);
    },
  },
  ifAction('iface-undefine', 'undefine a physical host interface (remove it from configuration)',
    'undefine an interface: forget its config. The device stays as it is.', 'Interface %s undefined', 'Failed to undefine interface',
    (c, ref) => c.undefineInterface(ref)),
  ifAction('iface-start', 'start a physical host interface (enable it / "if-up")',
    'start a physical host interface: apply its config with iproute2 (a bridge is made and takes its members\' addresses\n'
      + 'and routes; a VLAN or bond device is made; an ethernet NIC gets its MTU and addresses and is set up). A failure half-way\n'
      + 'leaves the host as it was. vireod runs no DHCP client: <dhcp/> is recorded only.',
    'Interface %s started', 'Failed to start interface', (c, ref) => c.startInterface(ref)),
  ifAction('iface-destroy', 'destroy a physical host interface (disable it / "if-down")',
    'forcefully stop a physical host interface: a bridge or bond releases its members, which get their addresses and\n'
      + 'routes back, and is removed; a VLAN is removed; an ethernet NIC loses its addresses and is set down.',
    'Interface %s destroyed', 'Failed to destroy interface', (c, ref) => c.destroyInterface(ref)),
  {
    name: 'iface-edit', group: 'interface', writes: true,
    help: 'edit XML configuration for a physical host interface',
    desc: 'Edit the XML configuration for a physical host interface in $VISUAL or $EDITOR (default vi), then define it from\n'
      + 'the result.',
    opts: [ifaceOpt()],
    async run(ctx, args) {
      const ref = args.need('interface');
      const c = await ctx.client();
      const i = await ifAttempt(ref, null, () => c.getInterface(ref));
      if (ctx.readonly) fail(READ_ONLY);
      const original = await ifAttempt(ref, null, () => c.interfaceXml(i.name, { inactive: true }));
      // Loaded on use: the editor plumbing (temp files, raw keys) is not on every command's path.
      const { editXml } = await import('../editing.js');
      await editXml(ctx, {
        original, label: `Interface ${i.name}`, validate: false, relaxable: false,
        define: async (xml) => `Interface ${(await c.defineInterface(xml)).name} XML configuration edited.`,
      });
    },
  },
  {
    name: 'iface-bridge', group: 'interface', writes: true,
    help: 'create a bridge device and attach an existing network device to it',
    desc: 'bridge an existing network device: define a bridge with the device as its port, taking over its addresses,\n'
      + 'default routes and MTU, and (unless --no-start) start it: the addresses and routes move from the device to the bridge.',
    opts: [
      { name: 'interface', type: 'data', required: true, complete: 'none', help: 'existing interface name' },
      { name: 'bridge', type: 'data', required: true, complete: 'none', help: 'new bridge device name' },
      flag('no-stp', 'do not enable STP for this bridge'),
      { name: 'delay', type: 'int', help: 'number of seconds to squelch traffic on newly connected ports' },
      flag('no-start', "don't start the bridge immediately"),
    ],
    async run(ctx, args) {
      const ref = args.need('interface');
      const bridge = args.need('bridge');
      const delayText = args.str('delay');
      const delay = delayText === undefined ? 0 : Number(delayText);
      if (!/^\d+$/.test(delayText ?? '0') || delay > 2147483647) fail(`Numeric value '${delayText}' for <delay> option is malformed or out of range`);
      const c = await ctx.client();
      const dev = await ifAttempt(ref, null, () => c.getInterface(ref));
      if (await c.getInterface(bridge).then(() => true, () => false)) fail(`Network device ${bridge} already exists`);
      if (dev.type === 'bridge') fail(`Existing device ${dev.name} is already a bridge`);
      await ifAttempt(null, `Failed to define new bridge interface ${bridge}`, () => c.bridgeInterface(dev.name, { bridge, stp: !args.bool('no-stp'), delay }));
      ctx.extra(`Created bridge ${bridge} with attached device ${dev.name}\n`);
      if (args.bool('no-start')) return;
      await ifAttempt(null, `Failed to start bridge interface ${bridge}`, () => c.startInterface(bridge));
      ctx.extra(`Bridge interface ${bridge} started\n`);
    },
  },
  {
    name: 'iface-unbridge', group: 'interface', writes: true,
    help: 'undefine a bridge device after detaching its device(s)',
    desc: 'unbridge a network device: take the bridge down (its port gets its addresses and routes back), undefine it, define\n'
      + 'the port with the bridge\'s start mode, MTU and addresses, and (unless --no-start) start the port.',
    opts: [
      { name: 'bridge', type: 'data', required: true, complete: 'none', help: 'current bridge device name' },
      flag('no-start', "don't start the detached interface immediately (not recommended)"),
    ],
    async run(ctx, args) {
      const ref = args.need('bridge');
      const c = await ctx.client();
      const br = await ifAttempt(ref, null, () => c.getInterface(ref));
      if (br.type !== 'bridge') fail(`Device ${br.name} is not a bridge`);
      const port = await ifAttempt(null, `Failed to undefine bridge interface ${br.name}`, () => c.unbridgeInterface(br.name));
      ctx.extra(`Device ${port.name} un-attached from bridge ${br.name}\n`);
      if (args.bool('no-start')) return;
      await ifAttempt(null, `Failed to start interface ${port.name}`, () => c.startInterface(port.name));
      ctx.extra(`Interface ${port.name} started\n`);
    },
  },
  txCommand('begin', 'create a snapshot of current interfaces settings, which can be later committed (iface-commit) or restored (iface-rollback)',
    'Create a restore point for interfaces settings', 'Network config change transaction started', 'Failed to begin network config change transaction'),
  txCommand('commit', 'commit changes made since iface-begin and free restore point',
    'commit changes and free restore point', 'Network config change transaction committed', 'Failed to commit network config change transaction'),
  txCommand('rollback', 'rollback to previous saved configuration created via iface-begin',
    'rollback to previous restore point: the configs, and the interfaces that were up or down', 'Network config change transaction rolled back',
    'Failed to rollback network config change transaction'),
];
