/**
 * The options before the command (`vireo -c URI -q list`), parsed like virsh's getopt_long call:
 * short options may be bundled (`-qr`) and take their value attached or as the next word, long ones
 * take `--opt=value` or `--opt value` and may be abbreviated, and the first word that is not an
 * option starts the command.
 */

export interface GlobalOptions {
  uri?: string;
  quiet: boolean;
  readonly: boolean;
  timing: boolean;
  escape: string;
  debug?: number;
  logFile?: string;
  keepaliveInterval?: number;
  keepaliveCount?: number;
  /** What to do instead of running commands. */
  action: 'run' | 'help' | 'version-short' | 'version-long';
  /** Warnings to print (virsh goes on after these). */
  warnings: string[];
  /** The command words. */
  rest: string[];
}

/** A global option error: print `error: MESSAGE` and exit 1. */
export class GlobalsError extends Error {}

interface Spec {
  short: string;
  long: string;
  arg: 'none' | 'required' | 'optional';
}

const SPECS: readonly Spec[] = [
  { short: 'c', long: 'connect', arg: 'required' },
  { short: 'd', long: 'debug', arg: 'required' },
  { short: 'e', long: 'escape', arg: 'required' },
  { short: 'h', long: 'help', arg: 'none' },
  { short: 'k', long: 'keepalive-interval', arg: 'required' },
  { short: 'K', long: 'keepalive-count', arg: 'required' },
  { short: 'l', long: 'log', arg: 'required' },
  { short: 'q', long: 'quiet', arg: 'none' },
  { short: 'r', long: 'readonly', arg: 'none' },
  { short: 't', long: 'timing', arg: 'none' },
  { short: 'v', long: 'version', arg: 'optional' },
  { short: 'V', long: '', arg: 'none' },
];

/** C's strtol acceptance for an int option: optional sign, then digits (base 10, or 0x/0 with base 0). */
function toInt(text: string, anyBase: boolean): number | null {
  const re = anyBase ? /^\s*[-+]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i : /^\s*[-+]?[0-9]+$/;
  if (!re.test(text)) return null;
  const t = text.trim();
  const neg = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  let n: number;
  if (anyBase && /^0x/i.test(body)) n = parseInt(body.slice(2), 16);
  else if (anyBase && body.length > 1 && body.startsWith('0')) n = parseInt(body, 8);
  else n = parseInt(body, 10);
  n = neg ? -n : n;
  return n >= -0x80000000 && n <= 0x7fffffff ? n : null;
}

/** A console escape is one character, or ^ and a control letter (^] by default). */
function validEscape(e: string): boolean {
  if (e.length === 1) return e !== '^';
  if (e.length !== 2 || e[0] !== '^') return false;
  // Control keys are named by a letter in either case, or one of @ [ \ ] ^ _ (virsh accepts ^a too).
  const code = e[1]!.toUpperCase().charCodeAt(0);
  return code >= 0x40 && code <= 0x5f;
}

function apply(o: GlobalOptions, spec: Spec, value: string | undefined, usedLong: boolean): void {
  const shown = (longName: string): string => (usedLong ? `--${longName}` : `-${spec.short}`);
  switch (spec.short) {
    case 'c': o.uri = value; break;
    case 'd': {
      const n = toInt(value ?? '', false);
      if (n === null) throw new GlobalsError(`option ${shown('debug')} takes a numeric argument`);
      if (n < 0 || n > 4) o.warnings.push(`ignoring debug level ${n} out of range [0-4]`);
      else o.debug = n;
      break;
    }
    case 'e':
      if (!validEscape(value ?? '')) throw new GlobalsError(`Invalid string '${value ?? ''}' for escape sequence`);
      o.escape = value as string;
      break;
    case 'h': if (o.action === 'run') o.action = 'help'; break;
    case 'k':
    case 'K': {
      const name = spec.long;
      const n = toInt(value ?? '', true);
      if (n === null) throw new GlobalsError(`Invalid value for option ${shown(name)}`);
      if (n < 0) throw new GlobalsError(`option ${shown(name)} requires a positive integer argument`);
      if (spec.short === 'k') o.keepaliveInterval = n;
      else o.keepaliveCount = n;
      break;
    }
    case 'l': o.logFile = value; break;
    case 'q': o.quiet = true; break;
    case 'r': o.readonly = true; break;
    case 't': o.timing = true; break;
    // Like virsh: `--version=long` is long, any other value (or none) is short.
    case 'v': if (o.action === 'run') o.action = value === 'long' ? 'version-long' : 'version-short'; break;
    case 'V': if (o.action === 'run') o.action = 'version-long'; break;
  }
}

function findLong(name: string, arg: string): Spec {
  const exact = SPECS.find((s) => s.long !== '' && s.long === name);
  if (exact !== undefined) return exact;
  const prefixed = SPECS.filter((s) => s.long !== '' && s.long.startsWith(name));
  if (prefixed.length !== 1 || name === '') throw new GlobalsError(`unsupported option '${arg}'. See --help.`);
  return prefixed[0] as Spec;
}

function missing(spec: Spec): GlobalsError {
  return new GlobalsError(spec.long === '' ? `option '-${spec.short}' requires an argument` : `option '-${spec.short}'/'--${spec.long}' requires an argument`);
}

/** Parse the global options; the first non-option word and everything after it is the command. */
export function parseGlobals(argv: readonly string[]): GlobalOptions {
  const o: GlobalOptions = { quiet: false, readonly: false, timing: false, escape: '^]', action: 'run', warnings: [], rest: [] };
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const spec = findLong(eq < 0 ? arg.slice(2) : arg.slice(2, eq), arg);
      let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.arg === 'none' && value !== undefined) throw new GlobalsError(`unsupported option '${arg}'. See --help.`);
      if (spec.arg === 'required' && value === undefined) {
        if (i + 1 >= argv.length) throw missing(spec);
        value = argv[++i];
      }
      apply(o, spec, value, true);
      // virsh exits at -h/-v as soon as getopt reaches it, before looking at later options.
      if (o.action !== 'run') return o;
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j] as string;
        const spec = SPECS.find((s) => s.short === ch);
        if (spec === undefined) throw new GlobalsError(`unsupported option '-${ch}'. See --help.`);
        if (spec.arg !== 'required') {
          // A short -v never takes a value: only --version=TYPE does.
          apply(o, spec, undefined, false);
          if (o.action !== 'run') return o;
          continue;
        }
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) throw missing(spec);
          value = argv[++i] as string;
        }
        apply(o, spec, value, false);
        break;
      }
      i++;
      continue;
    }
    break;
  }
  o.rest = argv.slice(i);
  return o;
}
