/**
 * Table and detail commands about one domain: domiflist, domblklist, domdisplay, vncdisplay,
 * ttyconsole, domcontrol, domjobinfo, desc, metadata, domrename — in virsh 9.0's layouts.
 */
import type { DomainGraphics, ModificationImpact } from '../../api/types.js';
import { attempt, CmdFailure, fail } from '../errors.js';
import { renderTable } from '../table.js';
import type { Args, CommandDef, Ctx, OptDef } from './types.js';
import { flag } from './opts.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' };
const impactOpts: OptDef[] = [
  flag('live', 'the running guest'),
  flag('config', 'the stored definition (used at the next start)'),
  flag('current', 'the running guest if it runs, else the stored definition (the default)'),
];

/** virsh's --live/--config/--current rules: --current excludes the other two. */
function impact(args: Args): ModificationImpact {
  for (const o of ['live', 'config']) {
    if (args.bool('current') && args.bool(o)) fail(`Options --current and --${o} are mutually exclusive`);
  }
  return { live: args.bool('live'), config: args.bool('config') };
}

/** A wildcard listen address means "this host" to a viewer: virsh shows localhost. */
function viewerHost(listen: string): string {
  if (listen === '' || listen === '0.0.0.0' || listen === '::') return 'localhost';
  return listen.includes(':') ? `[${listen}]` : listen;
}

/** A display as a URI a viewer opens: vnc://host:DISPLAY, spice://host:PORT[?tls-port=N]. */
export function displayUri(g: DomainGraphics, withPassword: boolean): string | undefined {
  if (g.port === null) return undefined;
  const pass = withPassword && g.passwd !== undefined ? `:${g.passwd}@` : '';
  const port = g.type === 'vnc' ? g.port - 5900 : g.port;
  const tls = g.type === 'spice' && g.tlsPort !== undefined ? `?tls-port=${g.tlsPort}` : '';
  return `${g.type}://${pass}${viewerHost(g.listen)}:${port}${tls}`;
}

