/** The shell's own commands (virsh's "Virsh itself" group): help, echo, connect, cd, pwd, quit, exit. */
import { fail, strerror } from '../errors.js';
import type { CommandDef } from './types.js';

/** Quote a word for a POSIX shell only when it holds a character the shell would act on. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** Escape text for an XML document; control characters XML cannot carry are dropped. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const quit = (name: string): CommandDef => ({
  name, group: 'vireo', noConnect: true,
  help: 'leave the interactive terminal',
  desc: 'Leave the shell; in a list of commands, run none of the ones after it.',
  opts: [],
  async run(ctx) {
    ctx.quit();
  },
});

export const shellCommands: readonly CommandDef[] = [
  {
    name: 'help', group: 'vireo', noConnect: true, lenient: true,
    help: 'print help',
    desc: 'Print the list of commands by group, the commands of one group, or the manual of one command.',
    opts: [{ name: 'command', type: 'string', help: 'a command name, or a group keyword such as domain or monitor' }],
    async run(ctx, args) {
      const name = args.str('command');
      const { allHelp, commandHelp, groupHelp } = await import('../help.js');
      if (name === undefined) {
        ctx.print(allHelp(ctx.table));
        return;
      }
      const def = ctx.table.find(name);
      if (def !== undefined) {
        ctx.print(commandHelp(def));
        return;
      }
      const group = ctx.table.findGroup(name);
      if (group === undefined) fail(`command or command group '${name}' doesn't exist`);
      ctx.print(groupHelp(ctx.table, group));
    },
  },
  {
    name: 'echo', group: 'vireo', noConnect: true, unterminated: true,
    help: 'print its arguments',
    desc: 'Print the arguments separated by spaces, optionally quoted for a shell or escaped for XML.\nUseful to see how a command line is split into words.',
    opts: [
      { name: 'shell', type: 'bool', help: 'quote each argument for a POSIX shell' },
      { name: 'xml', type: 'bool', help: 'escape each argument for XML' },
      { name: 'err', type: 'bool', help: 'print to stderr, as an error line' },
      { name: 'string', type: 'argv', emptyOk: true, help: 'the words to print' },
    ],
    async run(ctx, args) {
      if (args.bool('shell') && args.bool('xml')) fail('Options --shell and --xml are mutually exclusive');
      const words = args.list('string').map((w) => {
        const x = args.bool('xml') ? xmlEscape(w) : w;
        return args.bool('shell') ? shellQuote(x) : x;
      });
      if (words.length === 0) return;
      if (args.bool('err')) ctx.error(words.join(' '));
      else ctx.print(words.join(' '));
    },
  },
  {
    name: 'connect', group: 'vireo', noConnect: true,
    help: '(re)connect to a daemon',
    desc: 'Connect to the daemon at the given URI, or again to the current one. Later commands use this connection.',
    opts: [
      { name: 'name', type: 'string', help: 'the daemon\'s URI, e.g. vireo:///system or vireo+unix:///system?socket=PATH' },
      { name: 'readonly', type: 'bool', help: 'refuse every command that would change something' },
    ],
    async run(ctx, args) {
      await ctx.reconnect(args.str('name'), args.bool('readonly'));
    },
  },
  {
    name: 'cd', group: 'vireo', noConnect: true,
    help: 'change the current directory',
    desc: 'Change the directory relative file names are read from. Only in the interactive shell.',
    opts: [{ name: 'dir', type: 'string', help: 'the new directory (default: the home directory, else /)' }],
    async run(ctx, args) {
      if (!ctx.interactive) fail('cd: command valid only in interactive mode');
      const dir = args.str('dir') ?? ((await import('node:os')).homedir() || '/');
      try {
        process.chdir(dir);
      } catch (e) {
        fail(`cd: ${strerror(e)}: ${dir}`);
      }
    },
  },
  {
    name: 'pwd', group: 'vireo', noConnect: true,
    help: 'print the current directory',
    desc: 'Print the directory relative file names are read from.',
    opts: [],
    async run(ctx) {
      ctx.print(process.cwd() + '\n');
    },
  },
  quit('quit'),
  quit('exit'),
];
