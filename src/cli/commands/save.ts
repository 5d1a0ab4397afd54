/**
 * save, restore, save-image-{dumpxml,define,edit}, managedsave and managedsave-{remove,dumpxml,
 * define,edit}: virsh 9.0's options, messages and progress line. File paths are made absolute
 * here: the daemon opens them, and its working directory is not the user's.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { attempt, fail } from '../errors.js';
import type { Args, CliClient, CommandDef, Ctx, OptDef } from './types.js';
import { flag } from './opts.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' };
const securityOpts: OptDef[] = [
  flag('security-info', 'include security sensitive information in XML dump'),
  { name: 'xpath', type: 'string', namedOnly: true, help: 'xpath expression to filter the XML document (not supported by vireo yet)' },
  flag('wrap', 'wrap xpath results in an common root element'),
];

function runningPaused(args: Args): { running: boolean; paused: boolean } {
  if (args.bool('running') && args.bool('paused')) fail('Options --running and --paused are mutually exclusive');
  return { running: args.bool('running'), paused: args.bool('paused') };
}

function noXpath(args: Args): void {
  if (args.has('xpath')) fail('--xpath is not supported by vireo yet; pipe the XML through xmllint --xpath instead');
}

/** The contents of a --xml FILE (virsh reads it on the client side too). */
export async function readXmlFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`Failed to open file '${file}': ${code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
}

/**
 * Run a save or dump (`work`) with virsh's --verbose progress line on stderr and Ctrl+C as domjobabort.
 * The progress comes from domjobinfo's data (processed/total bytes).
 */
export async function withProgress<T>(ctx: Ctx, c: CliClient, ref: string, verbose: boolean, work: () => Promise<T>, label = 'Save'): Promise<T> {
  const line = (pct: number): void => void process.stderr.write(`\r${label}: [${String(pct).padStart(3)} %]`);
  let timer: NodeJS.Timeout | undefined;
  const poll = async (): Promise<void> => {
    const j = await c.job(ref).catch(() => undefined);
    const p = j?.job?.progress;
    if (p !== undefined && p !== null && p.total > 0) line(Math.min(99, Math.floor((p.processed * 100) / p.total)));
    timer = setTimeout(() => void poll(), 200);
  };
  if (verbose) timer = setTimeout(() => void poll(), 200);
  const release = ctx.onInterrupt(() => void c.abortJob(ref).catch(() => undefined));
  try {
    const r = await work();
    if (verbose) line(100);
    return r;
  } finally {
    release();
    if (timer !== undefined) clearTimeout(timer);
  }
}

const abs = (file: string): string => path.resolve(file);

export const saveCommands: readonly CommandDef[] = [
  {
    name: 'save', group: 'domain', writes: true, domainState: 'active',
    help: 'save a domain state to a file',
    desc: 'Save the RAM state of a running domain.',
    opts: [
      domainOpt,
      { name: 'file', type: 'data', required: true, complete: 'file', help: 'where to save the data' },
      flag('bypass-cache', 'avoid file system cache when saving'),
      { name: 'xml', type: 'string', namedOnly: true, complete: 'file', help: 'filename containing updated XML for the target' },
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
      flag('verbose', 'display the progress of save'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const file = args.need('file');
      const rp = runningPaused(args);
      const xml = args.has('xml') ? await readXmlFile(args.need('xml')) : undefined;
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      await attempt(ref, `Failed to save domain '${d.name}' to ${file}`, () => withProgress(ctx, c, d.uuid, args.bool('verbose'), () =>
        c.save(d.uuid, { file: abs(file), ...rp, ...(xml === undefined ? {} : { xml }), bypassCache: args.bool('bypass-cache') })));
      ctx.extra(`\nDomain '${d.name}' saved to ${file}\n`);
    },
  },
  {
    name: 'restore', group: 'domain', writes: true,
    help: 'restore a domain from a saved state in a file',
    desc: 'Restore a domain.',
    opts: [
      { name: 'file', type: 'data', required: true, complete: 'file', help: 'the state to restore' },
      flag('bypass-cache', 'avoid file system cache when restoring'),
      { name: 'xml', type: 'string', namedOnly: true, complete: 'file', help: 'filename containing updated XML for the target' },
      flag('running', 'restore domain into running state'),
      flag('paused', 'restore domain into paused state'),
      flag('reset-nvram', 're-initialize NVRAM from its pristine template (not supported by vireo yet)'),
    ],
    async run(ctx, args) {
      const file = args.need('file');
      const rp = runningPaused(args);
      if (args.bool('reset-nvram')) fail('--reset-nvram is not supported by vireo yet');
      const xml = args.has('xml') ? await readXmlFile(args.need('xml')) : undefined;
      const c = await ctx.client();
      await attempt(null, `Failed to restore domain from ${file}`, () =>
        c.restore({ file: abs(file), ...rp, ...(xml === undefined ? {} : { xml }), bypassCache: args.bool('bypass-cache') }));
      ctx.extra(`Domain restored from ${file}\n`);
    },
  },
  {
    name: 'save-image-dumpxml', group: 'domain',
    help: 'saved state domain information in XML',
    desc: 'Dump XML of domain information for a saved state file to stdout.',
    opts: [{ name: 'file', type: 'data', required: true, complete: 'file', help: 'saved state file to read' }, ...securityOpts],
    async run(ctx, args) {
      noXpath(args);
      const file = args.need('file');
      const c = await ctx.client();
      ctx.print(ensureNl(await attempt(null, null, () => c.saveImageXml(abs(file), { securityInfo: args.bool('security-info') }))));
    },
  },
  {
    name: 'save-image-define', group: 'domain', writes: true,
    help: "redefine the XML for a domain's saved state file",
    desc: 'Replace the domain XML associated with a saved state file',
    opts: [
      { name: 'file', type: 'data', required: true, complete: 'file', help: 'saved state file to modify' },
      { name: 'xml', type: 'data', required: true, complete: 'file', help: 'filename containing updated XML for the target' },
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
    ],
    async run(ctx, args) {
      const file = args.need('file');
      const rp = runningPaused(args);
      const xml = await readXmlFile(args.need('xml'));
      const c = await ctx.client();
      await attempt(null, `Failed to update ${file}`, () => c.saveImageDefine({ file: abs(file), xml, ...rp }));
      ctx.extra(`State file ${file} updated.\n`);
    },
  },
  {
    name: 'save-image-edit', group: 'domain', writes: true,
    help: "edit XML for a domain's saved state file",
    desc: 'Edit the domain XML associated with a saved state file',
    opts: [
      { name: 'file', type: 'data', required: true, complete: 'file', help: 'saved state file to edit' },
      flag('running', 'set domain to be running on restore'),
      flag('paused', 'set domain to be paused on restore'),
    ],
    async run(ctx, args) {
      const file = args.need('file');
      const rp = runningPaused(args);
      const c = await ctx.client();
      const original = await attempt(null, null, () => c.saveImageXml(abs(file), { securityInfo: true }));
      const { editXml } = await import('../editing.js');
      await editXml(ctx, {
        original, label: `Saved image ${file}`, validate: false, relaxable: false,
        define: async (xml) => {
          await c.saveImageDefine({ file: abs(file), xml, ...rp });
          return `State file ${file} edited.`;
        },
      });
    },
  },
  {
    name: 'managedsave', group: 'domain', writes: true, domainState: 'active',
    help: 'managed save of a domain state',
    desc: 'Save and destroy a running domain, so it can be restarted from\nthe same state at a later time.  When the virsh \'start\'\n'
      + 'command is next run for the domain, it will automatically\nbe started from this saved state.',
    opts: [
      domainOpt,
      flag('bypass-cache', 'avoid file system cache when saving'),
      flag('running', 'set domain to be running on next start'),
      flag('paused', 'set domain to be paused on next start'),
      flag('verbose', 'display the progress of save'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const rp = runningPaused(args);
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      await attempt(ref, `Failed to save domain '${d.name}' state`, () => withProgress(ctx, c, d.uuid, args.bool('verbose'), () =>
        c.managedSave(d.uuid, { ...rp, bypassCache: args.bool('bypass-cache') })));
      ctx.extra(`\nDomain '${d.name}' state saved by libvirt\n`);
    },
  },
  {
    name: 'managedsave-remove', group: 'domain', writes: true,
    help: 'Remove managed save of a domain',
    desc: 'Remove an existing managed save state file from a domain',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (!d.managedSave) {
        ctx.extra(`Domain '${d.name}' has no manage save image; removal skipped\n`);
        return;
      }
      await attempt(ref, `Failed to remove managed save image for domain '${d.name}'`, () => c.managedSaveRemove(d.uuid));
      ctx.extra(`Removed managedsave image for domain '${d.name}'\n`);
    },
  },
  {
    name: 'managedsave-dumpxml', group: 'domain',
    help: 'Domain information of managed save state file in XML',
    desc: 'Dump XML of domain information for a managed save state file to stdout.',
    opts: [domainOpt, ...securityOpts],
    async run(ctx, args) {
      noXpath(args);
      const ref = args.need('domain');
      const c = await ctx.client();
      ctx.print(ensureNl(await attempt(ref, null, () => c.managedSaveXml(ref, { securityInfo: args.bool('security-info') }))));
    },
  },
  {
    name: 'managedsave-define', group: 'domain', writes: true,
    help: "redefine the XML for a domain's managed save state file",
    desc: 'Replace the domain XML associated with a managed save state file',
    opts: [
      domainOpt,
      { name: 'xml', type: 'data', required: true, complete: 'file', help: 'filename containing updated XML for the target' },
      flag('running', 'set domain to be running on start'),
      flag('paused', 'set domain to be paused on start'),
    ],
    async run(ctx, args) {
      const ref = args.need('domain');
      const rp = runningPaused(args);
      const xml = await readXmlFile(args.need('xml'));
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      await attempt(ref, `Failed to update managed save image for domain '${d.name}'`, () => c.managedSaveDefine(d.uuid, { xml, ...rp }));
      ctx.extra(`Managed save state file of domain '${d.name}' updated.\n`);
    },
  },
  {
    name: 'managedsave-edit', group: 'domain', writes: true,
    help: "edit XML for a domain's managed save state file",
    desc: 'Edit the domain XML associated with the managed save state file',
    opts: [domainOpt, flag('running', 'set domain to be running on start'), flag('paused', 'set domain to be paused on start')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const rp = runningPaused(args);
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      const original = await attempt(ref, null, () => c.managedSaveXml(d.uuid, { securityInfo: true }));
      const { editXml } = await import('../editing.js');
      await editXml(ctx, {
        original, label: `Managed save image of domain '${d.name}'`, validate: false, relaxable: false,
        define: async (xml) => {
          await c.managedSaveDefine(d.uuid, { xml, ...rp });
          return `Managed save image of domain '${d.name}' XML configuration edited.`;
        },
      });
    },
  },
];

const ensureNl = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);
