/** Host and Hypervisor commands: version, uri. */
import { attempt } from '../errors.js';
import { formatVersion } from '../format.js';
import { VERSION } from '../version.js';
import type { CommandDef } from './types.js';

export const hostCommands: readonly CommandDef[] = [
  {
    name: 'version', group: 'host', json: true,
    help: 'print the versions of vireo and QEMU',
    desc: 'Print the version of this command line tool, of the daemon\'s API and of the QEMU it runs.',
    opts: [{ name: 'daemon', type: 'bool', help: 'also print the daemon\'s version' }],
    async run(ctx, args) {
      const c = await ctx.client();
      // Ask first, print after: a daemon that is down must give only the connection error lines.
      const host = await attempt(null, null, () => c.host());
      if (args.bool('json')) {
        ctx.json({ client: VERSION, daemon: host.version, hypervisor: host.hypervisor === null ? null : { name: host.hypervisor.name, version: host.hypervisor.version } });
        return;
      }
      ctx.print(formatVersion(host, VERSION, args.bool('daemon')));
    },
  },
  {
    name: 'uri', group: 'host', json: true,
    help: 'print the canonical URI of the connection',
    desc: 'Print the URI of the daemon this session talks to, in its canonical form.',
    opts: [],
    async run(ctx, args) {
      const c = await ctx.client();
      // virsh connects before it answers, so `uri` doubles as "is the daemon up?" in scripts.
      await attempt(null, null, () => c.host());
      if (args.bool('json')) ctx.json({ uri: c.uri });
      else ctx.print(c.uri + '\n');
    },
  },
];
