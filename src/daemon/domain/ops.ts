/**
 * What the runtime operations on one domain (hot-plug, statistics, tuning, memory and vCPU
 * control) need from the domain service, and the rules they share: which definitions a request
 * with virsh's --live/--config/--current changes, and how a changed definition is made whole
 * again. Each operation lives in its own module and takes a DomainHost, so that the service
 * stays the owner of the table and lifecycle, not of every command.
 */
import { VireoError } from '../../api/errors.js';
import type { ModificationImpact } from '../../api/types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../conf/domain-xml.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { LifecycleContext } from './context.js';
import type { Domain } from './domain.js';
import type { Reservation } from '../registry.js';

/** The domain service, as the operation modules see it. */
export interface DomainHost {
  ctx: LifecycleContext;
  lookup(ref: string): Domain;
  /** The running domain's monitor (waits briefly for one a restart is taking back). */
  qmp(dom: Domain): Promise<Monitor>;
  /** Every domain, in the table's order (for commands over all guests: domstats). */
  all(): Domain[];
  /** The domain a definition with this name and UUID is (undefined: none; a clash is refused). */
  existing(def: DomainDef): Domain | undefined;
  /** Hold a name and UUID for a domain being created (restore of an unknown guest). */
  reserve(name: string, uuid: string): Reservation<Domain>;
}

/**
 * Which definitions a request changes: virsh's --live and --config, neither meaning "current"
 * (the running guest when it runs, else the stored definition). `what` ends libvirt's message
 * for a transient domain ("cannot modify device on transient domain" and the like).
 */
export function affected(dom: Domain, r: ModificationImpact, what = 'device'): { live: boolean; config: boolean } {
  const live = r.live === true || (r.config !== true && dom.active);
  const config = r.config === true || (r.live !== true && !dom.active);
  if (live && !dom.active) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
  if (config && dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', `cannot modify ${what} on transient domain`);
  return { live, config };
}

/** A definition with one change, made whole again as define would (addresses, implicit parts). */
export function redefine(def: DomainDef, change: (next: DomainDef) => void): DomainDef {
  const next = structuredClone(def);
  change(next);
  return parseDomainXml(formatDomainXml(next));
}
