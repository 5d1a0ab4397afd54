/**
 * The waiting part of virsh's event commands (event, net-event, pool-event): print matching
 * events as they come, the first one or with --loop every one, until --timeout or Ctrl+C; then
 * the count line. The commands of resources other than domains are all made by
 * resourceEventCommand.
 */
import { CmdFailure, attempt, fail } from '../errors.js';
import { flag } from './opts.js';
import type { CliClient, CommandDef, Ctx, GroupKey } from './types.js';

/** `2026-11-25 16:12:00.123+0000`: the --timestamp prefix, in UTC. */
export function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '+0000');
}

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

/** What makes one resource kind's event command (net-event, pool-event). */
export interface ResourceEventSpec<E extends { timestamp: number }> {
  name: string;
  group: GroupKey;
  help: string;
  desc: string;
  /** The option that narrows to one resource (e.g. 'network'), its help, and its lookup (errors as the kind's commands print them). */
  resource: { opt: string; help: string; lookup(c: CliClient, ref: string): Promise<{ uuid: string }> };
  /** virsh's event type names (--list, --event). */
  types: readonly string[];
  typeHelp: string;
  subscribe(c: CliClient, onEvent: (e: E) => void, onEnd: () => void): Promise<() => void>;
  uuidOf(e: E): string;
  /** Whether `e` is of the event type asked for (default: every event is). */
  isType?(e: E, type: string): boolean;
  format(e: E): string;
}

/** A virsh-style event command for one resource kind. */
export function resourceEventCommand<E extends { timestamp: number }>(s: ResourceEventSpec<E>): CommandDef {
  return {
    name: s.name, group: s.group, json: true, help: s.help, desc: s.desc,
    opts: [
      { name: s.resource.opt, type: 'string', help: s.resource.help },
      { name: 'event', type: 'string', help: s.typeHelp },
      flag('loop', 'keep printing events until the timeout or an interrupt'),
      { name: 'timeout', type: 'int', help: 'give up after this many seconds' },
      flag('list', 'print the event types and exit'),
      flag('timestamp', 'print the time of each event before it'),
    ],
    async run(ctx, args) {
      const json = args.bool('json');
      if (args.bool('list')) {
        if (json) ctx.json(s.types);
        else ctx.print(s.types.map((n) => `${n}\n`).join(''));
        return;
      }
      const type = args.str('event');
      if (type === undefined) fail('either --list or --event <type> is required');
      if (!s.types.includes(type)) fail(`unknown event type ${type}`);
      const timeout = parseTimeout(args.str('timeout'));
      const c = await ctx.client();
      const ref = args.str(s.resource.opt);
      const only = ref === undefined ? undefined : (await s.resource.lookup(c, ref)).uuid;
      const withTime = args.bool('timestamp');
      await eventLoop<E>(ctx, { loop: args.bool('loop'), timeout, json }, (on, end) => s.subscribe(c, on, end), (e) => {
        if (only !== undefined && s.uuidOf(e) !== only) return null;
        if (s.isType !== undefined && !s.isType(e, type)) return null;
        return (withTime ? `${eventTime(e.timestamp)}: ` : '') + s.format(e);
      });
    },
  };
}
