/**
 * Per-domain job queue. Changes to one domain run one at a time, in order. Long jobs (save, dump,
 * migrate) are different: a change that arrives while one runs fails at once with an error that
 * names the job, instead of waiting behind it; they report progress and can be aborted
 * (domjobabort): their `signal` fires and they stop at their next step. Queries never take a job.
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
  /** Work done and to do, in the job's own unit (bytes for save and migrate), once it knows. */
  progress: { processed: number; total: number } | undefined;
}

/** What a running job gets: the signal that tells it to stop, and a way to report progress. */
export interface JobControl {
  readonly signal: AbortSignal;
  progress(processed: number, total: number): void;
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
  private controller: AbortController | undefined;

  /**
   * domjobabort: tell the running long job to stop. Short jobs cannot be aborted (they finish
   * quickly; destroy overtakes them), as libvirt's abort applies to its async jobs only.
   */
  abort(): void {
    if (this.active?.kind !== 'long' || this.controller === undefined) {
      throw VireoError.of('OPERATION_INVALID', 'no job is active on the domain');
    }
    this.controller.abort();
  }

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
  run<T>(name: string, kind: JobKind, fn: (job: JobControl) => Promise<T>, opts: { internal?: boolean } = {}): Promise<T> {
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
      const controller = new AbortController();
      const job: ActiveJob = { name, kind, startedAt: Date.now(), progress: undefined };
      this.active = job;
      this.controller = controller;
      try {
        return await fn({
          signal: controller.signal,
          progress: (processed, total) => void (job.progress = { processed, total }),
        });
      } catch (e) {
        if (this.epoch !== epoch) throw this.aborted(name, 'while it was running', e);
        if (controller.signal.aborted) throw VireoError.of('OPERATION_ABORTED', `job '${name}' of domain '${this.domainName()}' was aborted on request`, { cause: e });
        throw e;
      } finally {
        if (this.active === job) {
          this.active = undefined;
          this.controller = undefined;
        }
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
    this.controller?.abort();
    this.controller = undefined;
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
