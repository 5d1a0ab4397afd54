/**
 * The vireo command: global options, then one of four modes. One argument is a command string
 * (`vireo 'start a; list'`), several are one command's words (`vireo list --all`), none reads
 * commands from stdin, or opens the shell when stdin is a terminal.
 */
import * as fs from 'node:fs';
import { TABLE } from './commands/index.js';
import { GlobalsError, parseGlobals, type GlobalOptions } from './globals.js';
import { parseCommands, type ParsedCommand } from './parse.js';
import { DEBUG_INFO, Session, type Output } from './session.js';
import { argvTokens, ParseError, stringTokens } from './tokenize.js';
import { VERSION } from './version.js';

/**
 * Write all of `text` to fd 1 or 2 synchronously. Not process.stdout: under Bun (the compiled
 * CLI) merely touching it costs ~9 ms, a third of a one-shot command. A reader that went away
 * (`vireo list | head -1`) ends the program quietly, as for virsh.
 */
function writeAll(fd: number, text: string | Uint8Array): void {
  let buf = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // a non-blocking pipe is full
    }
  }
}

const processOutput: Output = {
  stdout: (t) => writeAll(1, t),
  stderr: (t) => writeAll(2, t),
};

function longVersion(): string {
  return `Vireo command line tool, version ${VERSION}\n`
    + 'A virsh-compatible client of the vireod daemon.\n\n'
    + 'Compiled with support for:\n'
    + ' Hypervisors: QEMU/KVM\n'
    + ' Connections: vireo:///system vireo:///session vireo+unix (qemu:/// accepted as aliases)\n';
}

/** `-l FILE`: one timestamped line per command and per error, appended. */
function openLog(file: string): { log: (line: string) => void; close: () => void } {
  const fd = fs.openSync(file, 'a', 0o600);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return {
    log: (line) => {
      const d = new Date();
      const stamp = `${d.getFullYear()}.${pad(d.getMonth() + 1)}.${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
      fs.writeSync(fd, `[${stamp} vireo ${process.pid}] ${line}\n`);
    },
    close: () => fs.closeSync(fd),
  };
}

/** Run vireo with these arguments (without the program name); resolves to the exit status. */
export async function main(argv: readonly string[], io: Output = processOutput, stdinIsTTY: boolean | (() => boolean) = () => process.stdin.isTTY === true): Promise<number> {
  let g: GlobalOptions;
  try {
    g = parseGlobals(argv);
  } catch (e) {
    if (!(e instanceof GlobalsError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 1;
  }
  for (const w of g.warnings) io.stderr(`error: ${w}\n`);
  if (g.action === 'version-short') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (g.action === 'version-long') {
    io.stdout(longVersion());
    return 0;
  }
  if (g.action === 'help') {
    // Loaded here: help texts are not on the path of every command.
    const { usage } = await import('./help.js');
    io.stdout(usage(TABLE));
    return 0;
  }
  let logger: ReturnType<typeof openLog> | undefined;
  if (g.logFile !== undefined) {
    try {
      logger = openLog(g.logFile);
    } catch {
      io.stderr('error: failed to open the log file. check the log file path\n');
      return 1;
    }
  }
  const interactive = g.rest.length === 0;
  const session = new Session({
    out: io, table: TABLE, quiet: g.quiet, readonly: g.readonly, timing: g.timing, interactive, escape: g.escape,
    ...(g.uri === undefined ? {} : { uri: g.uri }),
    ...(logger === undefined ? {} : { log: logger.log }),
    ...(g.debug === undefined ? {} : { debug: g.debug }),
  });
  try {
    if (interactive) {
      const shell = await import('./interactive.js');
      return (typeof stdinIsTTY === 'function' ? stdinIsTTY() : stdinIsTTY) ? await shell.runInteractive(session) : await shell.runStdin(session);
    }
    if (g.rest.length === 1) session.debug(DEBUG_INFO, `commands: "${g.rest[0] as string}"`);
    let cmds: ParsedCommand[];
    try {
      cmds = parseCommands(g.rest.length === 1 ? stringTokens(g.rest[0] as string) : argvTokens(g.rest), TABLE);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    return (await session.runAll(cmds)) ? 0 : 1;
  } finally {
    session.close();
    logger?.close();
  }
}

/** The entry point bin/vireo calls. */
export function run(): void {
  main(process.argv.slice(2)).then(
    // Exit explicitly: stdin readers and keep-alive sockets must not hold the process open.
    // stdout/stderr writes to files, pipes and terminals are synchronous on Linux, so nothing is lost.
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
