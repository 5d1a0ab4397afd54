/**
 * Words of a command line, the way virsh splits them. Tokens are pulled one at a time so that a
 * quoting error late in a string is reported only after earlier commands parsed cleanly, in the
 * same order virsh reports problems.
 */

export type Token =
  | { readonly kind: 'arg'; readonly text: string }
  /** `;`, a newline or a comment ended the current command. */
  | { readonly kind: 'end-cmd' }
  | { readonly kind: 'end' };

/** A syntax error; the message is printed as `error: MESSAGE`. */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

export interface TokenSource {
  /** The next token; throws ParseError on bad quoting. */
  next(): Token;
}

const END: Token = { kind: 'end' };
const END_CMD: Token = { kind: 'end-cmd' };

/**
 * Tokens of one string holding one or more commands (`vireo 'start a; list'`, a shell line).
 * Blanks separate words; `;` and newlines separate commands; `#` at the start of a word comments
 * out the rest of the line. Single quotes keep everything literally; double quotes keep blanks but
 * a backslash still escapes; a backslash outside single quotes takes the next character literally,
 * and backslash-newline is dropped.
 */
export function stringTokens(s: string): TokenSource {
  let pos = 0;
  const len = s.length;
  return {
    next(): Token {
      while (pos < len && (s[pos] === ' ' || s[pos] === '\t' || (s[pos] === '\\' && s[pos + 1] === '\n'))) {
        pos += s[pos] === '\\' ? 2 : 1;
      }
      if (pos >= len) return END;
      if (s[pos] === ';' || s[pos] === '\n') {
        pos++;
        return END_CMD;
      }
      if (s[pos] === '#') {
        while (pos < len && s[pos] !== '\n') pos++;
        if (pos < len) pos++;
        return END_CMD;
      }
      let single = false;
      let double = false;
      let text = '';
      while (pos < len) {
        const c = s[pos] as string;
        if (!single && !double && (c === ' ' || c === '\t' || c === ';' || c === '\n')) break;
        if (!double && c === "'") {
          single = !single;
          pos++;
          continue;
        }
        if (!single && c === '\\') {
          pos++;
          if (pos >= len) throw new ParseError('dangling \\');
          if (s[pos] === '\n') {
            pos++;
            continue;
          }
        } else if (!single && c === '"') {
          double = !double;
          pos++;
          continue;
        }
        text += s[pos];
        pos++;
      }
      if (double) throw new ParseError('missing "');
      // virsh silently runs an unterminated single quote to the end of the string; a typo like
      // `echo 'abc` is far likelier than intent, so vireo reports it the way it reports `"`.
      if (single) throw new ParseError("missing '");
      return { kind: 'arg', text };
    },
  };
}

/** Tokens of a command given as separate process arguments (`vireo start vm1`): no quoting, no `;`. */
export function argvTokens(argv: readonly string[]): TokenSource {
  let i = 0;
  return {
    next(): Token {
      if (i >= argv.length) return END;
      return { kind: 'arg', text: argv[i++] as string };
    },
  };
}

/** Split a whole string into words per command, for completion and tests; throws ParseError. */
export function splitCommands(s: string): string[][] {
  const src = stringTokens(s);
  const out: string[][] = [];
  let cur: string[] = [];
  for (;;) {
    const t = src.next();
    if (t.kind === 'arg') {
      cur.push(t.text);
      continue;
    }
    if (cur.length > 0) out.push(cur);
    cur = [];
    if (t.kind === 'end') return out;
  }
}
