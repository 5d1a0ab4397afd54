/**
 * Device hot-plug: attach-device, detach-device, update-device (a device as an XML file) and
 * attach-interface, detach-interface (a NIC from options), with virsh 9.0's options, messages
 * and exit codes. As virsh does, attach-interface writes the <interface> XML itself, and
 * detach-interface picks the NIC from the domain's interfaces before asking for its removal.
 */
import type { DeviceRequest, DomainInterface } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { readXmlFile } from './domain.js';
import type { Args, CliClient, CommandDef, Ctx, OptDef } from './types.js';
import { flag } from './opts.js';

export const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' };
export const impactOpts: OptDef[] = [
  flag('persistent', 'make the change persistent: the running guest (if it runs) and the stored definition'),
  flag('config', 'affect next boot: the stored definition'),
  flag('live', 'affect the running guest'),
  flag('current', 'the running guest if it runs, else the stored definition (the default)'),
];

/** virsh's exclusive pairs among --persistent/--config/--live/--current, checked before anything else. */
export function checkImpact(args: Args): void {
  if (args.bool('persistent') && args.bool('current')) fail('Options --persistent and --current are mutually exclusive');
  for (const o of ['live', 'config']) {
    if (args.bool('current') && args.bool(o)) fail(`Options --current and --${o} are mutually exclusive`);
  }
}

/**
 * What to change, as the API takes it: --config and --persistent the stored definition, --live
 * and (on a running domain) --persistent the guest; none: the API's "current". Looks the domain
 * up first, as virsh does before it reads any file.
 */
/**
 * What a detach looks at, in order: the stored definition and the running guest may differ, so
 * each is searched on its own for the device, as virsh does, and changed with its own request.
 */
export function detachParts(f: { live?: boolean; config?: boolean }): { inactive: boolean; req: { live?: boolean; config?: boolean } }[] {
  const parts: { inactive: boolean; req: { live?: boolean; config?: boolean } }[] = [];
  if (f.config === true) parts.push({ inactive: true, req: { config: true } });
  if (f.live === true || f.config !== true) parts.push({ inactive: false, req: f.live === true ? { live: true } : {} });
  return parts;
}

export async function impact(c: CliClient, ref: string, args: Args): Promise<{ live?: boolean; config?: boolean }> {
  const dom = await attempt(ref, null, () => c.getDomain(ref));
  const out: { live?: boolean; config?: boolean } = {};
  if (args.bool('config') || args.bool('persistent')) out.config = true;
  if (args.bool('live') || (args.bool('persistent') && dom.id !== null)) out.live = true;
  return out;
}

export const quote = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');

const RATE_FIELDS = ['average', 'peak', 'burst', 'floor'] as const;

/** `--inbound`/`--outbound` average,peak,burst[,floor] as virsh reads them: four numbers, 0 for one left out. */
export function rateFields(dir: 'inbound' | 'outbound', text: string): [number, number, number, number] {
  const values: [number, number, number, number] = [0, 0, 0, 0];
  const parts = text.split(',');
  if (parts.length > 4) fail(`Rate string '${text}' has too many fields`);
  parts.forEach((p, i) => {
    const n = p === '' ? 0 : /^\d+$/.test(p) ? Number(p) : NaN;
    if (!Number.isSafeInteger(n)) fail(`field '${RATE_FIELDS[i]!}' is malformed`);
    values[i] = n;
  });
  if (dir === 'outbound' && values[3] > 0) fail('outbound floor is unsupported yet');
  return values;
}

/** `--inbound`/`--outbound` of attach-interface: virsh's checks, and the element. */
function bandwidth(dir: 'inbound' | 'outbound', text: string): string {
  const values = rateFields(dir, text);
  if (values[0] === 0 && values[3] === 0) fail(`either ${dir} average or floor is mandatory`);
  const attrs = values.flatMap((v, i) => (v > 0 ? [`${RATE_FIELDS[i]!}='${v}'`] : []));
  return `    <${dir} ${attrs.join(' ')}/>\n`;
}

