/** A tap's traffic counters from sysfs (/sys/class/net/NAME/statistics), for domifstat and domstats. */
import * as path from 'node:path';
import type { LinkStats } from './iproute.js';
import { readSmallFile } from '../util/small-file.js';

const FIELDS: ReadonlyArray<[keyof LinkStats, string]> = [
  ['rxBytes', 'rx_bytes'], ['rxPackets', 'rx_packets'], ['rxErrors', 'rx_errors'], ['rxDropped', 'rx_dropped'],
  ['txBytes', 'tx_bytes'], ['txPackets', 'tx_packets'], ['txErrors', 'tx_errors'], ['txDropped', 'tx_dropped'],
];

/** The host's counters of link `name` (as the host sees them), or undefined when it does not exist. */
export async function linkCounters(name: string, root = '/'): Promise<LinkStats | undefined> {
  const dir = path.join(root, 'sys/class/net', name, 'statistics');
  const out: Partial<LinkStats> = {};
  try {
    await Promise.all(FIELDS.map(async ([k, f]) => {
      out[k] = Number((await readSmallFile(path.join(dir, f))).trim());
    }));
  } catch {
    return undefined;
  }
  return out as LinkStats;
}
