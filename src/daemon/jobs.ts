/**
 * Per-domain job queue. Changes to one domain run one at a time, in order. Long jobs (save, dump,
 * migrate) are different: a change that arrives while one runs fails at once with an error that
 * names the job, instead of waiting behind it. Queries never take a job.
 */
import { VireoError } from '../api/errors.js';

export type JobKind = 'short' | 'long';

interface ActiveJob {
  name: string;
  kind: JobKind;
  startedAt: number;
}

export class JobQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private active: ActiveJob | undefined;

  constructor(private readonly domainName: () => string) {}

  /** The job running now, if any (for domjobinfo and error messages). */
  get current(): Readonly<ActiveJob> | undefined {
    return this.active;
  }

  /** Run `fn` as job `name` once the jobs queued before it have finished. */
  run<T>(name: string, kind: JobKind, fn: () => Promise<T>): Promise<T> {
    if (this.active?.kind === 'long') {
      const secs = ((Date.now() - this.active.startedAt) / 1000).toFixed(1);
      return Promise.reject(
        new VireoError('JOB_BUSY', `cannot ${name} domain '${this.domainName()}': job '${this.active.name}' is running (for ${secs} s)`, {
          hint: `wait for it, or abort it with: vireo domjobabort ${this.domainName()}`,
        }),
      );
    }
    const next = this.tail.then(async () => {
      this.active = { name, kind, startedAt: Date.now() };
      try {
        return await fn();
      } finally {
        this.active = undefined;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}
