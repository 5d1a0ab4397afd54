/**
 * Tab completion for the shell: command names, then the options of the command being typed, the
 * names of domains for a domain argument (only those the command can act on: `start` offers the
 * shut-off ones, `destroy` the running ones), of networks for a network argument (likewise) and
 * file names for a file argument.
 */
import type { DomainSummary, NetworkSummary } from '../api/types.js';
import type { CommandDef, CommandTable, OptDef } from './commands/types.js';

/** Where completions come from; either may fail (no daemon), which just means no candidates. */
export interface CompletionSource {
  domains(): Promise<readonly DomainSummary[]>;
  networks?(): Promise<readonly NetworkSummary[]>;
  files(prefix: string): Promise<string[]>;
}

/** What a command's domain argument accepts, for completion. */
function domainFits(def: CommandDef, d: DomainSummary): boolean {
  switch (def.domainState) {
    case 'active': return d.id !== null;
    case 'inactive': return d.id === null;
    case 'paused': return d.state === 'paused';
    case 'persistent': return d.persistent;
    default: return true;
  }
}

/** What a command's network argument accepts, for completion. */
function networkFits(def: CommandDef, n: NetworkSummary): boolean {
  switch (def.networkState) {
    case 'active': return n.active;
    case 'inactive': return !n.active;
    case 'persistent': return n.persistent;
    default: return true;
  }
}

/** The words of the command under the cursor (after the last `;`), the last one possibly empty. */
function currentWords(line: string): string[] {
  const cur = line.slice(line.lastIndexOf(';') + 1).replace(/^\s+/, '');
  return cur.split(/\s+/);
}

/** The option whose value the last word is, if any (by name after `--opt`, else by position). */
function valueSlot(def: CommandDef, before: readonly string[]): OptDef | undefined {
  const prev = before[before.length - 1];
  if (prev !== undefined && prev.startsWith('--') && !prev.includes('=')) {
    const o = def.opts.find((x) => x.name === prev.slice(2));
    if (o !== undefined && o.type !== 'bool') return o;
  }
  const named = new Set<string>();
  let positional = 0;
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    if (w.startsWith('--')) {
      const o = def.opts.find((x) => x.name === w.slice(2).split('=')[0]);
      if (o === undefined) continue;
      named.add(o.name);
      if (o.type !== 'bool' && !w.includes('=')) i++;
      continue;
    }
    positional++;
  }
  const slots = def.opts.filter((o) => o.type !== 'bool' && o.namedOnly !== true && !named.has(o.name));
  const argv = slots.find((o) => o.type === 'argv');
  return slots[positional] ?? argv;
}

/**
 * Candidates for the last word of `line`, and that word (readline's completer result). A single
 * candidate that is a whole word comes with a space after it, as GNU readline (virsh's) gives it.
 */
export async function complete(table: CommandTable, line: string, src?: CompletionSource): Promise<[string[], string]> {
  const [list, word] = await candidates(table, line, src);
  const only = list[0];
  return list.length === 1 && only !== undefined && !only.endsWith('/') ? [[`${only} `], word] : [list, word];
}

async function candidates(table: CommandTable, line: string, src?: CompletionSource): Promise<[string[], string]> {
  const words = currentWords(line);
  const last = words[words.length - 1] ?? '';
  if (words.length <= 1) return [table.commands.map((c) => c.name).filter((n) => n.startsWith(last)), last];
  const def = table.find(words[0] as string);
  if (def === undefined) return [[], last];
  const before = words.slice(1, -1);
  if (last.startsWith('-')) {
    const used = new Set(before.filter((w) => w.startsWith('--')).map((w) => w.split('=')[0]));
    return [def.opts.map((o) => `--${o.name}`).filter((o) => o.startsWith(last) && !used.has(o)), last];
  }
  const slot = valueSlot(def, before);
  if (slot === undefined || src === undefined) return [[], last];
  // Options named domain, network and file complete as such unless the table says otherwise.
  const kind = slot.complete ?? (['domain', 'network', 'file'].includes(slot.name) ? slot.name : undefined);
  try {
    if (kind === 'domain') {
      const names = (await src.domains()).filter((d) => domainFits(def, d)).map((d) => d.name);
      return [names.filter((n) => n.startsWith(last)).sort(), last];
    }
    if (kind === 'network' && src.networks !== undefined) {
      const names = (await src.networks()).filter((n) => networkFits(def, n)).map((n) => n.name);
      return [names.filter((n) => n.startsWith(last)).sort(), last];
    }
    if (kind === 'file') return [await src.files(last), last];
  } catch {
    // No daemon, or an unreadable directory: nothing to offer.
  }
  return [[], last];
}

/** File names starting with `prefix`, directories with a trailing slash (what shells offer). */
export async function fileCandidates(prefix: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const slash = prefix.lastIndexOf('/');
  const dir = slash < 0 ? '.' : prefix.slice(0, slash + 1) || '/';
  const base = slash < 0 ? prefix : prefix.slice(slash + 1);
  const head = slash < 0 ? '' : prefix.slice(0, slash + 1);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => head + e.name + (e.isDirectory() ? '/' : ''))
    .sort();
}
