/**
 * undefine, with virsh's storage options. As virsh, the storage part runs in the client: it
 * looks up each disk's volume (a volume disk in its pool by name, any other disk by its source
 * path in every active pool), refuses before anything changes when a disk the user named is not
 * in the definition, undefines the domain, then wipes (--wipe-storage) and deletes each volume,
 * saying so per volume. A disk that is no pool's volume is reported and left alone ("Remove it
 * manually"), and does not fail the command; a volume that cannot be removed does.
 */
import type { VolumeSummary } from '../../api/types.js';
import { isVireoError } from '../../api/errors.js';
import { attempt, CmdFailure, fail } from '../errors.js';
import { checkWritable } from './domain.js';
import type { CliClient, CommandDef, Ctx } from './types.js';

interface Doomed {
  target: string;
  /** As virsh prints it: the volume disk's volume name, or the disk's source path. */
  source: string;
  vol: VolumeSummary;
}

const message = (e: unknown): string => (isVireoError(e) || e instanceof Error ? e.message : String(e));

/** The volumes of the domain's disks that the options select; virsh's complaints on the way. */
async function selectVolumes(ctx: Ctx, c: CliClient, uuid: string, wanted: string[] | undefined): Promise<Doomed[]> {
  const { disks } = await c.devices(uuid, { inactive: true });
  const left = wanted === undefined ? undefined : [...wanted];
  const out: Doomed[] = [];
  for (const d of disks) {
    if (d.source === null) continue; // an empty drive has nothing to remove
    if (left !== undefined) {
      const i = left.findIndex((w) => w === d.target || w === d.source);
      if (i < 0) continue;
      left.splice(i, 1);
    }
    const source = d.source;
    let vol: VolumeSummary;
    try {
      if (d.pool !== undefined) {
        try {
          await c.getPool(d.pool);
        } catch {
          ctx.error(`Storage pool '${d.pool}' for volume '${d.target}' not found.`);
          continue;
        }
        vol = await c.getVolume(d.pool, source);
      } else {
        vol = await c.getVolume(undefined, source);
      }
    } catch {
      // virsh's words, which scripts may match.
      ctx.error(`Storage volume '${d.target}'(${source}) is not managed by libvirt. Remove it manually.\n`);
      continue;
    }
    out.push({ target: d.target, source, vol });
  }
  if (left !== undefined && left.length > 0) {
    for (const w of left) ctx.error(`Volume '${w}' was not found in domain's definition.\n`);
    throw new CmdFailure([]);
  }
  return out;
}

export const undefineCommand: CommandDef = {
  name: 'undefine', group: 'domain', writes: true, domainState: 'persistent',
  help: 'remove the definition of a domain',
  desc: 'Forget a persistent domain. A running domain keeps running as a transient one until it stops.\n'
    + 'With --storage or --remove-all-storage the volumes of its disks are deleted too (a shut-off domain only).',
  opts: [
    { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' },
    { name: 'managed-save', type: 'bool', help: 'remove domain managed state file' },
    { name: 'storage', type: 'string', help: 'remove these volumes too: targets or source paths, comma-separated (see domblklist)' },
    { name: 'remove-all-storage', type: 'bool', help: 'remove the volumes of every disk (use with caution)' },
    { name: 'delete-storage-volume-snapshots', type: 'bool', help: 'delete the volumes\' snapshots too; needs --remove-all-storage (no pool type of vireo supports it)' },
    { name: 'wipe-storage', type: 'bool', help: 'overwrite the removed volumes with zeros first' },
    { name: 'snapshots-metadata', type: 'bool', help: 'remove all domain snapshot metadata (vm must be inactive)' },
    { name: 'checkpoints-metadata', type: 'bool', help: 'remove checkpoint metadata (vireo keeps none)' },
    { name: 'nvram', type: 'bool', help: "remove the guest's UEFI variable store (NVRAM) too" },
    { name: 'keep-nvram', type: 'bool', help: "keep the guest's UEFI variable store (NVRAM)" },
    { name: 'tpm', type: 'bool', help: "remove the emulated TPM's state (the default)" },
    { name: 'keep-tpm', type: 'bool', help: "keep the emulated TPM's state" },
  ],
  async run(ctx, args) {
    if (args.bool('nvram') && args.bool('keep-nvram')) fail('Options --nvram and --keep-nvram are mutually exclusive');
    if (args.bool('tpm') && args.bool('keep-tpm')) fail('Options --tpm and --keep-tpm are mutually exclusive');
    const storage = args.str('storage');
    const removeAll = args.bool('remove-all-storage');
    const withSnapshots = args.bool('delete-storage-volume-snapshots');
    const wipe = args.bool('wipe-storage');
    if (withSnapshots && !removeAll) fail('Option --remove-all-storage is required by option --delete-storage-volume-snapshots');
    if (wipe && storage === undefined && !removeAll) fail("'--wipe-storage' requires '--storage <string>' or '--remove-all-storage'");
    const ref = args.need('domain');
    const c = await ctx.client();
    const context = `Failed to undefine domain '${ref}'`;
    await checkWritable(ctx, c, ref, context);
    const dom = await attempt(ref, null, () => c.getDomain(ref));
    let doomed: Doomed[] = [];
    if (storage !== undefined || removeAll) {
      if (dom.id !== null) fail('Storage volume deletion is supported only on stopped domains');
      if (storage !== undefined && removeAll) fail('Specified both --storage and --remove-all-storage');
      const wanted = storage?.split(',').filter((s) => s !== '');
      doomed = await attempt(ref, null, () => selectVolumes(ctx, c, dom.uuid, wanted));
    }
    await attempt(ref, context, () => c.undefine(dom.uuid, { nvram: args.bool('nvram'), keepNvram: args.bool('keep-nvram'), keepTpm: args.bool('keep-tpm'), managedSave: args.bool('managed-save'), snapshotsMetadata: args.bool('snapshots-metadata') }));
    ctx.extra(`Domain '${ref}' has been undefined\n`);
    let last: string | undefined;
    for (const v of doomed) {
      const what = `'${v.target}'(${v.source})`;
      if (wipe) {
        ctx.extra(`Wiping volume ${what} ... `);
        try {
          await c.wipeVolume(v.vol.pool, v.vol.name);
          ctx.extra('Done.\n');
        } catch (e) {
          ctx.error('Failed! Volume not removed.');
          last = message(e);
          continue;
        }
      }
      try {
        // No pool type of vireo (nor libvirt's local ones) deletes a volume's snapshots with it.
        if (withSnapshots) fail(`cannot delete the snapshots of volume '${v.vol.name}' with it: pool '${v.vol.pool}' does not support it (--delete-storage-volume-snapshots)`);
        await c.deleteVolume(v.vol.pool, v.vol.name);
        ctx.extra(`Volume ${what} removed.\n`);
      } catch (e) {
        ctx.error(`Failed to remove storage volume ${what}`);
        last = message(e);
      }
    }
    if (last !== undefined) fail(last);
  },
};
