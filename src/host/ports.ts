/**
 * The host's TCP ports for guests, allocated from one place: the ranges libvirt uses
 * (qemu.conf remote_display_port_min/max 5900–65535 for VNC and SPICE, remote_websocket_port
 * 5700–65535, migration_port 49152–49215). A port handed out is free on the host at that moment
 * (a bind check) and not held by another guest, so two guests starting together never get the
 * same one; probing without reserving would let both pick the first free port.
 */
import * as net from 'node:net';
import { VireoError } from '../api/errors.js';

export type PortKind = 'display' | 'websocket' | 'migration';

export interface PortRange {
  min: number;
  max: number;
}

/** libvirt's defaults (qemu.conf). */
export const PORT_RANGES: Readonly<Record<PortKind, PortRange>> = {
  display: { min: 5900, max: 65535 },
  websocket: { min: 5700, max: 65535 },
  migration: { min: 49152, max: 49215 },
};

/** Whether `port` can be bound on `host` now: false only when something holds it. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      // EADDRINUSE: someone listens there; EACCES: not ours to take. Anything else (an address
      // this host does not have, no IPv6) says nothing about the port.
      resolve(e.code !== 'EADDRINUSE' && e.code !== 'EACCES');
    });
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface PortAllocatorOptions {
  ranges?: Partial<Record<PortKind, PortRange>>;
  /** The bind check (tests may narrow it); default: canBind on every address in turn. */
  isFree?: (port: number, hosts: readonly string[]) => Promise<boolean>;
}

/** One per daemon: every guest's ports come from here and go back here. */
export class PortAllocator {
  private readonly ranges: Record<PortKind, PortRange>;
  /** Reserved port → owner (a guest's UUID). */
  private readonly taken = new Map<number, string>();
  private readonly isFree: (port: number, hosts: readonly string[]) => Promise<boolean>;

  constructor(opts: PortAllocatorOptions = {}) {
    this.ranges = { ...PORT_RANGES, ...opts.ranges };
    this.isFree = opts.isFree ?? (async (port, hosts) => {
      for (const h of hosts) if (!(await canBind(h, port))) return false;
      return true;
    });
  }

  /**
   * A port of `kind` that nobody holds: not reserved here and bindable now on 127.0.0.1, 0.0.0.0
   * and `listen` (the address the guest's server will use). Lowest first, as libvirt.
   */
  async reserve(kind: PortKind, owner: string, opts: { listen?: string } = {}): Promise<number> {
    const { min, max } = this.ranges[kind];
    const hosts = [...new Set(['127.0.0.1', '0.0.0.0', ...(opts.listen === undefined ? [] : [opts.listen])])];
    for (let port = min; port <= max; port++) {
      if (this.taken.has(port)) continue;
      // Taken before the await: a concurrent reserve moves on to the next port.
      this.taken.set(port, owner);
      if (await this.isFree(port, hosts)) return port;
      this.taken.delete(port);
    }
    throw VireoError.of('OPERATION_FAILED', `Unable to find an unused port in range '${kind}' (${min}-${max})`);
  }

  /**
   * Mark a port as held by `owner` without a bind check: a fixed port from the configuration, or
   * one a guest already listens on (reconnect). False when another owner holds it.
   */
  reserveSpecific(port: number, owner: string): boolean {
    const holder = this.taken.get(port);
    if (holder !== undefined && holder !== owner) return false;
    this.taken.set(port, owner);
    return true;
  }

  /** Give a port back. */
  release(port: number): void {
    this.taken.delete(port);
  }

  /** Give back every port `owner` holds (its guest stopped). */
  releaseOwner(owner: string): void {
    for (const [port, o] of this.taken) if (o === owner) this.taken.delete(port);
  }

  /** The reserved ports and their owners. */
  reserved(): ReadonlyMap<number, string> {
    return this.taken;
  }
}
