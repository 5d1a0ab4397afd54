/**
 * domiftune: list or change a guest NIC's bandwidth limits, with virsh 9.0's options and listing
 * (`inbound.average: N` ..., the name padded to 15 columns, in libvirt's order).
 */
import type { IfTuneInfo, IfTuneRate, IfTuneRequest } from '../../api/types.js';
import { attempt, CmdFailure, fail } from '../errors.js';
import { checkImpact, domainOpt, impact, rateFields } from './devices.js';
import type { Args, CommandDef, Ctx } from './types.js';
import { flag } from './opts.js';

/** One direction as virsh sends it: all of it (what it leaves out is 0), peak or burst without an average refused. */
function rate(dir: 'inbound' | 'outbound', text: string): IfTuneRate {
  const [average, peak, burst, floor] = rateFields(dir, text);
  if (average === 0 && floor === 0 && (peak > 0 || burst > 0)) fail(`either ${dir} average or floor is mandatory`);
  return dir === 'inbound' ? { average, peak, burst, floor } : { average, peak, burst };
}

/** The listing, as virsh prints it. */
export function formatIfTune(t: IfTuneInfo): string {
  const line = (k: string, v: number): string => `${k.padEnd(15)}: ${v}\n`;
  return [
    line('inbound.average', t.inbound.average), line('inbound.peak', t.inbound.peak), line('inbound.burst', t.inbound.burst),
    line('inbound.floor', t.inbound.floor ?? 0),
    line('outbound.average', t.outbound.average), line('outbound.peak', t.outbound.peak), line('outbound.burst', t.outbound.burst),
  ].join('');
}

async function domiftune(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const iface = args.need('interface');
  checkImpact(args);
  const inbound = args.str('inbound');
  const outbound = args.str('outbound');
  const r: IfTuneRequest = { iface };
  if (inbound !== undefined) r.inbound = rate('inbound', inbound);
  if (outbound !== undefined) r.outbound = rate('outbound', outbound);
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  if (inbound !== undefined || outbound !== undefined) {
    await attempt(ref, 'Unable to set interface parameters', () => c.setIfTune(ref, { ...r, ...f }));
    return;
  }
  // virsh asks for the number of parameters first: flags it cannot take, or a guest that is not running, fail there.
  if (f.live === true && f.config === true) {
    fail('Unable to get number of interface parameters', "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
  }
  const t = await attempt(ref, null, () => c.ifTune(ref, iface, f)).catch((e: unknown) => {
    const lines = e instanceof CmdFailure ? e.lines : [String(e)];
    if (lines[0]?.startsWith('failed to get domain') === true) throw e;
    const first = lines[0]?.endsWith('domain is not running') === true ? 'Unable to get number of interface parameters' : 'Unable to get interface parameters';
    return fail(first, ...lines);
  });
  if (args.bool('json')) return ctx.json(t);
  ctx.print(formatIfTune(t));
}

export const iftuneCommands: readonly CommandDef[] = [
  {
    name: 'domiftune', group: 'domain', writes: true, json: true,
    help: 'get/set parameters of a virtual interface',
    desc: "Get/set parameters of a domain's virtual interface: its bandwidth limits, as average,peak,burst[,floor]\n"
      + '(kilobytes per second, burst in kibibytes; floor inbound only). Without --inbound or --outbound, list them\n'
      + "(the running guest's, or the stored definition's with --config); a direction given replaces that\n"
      + "direction's limits (0 removes them), put on the guest's tap with tc (inbound) and nftables (outbound).",
    opts: [
      domainOpt,
      { name: 'interface', type: 'data', required: true, help: 'interface device (MAC Address)' },
      { name: 'inbound', type: 'string', help: "control domain's incoming traffics" },
      { name: 'outbound', type: 'string', help: "control domain's outgoing traffics" },
      flag('config', 'affect next boot'),
      flag('live', 'affect running domain'),
      flag('current', 'affect current domain'),
    ],
    run: domiftune,
  },
];
