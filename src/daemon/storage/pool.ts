/**
 * One storage pool as the daemon holds it: its definitions, whether it runs, its figures and
 * volumes from the last refresh, and the locks. Pool changes (start, destroy, build, delete,
 * refresh, undefine) run one at a time; volume changes run one at a time per volume, beside
 * each other, and a pool change waits for none of them: it is refused while any runs.
 */
import type { PoolSummary, VolumeSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import type { Permissions, PoolDef, PoolSizes, VolumeDef } from '../../conf/storage/index.js';

const ZERO: PoolSizes = { capacity: 0, allocation: 0, available: 0 };

export class Pool {
  persistent: PoolDef | undefined;
  /** The definition the pool runs with (set while active, and for a transient pool). */
  live: PoolDef | undefined;
  active = false;
  autostart = false;
  sizes: PoolSizes = ZERO;
  /** The target directory's owner and mode, found by the last refresh. */
  targetPermissions: Permissions | undefined;
  readonly volumes = new Map<string, VolumeDef>();
  /** Volume names being created (reserved before the first await). */
  readonly creating = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly volTails = new Map<string, Promise<unknown>>();
  /** Volume operations in progress: pool changes are refused meanwhile. */
  volumeJobs = 0;

  constructor(def: PoolDef, persistent: boolean) {
    if (persistent) this.persistent = def;
    else this.live = def;
  }

  get def(): PoolDef {
    return this.live ?? this.persistent!;
  }

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  /** Run a pool change after those queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Run a change of volume `name` after the earlier ones on the same volume. */
  volumeSerial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.volTails.get(name) ?? Promise.resolve();
    this.volumeJobs++;
    const next = prev.then(fn).finally(() => {
      this.volumeJobs--;
      if (this.volTails.get(name) === guarded) this.volTails.delete(name);
    });
    const guarded = next.catch(() => undefined);
    this.volTails.set(name, guarded);
    return next;
  }

  /** Refuse a pool change while volume operations run (libvirt: "has asynchronous jobs running"). */
  checkIdle(): void {
    if (this.volumeJobs > 0) throw VireoError.of('OPERATION_INVALID', `storage pool '${this.name}' has asynchronous jobs running.`);
  }

  requireActive(): void {
    if (!this.active) throw VireoError.of('OPERATION_INVALID', `storage pool '${this.name}' is not active`);
  }

  /** The XML definition as pool-dumpxml shows it: figures and target permissions while active. */
  shown(inactive: boolean): { def: PoolDef; sizes: PoolSizes } {
    if (inactive && this.persistent !== undefined) return { def: this.persistent, sizes: this.active ? this.sizes : ZERO };
    if (!this.active) return { def: this.def, sizes: ZERO };
    const def = structuredClone(this.def);
    // libvirt shows the directory's owner and mode, found at refresh, in a running pool's target.
    if (def.target !== undefined && this.targetPermissions !== undefined) {
      const label = def.target.permissions?.label;
      def.target.permissions = { ...pick(this.targetPermissions), ...(label === undefined ? {} : { label }) };
    }
    return { def, sizes: this.sizes };
  }

  summary(): PoolSummary {
    return {
      name: this.name, uuid: this.uuid, type: this.def.type, active: this.active, persistent: this.persistent !== undefined,
      autostart: this.autostart, capacity: this.active ? this.sizes.capacity : null, allocation: this.active ? this.sizes.allocation : null,
      available: this.active ? this.sizes.available : null, volumes: this.active ? this.volumes.size : null,
    };
  }
}

function pick(p: Permissions): Permissions {
  const out: Permissions = {};
  if (p.mode !== undefined) out.mode = p.mode;
  if (p.owner !== undefined) out.owner = p.owner;
  if (p.group !== undefined) out.group = p.group;
  return out;
}

/** A volume as the API shows it. */
export function volumeSummary(pool: Pool, v: VolumeDef): VolumeSummary {
  return {
    pool: pool.name, name: v.name, key: v.key ?? v.target.path ?? v.name, path: v.target.path ?? '', type: v.type ?? 'file',
    format: v.target.format ?? 'raw', capacity: v.capacity ?? 0, allocation: v.allocation ?? 0, physical: v.physical ?? v.allocation ?? 0,
    backing: v.backingStore?.path ?? null,
  };
}
