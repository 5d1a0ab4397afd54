/** One domain as the daemon holds it: its definitions, runtime and state. */
import type { DomainDef } from '../../conf/domain-model.js';
import type { DomainState, StateReason, DomainSummary } from '../../api/types.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { ConsoleStream } from '../../qemu/console.js';
import type { GuestCgroup } from '../../host/cgroup.js';
import { JobQueue } from './jobs.js';
import { nextState, type Applied, type Cause } from './state.js';

/** What the daemon knows about a running QEMU. */
export interface Runtime {
  id: number;
  pid: number;
  /** /proc start time of the pid, to tell the same process from a reused pid. */
  pidStart: number;
  /** Undefined while the monitor is unreachable (reported, retried, never killed). */
  qmp: Monitor | undefined;
  liveDef: DomainDef;
  runDir: string;
  monitor: string;
  consoles: Map<number, ConsoleStream>;
  startedAt: number;
  /** Set when vireo itself ends the process: the shut-off reason to record. */
  expectedExit: StateReason | undefined;
  /** A reboot was asked for: turn the next guest SHUTDOWN into reset + cont. */
  fakeReboot: boolean;
  /** The guest powered off and vireo is acting on it: ignore the STOP/RESUME that follow. */
  inShutdown: boolean;
  /** Reason to record for the next STOP event (e.g. 'user' for suspend). */
  pauseReason: StateReason | undefined;
  /** Reason to record for the next RESUME event (e.g. 'from snapshot' after a snapshot-load). */
  resumeReason?: StateReason | undefined;
  finalized: boolean;
  /** Settles when an attempt to take the monitor back (after a restart) ends: true if it worked. */
  monitorReady: Promise<boolean> | undefined;
  /** Taps this run made for its NICs (deleted when QEMU is gone). */
  taps: string[];
  /** The guest's own cgroup (cgroups.ts); undefined where the host has none vireod may use. */
  cgroup?: GuestCgroup | undefined;
  /** Host thread id of each vCPU, by vCPU index (query-cpus-fast). */
  vcpuThreads?: Map<number, number>;
  /** Host thread id of each I/O thread, by its id (query-iothreads). */
  iothreadThreads?: Map<number, number>;
  /** The chain of status-file writes (see saveStatus). */
  statusWrites: Promise<void>;
}

export class Domain {
  /** The persistent config (undefined for a transient domain). */
  persistent: DomainDef | undefined;
  runtime: Runtime | undefined;
  state: DomainState = 'shut off';
  reason: StateReason = 'unknown';
  autostart = false;
  /** A managed-save image exists for it (managed-save.ts keeps this in step with the file). */
  managedSave = false;
  /**
   * Set when vireod found this domain's status file unreadable at start-up: whether its QEMU
   * runs is unknown, so nothing may start or stop it until the file is fixed (the message says how).
   */
  blocked: string | undefined;
  readonly jobs: JobQueue;

  constructor(def: DomainDef, persistent: boolean) {
    this.persistent = persistent ? def : undefined;
    this.transientDef = persistent ? undefined : def;
    this.jobs = new JobQueue(() => this.name);
  }

  /** The definition of a transient domain that is not running yet. */
  private transientDef: DomainDef | undefined;

  /** The definition that describes the domain now: live when running, else the config. */
  get def(): DomainDef {
    return this.runtime?.liveDef ?? this.persistent ?? this.transientDef!;
  }

  /** Drop the persistent config; the domain lives on, transient, until it stops. */
  makeTransient(): void {
    this.transientDef = this.persistent ?? this.transientDef;
    this.persistent = undefined;
  }

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  get active(): boolean {
    return this.runtime !== undefined;
  }

  get id(): number | null {
    return this.runtime?.id ?? null;
  }

  /**
   * Move through the state machine (state.ts). Returns what was applied, with the event to
   * emit, or undefined when the table does not allow `cause` from the current state.
   */
  transition(cause: Cause, reason?: StateReason): Applied | undefined {
    const next = nextState(this.state, cause, reason);
    if (next !== undefined) {
      this.state = next.state;
      this.reason = next.reason;
    }
    return next;
  }

  /** Take the state recorded in a status file (after a daemon restart). */
  restoreState(state: DomainState, reason: StateReason): void {
    this.state = state;
    this.reason = reason;
  }

  summary(cpuTimeNs: number): DomainSummary {
    const def = this.def;
    return {
      id: this.id,
      name: def.name,
      uuid: def.uuid,
      state: this.state,
      reason: this.reason,
      persistent: this.persistent !== undefined,
      autostart: this.autostart,
      managedSave: this.managedSave,
      hasSnapshot: false,
      title: def.title ?? '',
      osType: 'hvm',
      vcpus: def.vcpu.current,
      maxMemoryKiB: def.memoryKiB,
      usedMemoryKiB: def.currentMemoryKiB,
      cpuTimeNs,
    };
  }
}
