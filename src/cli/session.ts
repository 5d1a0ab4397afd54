/**
 * One CLI session: the connection, the -q/-r/-t switches, and the loop that runs parsed commands
 * with virsh's framing. After every command virsh prints one newline (a blank line after output
 * that ended its own line), or with -t a timing block instead; -q drops the newline; quit/exit get
 * neither. Errors go to stderr as `error: ...` lines. The same rules hold in every mode, so a
 * single direct command (`vireo start vm1`) prints "Domain 'vm1' started\n\n" exactly as virsh does.
 */
import { CmdFailure, CONNECT_FAILED, attempt, failureHint, failureLines } from './errors.js';
import { parseCommands, type ParsedCommand } from './parse.js';
import { stringTokens, ParseError } from './tokenize.js';
import type { CliClient, CommandTable, Ctx, Terminal } from './commands/types.js';

/** virsh's debug levels: 0 debug, 1 info, 2 notice, 3 warning, 4 error. */
export const DEBUG_INFO = 1;
const DEBUG_TYPE: Readonly<Record<string, string>> = { bool: 'bool', int: 'number', string: 'string', data: 'optdata', argv: 'argv' };

export interface Output {
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
}

export interface SessionOptions {
  out: Output;
  table: CommandTable;
  /** -c: the URI to use instead of the default one. */
  uri?: string;
  quiet?: boolean;
  readonly?: boolean;
  timing?: boolean;
  /** The shell or commands from stdin (enables cd, as in virsh). */
  interactive?: boolean;
  /** -l: receives one line per command run and per error line. */
  log?: (line: string) => void;
  /** Opens a client for a URI (read-only: on the daemon's read-only socket); tests pass a fake. Default: VireoClient.open, loaded on first use. */
  openClient?: (uri: string, readonly: boolean) => CliClient | Promise<CliClient>;
  /** The URI when none was given; default: defaultUri() from the client library. */
  defaultUri?: () => string | Promise<string>;
  /** -e: the console escape. */
  escape?: string;
  /** Runs the user's editor for edit; default: $VISUAL/$EDITOR/vi through the client library. */
  runEditor?: (file: string) => Promise<void>;
  /** -d: print debug lines of this level and above (0 debug ... 4 error) to stderr. */
  debug?: number;
  /** The terminal console uses; default: this process's stdin and stdout. */
  terminal?: Terminal;
}

function processTerminal(): Terminal {
  return { input: process.stdin, output: process.stdout, isTTY: process.stdin.isTTY === true };
}

async function openRealClient(uri: string, readonly: boolean): Promise<CliClient> {
  // Loaded here, not at the top: help, echo and parse errors never pay for the HTTP client.
  const { VireoClient } = await import('../client/client.js');
  return VireoClient.open(uri, { readOnly: readonly });
}

async function realRunEditor(file: string): Promise<void> {
  const { runEditor } = await import('../client/editor.js');
  await runEditor(file);
}

async function realDefaultUri(): Promise<string> {
  const [{ defaultUri }, { SYSTEM_SOCKET }, { existsSync }] = await Promise.all([
    import('../client/uri.js'), import('../api/paths.js'), import('node:fs'),
  ]);
  const root = process.getuid?.() === 0;
  return defaultUri(process.env, root, root && existsSync(SYSTEM_SOCKET));
}

export class Session {
  readonly table: CommandTable;
  readonly quiet: boolean;
  readonly timing: boolean;
  readonly interactive: boolean;
  readonly: boolean;
  /** Set by quit/exit: the caller stops reading commands. */
  stopped = false;
  readonly escape: string;
  /** The shell swaps in a terminal whose acquire() detaches its line editor. */
  terminal: Terminal;
  private readonly interruptHandlers = new Set<() => void>();
  private readonly onSigint = (): void => void this.interrupt();
  private explicitUri: string | undefined;
  private pending: Promise<CliClient> | null = null;
  private opened: CliClient | null = null;
  /** True while the command's stdout output does not end with a newline. */
  private lineOpen = false;
  private readonly out: Output;
  private readonly log: (line: string) => void;
  private readonly openClient: (uri: string, readonly: boolean) => CliClient | Promise<CliClient>;
  private readonly defaultUri: () => string | Promise<string>;
  private readonly ctx: Ctx;
  private readonly debugLevel: number;

  constructor(o: SessionOptions) {
    this.out = o.out;
    this.table = o.table;
    this.explicitUri = o.uri;
    this.quiet = o.quiet === true;
    this.readonly = o.readonly === true;
    this.timing = o.timing === true;
    this.interactive = o.interactive === true;
    this.log = o.log ?? (() => {});
    this.openClient = o.openClient ?? openRealClient;
    this.defaultUri = o.defaultUri ?? realDefaultUri;
    this.escape = o.escape ?? '^]';
    this.terminal = o.terminal ?? processTerminal();
    // Without -d only error-level debug lines would show, and vireo has none.
    this.debugLevel = o.debug ?? 5;
    // The getters below run with the ctx object as `this`; they read the session's live values.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a getter cannot be an arrow function
    const self = this;
    this.ctx = {
      print: (t) => this.write(t),
      extra: (t) => {
        if (!this.quiet) this.write(t);
      },
      error: (t) => this.errorLine(t),
      debug: (t) => this.debug(DEBUG_INFO, t),
      json: (v) => this.write(`${JSON.stringify(v, null, 2)}\n`),
      client: () => this.client(),
      reconnect: (uri, ro) => this.reconnect(uri, ro),
      quit: () => {
        this.stopped = true;
      },
      get quiet() { return self.quiet; },
      get readonly() { return self.readonly; },
      get interactive() { return self.interactive; },
      get terminal() { return self.terminal; },
      table: this.table,
      escape: this.escape,
      onInterrupt: (fn) => this.onInterrupt(fn),
      runEditor: o.runEditor ?? realRunEditor,
    };
  }

