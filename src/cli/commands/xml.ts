/** XML conversion commands: domxml-to-native (the QEMU command line of a domain XML). */
import { attempt, fail } from '../errors.js';
import { readXmlFile } from './domain.js';
import type { CommandDef } from './types.js';

export const xmlCommands: readonly CommandDef[] = [
  {
    name: 'domxml-to-native', group: 'domain',
    help: 'convert domain XML to a QEMU command line',
    desc: 'Print the command line vireod would start QEMU with for the XML in a file (or for a defined domain with --domain): its environment, the emulator and every argument, on one line.',
    opts: [
      { name: 'format', type: 'data', required: true, help: "the native format; only 'qemu-argv'" },
      { name: 'xml', type: 'data', help: 'file holding the domain XML' },
      { name: 'domain', type: 'string', namedOnly: true, help: 'a defined domain (name, id or UUID) instead of a file' },
    ],
    async run(ctx, args) {
      const format = args.need('format');
      const file = args.str('xml');
      const domain = args.str('domain');
      if ((file === undefined) === (domain === undefined)) fail("exactly one of option --xml or --domain is required");
      const xml = file === undefined ? undefined : await readXmlFile(file);
      const c = await ctx.client();
      const convert = c.domxmlToNative;
      if (convert === undefined) fail('this connection cannot convert domain XML');
      const native = await attempt(domain ?? null, null, () => convert.call(c, format, xml !== undefined ? { xml } : { domain: domain as string }));
      ctx.print(`${native}\n`);
    },
  },
];
