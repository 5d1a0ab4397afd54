/**
 * dump and screenshot: virsh 9.0's options, refusals, messages and dump's --verbose progress line.
 * A dump's file is a path on the daemon host (made absolute here: vireod's working directory is
 * not the user's); a screenshot comes over the API and is written here, on the client's side, as
 * virsh does.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { attempt, fail } from '../errors.js';
import type { DumpRequest } from '../../api/types.js';
import type { CommandDef } from './types.js';
import { flag } from './opts.js';
import { withProgress } from './save.js';

const FORMATS = ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy'] as const;
type Format = (typeof FORMATS)[number];
const isFormat = (s: string): s is Format => (FORMATS as readonly string[]).includes(s);

export const dumpCommands: readonly CommandDef[] = [
  {
    name: 'dump', group: 'domain', writes: true, domainState: 'active',
    help: 'dump the core of a domain to a file for analysis',
    desc: 'Core dump a domain.',
    opts: [
      { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' },
      { name: 'file', type: 'data', required: true, complete: 'file', help: 'where to dump the core' },
      flag('live', 'perform a live core dump if supported'),
      flag('crash', 'crash the domain after core dump'),
      flag('bypass-cache', 'avoid file system cache when dumping'),
      flag('reset', 'reset the domain after core dump'),
      flag('verbose', 'display the progress of dump'),
      flag('memory-only', "dump domain's memory only"),
      { name: 'format', type: 'string', namedOnly: true, help: 'specify the format of memory-only dump' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const file = args.need('file');
      const memoryOnly = args.bool('memory-only');
      let format: Format | undefined;
      if (args.has('format')) {
        if (!memoryOnly) fail('--format only works with --memory-only');
        const f = args.need('format');
        // virsh also names win-dmp, for Windows guests, which vireo does not write.
        if (!isFormat(f)) fail(`format '${f}' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'`);
        format = f;
      }
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      const context = `Failed to core dump domain '${d.name}' to ${file}`;
      // libvirt refuses the pair in the daemon; the words are its flag names.
      if (args.bool('crash') && args.bool('reset')) fail(context, "Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET' are mutually exclusive");
      const req: DumpRequest = {
        file: path.resolve(file), memoryOnly, live: args.bool('live'), crash: args.bool('crash'), reset: args.bool('reset'),
        bypassCache: args.bool('bypass-cache'), ...(format === undefined ? {} : { format }),
      };
      await attempt(ref, context, () => withProgress(ctx, c, d.uuid, args.bool('verbose'), () => c.dump(d.uuid, req), 'Dump'));
      ctx.extra(`\nDomain '${d.name}' dumped to ${file}\n`);
    },
  },
  {
    name: 'screenshot', group: 'domain', domainState: 'active', writes: true,
    // virsh prints the message without a newline: the separator ends it, with no blank line after.
    unterminated: true,
    help: 'take a screenshot of a current domain console and store it into a file',
    desc: 'screenshot of a current domain console',
    opts: [
      { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' },
      { name: 'file', type: 'string', complete: 'file', help: 'where to store the screenshot' },
      { name: 'screen', type: 'int', namedOnly: true, help: 'ID of a screen to take screenshot of' },
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const screen = args.has('screen') ? Number(args.need('screen')) : undefined;
      if (screen !== undefined && (!Number.isInteger(screen) || screen < 0)) fail('Numeric value for <screen> option is malformed or out of range');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      const shot = await attempt(ref, `could not take a screenshot of ${ref}`, () => c.screenshot(d.uuid, screen));
      const file = args.has('file') ? args.need('file') : defaultName(d.name, shot.mime);
      try {
        await fs.writeFile(file, shot.data, { mode: 0o666 });
      } catch (e) {
        fail(`cannot create file ${file}`, (e as Error).message);
      }
      ctx.extra(`Screenshot saved to ${file}, with type of ${shot.mime}`);
    },
  },
];

/** virsh's default screenshot name: NAME-YYYY-MM-DD-HH:MM:SS.EXT in local time. */
function defaultName(name: string, mime: string): string {
  const t = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const ext = mime === 'image/png' ? '.png' : mime === 'image/x-portable-pixmap' ? '.ppm' : '';
  return `${name}-${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}-${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}${ext}`;
}
