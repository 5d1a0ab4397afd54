/**
 * A domain's state machine. A domain's state is one value (virsh's state and reason); it moves
 * only through the transitions below, each named for what caused it and carrying the lifecycle
 * event it emits. docs/states.md is this table in prose; keep them together.
 */
import type { DomainState, StateReason } from '../../api/types.js';

export type Cause =
  | 'start' | 'start-paused' | 'suspend' | 'qemu-paused' | 'resume' | 'reboot'
  | 'poweroff-preserved' | 'panic' | 'stop' | 'start-failed' | 'restore' | 'restore-paused';

interface Transition {
  /** States the cause may move a domain from. */
  from: readonly DomainState[];
  to: DomainState;
  /** The reason recorded when the caller gives none. */
  reason?: StateReason;
  /** The lifecycle event, with its detail; a function when the detail depends on the reason. */
  event?: readonly [string, string | ((reason: StateReason) => string)];
}

const ACTIVE: readonly DomainState[] = ['running', 'paused', 'crashed', 'pmsuspended', 'in shutdown'];

/** The stop event's detail for each shut-off reason (virsh's VIR_DOMAIN_EVENT_STOPPED_*). */
const STOP_DETAIL: Record<string, string> = {
  shutdown: 'Shutdown', destroyed: 'Destroyed', crashed: 'Crashed', failed: 'Failed', daemon: 'Failed',
  saved: 'Saved', migrated: 'Migrated', 'from snapshot': 'Snapshot',
};

export const TRANSITIONS: Readonly<Record<Cause, Transition>> = {
  start: { from: ['shut off'], to: 'running', reason: 'booted', event: ['Started', 'Booted'] },
  'start-paused': { from: ['shut off'], to: 'paused', reason: 'user', event: ['Started', 'Booted'] },
  // restore (save.ts): the guest goes on from a save image, not from a boot.
  restore: { from: ['shut off'], to: 'running', reason: 'restored', event: ['Started', 'Restored'] },
  'restore-paused': { from: ['shut off'], to: 'paused', reason: 'user', event: ['Started', 'Restored'] },
  suspend: { from: ['running'], to: 'paused', reason: 'user', event: ['Suspended', 'Paused'] },
  'qemu-paused': { from: ['running'], to: 'paused', reason: 'unknown', event: ['Suspended', (r) => (r === 'from snapshot' ? 'Snapshot' : 'Paused')] },
  // A snapshot-load runs the guest on "from snapshot" (libvirt's RESUMED_FROM_SNAPSHOT).
  resume: { from: ['paused'], to: 'running', reason: 'unpaused', event: ['Resumed', (r) => (r === 'from snapshot' ? 'Snapshot' : 'Unpaused')] },
  // A fake reboot (reboot, on_poweroff='restart'): the guest runs again from a reset.
  reboot: { from: ['running', 'paused'], to: 'running', reason: 'booted' },
  'poweroff-preserved': { from: ['running', 'paused'], to: 'paused', reason: 'shutting down', event: ['Suspended', 'Paused'] },
  panic: { from: ['running', 'paused'], to: 'crashed', reason: 'panicked', event: ['Crashed', 'Panicked'] },
  stop: { from: ACTIVE, to: 'shut off', event: ['Stopped', (r) => STOP_DETAIL[r] ?? 'Failed'] },
  // QEMU could not be started: the domain never ran, so no event.
  'start-failed': { from: ['shut off'], to: 'shut off', reason: 'failed' },
};

export interface Applied {
  state: DomainState;
  reason: StateReason;
  /** The lifecycle event to emit, if the transition has one. */
  event?: { event: string; detail: string };
}

/**
 * The state `cause` moves a domain in `from` to, or undefined when the table does not allow it
 * (the caller ignores the cause: e.g. a STOP event for a domain already paused).
 */
export function nextState(from: DomainState, cause: Cause, reason?: StateReason): Applied | undefined {
  const t = TRANSITIONS[cause];
  if (!t.from.includes(from)) return undefined;
  const r = reason ?? t.reason ?? 'unknown';
  const applied: Applied = { state: t.to, reason: r };
  if (t.event !== undefined) {
    const [event, detail] = t.event;
    applied.event = { event, detail: typeof detail === 'function' ? detail(r) : detail };
  }
  return applied;
}
