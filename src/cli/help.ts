/**
 * Help texts built from the command table, in virsh's layout: the grouped command list of `help`,
 * one group (`help domain`), one command's NAME/SYNOPSIS/DESCRIPTION/OPTIONS page (`help start`)
 * and the usage of `vireo -h`.
 */
import type { CommandDef, CommandTable, GroupDef, OptDef } from './commands/types.js';

/** Whether a positional-capable option comes before the argv one (changes how argv is shown). */
function hasShortOpt(def: CommandDef, upTo: OptDef): boolean {
  for (const o of def.opts) {
    if (o === upTo) return false;
    if ((o.type === 'int' || o.type === 'string' || o.type === 'data') && o.namedOnly !== true) return true;
  }
  return false;
}

function synopsisPart(def: CommandDef, o: OptDef): string {
  switch (o.type) {
    case 'bool': return `[--${o.name}]`;
    case 'int': return o.required === true ? `<${o.name}>` : `[--${o.name} <number>]`;
    case 'string': return o.required === true ? `--${o.name} <string>` : `[--${o.name} <string>]`;
    case 'data': return o.required === true ? `<${o.name}>` : `[<${o.name}>]`;
    case 'argv':
      if (hasShortOpt(def, o)) return o.required === true ? `{[--${o.name}] <string>}...` : `[[--${o.name}] <string>]...`;
      return o.required === true ? `<${o.name}>...` : `[<${o.name}>]...`;
  }
}

function optionLabel(def: CommandDef, o: OptDef): string {
  switch (o.type) {
    case 'bool': return `--${o.name}`;
    case 'int': return o.required === true ? `[--${o.name}] <number>` : `--${o.name} <number>`;
    case 'string': return `--${o.name} <string>`;
    case 'data': return `[--${o.name}] <string>`;
    case 'argv': return hasShortOpt(def, o) ? `[--${o.name}] <string>` : `<${o.name}>`;
  }
}

/** The one-line synopsis, e.g. `start <domain> [--paused]`. */
export function synopsis(def: CommandDef): string {
  return [def.name, ...def.opts.map((o) => synopsisPart(def, o))].join(' ');
}

/** `help CMD`: the command's manual page; it ends with an empty line, as virsh's does. */
export function commandHelp(def: CommandDef): string {
  let s = `  NAME\n    ${def.name} - ${def.help}\n`;
  s += `\n  SYNOPSIS\n    ${synopsis(def)}\n`;
  if (def.desc !== '') s += `\n  DESCRIPTION\n${def.desc.split('\n').map((l) => (l === '' ? '\n' : `    ${l}\n`)).join('')}`;
  if (def.opts.length > 0) {
    s += '\n  OPTIONS\n';
    for (const o of def.opts) s += `    ${optionLabel(def, o).padEnd(15)}  ${o.help}\n`;
  }
  return s + '\n';
}

function groupCommands(table: CommandTable, g: GroupDef): CommandDef[] {
  return table.commands.filter((c) => c.group === g.key);
}

function commandLines(table: CommandTable, g: GroupDef): string {
  return groupCommands(table, g).map((c) => `    ${c.name.padEnd(30)} ${c.help}\n`).join('');
}

function groupTitle(g: GroupDef): string {
  return `${g.title} (help keyword '${g.keywords[0] ?? g.key}')`;
}

/** `help GROUP`: the group's title line and its commands. */
export function groupHelp(table: CommandTable, g: GroupDef): string {
  return ` ${groupTitle(g)}:\n${commandLines(table, g)}`;
}

/** `help` with no argument: every group, each followed by an empty line. */
export function allHelp(table: CommandTable): string {
  return 'Grouped commands:\n\n' + table.groups.map((g) => groupHelp(table, g) + '\n').join('');
}

/** `vireo -h`: how to call the program, its options, and the commands. */
export function usage(table: CommandTable): string {
  let s = `
vireo [options]... [<command_string>]
vireo [options]... <command> [args...]

  options:
    -c | --connect=URI      connect to the daemon at URI (vireo:///system, vireo:///session, ...)
    -d | --debug=NUM        debug level [0-4]
    -e | --escape <char>    escape character of the console (default ^])
    -h | --help             print this help
    -k | --keepalive-interval=NUM
                            accepted for virsh compatibility; vireo's HTTP API needs no keepalive
    -K | --keepalive-count=NUM
                            accepted for virsh compatibility
    -l | --log=FILE         append a log of the commands run and their errors to FILE
    -q | --quiet            quiet mode: no table headers, informational messages or blank lines
    -r | --readonly         refuse every command that would change something
    -t | --timing           print how long each command took
    -v                      print the short version
    -V                      print the long version
         --version[=TYPE]   print the version, TYPE is short or long (default short)
  commands (non interactive mode):

`;
  for (const g of table.groups) s += ` ${groupTitle(g)}\n${commandLines(table, g)}\n`;
  s += '\n  (specify help <group> for details about the commands in the group)\n';
  s += '\n  (specify help <command> for details about the command)\n\n';
  return s;
}