/** The <interface> attach-interface builds, element for element as virsh 9.0 writes it. */
function interfaceXml(type: string, source: string, args: Args): string {
  const mode = args.str('source-mode');
  if (mode !== undefined && mode !== 'server' && mode !== 'client') fail(`Invalid source mode: ${mode}`);
  let xml = `<interface type='${quote(type)}'${args.bool('managed') ? " managed='yes'" : ''}>\n`;
  switch (type) {
    case 'network': case 'bridge':
      xml += `  <source ${type}='${quote(source)}'/>\n`;
      break;
    case 'direct':
      xml += `  <source dev='${quote(source)}'/>\n`;
      break;
    case 'vhostuser':
      xml += `  <source type='unix' path='${quote(source)}' mode='${mode ?? 'server'}'/>\n`;
      break;
    case 'hostdev': {
      const m = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(source);
      if (m === null) fail(`cannot parse pci address '${source}' for network interface`);
      const h = (v: string | undefined, w: number): string => `0x${(v ?? '0').toLowerCase().padStart(w, '0')}`;
      xml += `  <source>\n    <address type='pci' domain='${h(m[1], 4)}' bus='${h(m[2], 2)}' slot='${h(m[3], 2)}' function='0x${m[4]!}'/>\n  </source>\n`;
      break;
    }
    default:
      fail(`No support for ${type} in command 'attach-interface'`);
  }
  const opt = (name: string, el: (v: string) => string): void => {
    const v = args.str(name);
    if (v !== undefined) xml += `  ${el(quote(v))}\n`;
  };
  opt('target', (v) => `<target dev='${v}'/>`);
  opt('mac', (v) => `<mac address='${v}'/>`);
  opt('script', (v) => `<script path='${v}'/>`);
  opt('model', (v) => `<model type='${v}'/>`);
  opt('alias', (v) => `<alias name='${v}'/>`);
  const inbound = args.str('inbound');
  const outbound = args.str('outbound');
  if (inbound !== undefined || outbound !== undefined) {
    xml += '  <bandwidth>\n';
    if (inbound !== undefined) xml += bandwidth('inbound', inbound);
    if (outbound !== undefined) xml += bandwidth('outbound', outbound);
    xml += '  </bandwidth>\n';
  }
  return `${xml}</interface>\n`;
}

/**
 * detach-interface's choice, as virsh makes it: the NICs of TYPE, narrowed by --mac; more than
 * one without --mac (or one MAC shared by several) is refused.
 */
function pickInterface(nics: readonly DomainInterface[], type: string, mac: string | undefined): DomainInterface {
  const ofType = nics.filter((n) => n.type === type);
  if (ofType.length === 0) fail(`No interface found whose type is ${type}`, 'Failed to detach interface');
  if (mac === undefined) {
    if (ofType.length > 1) fail(`Domain has ${ofType.length} interfaces. Please specify which one to detach using --mac`, 'Failed to detach interface');
    return ofType[0]!;
  }
  const want = mac.toLowerCase();
  const found = ofType.filter((n) => n.mac === want);
  if (found.length === 0) fail(`No interface with MAC address ${mac} was found`, 'Failed to detach interface');
  if (found.length > 1) fail(`Domain has multiple interfaces matching MAC address ${mac}. You must use detach-device and specify the device pci address to remove it.`, 'Failed to detach interface');
  return found[0]!;
}

/** The XML that names one NIC for detach-device: its type, source and MAC. */
function nicRefXml(n: DomainInterface): string {
  const source = n.source === null || (n.type !== 'network' && n.type !== 'bridge') ? '' : `<source ${n.type}='${quote(n.source)}'/>`;
  return `<interface type='${n.type}'><mac address='${n.mac}'/>${source}</interface>`;
}

type DeviceCall = (c: CliClient, ref: string, r: DeviceRequest) => Promise<unknown>;

function fileCommand(name: string, help: string, desc: string, failed: string, done: string, call: DeviceCall, extra: OptDef[] = []): CommandDef {
  return {
    name, group: 'domain', writes: true, help, desc,
    opts: [domainOpt, { name: 'file', type: 'data', required: true, help: 'XML file' }, ...impactOpts, ...extra],
    async run(ctx, args) {
      const ref = args.need('domain');
      const file = args.need('file');
      checkImpact(args);
      const c = await ctx.client();
      const f = await impact(c, ref, args);
      const xml = await readXmlFile(file);
      await attempt(ref, `${failed} ${file}`, () => call(c, ref, { xml, ...f }));
      ctx.extra(`${done}\n`);
    },
  };
}