/** Bytes as virsh's vshPrettyCapacity prints them ("64.000 MiB"). */
function capacity(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(3)} ${units[i]}`;
}

/** Job names as domjobinfo's Operation line shows them. */
const OPERATION: Readonly<Record<string, string>> = { save: 'Save', dump: 'Dump', migrate: 'Migration out', restore: 'Restore', snapshot: 'Snapshot' };

/** Run the user's editor on `text` (the editing module is loaded only when needed). */
async function editText(ctx: Ctx, text: string): Promise<string> {
  return (await import('../editing.js')).editText(ctx, text);
}

export const domTableCommands: readonly CommandDef[] = [
  {
    name: 'domifaddr', group: 'domain', domainState: 'active', json: true,
    help: 'get network interfaces\' addresses for a running domain',
    desc: 'Print the addresses of the running guest\'s network interfaces: from the DHCP leases of the\n'
      + 'virtual networks they are on (--source lease, the default) or the host\'s ARP table (--source arp).',
    opts: [
      domainOpt,
      { name: 'interface', type: 'string', help: 'only this interface (its host device name)' },
      flag('full', 'print the name and MAC on every line of an interface with several addresses'),
      { name: 'source', type: 'string', help: 'lease, arp or agent' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const source = args.str('source') ?? 'lease';
      if (source !== 'lease' && source !== 'arp' && source !== 'agent') fail(`Unknown data source '${source}'`);
      const c = await ctx.client();
      const all = await attempt(ref, 'Failed to query for interfaces addresses', () => c.interfaceAddresses(ref, source));
      const want = args.str('interface');
      const ifaces = want === undefined ? all : all.filter((i) => i.name === want);
      if (args.bool('json')) return ctx.json(ifaces);
      const full = args.bool('full');
      let out = ` ${'Name'.padEnd(10)} ${'MAC address'.padEnd(20)} ${'Protocol'.padEnd(12)} Address\n${'-'.repeat(79)}\n`;
      for (const i of ifaces) {
        i.addrs.forEach((a, n) => {
          const first = n === 0 || full;
          out += ` ${(first ? i.name : '-').padEnd(10)} ${(first ? i.mac : '-').padEnd(20)} ${a.type.padEnd(12)} ${a.addr}/${a.prefix}\n`;
        });
      }
      ctx.print(out);
    },
  },
  {
    name: 'domif-getlink', group: 'domain', json: true,
    help: 'get link state of a virtual interface',
    desc: 'Print the link state (up or down) of a guest network interface, named by its host device or MAC.',
    opts: [domainOpt, { name: 'interface', type: 'data', required: true, help: 'interface device (MAC address)' }, flag('config', 'of the stored definition')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const iface = args.need('interface');
      const c = await ctx.client();
      const s = await attempt(ref, null, () => c.linkState(ref, iface, { config: args.bool('config') }));
      if (args.bool('json')) return ctx.json(s);
      ctx.print(`${iface} ${s.state}\n`);
    },
  },
  {
    name: 'domif-setlink', group: 'domain', writes: true,
    help: 'set link state of a virtual interface',
    desc: 'Take a guest network interface\'s link up or down, as unplugging its cable would: in the running\n'
      + 'guest, or with --config in the stored definition.',
    opts: [
      domainOpt,
      { name: 'interface', type: 'data', required: true, help: 'interface device (MAC address)' },
      { name: 'state', type: 'data', required: true, help: 'new state of the device (up or down)' },
      flag('config', 'affect next domain boot'),
      flag('persistent', 'alias of --config'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const iface = args.need('interface');
      const state = args.need('state');
      if (state !== 'up' && state !== 'down') fail(`invalid link state '${state}'`);
      const c = await ctx.client();
      await attempt(ref, null, () => c.setLinkState(ref, iface, state, { config: args.bool('config') || args.bool('persistent') }));
      ctx.print('Device updated successfully\n');
    },
  },
  {
    name: 'domiflist', group: 'monitor', json: true,
    help: 'list the network interfaces of a domain',
    desc: 'Print a table of the domain\'s network interfaces: host device, type, source, model and MAC address.',
    opts: [domainOpt, flag('inactive', 'those of the stored definition, not the running guest')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.devices(ref, { inactive: args.bool('inactive') }));
      if (args.bool('json')) return ctx.json(d.interfaces);
      const rows = d.interfaces.map((i) => [i.name ?? '-', i.type, i.source ?? '-', i.model, i.mac]);
      ctx.print(renderTable(['Interface', 'Type', 'Source', 'Model', 'MAC'], rows, !ctx.quiet));
    },
  },
  {
    name: 'domblklist', group: 'monitor', json: true,
    help: 'list the block devices of a domain',
    desc: 'Print a table of the domain\'s disks: target and source, and with --details their type and device.',
    opts: [domainOpt, flag('inactive', 'those of the stored definition, not the running guest'), flag('details', 'add the type and device columns')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.devices(ref, { inactive: args.bool('inactive') }));
      if (args.bool('json')) return ctx.json(d.disks);
      const details = args.bool('details');
      const rows = d.disks.map((x) => (details ? [x.type, x.device, x.target, x.source ?? '-'] : [x.target, x.source ?? '-']));
      ctx.print(renderTable(details ? ['Type', 'Device', 'Target', 'Source'] : ['Target', 'Source'], rows, !ctx.quiet));
    },
  },
  {
    name: 'domdisplay', group: 'domain', domainState: 'active', json: true,
    help: 'print the URI of a domain\'s graphical display',
    desc: 'Print the URI a VNC or SPICE viewer opens to show the running guest\'s screen (the first display, or --all).',
    opts: [
      domainOpt,
      flag('include-password', 'put the display\'s password in the URI'),
      { name: 'type', type: 'string', help: 'only a display of this type: vnc or spice' },
      flag('all', 'print every display, one per line'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const dom = await attempt(ref, null, () => c.getDomain(ref));
      if (dom.id === null) fail('Domain is not running');
      const withPassword = args.bool('include-password');
      const d = await attempt(ref, null, () => c.devices(dom.uuid, { securityInfo: withPassword }));
      const type = args.str('type');
      const uris = d.graphics.filter((g) => type === undefined || g.type === type)
        .map((g) => displayUri(g, withPassword)).filter((u): u is string => u !== undefined);
      if (uris.length === 0) fail(type === undefined ? 'No graphical display found' : `No graphical display with type '${type}' found`);
      if (args.bool('json')) return ctx.json(args.bool('all') ? uris : [uris[0]]);
      // virsh leaves a single URI's line open (the blank separator ends it); --all ends each.
      ctx.print(args.bool('all') ? uris.map((u) => `${u}\n`).join('') : (uris[0] as string));
    },
  },
  {
    name: 'vncdisplay', group: 'domain', domainState: 'active', json: true,
    help: 'print the VNC display of a domain',
    desc: 'Print the address and display number of the running guest\'s VNC server (":0" when it listens everywhere).',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const dom = await attempt(ref, null, () => c.getDomain(ref));
      if (dom.id === null) fail('Domain is not running');
      const d = await attempt(ref, null, () => c.devices(dom.uuid));
      const vnc = d.graphics.find((g) => g.type === 'vnc' && g.port !== null);
      if (vnc === undefined || vnc.port === null) fail('Failed to get VNC port. Is this domain using VNC?');
      const host = vnc.listen === '0.0.0.0' || vnc.listen === '::' ? '' : vnc.listen;
      if (args.bool('json')) return ctx.json({ listen: vnc.listen, display: vnc.port - 5900, port: vnc.port });
      ctx.print(`${host}:${vnc.port - 5900}\n`);
    },
  },
  {
    name: 'ttyconsole', group: 'domain',
    help: 'print the host terminal of a domain\'s console (vireod has none: see console)',
    desc: 'virsh prints the host pty a guest\'s serial console is on. vireod serves consoles itself, through its API, so\n'
      + 'there is no pty to open; this command says so. Use `vireo console DOMAIN` (or console-log) instead.',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      throw new CmdFailure([`Domain '${d.name}' has no host terminal for its console: vireod serves the console itself`], `attach with: vireo console ${d.name}`);
    },
  },
  {
    name: 'domcontrol', group: 'monitor', domainState: 'active', json: true,
    help: 'print the state of a domain\'s control interface',
    desc: 'Print "ok" when vireod can act on the running guest at once, "occupied (SECONDS)" while a change is in\n'
      + 'progress, or "background job" while a long job (save, migration) runs.',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const { job } = await attempt(ref, null, () => c.job(ref));
      if (args.bool('json')) {
        return ctx.json(job === null ? { state: 'ok' } : { state: job.kind === 'long' ? 'background job' : 'occupied', job: job.name, seconds: job.elapsedMs / 1000 });
      }
      if (job === null) ctx.print('ok\n');
      else if (job.kind === 'long') ctx.print('background job\n');
      else ctx.print(`occupied (${(job.elapsedMs / 1000).toFixed(3)}s)\n`);
    },
  },
  {
    name: 'domjobabort', group: 'domain', domainState: 'active', writes: true,
    help: 'abort active domain job',
    desc: 'Abort the long job (save, dump, migration) the domain runs; it stops at its next step and\n'
      + 'fails with "operation aborted". Short changes cannot be aborted (destroy ends them).',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.abortJob(ref));
    },
  },
  {
    name: 'domjobinfo', group: 'domain', domainState: 'active', json: true,
    help: 'print the long job a domain runs',
    desc: 'Print the type, operation and elapsed time of the long job (save, dump, migration) the running guest is busy\n'
      + 'with, or "None".',
    opts: [
      domainOpt,
      flag('completed', 'the last job that completed (vireo keeps none: None)'),
      flag('keep-completed', 'accepted for virsh compatibility'),
      flag('anystats', 'accepted for virsh compatibility'),
      flag('rawstats', 'accepted for virsh compatibility'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const { job } = await attempt(ref, null, () => c.job(ref));
      if (args.bool('json')) {
        const none = job === null || job.kind !== 'long' || args.bool('completed');
        return ctx.json(none ? { type: 'none' } : {
          type: 'unbounded', operation: job.name, elapsedMs: job.elapsedMs,
          ...(job.progress === null ? {} : { dataProcessed: job.progress.processed, dataTotal: job.progress.total }),
        });
      }
      const line = (label: string, value: string): string => `${label.padEnd(17)} ${value.padEnd(12)}\n`;
      if (job === null || job.kind !== 'long' || args.bool('completed')) {
        ctx.print(line('Job type:', 'None'));
        return;
      }
      const p = job.progress;
      ctx.print(line('Job type:', 'Unbounded') + line('Operation:', OPERATION[job.name] ?? job.name)
        + `${'Time elapsed:'.padEnd(17)} ${String(job.elapsedMs).padEnd(12)} ms\n`
        + (p === null ? '' : `${'Data processed:'.padEnd(17)} ${capacity(p.processed)}\n${'Data remaining:'.padEnd(17)} ${capacity(Math.max(0, p.total - p.processed))}\n`
          + `${'Data total:'.padEnd(17)} ${capacity(p.total)}\n`));
    },
  },
  {
    name: 'desc', group: 'domain', json: true,
    help: 'show or set the description or title of a domain',
    desc: 'Print the domain\'s description (or with --title its title); with text, or --edit in $VISUAL/$EDITOR, set it.\n'
      + 'Empty text removes it. --live and --config choose the running guest or the stored definition.',
    opts: [
      domainOpt, ...impactOpts,
      flag('title', 'the title (one line) rather than the description'),
      flag('edit', 'edit the text in $VISUAL or $EDITOR'),
      { name: 'new-desc', type: 'argv', emptyOk: true, help: 'the new text (several words are joined with spaces)' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const f = impact(args);
      const title = args.bool('title');
      const what = title ? 'title' : 'description';
      const words = args.list('new-desc');
      const c = await ctx.client();
      const dom = await attempt(ref, null, () => c.getDomain(ref));
      if (words.length === 0 && !args.bool('edit')) {
        const text = await attempt(ref, null, () => c.description(dom.uuid, { ...f, title }));
        if (args.bool('json')) return ctx.json({ [what]: text });
        // virsh leaves these lines open: the blank separator ends them.
        if (text === null) ctx.extra(`No ${what} for domain: ${dom.name}`);
        else ctx.print(text);
        return;
      }
      if (ctx.readonly) fail('operation forbidden: read only access prevents this operation');
      let text = words.join(' ');
      if (args.bool('edit')) {
        const before = (await attempt(ref, null, () => c.description(dom.uuid, { ...f, title }))) ?? '';
        const after = (await editText(ctx, before)).replace(/\n$/, '');
        if (after === before) {
          ctx.extra(`Domain ${what} not changed\n`);
          return;
        }
        text = title ? after.replace(/\n/g, ' ') : after;
      }
      await attempt(ref, `Failed to set new domain ${what}`, () => c.setDescription(dom.uuid, { ...f, title, text }));
      ctx.extra(`Domain ${what} updated successfully${args.bool('edit') ? '\n' : ''}`);
    },
  },
  {
    name: 'metadata', group: 'domain',
    help: 'show or set the metadata of a domain',
    desc: 'Print the element of the domain\'s <metadata> in the namespace URI; with --set XML (and --key PREFIX) replace\n'
      + 'it, with --remove delete it, with --edit change it in $VISUAL or $EDITOR.',
    opts: [
      domainOpt,
      { name: 'uri', type: 'data', required: true, help: 'the namespace URI of the element' },
      ...impactOpts,
      flag('edit', 'edit the element in $VISUAL or $EDITOR'),
      { name: 'key', type: 'string', namedOnly: true, help: 'the namespace prefix to store the element with (needed to set)' },
      { name: 'set', type: 'string', namedOnly: true, help: 'the new element, as XML' },
      flag('remove', 'remove the element'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const uri = args.need('uri');
      const f = impact(args);
      const set = args.str('set');
      const key = args.str('key');
      if (set !== undefined && args.bool('remove')) fail('Options --set and --remove are mutually exclusive');
      if (args.bool('edit') && (set !== undefined || args.bool('remove'))) fail('Options --edit and --set are mutually exclusive');
      const c = await ctx.client();
      const dom = await attempt(ref, null, () => c.getDomain(ref));
      if (set === undefined && !args.bool('remove') && !args.bool('edit')) {
        ctx.print(await attempt(ref, null, () => c.metadata(dom.uuid, uri, f)));
        return;
      }
      if (ctx.readonly) fail('operation forbidden: read only access prevents this operation');
      if (args.bool('remove')) {
        await attempt(ref, null, () => c.setMetadata(dom.uuid, { ...f, uri, xml: null }));
        ctx.extra('Metadata removed\n');
        return;
      }
      let xml = set;
      if (args.bool('edit')) {
        const before = await c.metadata(dom.uuid, uri, f).catch(() => '');
        const after = await editText(ctx, before);
        if (after === before) {
          ctx.extra('Metadata not changed\n');
          return;
        }
        xml = after;
      }
      await attempt(ref, null, () => c.setMetadata(dom.uuid, { ...f, uri, xml: xml as string, ...(key === undefined ? {} : { key }) }));
      ctx.extra('Metadata modified\n');
    },
  },
  {
    name: 'domrename', group: 'domain', writes: true, domainState: 'inactive',
    help: 'rename a shut-off domain',
    desc: 'Give a shut-off persistent domain a new name; its UUID and configuration stay.',
    opts: [domainOpt, { name: 'new-name', type: 'data', required: true, help: 'the new name' }],
    async run(ctx, args) {
      const ref = args.need('domain');
      const name = args.need('new-name');
      const c = await ctx.client();
      const dom = await attempt(ref, null, () => c.getDomain(ref));
      if (ctx.readonly) fail('operation forbidden: read only access prevents this operation');
      await attempt(ref, null, () => c.rename(dom.uuid, name));
      ctx.extra('Domain successfully renamed\n');
    },
  },
];
