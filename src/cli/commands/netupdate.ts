/**
 * The networking commands that do more than one call: net-update (change one part of a network),
 * net-edit (the user's editor on its XML) and net-event (wait for network events).
 */
import type { NetworkEvent, NetworkUpdateRequest } from '../../api/types.js';
import { fail } from '../errors.js';
import { formatNetEvent } from '../netformat.js';
import { READ_ONLY, readXmlFile } from './domain.js';
import { resourceEventCommand } from './eventloop.js';
import { netAttempt, networkOpt } from './network.js';
import type { Args, CommandDef } from './types.js';
import { flag } from './opts.js';


/** virsh's net-update commands ('add' is 'add-last'). */
export const UPDATE_COMMANDS = ['add', 'add-first', 'add-last', 'delete', 'modify'];
/** virsh's net-update sections; the daemon says which of them it can change. */
export const UPDATE_SECTIONS = [
  'bridge', 'domain', 'ip', 'ip-dhcp-host', 'ip-dhcp-range', 'forward', 'forward-interface', 'forward-pf',
  'portgroup', 'dns-host', 'dns-txt', 'dns-srv',
];

/** The event types net-event knows. */
export const NET_EVENT_NAMES = ['lifecycle'];

/** An integer option as virsh's vshCommandOptInt reads it (a C int), with its message otherwise. */
function intOption(args: Args, name: string): number | undefined {
  const text = args.str(name);
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (!/^\s*[-+]?\d+$/.test(text) || n < -2147483648 || n > 2147483647) fail(`Numeric value '${text}' for <${name}> option is malformed or out of range`);
  return n;
}

/** The line virsh prints after net-update; without --live or --config it depends on whether the network runs. */
export function updatedMessage(name: string, live: boolean, config: boolean, active: boolean): string {
  if (config) return live ? `Updated network ${name} persistent config and live state` : `Updated network ${name} persistent config`;
  return live || active ? `Updated network ${name} live state` : `Updated network ${name} persistent config`;
}

export const netUpdateCommands: readonly CommandDef[] = [
  {
    name: 'net-update', group: 'network', writes: true,
    help: 'add, delete or modify a part of a network\'s definition',
    desc: 'Change one part of a network: COMMAND is add (add-last), add-first, delete or modify; SECTION names the part\n'
      + '(ip-dhcp-host, ip-dhcp-range, dns-host, dns-txt, dns-srv, forward-interface, ...); XML is the element itself\n'
      + 'when it starts with \'<\', else a file holding it. --live changes the running network (dnsmasq is told at once),\n'
      + '--config the stored definition; the default is the running network if it runs, else the stored one.',
    opts: [
      networkOpt(),
      { name: 'command', type: 'data', required: true, help: 'add (add-last), add-first, delete or modify' },
      { name: 'section', type: 'data', required: true, help: 'the part to change, e.g. ip-dhcp-host or dns-host' },
      { name: 'xml', type: 'data', required: true, complete: 'file', help: 'the XML element (when it starts with \'<\'), or a file holding it' },
      { name: 'parent-index', type: 'int', help: 'which <ip> element the change applies to (0 is the first)' },
      flag('config', 'change the stored definition (used at the next start)'),
      flag('live', 'change the running network'),
      flag('current', 'the running network if it runs, else the stored definition (the default)'),
    ],
    async run(ctx, args) {
      for (const o of ['live', 'config']) {
        if (args.bool('current') && args.bool(o)) fail(`Options --current and --${o} are mutually exclusive`);
      }
      const ref = args.need('network');
      const c = await ctx.client();
      const net = await netAttempt(ref, null, () => c.getNetwork(ref));
      const command = args.need('command');
      if (!UPDATE_COMMANDS.includes(command)) fail(`unrecognized command name '${command}'`);
      const section = args.need('section');
      if (!UPDATE_SECTIONS.includes(section)) fail(`unrecognized section name '${section}'`);
      const parentIndex = intOption(args, 'parent-index');
      const xmlArg = args.need('xml');
      // virsh's rule: text starting with '<' is the element, anything else names a file.
      const xml = xmlArg.startsWith('<') ? xmlArg : await readXmlFile(xmlArg);
      const live = args.bool('live');
      const config = args.bool('config');
      const req: NetworkUpdateRequest = { command, section, xml, live, config };
      // A negative index means "the first that fits", as the default does.
      if (parentIndex !== undefined && parentIndex >= 0) req.parentIndex = parentIndex;
      await netAttempt(ref, `Failed to update network ${net.name}`, () => c.updateNetwork(net.uuid, req));
      // virsh leaves this line open: the separator newline ends it.
      ctx.extra(updatedMessage(net.name, live, config, net.active));
    },
  },
  {
    name: 'net-edit', group: 'network', writes: true,
    help: 'edit the XML configuration of a network',
    desc: 'Open the stored XML of a network in $VISUAL or $EDITOR (default vi), then define the network from the result.\n'
      + 'An active network gets the new definition the next time it starts.',
    opts: [networkOpt()],
    async run(ctx, args) {
      const ref = args.need('network');
      const c = await ctx.client();
      const net = await netAttempt(ref, null, () => c.getNetwork(ref));
      if (ctx.readonly) fail(READ_ONLY);
      const original = await netAttempt(ref, null, () => c.networkXml(net.uuid, { inactive: true }));
      // Loaded on use: the editor plumbing (temp files, raw keys) is not on every command's path.
      const { editXml } = await import('../editing.js');
      await editXml(ctx, {
        original, label: `Network ${net.name}`, validate: false, relaxable: false,
        define: async (xml) => `Network ${(await c.defineNetwork(xml)).name} XML configuration edited.`,
      });
    },
  },
  resourceEventCommand<NetworkEvent>({
    name: 'net-event', group: 'network',
    help: 'wait for network events, or list the event types',
    desc: 'Print network lifecycle events (Defined, Undefined, Started, Stopped) as they happen: the first one, or with\n'
      + '--loop every one until --timeout or Ctrl+C. The exit status is 1 when no event was received.',
    resource: { opt: 'network', help: 'only events of this network (name or UUID)', lookup: (c, ref) => netAttempt(ref, null, () => c.getNetwork(ref)) },
    types: NET_EVENT_NAMES, typeHelp: 'the event type to wait for: lifecycle (see --list)',
    subscribe: (c, on, end) => c.networkEvents(on, end),
    uuidOf: (e) => e.network.uuid,
    format: (e) => formatNetEvent(e.network.name, e.event),
  }),
];
