/**
 * attach-disk and detach-disk, with virsh 9.0's options, messages and XML. As virsh does,
 * attach-disk writes the <disk> element itself (type 'block' when SOURCE is a block device
 * here) and sends it as attach-device would; detach-disk finds the disk by target or source
 * among the domain's disks first, then asks for the removal of that target.
 */
import { statSync } from 'node:fs';
import type { DomainDisk } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { parseSize } from '../poolformat.js';
import { checkImpact, detachParts, domainOpt, impact, impactOpts, quote } from './devices.js';
import type { Args, CommandDef, Ctx } from './types.js';
import { flag } from './opts.js';

const str = (name: string, help: string) => ({ name, type: 'string' as const, help });

/** --address as virsh reads it: pci:D.B.S.F (hex), scsi|sata|ide:C.B.U. */
function addressXml(text: string, multifunction: boolean): string {
  const m = /^(pci|scsi|sata|ide):(.*)$/.exec(text);
  const parts = m?.[2]?.split('.') ?? [];
  if (m?.[1] === 'pci' && parts.length === 4 && parts.every((p) => /^(0x)?[0-9a-f]+$/i.test(p))) {
    const [d, b, s, f] = parts.map((p) => parseInt(p, 16)) as [number, number, number, number];
    const h = (v: number, w: number): string => `0x${v.toString(16).padStart(w, '0')}`;
    return `<address type='pci' domain='${h(d, 4)}' bus='${h(b, 2)}' slot='${h(s, 2)}' function='${h(f, 1)}'${multifunction ? " multifunction='on'" : ''}/>`;
  }
  if (m !== null && m[1] !== 'pci' && parts.length === 3 && parts.every((p) => /^\d+$/.test(p))) {
    return `<address type='drive' controller='${Number(parts[0])}' bus='${Number(parts[1])}' unit='${Number(parts[2])}'/>`;
  }
  return fail('Invalid address.');
}

function isBlock(p: string): boolean {
  try {
    return statSync(p).isBlockDevice();
  } catch {
    return false;
  }
}

/** The <disk> attach-disk builds, element for element as virsh 9.0 writes it. */
export function diskXml(source: string, target: string, args: Args): string {
  const mode = args.str('mode');
  if (mode !== undefined && mode !== 'readonly' && mode !== 'shareable') fail(`No support for ${mode} in command 'attach-disk'`);
  const given = args.str('sourcetype');
  if (given !== undefined && !['file', 'block', 'network'].includes(given)) fail(`Unknown source type: '${given}'`);
  const wwn = args.str('wwn');
  if (wwn !== undefined && !/^(0x)?[0-9a-f]{16}$/i.test(wwn)) fail(`internal error: Malformed wwn: ${wwn}`);
  const protocol = args.str('source-protocol');
  const type = given ?? (protocol !== undefined ? 'network' : isBlock(source) ? 'block' : 'file');
  const device = args.str('type');
  let xml = `<disk type='${type}'${device === undefined ? '' : ` device='${quote(device)}'`}>\n`;
  const driver = (['driver', 'subdriver', 'iothread', 'cache', 'io'] as const).map((o) => args.str(o));
  if (driver.some((v) => v !== undefined)) {
    const names = ['name', 'type', 'iothread', 'cache', 'io'];
    xml += `  <driver${driver.map((v, i) => (v === undefined ? '' : ` ${names[i]!}='${quote(v)}'`)).join('')}/>\n`;
  }
  if (type === 'network') {
    xml += `  <source protocol='${quote(protocol ?? '')}' name='${quote(source)}'`;
    const host = args.str('source-host-name');
    if (host === undefined) xml += '/>\n';
    else {
      const colon = host.lastIndexOf(':');
      const [name, port] = colon > 0 ? [host.slice(0, colon), host.slice(colon + 1)] : [host, undefined];
      xml += `>\n    <host name='${quote(name)}'${port === undefined ? '' : ` port='${quote(port)}'`}/>\n  </source>\n`;
    }
  } else {
    xml += `  <source ${type === 'block' ? 'dev' : 'file'}='${quote(source)}'/>\n`;
  }
  const bus = args.str('targetbus');
  xml += `  <target dev='${quote(target)}'${bus === undefined ? '' : ` bus='${quote(bus)}'`}/>\n`;
  if (mode !== undefined) xml += `  <${mode}/>\n`;
  const serial = args.str('serial');
  if (serial !== undefined) xml += `  <serial>${quote(serial)}</serial>\n`;
  if (wwn !== undefined) xml += `  <wwn>${quote(wwn)}</wwn>\n`;
  const address = args.str('address');
  if (address !== undefined) xml += `  ${addressXml(address, args.bool('multifunction'))}\n`;
  return `${xml}</disk>\n`;
}

/** Options virsh has that vireo cannot honour yet: refused by name rather than ignored. */
const NOT_YET: Record<string, string> = {
  alias: 'custom device aliases (--alias) are not supported yet',
  rawio: 'rawio (--rawio) is not supported',
  'source-host-transport': 'network disk transports other than tcp (--source-host-transport) are not supported',
  'source-host-socket': 'network disks on UNIX sockets (--source-host-socket) are not supported',
};

async function attachDisk(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  checkImpact(args);
  const xml = diskXml(args.need('source'), args.need('target'), args);
  if (args.bool('print-xml')) {
    ctx.print(xml);
    return;
  }
  for (const [o, why] of Object.entries(NOT_YET)) {
    if (args.str(o) !== undefined || args.bool(o)) fail('Failed to attach disk', `unsupported configuration: ${why}`);
  }
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  await attempt(ref, 'Failed to attach disk', () => c.attachDevice(ref, { xml, ...f }));
  ctx.extra('Disk attached successfully\n');
}

