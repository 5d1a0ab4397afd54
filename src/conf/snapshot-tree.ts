/**
 * The tree of a domain's snapshots and virsh snapshot-list's selections over it (--roots,
 * --leaves, --no-leaves, --from, --descendants, --topological), as libvirt 9.0 answers them
 * (compared with libvirt-ref). Pure: the daemon keeps the snapshots, this only reads them.
 */

/** What the tree needs of a snapshot. */
export interface MomentNode {
  name: string;
  parent?: string;
}

/** A selection, as snapshot-list's options ask for it. */
export interface MomentFilter {
  roots?: boolean;
  leaves?: boolean;
  noLeaves?: boolean;
  /** Only the children (with `descendants`: every descendant) of this snapshot. */
  from?: string;
  descendants?: boolean;
  /** Parents before their children (libvirt's depth-first walk) instead of name order. */
  topological?: boolean;
}

/** Navigation over snapshots kept in creation order. */
export class MomentTree<T extends MomentNode> {
  private readonly byName = new Map<string, T>();

  constructor(readonly items: readonly T[]) {
    for (const m of items) this.byName.set(m.name, m);
  }

  get(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** Direct children, newest first (libvirt puts a new child at the head of its parent's list). */
  children(name: string | undefined): T[] {
    return this.items.filter((m) => (name === undefined ? m.parent === undefined || !this.byName.has(m.parent) : m.parent === name)).reverse();
  }

  /** Every descendant, parents before children (depth first). */
  descendants(name: string | undefined): T[] {
    const out: T[] = [];
    const walk = (n: string | undefined): void => {
      for (const c of this.children(n)) {
        out.push(c);
        walk(c.name);
      }
    };
    walk(name);
    return out;
  }

  /** The snapshots a filter selects: name order unless topological. */
  select(f: MomentFilter): T[] {
    let list = f.from !== undefined ? (f.descendants === true ? this.descendants(f.from) : this.children(f.from)) : this.descendants(undefined);
    if (f.roots === true) list = list.filter((m) => m.parent === undefined || !this.byName.has(m.parent));
    if (f.leaves === true) list = list.filter((m) => this.children(m.name).length === 0);
    if (f.noLeaves === true) list = list.filter((m) => this.children(m.name).length > 0);
    if (f.topological !== true) list = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return list;
  }

  /** A snapshot's ancestors, nearest first. */
  ancestors(name: string): T[] {
    const out: T[] = [];
    for (let p = this.get(name)?.parent; p !== undefined; p = this.get(p)?.parent) {
      const m = this.get(p);
      if (m === undefined || out.includes(m)) break;
      out.push(m);
    }
    return out;
  }
}
