/** What hotplug.ts's table holds for each kind of device (NIC, disk, rng, watchdog, ...). */
import type { DeviceResult } from '../../api/types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { LifecycleContext } from './context.js';
import type { Domain, Runtime } from './domain.js';

export type DeviceOp = 'attach' | 'detach' | 'update';

/** The running guest a live change applies to. */
export interface LiveTarget {
  ctx: LifecycleContext;
  dom: Domain;
  rt: Runtime;
  qmp: Monitor;
}

export interface DeviceKind<D> {
  /** Change the copy `next` of the stored definition (it is then made whole as define would). */
  config(next: DomainDef, op: DeviceOp, dev: D): void;
  /** Change the running guest; fills in the result (device id, pending removal). */
  live(t: LiveTarget, op: DeviceOp, dev: D, out: DeviceResult): Promise<void>;
  /** false: update-device is refused for this kind with libvirt's words. */
  update?: false;
}

/** libvirt's refusal of a device kind it cannot change in a running guest. */
export function liveUnsupported(op: DeviceOp, what: string): string {
  return `Operation not supported: live ${op} of device '${what}' is not supported`;
}
