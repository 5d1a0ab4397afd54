/**
 * The waiting part of virsh's event commands (event, net-event): print matching events as they
 * come, the first one or with --loop every one, until --timeout or Ctrl+C; then the count line.
 */
import { CmdFailure, attempt, fail } from '../errors.js';
import type { Ctx } from './types.js';

/** `--timeout`'s value: whole seconds from 1 to 2147483, else virsh's message. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const timeout = Number(text);
  if (!(/^\s*\+?\d+$/.test(text) && timeout > 0 && timeout <= 2147483)) {
    fail(`Numeric value '${text}' for <timeout> option is malformed or out of range`);
  }
  return timeout;
}

export interface EventLoopOptions {
  loop: boolean;
  timeout: number | undefined;
  /** One JSON object a line instead of virsh's text, and no count line. */
  json: boolean;
}

/**
 * Subscribe, print each event `show` accepts (its text; null skips the event), and end as virsh
 * does: "event loop timed out" / "event loop interrupted", then "events received: N". No event at
 * all fails the command silently (the count line says so); a stream the daemon closed fails it
 * with a message.
 */
export async function eventLoop<E>(
  ctx: Ctx, o: EventLoopOptions,
  subscribe: (onEvent: (e: E) => void, onEnd: () => void) => Promise<() => void>,
  show: (e: E) => string | null,
): Promise<void> {
  let count = 0;
  let end = 'done' as 'timeout' | 'interrupt' | 'closed' | 'done';
  let over = false;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  // Events already queued when the wait ends must not print after the count line.
  const finish = (): void => {
    over = true;
    resolveFinished();
  };
  const stop = await attempt(null, null, () => subscribe((e) => {
    if (over) return;
    const text = show(e);
    if (text === null) return;
    count++;
    // --json: one object a line (JSON Lines), so a script can act on each event as it comes.
    ctx.print(o.json ? `${JSON.stringify(e)}\n` : text);
    if (!o.loop) finish();
  }, () => {
    if (over) return;
    end = 'closed';
    finish();
  }));
  // Scripts (and the golden tests) wait for this line before they cause the events they want.
  ctx.debug('event: listening for events');
  const timer = o.timeout === undefined ? undefined : setTimeout(() => {
    if (over) return;
    end = 'timeout';
    finish();
  }, o.timeout * 1000);
  const unhook = ctx.onInterrupt(() => {
    if (over) return;
    end = 'interrupt';
    finish();
  });
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    unhook();
    stop();
  }
  if (!o.json) {
    if (end === 'timeout') ctx.print('event loop timed out\n');
    if (end === 'interrupt') ctx.print('event loop interrupted\n');
    ctx.print(`events received: ${count}\n`);
  }
  if (end === 'closed') fail('the daemon closed the event stream');
  if (count === 0) throw new CmdFailure([]);
}
