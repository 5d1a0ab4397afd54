/**
 * edit: the user's editor on the stored XML of a domain, then redefine it, as virsh does — with
 * virsh's messages and, on a terminal, its "Failed. Try again?" question when the result is refused.
 */
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { attempt, CmdFailure, failureLines, fail } from '../errors.js';
import { READ_ONLY } from './domain.js';
import type { CommandDef, Ctx, Terminal } from './types.js';

/** A private temporary file holding `text`, named like virsh's (vireoXXXXXX.xml). */
async function tempXmlFile(text: string): Promise<string> {
  const dir = process.env.TMPDIR !== undefined && process.env.TMPDIR !== '' ? process.env.TMPDIR : os.tmpdir();
  for (;;) {
    const name = path.join(dir, `vireo${randomBytes(6).toString('hex').slice(0, 6)}.xml`);
    try {
      await fs.writeFile(name, text, { flag: 'wx', mode: 0o600 });
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Give the terminal to someone else (the editor) and take it back after. */
async function withTerminalReleased<T>(term: Terminal, fn: () => Promise<T>): Promise<T> {
  const giveBack = term.acquire?.();
  const wasRaw = term.input.isRaw === true;
  term.input.setRawMode?.(false);
  term.input.pause();
  try {
    return await fn();
  } finally {
    term.input.setRawMode?.(wasRaw);
    giveBack?.();
  }
}

/** One key from the terminal, in raw mode. */
function readKey(input: Terminal['input']): Promise<string> {
  return new Promise((resolve) => {
    const onData = (d: Buffer | string): void => {
      input.off('data', onData);
      input.pause();
      resolve(typeof d === 'string' ? d : d.toString('latin1'));
    };
    input.on('data', onData);
    input.resume();
  });
}

const HELP = [
  'y - yes, start editor again',
  'n - no, throw away my changes',
  'i - turn off validation and try to redefine again',
  'f - force, try to redefine again',
  '? - print this help',
];

/**
 * virsh's question after a refused definition: y (edit again), n (give up), i (redefine without
 * schema validation, offered only while it is on), f (redefine again), ? (help). Ctrl+C and Ctrl+D
 * answer n.
 */
async function askReedit(ctx: Ctx, relax: boolean): Promise<'y' | 'n' | 'i' | 'f'> {
  const term = ctx.terminal;
  const giveBack = term.acquire?.();
  const wasRaw = term.input.isRaw === true;
  term.input.setRawMode?.(true);
  const choices = relax ? '[y,n,i,f,?]' : '[y,n,f,?]';
  try {
    for (;;) {
      ctx.print(`\rFailed. Try again? ${choices}: `);
      const key = (await readKey(term.input)).toLowerCase();
      const c = key === '\x03' || key === '\x04' ? 'n' : key[0];
      if (c === '?') {
        ctx.print('\r\n' + HELP.filter((h) => relax || !h.startsWith('i ')).map((h) => `${h}\r\n`).join(''));
        continue;
      }
      if (c === 'y' || c === 'n' || c === 'f' || (relax && c === 'i')) return c;
    }
  } finally {
    term.input.setRawMode?.(wasRaw);
    giveBack?.();
    ctx.print('\n');
  }
}

export const editCommands: readonly CommandDef[] = [
  {
    name: 'edit', group: 'domain', writes: true, domainState: 'persistent',
    help: 'edit the XML configuration of a domain',
    desc: 'Open the stored XML of a domain in $VISUAL or $EDITOR (default vi), then define the domain from the result.\n'
      + 'A running domain gets the new definition the next time it starts.',
    opts: [
      { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' },
      { name: 'skip-validate', type: 'bool', help: 'do not check the result against libvirt\'s domain schema' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (ctx.readonly) fail(READ_ONLY);
      const original = await attempt(ref, null, () => c.dumpXml(d.uuid, { inactive: true, securityInfo: true }));
      const file = await tempXmlFile(original);
      let validate = !args.bool('skip-validate');
      try {
        let edit = true;
        for (;;) {
          if (edit) {
            await attempt(null, null, () => withTerminalReleased(ctx.terminal, () => ctx.runEditor(file)));
            edit = false;
          }
          const xml = await fs.readFile(file, 'utf8');
          if (xml === original) {
            ctx.extra(`Domain '${d.name}' XML configuration not changed.\n`);
            return;
          }
          try {
            const defined = await c.define(xml, { validate });
            ctx.extra(`Domain '${defined.name}' XML configuration edited.\n`);
            return;
          } catch (e) {
            const lines = failureLines(e);
            if (!ctx.terminal.isTTY) {
              // virsh prints only "Failed." here; the reason is what a script's author needs.
              throw new CmdFailure([...lines, 'Failed.']);
            }
            for (const l of lines) ctx.error(l);
            ctx.print('\n');
            const answer = await askReedit(ctx, validate);
            if (answer === 'n') throw new CmdFailure([]);
            if (answer === 'y') edit = true;
            if (answer === 'i') validate = false;
          }
        }
      } finally {
        await fs.rm(file, { force: true });
      }
    },
  },
];
