/**
 * Per-domain job queue. Changes to one domain run one at a time, in order. Long jobs (save, dump,
 * migrate) are different: a change that arrives while one runs fails at once with an error that
 * names the job, instead of waiting behind it. Queries never take a job.
 *
 * destroy is the escape hatch and takes no job: it `overtake`s the queue. Jobs still waiting
 * then fail without running, and the running one fails as soon as its monitor command does
 * (destroy closes the monitor), all with OPERATION_ABORTED naming the job and the destroy.
 */
import { VireoError } from '../../api/errors.js';

export type JobKind = 'short' | 'long';

interface ActiveJob {
  name: string;
  kind: JobKind;
  startedAt: number;
}

export class JobQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private active: ActiveJob | undefined;
  /** Bumped by overtake(): a job from an older epoch has been overtaken. */
  private epoch = 0;
  private overtakenBy = '';
  /** Settles when the current epoch is overtaken, releasing the jobs that wait in it. */
  private gate = newGate();

  constructor(private readonly domainName: () => string) {}

  private queued = 0;

  /** How many jobs wait behind the running one. */
  get waiting(): number {
    return this.queued;
  }

  /** The job running now, if any (for domjobinfo and error messages). */
  get current(): Readonly<ActiveJob> | undefined {
    return this.active;
  }

  /**
   * Run `fn` as job `name` once the jobs queued before it have finished. `internal` jobs (what
   * vireod does about QEMU's events, e.g. ending a powered-off guest) also wait their turn but
   * are never refused for a long job.
   */
  run<T>(name: string, kind: JobKind, fn: () => Promise<T>, opts: { internal?: boolean } = {}): Promise<T> {
    if (this.active?.kind === 'long' && opts.internal !== true) {
      const secs = ((Date.now() - this.active.startedAt) / 1000).toFixed(1);
      return Promise.reject(
        new VireoError('JOB_BUSY', `cannot ${name} domain '${this.domainName()}': job '${this.active.name}' is running (for ${secs} s)`, {
          hint: `wait for it, or abort it with: vireo domjobabort ${this.domainName()}`,
        }),
      );
    }
    const epoch = this.epoch;
    const prev = this.tail;
    const gate = this.gate.promise;
    this.queued++;
    const next = (async () => {
      try {
        await Promise.race([prev, gate]);
      } finally {
        this.queued--;
      }
      if (this.epoch !== epoch) throw this.aborted(name, 'before it could run');
      const job = { name, kind, startedAt: Date.now() };
      this.active = job;
      try {
        return await fn();
      } catch (e) {
        if (this.epoch !== epoch) throw this.aborted(name, 'while it was running', e);
        throw e;
      } finally {
        if (this.active === job) this.active = undefined;
      }
    })();
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * `by` (destroy) goes ahead of every job: queued ones fail when their turn comes, the running
   * one fails when it next touches what `by` tore down. The queue itself carries on afterwards.
   */
  overtake(by: string): void {
    this.epoch++;
    this.overtakenBy = by;
    this.active = undefined;
    this.gate.resolve();
    this.gate = newGate();
    // Jobs asked for from now on do not wait for the overtaken ones to unwind.
    this.tail = Promise.resolve();
  }

  private aborted(job: string, when: string, cause?: unknown): VireoError {
    return VireoError.of('OPERATION_ABORTED', `job '${job}' of domain '${this.domainName()}' was cut short by ${this.overtakenBy} ${when}`, {
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

function newGate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