async function detachInterface(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const type = args.need('type');
  const mac = args.str('mac');
  checkImpact(args);
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  for (const p of detachParts(f)) {
    const devices = await attempt(ref, null, () => c.devices(ref, { inactive: p.inactive }));
    const nic = pickInterface(devices.interfaces, type, mac);
    await attempt(ref, 'Failed to detach interface', () => c.detachDevice(ref, { xml: nicRefXml(nic), ...p.req }));
  }
  ctx.extra('Interface detached successfully\n');
}

export const deviceCommands: readonly CommandDef[] = [
  fileCommand('attach-device', 'attach device from an XML file',
    'Plug the device described in FILE (an <interface> element) into the domain: into the running guest\n'
      + '(--live), into its stored definition (--config), or both (--persistent on a running guest).',
    'Failed to attach device from', 'Device attached successfully', (c, ref, r) => c.attachDevice(ref, r)),
  fileCommand('detach-device', 'detach device from an XML file',
    'Unplug the device FILE describes (matched by its MAC address) from the running guest and/or the stored\n'
      + "definition. The guest is given 5 seconds to let the device go; if it has not by then, the removal\n"
      + 'completes when it does (a device-removed event follows).',
    'Failed to detach device from', 'Device detached successfully', (c, ref, r) => c.detachDevice(ref, r)),
  fileCommand('update-device', 'update device from an XML file',
    "Change the device FILE describes (matched by its MAC address) in place: a network interface's link\n"
      + 'state, or the network or host bridge it is on. A running guest refuses other changes.',
    'Failed to update device from', 'Device updated successfully', (c, ref, r) => c.updateDevice(ref, r),
    [flag('force', 'force device update (accepted; no device here needs it)')]),
  {
    name: 'attach-interface', group: 'domain', writes: true,
    help: 'attach network interface',
    desc: 'Add a network interface of TYPE (network or bridge) on SOURCE (the network or host bridge name) to the\n'
      + 'domain: into the running guest (--live), into its stored definition (--config), or both.',
    opts: [
      domainOpt,
      { name: 'type', type: 'data', required: true, help: 'network interface type' },
      { name: 'source', type: 'data', required: true, help: 'source of network interface' },
      { name: 'target', type: 'string', help: 'target network name' },
      { name: 'mac', type: 'string', help: 'MAC address' },
      { name: 'script', type: 'string', help: 'script used to bridge network interface' },
      { name: 'model', type: 'string', help: 'model type' },
      { name: 'alias', type: 'string', help: 'custom alias name of interface device' },
      { name: 'inbound', type: 'string', help: 'control domain\'s incoming traffics' },
      { name: 'outbound', type: 'string', help: 'control domain\'s outgoing traffics' },
      ...impactOpts,
      flag('print-xml', 'print XML document rather than attach the interface'),
      flag('managed', 'libvirt will automatically detach/attach the device from/to host'),
      { name: 'source-mode', type: 'string', help: 'mode attribute of <source/> element' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      checkImpact(args);
      const xml = interfaceXml(args.need('type'), args.need('source'), args);
      if (args.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      const c = await ctx.client();
      const f = await impact(c, ref, args);
      // A user alias would be dropped by vireod's parser (it keeps no aliases from definitions yet).
      if (args.str('alias') !== undefined) fail('Failed to attach interface', 'unsupported configuration: custom device aliases (--alias) are not supported yet');
      await attempt(ref, 'Failed to attach interface', () => c.attachDevice(ref, { xml, ...f }));
      ctx.extra('Interface attached successfully\n');
    },
  },
  {
    name: 'detach-interface', group: 'domain', writes: true,
    help: 'detach network interface',
    desc: 'Remove a network interface of TYPE from the domain; --mac says which when it has several.\n'
      + 'The guest is given 5 seconds to let a live interface go; if it has not by then, the removal\n'
      + 'completes when it does (a device-removed event follows).',
    opts: [
      domainOpt,
      { name: 'type', type: 'data', required: true, help: 'network interface type' },
      { name: 'mac', type: 'string', help: 'MAC address' },
      ...impactOpts,
    ],
    run: detachInterface,
  },
];
