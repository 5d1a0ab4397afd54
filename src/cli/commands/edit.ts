/**
 * edit: the user's editor on the stored XML of a domain, then redefine it, as virsh does — with
 * virsh's messages and, on a terminal, its "Failed. Try again?" question when the result is refused.
 * The work is in ../editing.ts, loaded only when edit runs.
 */
import type { CommandDef } from './types.js';

export const editCommands: readonly CommandDef[] = [
  {
    name: 'edit', group: 'domain', writes: true, domainState: 'persistent',
    help: 'edit the XML configuration of a domain',
    desc: 'Open the stored XML of a domain in $VISUAL or $EDITOR (default vi), then define the domain from the result.\n'
      + 'A running domain gets the new definition the next time it starts.',
    opts: [
      { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' },
      { name: 'skip-validate', type: 'bool', help: 'do not check the result against libvirt\'s domain schema' },
    ],
    async run(ctx, args) {
      // Loaded on use: the editor plumbing (temp files, raw keys) is not on every command's path.
      const { runEdit } = await import('../editing.js');
      await runEdit(ctx, args);
    },
  },
];