  private write(text: string | Uint8Array): void {
    if (text.length === 0) return;
    this.out.stdout(text);
    this.lineOpen = typeof text === 'string' ? !text.endsWith('\n') : text[text.length - 1] !== 0x0a;
  }

  /** A -d line on stderr, as virsh's vshDebug prints them. */
  debug(level: number, text: string): void {
    if (level >= this.debugLevel) this.out.stderr(`${text}\n`);
  }

  private errorLine(text: string): void {
    this.out.stderr(`error: ${text}\n`);
    this.log(`error: ${text}`);
  }

  /** The connection, opened on first use; a URI that cannot be opened fails like virsh's connect. */
  async client(): Promise<CliClient> {
    if (this.pending === null) {
      this.pending = (async () => {
        const c = await this.openClient(this.explicitUri ?? (await this.defaultUri()), this.readonly);
        this.opened = c;
        return c;
      })();
    }
    try {
      return await this.pending;
    } catch (e) {
      this.pending = null;
      const lines = failureLines(e);
      throw new CmdFailure(lines[0] === CONNECT_FAILED ? lines : [CONNECT_FAILED, ...lines], failureHint(e));
    }
  }

  /** `connect`: later commands use this URI (even if it fails now, as in virsh). */
  async reconnect(uri: string | undefined, readonly: boolean): Promise<void> {
    if (uri !== undefined) this.explicitUri = uri;
    this.readonly = readonly;
    this.close();
    const c = await this.client();
    await attempt(null, null, () => c.host());
  }

  /**
   * Ctrl+C goes to fn while it is registered. Outside the shell that is the process's SIGINT, taken
   * only meanwhile, so Ctrl+C still ends any other command at once.
   */
  onInterrupt(fn: () => void): () => void {
    if (this.interruptHandlers.size === 0) process.on('SIGINT', this.onSigint);
    this.interruptHandlers.add(fn);
    return () => {
      this.interruptHandlers.delete(fn);
      if (this.interruptHandlers.size === 0) process.off('SIGINT', this.onSigint);
    };
  }

  /** Deliver Ctrl+C to the running command; false if it does not listen for it. */
  interrupt(): boolean {
    for (const fn of [...this.interruptHandlers]) fn();
    return this.interruptHandlers.size > 0;
  }

  /** The prompt of the interactive shell: `#` for read-write, `>` for read-only, as virsh. */
  prompt(): string {
    return this.readonly ? 'vireo > ' : 'vireo # ';
  }

  /** Run one parsed command with its framing; true if it succeeded. */
  async run(cmd: ParsedCommand): Promise<boolean> {
    const t0 = performance.now();
    let ok = true;
    this.lineOpen = false;
    this.log(`command: ${cmd.def.name}`);
    if (DEBUG_INFO >= this.debugLevel) {
      for (const o of cmd.def.opts) {
        if (!cmd.args.has(o.name)) continue;
        const shown = o.type === 'bool' ? '(none)' : cmd.args.list(o.name).join(' ');
        this.debug(DEBUG_INFO, `${cmd.def.name}: ${o.name}(${DEBUG_TYPE[o.type]}): ${shown}`);
      }
    }
    try {
      for (const o of cmd.def.opts) {
        const v = cmd.args.str(o.name);
        if (v === '' && o.emptyOk !== true && o.type !== 'argv') {
          throw new CmdFailure([`Failed to get option '${o.name}': Option argument is empty`]);
        }
      }
      await cmd.def.run(this.ctx, cmd.args);
    } catch (e) {
      ok = false;
      for (const line of failureLines(e)) this.errorLine(line);
      const hint = failureHint(e);
      if (hint !== undefined) {
        this.out.stderr(`hint: ${hint}\n`);
        this.log(`hint: ${hint}`);
      }
    }
    if (this.stopped) return ok;
    if (this.timing) {
      this.out.stdout(`\n(Time: ${(performance.now() - t0).toFixed(3)} ms)\n\n`);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the command's output sets lineOpen during the await
    } else if (!this.quiet || this.lineOpen) {
      // Quiet mode still ends a line the command left open (echo), where virsh would not.
      this.out.stdout('\n');
    }
    return ok;
  }

  /** Run commands in order until one quits; the result is the last command's (virsh's exit status rule). */
  async runAll(cmds: readonly ParsedCommand[]): Promise<boolean> {
    let ok = true;
    for (const cmd of cmds) {
      ok = await this.run(cmd);
      if (this.stopped) break;
    }
    return ok;
  }

  /**
   * Parse one line of the shell or of stdin and run it; a syntax error runs nothing and fails.
   * null: the line held no command (blank or a comment), so it leaves the exit status alone.
   */
  async runLine(line: string): Promise<boolean | null> {
    let cmds: ParsedCommand[];
    try {
      cmds = parseCommands(stringTokens(line), this.table);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.errorLine(e.message);
      return false;
    }
    return cmds.length === 0 ? null : this.runAll(cmds);
  }

  /** Drop the connection (its keep-alive sockets would otherwise hold the process open). */
  close(): void {
    this.opened?.close();
    this.opened = null;
    this.pending = null;
  }
}