/** The disk detach-disk names: by target, else by source path (virsh's order). */
function pickDisk(disks: readonly DomainDisk[], which: string): DomainDisk {
  const found = disks.find((d) => d.target === which) ?? disks.find((d) => d.source === which);
  if (found === undefined) fail(`No disk found whose source path or target is ${which}`);
  return found;
}

async function detachDisk(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const which = args.need('target');
  checkImpact(args);
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  for (const p of detachParts(f)) {
    const devices = await attempt(ref, null, () => c.devices(ref, { inactive: p.inactive }));
    const d = pickDisk(devices.disks, which);
    const xml = `<disk type='${d.type}' device='${d.device}'><target dev='${quote(d.target)}' bus='${quote(d.bus)}'/></disk>`;
    await attempt(ref, 'Failed to detach disk', () => c.detachDevice(ref, { xml, ...p.req }));
  }
  ctx.extra('Disk detached successfully\n');
}

/** blockresize's SIZE: a scaled integer, KiB when it has no unit (virsh's default). */
function resizeBytes(text: string): number {
  const plain = /^\s*\d+\s*$/.test(text);
  const n = plain ? Number(text) * 1024 : parseSize(text);
  if (n === null || !Number.isSafeInteger(n)) fail(`Scaled numeric value '${text}' for <size> option is malformed or out of range`);
  return n;
}

async function blockThreshold(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const text = args.need('threshold');
  const bytes = parseSize(text);
  if (bytes === null) fail(`Scaled numeric value '${text}' for <threshold> option is malformed or out of range`);
  const c = await ctx.client();
  await attempt(ref, null, () => c.blockThreshold(ref, args.need('dev'), bytes));
}

async function blockResize(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const which = args.need('path');
  const bytes = resizeBytes(args.need('size'));
  const c = await ctx.client();
  await attempt(ref, `Failed to resize block device '${which}'`, () => c.blockResize(ref, which, bytes));
  ctx.extra(`Block device '${which}' is resized\n`);
}

export const diskCommands: readonly CommandDef[] = [
  {
    name: 'domblkthreshold', group: 'domain', writes: true,
    help: "set the threshold for block-threshold event for a given block device or it's backing chain element",
    desc: 'set threshold for block-threshold event for a block device: the first write to the image of disk DEV\n'
      + '(its target or source path) of the running guest past THRESHOLD (a scaled number, bytes by default)\n'
      + 'is reported once as a block-threshold event (vireo event --event block-threshold); 0 disarms it.',
    opts: [
      domainOpt,
      { name: 'dev', type: 'data', required: true, help: 'device to set threshold for' },
      { name: 'threshold', type: 'data', required: true, help: 'threshold as a scaled number (by default bytes)' },
    ],
    run: blockThreshold,
  },
  {
    name: 'blockresize', group: 'domain', writes: true,
    help: 'Resize block device of domain.',
    desc: 'Resize block device of domain: the disk PATH (its target, e.g. vdb, or its source path) of the\n'
      + 'running guest becomes SIZE long (a scaled integer, KiB by default); the guest sees the new size at once.',
    opts: [
      domainOpt,
      { name: 'path', type: 'data', required: true, help: 'Fully-qualified path of block device' },
      { name: 'size', type: 'data', required: true, help: 'New size of the block device, as scaled integer (default KiB)' },
    ],
    run: blockResize,
  },
  {
    name: 'attach-disk', group: 'domain', writes: true,
    help: 'attach disk device',
    desc: 'Attach new disk device: SOURCE (a file, a block device, or with --source-protocol iscsi a network disk\n'
      + "'IQN/LUN') as TARGET (vdX on virtio, sdX on scsi), into the running guest (--live), the stored\n"
      + 'definition (--config), or both (--persistent).',
    opts: [
      domainOpt,
      { name: 'source', type: 'data', required: true, help: 'source of disk device or name of network disk' },
      { name: 'target', type: 'data', required: true, help: 'target of disk device' },
      str('targetbus', 'target bus of disk device'),
      str('driver', 'driver of disk device'),
      str('subdriver', 'subdriver of disk device'),
      str('iothread', 'IOThread to be used by supported device'),
      str('cache', 'cache mode of disk device'),
      str('io', 'io policy of disk device'),
      str('type', 'target device type'),
      str('mode', 'mode of device reading and writing'),
      str('sourcetype', 'type of source (block|file|network)'),
      str('serial', 'serial of disk device'),
      str('wwn', 'wwn of disk device'),
      str('alias', 'custom alias name of disk device'),
      flag('rawio', 'needs rawio capability'),
      str('address', 'address of disk device'),
      flag('multifunction', 'use multifunction pci under specified address'),
      flag('print-xml', 'print XML document rather than attach the disk'),
      str('source-protocol', 'protocol used by disk device source'),
      str('source-host-name', 'host name for source of disk device'),
      str('source-host-transport', 'host transport for source of disk device'),
      str('source-host-socket', 'host socket for source of disk device'),
      ...impactOpts,
    ],
    run: attachDisk,
  },
  {
    name: 'detach-disk', group: 'domain', writes: true,
    help: 'detach disk device',
    desc: 'Detach disk device TARGET (its target, or its source path) from the running guest and/or the stored\n'
      + 'definition. The guest is given 5 seconds to let a live disk go; if it has not by then, the removal\n'
      + 'completes when it does (a device-removed event follows).',
    opts: [
      domainOpt,
      { name: 'target', type: 'data', required: true, help: 'target of disk device' },
      ...impactOpts,
    ],
    run: detachDisk,
  },
];
