/**
 * change-media: eject, insert or update the medium of a CD-ROM or floppy drive, with virsh
 * 9.0's options and messages. As virsh does, the drive is found among the domain's disks (by
 * target or source path) and checked first; the change is an update-device of that <disk>.
 */
import type { DomainDisk } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { checkImpact, domainOpt, impact, quote } from './devices.js';
import type { Args, CommandDef, Ctx } from './types.js';
import { flag } from './opts.js';

type Action = 'eject' | 'insert' | 'update';

function action(args: Args): Action {
  const given = (['eject', 'insert', 'update'] as const).filter((a) => args.bool(a));
  if (given.length > 1) fail(`Options --${given[0]!} and --${given[1]!} are mutually exclusive`);
  return given[0] ?? 'update';
}

function pickDrive(disks: readonly DomainDisk[], which: string): DomainDisk {
  const found = disks.find((d) => d.target === which) ?? disks.find((d) => d.source === which);
  if (found === undefined) fail(`No disk found whose source path or target is ${which}`);
  if (found.device !== 'cdrom' && found.device !== 'floppy') fail(`The disk device '${which}' is not removable`);
  return found;
}

async function changeMedia(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const which = args.need('path');
  const act = action(args);
  const source = act === 'eject' ? undefined : args.str('source');
  if (act === 'insert' && source === undefined) fail('New disk media source was not specified');
  checkImpact(args);
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  const devices = await attempt(ref, null, () => c.devices(ref, { inactive: f.config === true && f.live !== true }));
  const d = pickDrive(devices.disks, which);
  if (act === 'eject' && d.source === null) fail(`The disk device '${which}' doesn't have media`);
  if (act === 'insert' && d.source !== null) fail(`The disk device '${which}' already has media`);
  const type = args.bool('block') ? 'block' : 'file';
  const src = source === undefined ? '' : `<source ${type === 'block' ? 'dev' : 'file'}='${quote(source)}'/>`;
  const xml = `<disk type='${type}' device='${d.device}'>${src}<target dev='${quote(d.target)}' bus='${quote(d.bus)}'/></disk>`;
  await attempt(ref, `Failed to complete action ${act} on media`, () => c.updateDevice(ref, { xml, ...f }));
  const done = act === 'insert' ? 'inserted' : act === 'eject' || source === undefined ? 'ejected' : 'updated';
  ctx.extra(`Successfully ${done} media.\n`);
}

export const mediaCommands: readonly CommandDef[] = [
  {
    name: 'change-media', group: 'domain', writes: true,
    help: 'Change media of CD or floppy drive',
    desc: 'Change media of CD or floppy drive PATH (its target or its source path): --eject takes the medium out,\n'
      + '--insert puts SOURCE in an empty drive, --update (the default) replaces the medium with SOURCE, or\n'
      + 'ejects it when no SOURCE is given. The tray is opened even when the guest has locked it.',
    opts: [
      domainOpt,
      { name: 'path', type: 'data', required: true, help: 'Fully-qualified path or target of disk device' },
      { name: 'source', type: 'data', help: 'source of the media' },
      flag('eject', 'Eject the media'),
      flag('insert', 'Insert the media'),
      flag('update', 'Update the media'),
      flag('current', 'can be either or both of --live and --config, depends on implementation hypervisor driver'),
      flag('live', 'alter live configuration of running domain'),
      flag('config', 'alter persistent configuration, effect observed on next boot'),
      flag('force', 'force media changing (the tray is always opened by force)'),
      flag('block', 'source media is a block device'),
    ],
    run: changeMedia,
  },
];
