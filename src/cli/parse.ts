/**
 * Turns tokens into commands with their options, driven by the command table, with virsh's rules
 * and error texts: `--opt value`, `--opt=value`, positional values filling the non-flag options in
 * table order, `--` ending option parsing, and `--help` on any command meaning `help CMD`.
 * The whole input is parsed before anything runs, as virsh does, so one typo runs nothing.
 */
import { Args, type CommandDef, type CommandTable, type OptDef } from './commands/types.js';
import { ParseError, type TokenSource } from './tokenize.js';

export { ParseError } from './tokenize.js';

export interface ParsedCommand {
  readonly def: CommandDef;
  readonly args: Args;
}

/** Options that may be filled by position, in table order: every non-flag one not marked namedOnly. */
function positionalSlots(def: CommandDef): OptDef[] {
  return def.opts.filter((o) => o.type !== 'bool' && o.namedOnly !== true);
}

function valueWord(o: OptDef): string {
  return o.type === 'int' ? 'number' : 'string';
}

/** Parse every command in the token stream; throws ParseError with virsh's message on the first problem. */
export function parseCommands(src: TokenSource, table: CommandTable): ParsedCommand[] {
  const out: ParsedCommand[] = [];
  for (;;) {
    const { cmd, more } = parseOne(src, table);
    if (cmd !== null) out.push(cmd);
    if (!more) return out;
  }
}

function parseOne(src: TokenSource, table: CommandTable): { cmd: ParsedCommand | null; more: boolean } {
  let def: CommandDef | undefined;
  let slots: OptDef[] = [];
  const values = new Map<string, string[] | true>();
  let dataOnly = false;
  let wantsHelp = false;

  const store = (o: OptDef, value: string | null): void => {
    if (value === null) {
      values.set(o.name, true);
      return;
    }
    const prev = values.get(o.name);
    if (Array.isArray(prev)) prev.push(value);
    else values.set(o.name, [value]);
  };

  for (;;) {
    const tk = src.next();
    if (tk.kind !== 'arg') return { cmd: finish(), more: tk.kind === 'end-cmd' };
    const word = tk.text;

    if (def === undefined) {
      // A first word starting with '#' comments out the rest of the command.
      if (word.startsWith('#')) {
        let t = src.next();
        while (t.kind === 'arg') t = src.next();
        return { cmd: null, more: t.kind === 'end-cmd' };
      }
      def = table.find(word);
      if (def === undefined) throw new ParseError(`unknown command: '${word}'`);
      slots = positionalSlots(def);
      continue;
    }

    if (!dataOnly && word.startsWith('--') && /^[A-Za-z0-9]$/.test(word[2] ?? '')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const inline = eq < 0 ? null : word.slice(eq + 1);
      if (name === 'help') {
        wantsHelp = true;
        continue;
      }
      const opt = def.opts.find((o) => o.name === name);
      if (opt === undefined) {
        if (def.lenient === true) continue;
        throw new ParseError(`command '${def.name}' doesn't support option --${name}`);
      }
      if (values.has(opt.name) && opt.type !== 'argv') throw new ParseError(`option --${name} already seen`);
      if (opt.type === 'bool') {
        if (inline !== null) throw new ParseError(`invalid '=' after option --${name}`);
        store(opt, null);
        continue;
      }
      let value = inline;
      if (value === null) {
        const next = src.next();
        if (next.kind !== 'arg') throw new ParseError(`expected syntax: --${opt.name} <${valueWord(opt)}>`);
        value = next.text;
      }
      // A named value no longer needs its positional slot; argv options keep taking words.
      if (opt.type !== 'argv') slots = slots.filter((s) => s !== opt);
      store(opt, value);
      continue;
    }

    if (!dataOnly && word === '--') {
      dataOnly = true;
      continue;
    }

    const slot = slots[0];
    if (slot === undefined) {
      if (def.lenient === true) continue;
      throw new ParseError(`unexpected data '${word}'`);
    }
    if (slot.type !== 'argv') slots.shift();
    store(slot, word);
  }

  function finish(): ParsedCommand | null {
    if (def === undefined) return null;
    if (wantsHelp) {
      const help = table.find('help');
      if (help !== undefined) return { def: help, args: new Args(new Map([['command', [def.name]]])) };
    }
    for (const o of def.opts) {
      if (o.required === true && !values.has(o.name)) {
        const shown = o.type === 'data' || o.type === 'argv' ? `<${o.name}>` : `--${o.name}`;
        throw new ParseError(`command '${def.name}' requires ${shown} option`);
      }
    }
    return { def, args: new Args(values) };
  }
}
