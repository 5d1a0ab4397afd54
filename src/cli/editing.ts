/**
 * Editing with the user's editor: `edit` and `net-edit` (the XML of a domain or a network, with
 * virsh's "Failed. Try again?" question on a terminal) and `desc --edit` / `metadata --edit` (a
 * piece of text). Loaded only by those commands.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attempt, CmdFailure, failureLines, fail } from './errors.js';
import { READ_ONLY, decodeXml } from './commands/domain.js';
import type { Args, Ctx, Terminal } from './commands/types.js';

/** A private temporary file holding `text`, named like virsh's (vireoXXXXXX.xml, or .txt). */
async function tempFile(text: string, ext = 'xml'): Promise<string> {
  const dir = process.env.TMPDIR !== undefined && process.env.TMPDIR !== '' ? process.env.TMPDIR : os.tmpdir();
  for (;;) {
    // O_EXCL below makes a clash harmless; no need to load node:crypto for a name.
    const name = path.join(dir, `vireo${Math.random().toString(16).slice(2, 8).padEnd(6, '0')}.${ext}`);
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

/** Run the user's editor on `text` and return the result (the terminal is handed over meanwhile). */
export async function editText(ctx: Ctx, text: string): Promise<string> {
  const file = await tempFile(text, 'txt');
  try {
    await attempt(null, null, () => withTerminalReleased(ctx.terminal, () => ctx.runEditor(file)));
    return await fs.readFile(file, 'utf8');
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** What the edit loop needs to know about the thing edited (a domain, a network). */
export interface EditTarget {
  /** The stored XML the editor starts from. */
  original: string;
  /** "Domain 'vm1'", "Network net1": the subject of the not-changed message. */
  label: string;
  /** Schema validation is on at first. */
  validate: boolean;
  /** Whether validation can be turned off from the question (virsh's 'i' choice). */
  relaxable: boolean;
  /** Define from the edited XML; resolves to the success message. */
  define(xml: string, validate: boolean): Promise<string>;
}

/**
 * Edit the XML in the user's editor and define the result, as virsh's edit commands do: an
 * unchanged file defines nothing; a refused definition asks again on a terminal, fails otherwise.
 */
export async function editXml(ctx: Ctx, t: EditTarget): Promise<void> {
  const file = await tempFile(t.original);
  let validate = t.validate;
  try {
    let edit = true;
    for (;;) {
      if (edit) {
        await attempt(null, null, () => withTerminalReleased(ctx.terminal, () => ctx.runEditor(file)));
        edit = false;
      }
      const bytes = await fs.readFile(file);
      if (bytes.toString('utf8') === t.original) {
        ctx.extra(`${t.label} XML configuration not changed.\n`);
        return;
      }
      try {
        ctx.extra(`${await t.define(decodeXml(bytes, file), validate)}\n`);
        return;
      } catch (e) {
        const lines = failureLines(e);
        if (!ctx.terminal.isTTY) {
          // virsh prints only "Failed." here; the reason is what a script's author needs.
          throw new CmdFailure([...lines, 'Failed.']);
        }
        for (const l of lines) ctx.error(l);
        ctx.print('\n');
        const answer = await askReedit(ctx, t.relaxable && validate);
        if (answer === 'n') throw new CmdFailure([]);
        if (answer === 'y') edit = true;
        if (answer === 'i') validate = false;
      }
    }
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** The edit command (see commands/edit.ts). */
export async function runEdit(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const c = await ctx.client();
  const d = await attempt(ref, null, () => c.getDomain(ref));
  if (ctx.readonly) fail(READ_ONLY);
  const original = await attempt(ref, null, () => c.dumpXml(d.uuid, { inactive: true, securityInfo: true }));
  await editXml(ctx, {
    original, label: `Domain '${d.name}'`, validate: !args.bool('skip-validate'), relaxable: true,
    define: async (xml, validate) => `Domain '${(await c.define(xml, { validate })).name}' XML configuration edited.`,
  });
}
