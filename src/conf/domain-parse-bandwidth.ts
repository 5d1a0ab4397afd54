/**
 * <bandwidth> of an <interface>: its inbound (to the guest) and outbound (from the guest) limits,
 * parsed as libvirt checks them (average or floor mandatory, floor inbound only, and only on a
 * NIC of a virtual network), with libvirt's messages. Values of 0 are dropped as libvirt drops
 * them, so a direction left with nothing is no limit at all.
 */
import { VireoError } from '../api/errors.js';
import type { Bandwidth, BandwidthRate } from './domain-model.js';
import type { XNode } from './xml-reader.js';

const FIELDS = ['average', 'peak', 'burst', 'floor'] as const;

/** The largest value vireo takes: what a JavaScript number holds exactly (libvirt takes 64 bits). */
export const BANDWIDTH_MAX = Number.MAX_SAFE_INTEGER;

function rate(node: XNode, dir: 'inbound' | 'outbound'): BandwidthRate | undefined {
  node.check({ attrs: [...FIELDS] });
  if (dir === 'outbound' && node.attr('floor') !== undefined) {
    throw VireoError.of('CONFIG_UNSUPPORTED', "'floor' attribute allowed only in <inbound> element");
  }
  const out: BandwidthRate = {};
  for (const f of FIELDS) {
    const text = node.attr(f);
    if (text === undefined) continue;
    const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n > BANDWIDTH_MAX) {
      throw VireoError.of('CONFIG_UNSUPPORTED', `could not convert bandwidth ${f} value '${text}'`);
    }
    if (n > 0) out[f] = n;
  }
  if (node.attr('average') === undefined && node.attr('floor') === undefined) {
    throw VireoError.of('XML_INVALID', 'Missing mandatory average or floor attributes');
  }
  return out.average === undefined && out.floor === undefined ? undefined : out;
}

/** One <bandwidth>; undefined when it limits nothing. `nicType`: the NIC's type (floor needs 'network'). */
export function parseBandwidth(node: XNode, nicType: string): Bandwidth | undefined {
  node.check({ one: ['inbound', 'outbound'] });
  const bw: Bandwidth = {};
  const inbound = node.child('inbound');
  const outbound = node.child('outbound');
  if (inbound !== undefined) {
    const r = rate(inbound, 'inbound');
    if (r !== undefined) bw.inbound = r;
  }
  if (outbound !== undefined) {
    const r = rate(outbound, 'outbound');
    if (r !== undefined) bw.outbound = r;
  }
  if (bw.inbound?.floor !== undefined && nicType !== 'network') {
    throw VireoError.of('CONFIG_UNSUPPORTED', 'floor attribute is not supported for this config');
  }
  return bw.inbound === undefined && bw.outbound === undefined ? undefined : bw;
}
