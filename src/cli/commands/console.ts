/** Commands that stay attached to the daemon: console (a guest's serial console) and event. */
import type { Duplex } from 'node:stream';
import type { DomainEvent, DomainSummary } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { eventLoop, eventTime, parseTimeout } from './eventloop.js';
import type { CliClient, CommandDef, Ctx, Terminal } from './types.js';

/** The byte an escape string stands for: `^]` is Ctrl+] (0x1d), a single character is itself. */
export function escapeByte(escape: string): number {
  if (escape.length === 2 && escape[0] === '^') return (escape[1] as string).toUpperCase().charCodeAt(0) & 0x1f;
  return escape.charCodeAt(0);
}

/**
 * Copy the terminal to the console and back until the escape byte is typed or the console closes.
 * The terminal is in raw mode meanwhile, so Ctrl+C and friends reach the guest.
 */
export function pump(sock: Duplex, term: Terminal, escape: number, forwardInput: boolean): Promise<'escape' | 'closed'> {
  return new Promise((resolve) => {
    const { input, output } = term;
    const wasRaw = input.isRaw === true;
    input.setRawMode?.(true);
    const onInput = (buf: Buffer): void => {
      const i = buf.indexOf(escape);
      if (i >= 0) {
        if (i > 0 && forwardInput) sock.write(buf.subarray(0, i));
        finish('escape');
      } else if (forwardInput) {
        sock.write(buf);
      }
    };
    const onOutput = (d: Buffer): void => void output.write(d);
    let done = false;
    const finish = (why: 'escape' | 'closed'): void => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      input.setRawMode?.(wasRaw);
      input.pause();
      sock.off('data', onOutput);
      sock.destroy();
      resolve(why);
    };
    input.on('data', onInput);
    input.resume();
    sock.on('data', onOutput);
    sock.on('close', () => finish('closed'));
    sock.on('error', () => finish('closed'));
  });
}

/** The event names virsh knows; vireod sends lifecycle, reboot, device-added, device-removed, balloon-change, tunable and block-threshold, the others are accepted and never fire. */
export const EVENT_NAMES = [
  'lifecycle', 'reboot', 'rtc-change', 'watchdog', 'io-error', 'graphics', 'io-error-reason', 'control-error',
  'block-job', 'disk-change', 'tray-change', 'pm-wakeup', 'pm-suspend', 'balloon-change', 'pm-suspend-disk',
  'device-removed', 'block-job-2', 'tunable', 'agent-lifecycle', 'device-added', 'migration-iteration', 'job-completed',
  'device-removal-failed', 'metadata-change', 'block-threshold', 'memory-failure', 'memory-device-size-change', 'nic-mac-change',
];

/** One event as virsh prints it. */
export function formatEvent(e: DomainEvent, withTime: boolean): string {
  let s = `event '${e.type}' for domain '${e.domain.name}'`;
  if (e.type === 'lifecycle') s += `: ${e.event ?? ''} ${e.detail ?? ''}`.trimEnd();
  if (e.type === 'device-added' || e.type === 'device-removed') s += `: ${e.device ?? ''}`;
  if (e.type === 'balloon-change') s += `: ${e.actualKiB ?? 0}KiB`;
  if (e.type === 'tunable') s += `:${(e.params ?? []).map(([k, v]) => `\n\t${k}: ${v}`).join('')}`;
  if (e.type === 'block-threshold') s += `: dev: ${e.device ?? ''}(${e.path ?? '<null>'}) ${e.threshold ?? 0} ${e.excess ?? 0}`;
  return (withTime ? `${eventTime(e.timestamp)}: ` : '') + s + '\n';
}

export const NO_TTY = 'Cannot run interactive console without a controlling TTY';

/**
 * Attach the terminal to a running domain's console until the escape key or the end of the stream
 * (start --console and create --console come here too).
 */
