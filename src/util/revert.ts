/**
 * Undo for multi-step work: each step that changes something registers how to take it back;
 * when a later step fails, the undo steps run newest first and the first failure is rethrown.
 *
 *   const revert = new Revert();
 *   try {
 *     await makeDir(); revert.add(() => removeDir());
 *     await spawn();   revert.add(() => kill());
 *     revert.success();
 *   } finally { await revert.fail(); }   // a no-op after success()
 */
import { logger } from './log.js';

const log = logger('revert');

export class Revert {
  private steps: { what: string; undo: () => unknown }[] = [];

  /** Register how to undo the step just done. `what` names it in the log if the undo itself fails. */
  add(undo: () => unknown, what = 'step'): void {
    this.steps.push({ what, undo });
  }

  /** The work is complete: nothing will be undone. */
  success(): void {
    this.steps = [];
  }

  /** Undo every registered step, newest first. Failures of undo steps are logged, not thrown. */
  async fail(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const s of steps) {
      try {
        await s.undo();
      } catch (e) {
        log.error(`undoing ${s.what} failed`, { error: String(e) });
      }
    }
  }

  /** Run `fn` with a fresh Revert; undo its steps if it throws, and rethrow. */
  static async run<T>(fn: (revert: Revert) => Promise<T>): Promise<T> {
    const revert = new Revert();
    try {
      const v = await fn(revert);
      revert.success();
      return v;
    } catch (e) {
      await revert.fail();
      throw e;
    }
  }
}
