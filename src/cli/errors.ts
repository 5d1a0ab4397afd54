/**
 * How failures become virsh's `error: ...` lines. virsh reports most failures as two lines, its own
 * ("Failed to start domain 'x'") then the library's message; a few have one line only.
 */
import { isVireoError } from '../api/errors.js';

/** A command failed; each entry is printed as `error: ENTRY` on stderr, then the hint as `hint: HINT`. */
export class CmdFailure extends Error {
  constructor(readonly lines: readonly string[], readonly hint?: string) {
    super(lines.join('\n'));
    this.name = 'CmdFailure';
  }
}

/** Fail the running command with these error lines. */
export function fail(...lines: string[]): never {
  throw new CmdFailure(lines);
}

/** The message virsh prints when the connection cannot be made, before any command-specific line. */
export const CONNECT_FAILED = 'failed to connect to the hypervisor';

const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe',
  ENOTSOCK: 'Socket operation on non-socket',
};

/** The C library's text for an errno code, as virsh prints it. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && STRERROR[code] !== undefined) return STRERROR[code];
  return e instanceof Error ? e.message : String(e);
}

/**
 * The error lines for a failure. `ref` is the domain as the user named it (a missing domain is
 * reported as virsh's single "failed to get domain" line); `context` is the command's own line.
 * A daemon that cannot be reached is reported as a connection failure whatever the command, since
 * virsh connects before it runs any command that needs the hypervisor.
 */
export function failureLines(e: unknown, ref: string | null = null, context: string | null = null): readonly string[] {
  if (e instanceof CmdFailure) return e.lines;
  if (isVireoError(e)) {
    if (e.code === 'DAEMON_UNREACHABLE') return [CONNECT_FAILED, e.message];
    if (e.code === 'NO_DOMAIN' && ref !== null) return [`failed to get domain '${ref}'`];
    return context === null ? [e.message] : [context, e.message];
  }
  const errno = e as NodeJS.ErrnoException & { address?: string };
  // The transport passes some socket errors through raw (EACCES on the socket, a reset mid-reply).
  if (errno instanceof Error && errno.syscall === 'connect') {
    const where = errno.address === undefined ? '' : ` to '${errno.address}'`;
    return [CONNECT_FAILED, `Failed to connect socket${where}: ${strerror(errno)}`];
  }
  const msg = e instanceof Error ? e.message : String(e);
  return context === null ? [msg] : [context, msg];
}

/**
 * The advice shown as a last `hint:` line. virsh has no hints, so only an unreachable daemon gets
 * one: its message names a socket but not the fix (start vireod, or pick the right -c URI). Every
 * other error's message must stand on its own, as virsh's do.
 */
export function failureHint(e: unknown): string | undefined {
  if (e instanceof CmdFailure) return e.hint;
  return isVireoError(e) && e.code === 'DAEMON_UNREACHABLE' ? e.hint : undefined;
}

/** Run one daemon call and turn its failure into virsh's lines (see failureLines). */
export async function attempt<T>(ref: string | null, context: string | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new CmdFailure(failureLines(e, ref, context), failureHint(e));
  }
}
