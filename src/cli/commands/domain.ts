/** Domain Management commands: define, lifecycle actions, autostart, dumpxml, id/name/uuid lookups. */
import type { DomainSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { firstInvalidUtf8, lineAt } from '../../api/utf8.js';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { attempt, fail, strerror } from '../errors.js';
import { NO_TTY, runConsole } from './console.js';
import type { Args, CliClient, CommandDef, Ctx, OptDef } from './types.js';

const domainOpt = (help: string): OptDef => ({ name: 'domain', type: 'data', required: true, help });
const fileOpt = (help: string): OptDef => ({ name: 'file', type: 'data', required: true, help });
const validateOpt: OptDef = { name: 'validate', type: 'bool', help: "check the XML against libvirt's domain schema first" };
const consoleOpt: OptDef = { name: 'console', type: 'bool', help: 'attach to the console once the guest runs' };

/** The message a read-only (-r) connection gives for any change. */
export const READ_ONLY = 'operation forbidden: read only access prevents this operation';

/**
 * Refuse a change on a read-only session. -r connects to the daemon's read-only socket, which
 * refuses every change itself; refusing here first saves the round trip and prints virsh's
 * message. As with virsh, a missing domain is still reported as missing first.
 */
export async function checkWritable(ctx: Ctx, c: CliClient, ref: string | null, context: string): Promise<void> {
  if (!ctx.readonly) return;
  if (ref !== null) await attempt(ref, null, () => c.getDomain(ref));
  fail(context, READ_ONLY);
}

/** The file's text, with virsh's messages for a file that cannot be opened or read. */
export async function readXmlFile(file: string): Promise<string> {
  // Synchronous node:fs: main.ts has loaded it already; node:fs/promises would cost the
  // compiled CLI a few more ms of start-up on every define.
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    fail(`Failed to open file '${file}': ${strerror(e)}`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(fd);
  } catch (e) {
    fail(`Failed to read file '${file}': ${strerror(e)}`);
  } finally {
    closeSync(fd);
  }
  return decodeXml(bytes, file);
}

/**
 * XML bytes as text. Only UTF-8 is read: decoding leniently would turn every other byte into
 * U+FFFD and define a domain the user did not write. (libxml2 also stops at such input.)
 */
export function decodeXml(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new VireoError('XML_SYNTAX', `${file}:${lineAt(bytes, at)}: input is not proper UTF-8: byte 0x${(bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')} at offset ${at} (save it as UTF-8)`);
  }
}

/** virsh's shutdown/reboot modes; the daemon decides which it can do. */
const MODES = ['acpi', 'agent', 'initctl', 'signal', 'paravirt'];

function checkModes(mode: string | undefined, expecting: string): void {
  if (mode === undefined) return;
  for (const m of mode.split(',')) {
    if (!MODES.includes(m)) fail(`Unknown mode ${m} value, expecting ${expecting}`);
  }
}

interface ActionSpec {
  name: string;
  help: string;
  desc: string;
  domainHelp: string;
  opts?: OptDef[];
  /** Success message; virsh names the domain the way the user wrote it. */
  done: (ref: string, args: Args) => string;
  failed: (ref: string, args: Args) => string;
  before?: (args: Args) => void;
  call: (c: CliClient, ref: string, args: Args) => Promise<unknown>;
  /** The domains the shell's Tab offers. */
  domainState?: CommandDef['domainState'];
}

/** A command that looks a domain up, changes it, and says so in one line. */
function action(spec: ActionSpec): CommandDef {
  return {
    name: spec.name,
    group: 'domain',
    help: spec.help,
    desc: spec.desc,
    writes: true,
    ...(spec.domainState === undefined ? {} : { domainState: spec.domainState }),
    opts: [domainOpt(spec.domainHelp), ...(spec.opts ?? [])],
    async run(ctx, args) {
      spec.before?.(args);
      const ref = args.need('domain');
      const c = await ctx.client();
      const context = spec.failed(ref, args);
      await checkWritable(ctx, c, ref, context);
      await attempt(ref, context, () => spec.call(c, ref, args));
      ctx.extra(spec.done(ref, args) + '\n');
    },
  };
}

const modeOpt: OptDef = { name: 'mode', type: 'string', help: 'how to ask: acpi, agent, initctl, signal or paravirt (comma-separated)' };

