/**
 * Reading commands from a terminal (the shell, with virsh's banner and prompt) or from a pipe
 * (`vireo < script`). Loaded only in those modes, so direct commands never load readline.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Terminal } from './commands/types.js';
import { complete, fileCandidates, type CompletionSource } from './complete.js';
import type { Session } from './session.js';

export const BANNER = "Welcome to vireo, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n";

/**
 * Commands from a pipe, one line at a time, framed exactly like a multi-command argument. Unlike
 * virsh, no banner and no prompts are printed, so a script's output is just its commands' output.
 * The exit status is the last command's.
 */
export async function runStdin(session: Session, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  let ok = true;
  for await (const line of rl) {
    const r = await session.runLine(line);
    if (r !== null) ok = r;
    if (session.stopped) break;
  }
  rl.close();
  return ok ? 0 : 1;
}

/** The shell's history: $XDG_STATE_HOME/vireo/history, by default ~/.local/state/vireo/history. */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME !== undefined && path.isAbsolute(env.XDG_STATE_HOME)
    ? env.XDG_STATE_HOME
    : path.join(env.HOME ?? os.homedir(), '.local', 'state');
  return path.join(state, 'vireo', 'history');
}

const HISTORY_SIZE = 500;

/** History is a convenience: a file that cannot be read or written is silently skipped. */
function loadHistory(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string, newestFirst: readonly string[]): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, [...newestFirst].reverse().join('\n') + '\n', { mode: 0o600 });
  } catch {
    // best effort
  }
}

/** Domains and networks from the session's connection (opened on first use, as for any command). */
function completionSource(session: Session): CompletionSource {
  return {
    domains: async () => (await session.client()).listDomains(),
    networks: async () => (await session.client()).listNetworks(),
    files: fileCandidates,
  };
}

/** The interactive shell on a terminal: banner, `vireo # ` prompt, line editing, history, completion. */
export async function runInteractive(
  session: Session,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (!session.quiet) output.write(BANNER);
  const file = historyFile();
  let history = loadHistory(file);
  const rl = readline.createInterface({
    input, output, terminal: true, history, historySize: HISTORY_SIZE, removeHistoryDuplicates: true,
    completer: (line: string, done: (err: null, result: [string[], string]) => void) => {
      void complete(session.table, line, completionSource(session)).then((r) => done(null, r), () => done(null, [[], '']));
    },
  });
  rl.on('history', (h: string[]) => {
    history = h;
  });
  let busy = false;
  // console needs the raw keys: readline's key handlers step aside until it is done.
  const keyed = input as NodeJS.ReadableStream & Terminal['input'];
  session.terminal = {
    input: keyed, output, isTTY: true,
    acquire: () => {
      const handlers = keyed.listeners('keypress') as ((...a: unknown[]) => void)[];
      keyed.removeAllListeners('keypress');
      return () => {
        for (const h of handlers) keyed.on('keypress', h);
        keyed.setRawMode?.(true);
        keyed.resume();
      };
    },
  };
  // Ctrl-C drops the line being typed, as in a shell; a running command gets it if it listens (event).
  rl.on('SIGINT', () => {
    if (busy) {
      session.interrupt();
      return;
    }
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    output.write('\n');
    rl.prompt();
  });
  let ok = true;
  rl.setPrompt(session.prompt());
  rl.prompt();
  for await (const line of rl) {
    busy = true;
    const r = await session.runLine(line);
    busy = false;
    if (r !== null) ok = r;
    if (session.stopped) break;
    rl.setPrompt(session.prompt());
    rl.prompt();
  }
  // End of input (Ctrl-D) leaves the cursor after a bare prompt: end that line.
  if (!session.stopped) output.write('\n');
  rl.close();
  saveHistory(file, history);
  return ok ? 0 : 1;
}