export async function runConsole(ctx: Ctx, c: CliClient, d: DomainSummary, o: { devname?: string; force?: boolean } = {}): Promise<void> {
  const term = ctx.terminal;
  // virsh's order: a shut-off guest is reported even without a terminal.
  if (d.id === null) fail('The domain is not running');
  if (!term.isTTY) fail(NO_TTY);
  const sock = await attempt(d.name, null, () => c.attachConsole(d.uuid, {
    ...(o.devname === undefined ? {} : { devname: o.devname }), force: o.force === true, readOnly: ctx.readonly,
  }));
  // virsh prints these before it tries to attach; vireo only once the console is really there.
  ctx.extra(`Connected to domain '${d.name}'\n`);
  ctx.extra(`Escape character is ${ctx.escape}${ctx.escape.startsWith('^') ? ` (Ctrl + ${ctx.escape[1] ?? ''})` : ''}\n`);
  const release = term.acquire?.();
  try {
    await pump(sock, term, escapeByte(ctx.escape), !ctx.readonly);
  } finally {
    release?.();
  }
  ctx.print('\n');
}

export const consoleCommands: readonly CommandDef[] = [
  {
    name: 'console', group: 'domain', domainState: 'active',
    help: 'attach to a domain\'s serial console',
    desc: 'Connect the terminal to the guest\'s serial console until the escape key (Ctrl+] unless -e says otherwise) is pressed.\nOn a read-only (-r) connection the console is only watched.',
    opts: [
      { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' },
      { name: 'devname', type: 'string', help: 'the character device: console0 (default) or serialN' },
      { name: 'force', type: 'bool', help: 'take the console over from another session' },
      { name: 'safe', type: 'bool', help: 'only connect if no other session can write at the same time (always true for vireod)' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      const devname = args.str('devname');
      await runConsole(ctx, c, d, { ...(devname === undefined ? {} : { devname }), force: args.bool('force') });
    },
  },
  {
    name: 'event', group: 'events', json: true,
    help: 'wait for domain events, or list the event types',
    desc: 'Print domain events as they happen: the first one, or with --loop every one until --timeout or Ctrl+C.\nThe exit status is 1 when no event was received.',
    opts: [
      { name: 'domain', type: 'string', help: 'only events of this domain (name, id or UUID)' },
      { name: 'event', type: 'string', help: 'the event type to wait for (see --list)' },
      { name: 'all', type: 'bool', help: 'wait for events of every type' },
      { name: 'loop', type: 'bool', help: 'keep printing events until the timeout or an interrupt' },
      { name: 'timeout', type: 'int', help: 'give up after this many seconds' },
      { name: 'list', type: 'bool', help: 'print the event types and exit' },
      { name: 'timestamp', type: 'bool', help: 'print the time of each event before it' },
    ],
    async run(ctx, args) {
      const type = args.str('event');
      if (args.bool('list') && args.bool('all')) fail('Options --list and --all are mutually exclusive');
      if (args.bool('list') && type !== undefined) fail('Options --list and --event are mutually exclusive');
      const json = args.bool('json');
      if (args.bool('list')) {
        if (json) ctx.json(EVENT_NAMES);
        else ctx.print(EVENT_NAMES.map((n) => `${n}\n`).join(''));
        return;
      }
      if (!args.bool('all') && type === undefined) fail('one of --list, --all, or --event <type> is required');
      if (type !== undefined && !EVENT_NAMES.includes(type)) fail(`unknown event type ${type}`);
      const timeout = parseTimeout(args.str('timeout'));
      const c = await ctx.client();
      const ref = args.str('domain');
      const only = ref === undefined ? undefined : await attempt(ref, null, () => c.getDomain(ref));
      const withTime = args.bool('timestamp');
      await eventLoop<DomainEvent>(ctx, { loop: args.bool('loop'), timeout, json }, (on, end) => c.events(on, end), (e) => {
        if (only !== undefined && e.domain.uuid !== only.uuid) return null;
        if (type !== undefined && e.type !== type) return null;
        return formatEvent(e, withTime);
      });
    },
  },
];
