/**
 * blkdeviotune: a disk's I/O limits (QEMU's throttling), read and changed in the running guest
 * (block_set_io_throttle; QEMU's own values are read back with query-block) and/or the stored
 * definition (<iotune>), with virsh's --live/--config/--current. A change keeps the settings it
 * does not name, as libvirt does. Limits in <iotune> are applied at start too (argv monitorSetup).
 */
import { VireoError } from '../../api/errors.js';
import type { IoTuneInfo, IoTuneRequest, ModificationImpact } from '../../api/types.js';
import { checkIotune, IOTUNE_NUMBERS, IotuneError, type Iotune } from '../../conf/domain-iotune.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { blockQdev, diskId, throttleArgs, THROTTLE_NAMES } from '../../qemu/argv.js';
import { saveStatus } from './context.js';
import { liveDisk } from './blockops.js';
import { affected, redefine, type DomainHost } from './ops.js';

function listing(t: Iotune): IoTuneInfo {
  const out: IoTuneInfo = { group_name: t.group_name ?? '' };
  for (const k of IOTUNE_NUMBERS) out[k] = t[k] ?? 0;
  return out;
}

function configDisk(def: DomainDef, which: string): number {
  return liveDisk(def, which, `disk '${which}' not found in domain`).index;
}

/** The limits of disk `which`: QEMU's in the running guest, else the stored definition's. */
export async function getIoTune(host: DomainHost, ref: string, which: string, r: ModificationImpact): Promise<IoTuneInfo> {
  const dom = host.lookup(ref);
  const f = affected(dom, r);
  if (r.live === true && r.config === true) throw VireoError.of('INVALID_ARG', 'flags live and config are mutually exclusive when reading');
  const rt = dom.runtime;
  if (f.live && rt !== undefined) {
    const { disk } = liveDisk(rt.liveDef, which, `disk '${which}' not found in domain`);
    const q = await (await host.qmp(dom)).ioThrottle(diskId(rt.liveDef, disk));
    if (q === undefined) throw VireoError.of('OPERATION_INVALID', `disk '${which}' does not have an active block backend`);
    const t: Iotune = {};
    for (const k of IOTUNE_NUMBERS) {
      const v = q[THROTTLE_NAMES[k]];
      if (typeof v === 'number' && v > 0) t[k] = v;
    }
    if (typeof q.group === 'string') t.group_name = q.group;
    return listing(t);
  }
  const def = dom.persistent!;
  return listing(def.devices.disks[configDisk(def, which)]!.iotune ?? {});
}

/** The limits after a change: the old ones with the given settings replaced (0 removes one). */
function merged(old: Iotune | undefined, r: IoTuneRequest): Iotune {
  const next: Iotune = { ...(old ?? {}) };
  for (const k of IOTUNE_NUMBERS) {
    const v = r.values[k];
    if (v === undefined) continue;
    if (v > 0) next[k] = v;
    else delete next[k];
  }
  if (r.values.group_name !== undefined) {
    if (r.values.group_name === '') delete next.group_name;
    else next.group_name = r.values.group_name;
  }
  try {
    checkIotune(next);
  } catch (e) {
    if (e instanceof IotuneError) throw VireoError.of(e.kind === 'invalid' ? 'INVALID_ARG' : 'CONFIG_UNSUPPORTED', e.message);
    throw e;
  }
  return next;
}

/** Change the limits of disk `which` in the running guest and/or the stored definition. */
export async function setIoTune(host: DomainHost, ref: string, which: string, r: IoTuneRequest): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('blkdeviotune', 'short', async () => {
    const f = affected(dom, r);
    let nextConfig: DomainDef | undefined;
    if (f.config) {
      const def = dom.persistent!;
      const i = configDisk(def, which);
      const t = merged(def.devices.disks[i]!.iotune, r);
      nextConfig = redefine(def, (n) => {
        const d = n.devices.disks[i]!;
        if (Object.keys(t).length > 0) d.iotune = t;
        else delete d.iotune;
      });
    }
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      const { disk } = liveDisk(rt.liveDef, which, `disk '${which}' not found in domain`);
      if (disk.source === undefined && disk.resolved === undefined && disk.network === undefined) {
        throw VireoError.of('OPERATION_INVALID', `disk '${which}' does not have an active block backend`);
      }
      const t = merged(disk.iotune, r);
      await (await host.qmp(dom)).setIoThrottle(throttleArgs(blockQdev(rt.liveDef, disk), t));
      if (Object.keys(t).length > 0) disk.iotune = t;
      else delete disk.iotune;
      await saveStatus(host.ctx, dom);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
  });
}