/** Look a domain up and print one of its fields. */
function lookup(name: string, help: string, desc: string, show: (d: DomainSummary) => string, json: (d: DomainSummary) => unknown): CommandDef {
  return {
    name, group: 'domain', help, desc, json: true,
    opts: [domainOpt('domain name, id or UUID')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (args.bool('json')) ctx.json(json(d));
      else ctx.print(show(d) + '\n');
    },
  };
}

export const domainCommands: readonly CommandDef[] = [
  {
    name: 'define', group: 'domain', writes: true,
    help: 'define (but do not start) a domain from an XML file',
    desc: 'Make a domain persistent from its libvirt domain XML. The domain stays shut off until started.',
    opts: [fileOpt('file holding the domain XML'), validateOpt],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to define domain from ${file}`;
      const xml = await attempt(null, context, () => readXmlFile(file));
      const c = await ctx.client();
      await checkWritable(ctx, c, null, context);
      const d = await attempt(null, context, () => c.define(xml, { validate: args.bool('validate') }));
      ctx.extra(`Domain '${d.name}' defined from ${file}\n`);
    },
  },
  {
    name: 'create', group: 'domain', writes: true,
    help: 'create and start a transient domain from an XML file',
    desc: 'Start a domain from its XML without keeping its definition: it is gone once it stops.',
    opts: [fileOpt('file holding the domain XML'), consoleOpt, { name: 'paused', type: 'bool', help: 'keep the guest paused once it is created' }, validateOpt],
    async run(ctx, args) {
      const file = args.need('file');
      // Refuse before anything changes: a guest started for a console that cannot be shown is a surprise.
      if (args.bool('console') && !ctx.terminal.isTTY) fail(NO_TTY);
      const context = `Failed to create domain from ${file}`;
      const xml = await attempt(null, context, () => readXmlFile(file));
      const c = await ctx.client();
      await checkWritable(ctx, c, null, context);
      const d = await attempt(null, context, () => c.create(xml, { paused: args.bool('paused'), validate: args.bool('validate') }));
      ctx.extra(`Domain '${d.name}' created from ${file}\n`);
      if (args.bool('console')) await runConsole(ctx, c, d);
    },
  },
  {
    name: 'start', group: 'domain', writes: true, domainState: 'inactive',
    help: 'start a defined domain that is shut off',
    desc: 'Boot a shut off domain from its stored definition.',
    opts: [
      domainOpt('name or UUID of the shut off domain'), consoleOpt, { name: 'paused', type: 'bool', help: 'keep the guest paused once it is started' },
      { name: 'force-boot', type: 'bool', help: 'force fresh boot by discarding any managed save' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      if (args.bool('console') && !ctx.terminal.isTTY) fail(NO_TTY);
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (d.id !== null) fail('Domain is already active');
      const context = `Failed to start domain '${d.name}'`;
      await checkWritable(ctx, c, null, context);
      // Start by UUID: the name the user typed might also read as another domain's id.
      const started = await attempt(ref, context, () => c.start(d.uuid, { paused: args.bool('paused'), forceBoot: args.bool('force-boot') }));
      ctx.extra(`Domain '${d.name}' started\n`);
      if (args.bool('console')) await runConsole(ctx, c, started);
    },
  },
  action({
    name: 'destroy', domainState: 'active', help: 'stop a domain at once',
    desc: 'Stop the guest immediately, like pulling its power cord. The definition is kept.',
    domainHelp: 'domain name, id or UUID',
    opts: [{ name: 'graceful', type: 'bool', help: 'give the QEMU process time to exit cleanly before it is killed' }],
    done: (n) => `Domain '${n}' destroyed`, failed: (n) => `Failed to destroy domain '${n}'`,
    call: (c, ref, a) => c.destroy(ref, { graceful: a.bool('graceful') }),
  }),
  action({
    name: 'shutdown', domainState: 'active', help: 'ask a domain to shut down',
    desc: 'Ask the guest OS to power off. The command returns at once; the guest may take time or ignore the request.',
    domainHelp: 'domain name, id or UUID', opts: [modeOpt],
    before: (a) => checkModes(a.str('mode'), "'acpi', 'agent', 'initctl', 'signal', or 'paravirt'"),
    done: (n) => `Domain '${n}' is being shutdown`, failed: (n) => `Failed to shutdown domain '${n}'`,
    call: (c, ref, a) => c.shutdown(ref, a.str('mode') === undefined ? {} : { mode: a.need('mode') }),
  }),
  action({
    name: 'reboot', domainState: 'active', help: 'ask a domain to reboot',
    desc: 'Ask the guest OS to restart. The command returns at once, before the guest has rebooted.',
    domainHelp: 'domain name, id or UUID', opts: [modeOpt],
    before: (a) => checkModes(a.str('mode'), "'acpi', 'agent', 'initctl', 'signal' or 'paravirt'"),
    done: (n) => `Domain '${n}' is being rebooted`, failed: (n) => `Failed to reboot domain '${n}'`,
    call: (c, ref, a) => c.reboot(ref, a.str('mode') === undefined ? {} : { mode: a.need('mode') }),
  }),
  action({
    name: 'reset', domainState: 'active', help: 'reset a domain like its reset button',
    desc: 'Reset the guest at once, without asking its OS; unsaved data in the guest is lost.',
    domainHelp: 'domain name, id or UUID',
    done: (n) => `Domain '${n}' was reset`, failed: (n) => `Failed to reset domain '${n}'`,
    call: (c, ref) => c.reset(ref),
  }),
  action({
    name: 'suspend', domainState: 'active', help: 'pause a running domain',
    desc: 'Stop running the guest\'s CPUs; it keeps its memory and resumes where it left off.',
    domainHelp: 'domain name, id or UUID',
    done: (n) => `Domain '${n}' suspended`, failed: (n) => `Failed to suspend domain '${n}'`,
    call: (c, ref) => c.suspend(ref),
  }),
  action({
    name: 'resume', domainState: 'paused', help: 'continue a paused domain',
    desc: 'Let a paused guest run again.',
    domainHelp: 'domain name, id or UUID',
    done: (n) => `Domain '${n}' resumed`, failed: (n) => `Failed to resume domain '${n}'`,
    call: (c, ref) => c.resume(ref),
  }),
  action({
    name: 'autostart', domainState: 'persistent', help: 'start a domain when the daemon starts',
    desc: 'Mark a persistent domain to be started whenever vireod starts, or with --disable stop doing so.',
    domainHelp: 'domain name, id or UUID',
    opts: [{ name: 'disable', type: 'bool', help: 'turn autostart off' }],
    done: (n, a) => (a.bool('disable') ? `Domain '${n}' unmarked as autostarted` : `Domain '${n}' marked as autostarted`),
    failed: (n, a) => (a.bool('disable') ? `Failed to unmark domain '${n}' as autostarted` : `Failed to mark domain '${n}' as autostarted`),
    call: (c, ref, a) => c.setAutostart(ref, !a.bool('disable')),
  }),
  {
    name: 'dumpxml', group: 'domain',
    help: 'print the XML of a domain',
    desc: 'Print the domain\'s libvirt XML: the live configuration of a running domain, else the stored one.',
    opts: [
      domainOpt('domain name, id or UUID'),
      { name: 'inactive', type: 'bool', help: 'print the stored definition, not the live one' },
      { name: 'security-info', type: 'bool', help: 'include security-sensitive information (graphics passwords)' },
      { name: 'update-cpu', type: 'bool', help: 'show a host-model CPU as the CPU the guest gets' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const opts = { inactive: args.bool('inactive'), securityInfo: args.bool('security-info'), updateCpu: args.bool('update-cpu') };
      ctx.print(await attempt(ref, null, () => c.dumpXml(ref, opts)));
    },
  },
  {
    name: 'console-log', group: 'domain',
    help: 'print the recent output of a domain\'s serial console',
    desc: 'Print what the guest wrote to its serial console lately, as kept by vireod, without attaching to it.',
    opts: [domainOpt('domain name, id or UUID'), { name: 'devname', type: 'string', help: 'the character device: console0 (default) or serialN' }],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const devname = args.str('devname');
      ctx.print(await attempt(ref, null, () => c.consoleTail(ref, devname === undefined ? {} : { devname })));
    },
  },
  lookup('domid', 'print the id of a domain', 'Print the runtime id of a domain given by name or UUID, or - when it is not running.',
    (d) => (d.id === null ? '-' : String(d.id)), (d) => ({ id: d.id })),
  lookup('domname', 'print the name of a domain', 'Print the name of a domain given by id or UUID.', (d) => d.name, (d) => ({ name: d.name })),
  lookup('domuuid', 'print the UUID of a domain', 'Print the UUID of a domain given by name or id.', (d) => d.uuid, (d) => ({ uuid: d.uuid })),
];
