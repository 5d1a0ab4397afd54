/**
 * Names and UUIDs of every resource kind the daemon holds (domains now; networks, pools and
 * volumes later), allocated under one lock.
 *
 * JavaScript runs one callback at a time, so "the lock" is this: a caller checks and reserves a
 * name and UUID in one synchronous step, before its first await. A concurrent request for the
 * same name then finds the reservation and is refused at once, instead of both passing a check
 * and both adding (ten parallel defines of one name used to make nine ghosts).
 */
import { VireoError } from '../api/errors.js';

export type ResourceKind = 'domain' | 'network' | 'interface' | 'pool';

interface Slot<T> {
  name: string;
  uuid: string;
  /** Undefined while reserved: being created, not yet visible to lookups. */
  value: T | undefined;
}

/** A name and UUID held for a resource that is being created. */
export interface Reservation<T> {
  readonly name: string;
  readonly uuid: string;
  /** The resource exists: make it visible under its name and UUID. */
  commit(value: T): void;
  /** Creation failed: free the name and UUID. */
  release(): void;
}

/** How a kind reports a clash (its own error code and libvirt's wording). */
export interface ClashMessages {
  nameTaken(name: string, uuid: string): VireoError;
  uuidTaken(uuid: string, name: string): VireoError;
}

export class Table<T> {
  private readonly byUuid = new Map<string, Slot<T>>();
  private readonly byName = new Map<string, Slot<T>>();

  constructor(private readonly clash: ClashMessages) {}

  /** Reserve `name` and `uuid`, or throw the kind's "exists" error. Synchronous: call before any await. */
  reserve(name: string, uuid: string): Reservation<T> {
    const n = this.byName.get(name);
    if (n !== undefined) throw this.clash.nameTaken(name, n.uuid);
    const u = this.byUuid.get(uuid);
    if (u !== undefined) throw this.clash.uuidTaken(uuid, u.name);
    const slot: Slot<T> = { name, uuid, value: undefined };
    this.byName.set(name, slot);
    this.byUuid.set(uuid, slot);
    let open = true;
    return {
      name,
      uuid,
      commit: (value) => {
        if (!open) throw VireoError.of('INTERNAL', `reservation of '${name}' used twice`);
        open = false;
        slot.value = value;
      },
      release: () => {
        if (!open) return;
        open = false;
        this.drop(slot);
      },
    };
  }

  /** Add a resource found on disk at start-up (no clash is possible there but a duplicate file). */
  add(name: string, uuid: string, value: T): void {
    this.reserve(name, uuid).commit(value);
  }

  get(uuid: string): T | undefined {
    return this.byUuid.get(uuid)?.value;
  }

  getByName(name: string): T | undefined {
    return this.byName.get(name)?.value;
  }

  /** True when `name` is taken, by a resource or a reservation. */
  nameTaken(name: string): boolean {
    return this.byName.has(name);
  }

  /** Move a resource to a new name; throws the kind's error when the name is taken. */
  rename(uuid: string, newName: string): void {
    const slot = this.byUuid.get(uuid);
    if (slot === undefined) throw VireoError.of('INTERNAL', `no resource with uuid ${uuid} to rename`);
    const other = this.byName.get(newName);
    if (other !== undefined && other !== slot) throw this.clash.nameTaken(newName, other.uuid);
    this.byName.delete(slot.name);
    slot.name = newName;
    this.byName.set(newName, slot);
  }

  /** Forget a resource. Returns false when `value` is no longer the one registered. */
  remove(uuid: string, value: T): boolean {
    const slot = this.byUuid.get(uuid);
    if (slot === undefined || slot.value !== value) return false;
    this.drop(slot);
    return true;
  }

  /** Every visible resource, in insertion order. */
  values(): T[] {
    const out: T[] = [];
    for (const s of this.byUuid.values()) if (s.value !== undefined) out.push(s.value);
    return out;
  }

  private drop(slot: Slot<T>): void {
    if (this.byName.get(slot.name) === slot) this.byName.delete(slot.name);
    if (this.byUuid.get(slot.uuid) === slot) this.byUuid.delete(slot.uuid);
  }
}

/** Every kind's table; the daemon owns one. */
export class Registry {
  readonly tables = new Map<ResourceKind, Table<unknown>>();

  /** The table of one kind, made on first use with its clash messages. */
  table<T>(kind: ResourceKind, clash: ClashMessages): Table<T> {
    let t = this.tables.get(kind) as Table<T> | undefined;
    if (t === undefined) {
      t = new Table<T>(clash);
      this.tables.set(kind, t);
    }
    return t;
  }
}
