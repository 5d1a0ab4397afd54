/**
 * A guest NIC's <bandwidth> on its host tap, as libvirt applies it. Inbound (traffic to the
 * guest) leaves the host through the tap, so it is shaped there: an htb root qdisc whose one
 * class has the average rate (peak as its ceiling, burst), with an sfq leaf for fairness between
 * flows. Outbound (traffic from the guest) arrives on the tap and can only be policed: packets
 * over the average rate (burst: the bucket's size) are dropped at the tap's ingress.
 *
 * Where vireo differs from libvirt, and why: libvirt polices with tc's `police` action and fails
 * the guest's start on a kernel without it or without sfq (this machine's kernel has neither).
 * vireo polices with an nftables netdev ingress chain (`limit rate over ... drop`: the same token
 * bucket at the same hook; nf_tables is what vireo's networks need anyway), and leaves htb's own
 * FIFO as the leaf where the kernel has no sfq (the rate is the class's either way). libvirt's
 * `fw` filter on the root qdisc only matters for a network's floor, which vireo refuses.
 *
 * Units are libvirt's, passed on as libvirt passes them to tc: rates in tc's kbps (1000 bytes/s),
 * bursts in kb (1024 bytes).
 */
import { VireoError } from '../api/errors.js';
import type { Bandwidth, BandwidthRate } from '../conf/domain-model.js';
import { run } from '../util/proc.js';

/** The nftables table that holds one ingress chain per policed tap. */
export const POLICE_TABLE = 'vireo_bw';

/**
 * HTB's quantum for a class, as libvirt picks it: the bytes a class may send in one round, from
 * its rate (in tc's kbps) over a 1500-byte MTU, never 0 (a small rate would leave HTB's default,
 * rate / r2q, below one packet and make the kernel warn).
 */
export function htbQuantum(average: number): number {
  return Math.max(1, Math.floor((average * 1024) / 8 / 1500));
}

/** The tc commands (argument lists) that shape inbound traffic on `dev`; the sfq leaf is the last. */
export function inboundTc(dev: string, r: BandwidthRate): string[][] {
  const average = r.average ?? 0;
  const klass = ['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', `${average}kbps`];
  if (r.peak !== undefined) klass.push('ceil', `${r.peak}kbps`);
  if (r.burst !== undefined) klass.push('burst', `${r.burst}kb`);
  klass.push('quantum', String(htbQuantum(average)));
  return [
    ['qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'],
    klass,
    ['qdisc', 'add', 'dev', dev, 'parent', '1:1', 'handle', '2:', 'sfq', 'perturb', '10'],
  ];
}

/**
 * The policing chain of tap `dev`: nft names take no '-' or '+' (which tap names may have) and
 * no quoting, so those are written as _XX (and '_' as _5f, so no two taps share a chain).
 */
export function policeChain(dev: string): string {
  return `tap_${dev.replace(/[^A-Za-z0-9.]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

/**
 * The nft script that polices outbound traffic on `dev`: its chain replaced as one transaction.
 * Without a burst the bucket holds the average's number of kb, as libvirt tells tc.
 */
export function outboundNft(dev: string, r: BandwidthRate): string {
  const average = r.average ?? 0;
  const burst = r.burst ?? average;
  const chain = `netdev ${POLICE_TABLE} ${policeChain(dev)}`;
  return [
    `add table netdev ${POLICE_TABLE}`,
    `add chain ${chain} { type filter hook ingress device "${dev}" priority 0; policy accept; }`,
    `flush chain ${chain}`,
    // The counter after the limit counts what was dropped: the user's (and the tests') evidence.
    `add rule ${chain} limit rate over ${average * 1000} bytes/second burst ${burst * 1024} bytes counter drop`,
    '',
  ].join('\n');
}

async function tool(cmd: 'tc' | 'nft', args: readonly string[], what: string, input?: string): Promise<{ ok: boolean; err: string }> {
  let r;
  try {
    r = await run(cmd, args, input === undefined ? { timeoutMs: 30_000 } : { input, timeoutMs: 30_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VireoError('NO_SUPPORT', `cannot ${what}: ${cmd} is not installed`, { hint: cmd === 'tc' ? 'install iproute2' : 'install nftables', cause: e });
    }
    throw e;
  }
  return { ok: r.code === 0, err: r.stderr.trim().split('\n')[0] ?? '' };
}

async function must(cmd: 'tc' | 'nft', args: readonly string[], what: string, input?: string): Promise<void> {
  const r = await tool(cmd, args, what, input);
  if (!r.ok) throw VireoError.of('OPERATION_FAILED', `cannot ${what}: ${r.err || `${cmd} failed`}`);
}

/**
 * Remove every limit vireo may have put on `dev` (its qdiscs, its policing chain). Limits that
 * are not there are no error; neither is a tap that is gone.
 */
export async function clearTapBandwidth(dev: string): Promise<void> {
  await tool('tc', ['qdisc', 'del', 'dev', dev, 'root'], `clear the limits of ${dev}`);
  await tool('tc', ['qdisc', 'del', 'dev', dev, 'ingress'], `clear the limits of ${dev}`);
  await dropPolicing(dev);
}

/**
 * Remove the policing chain of `dev`. An nftables netdev chain outlives its device and would
 * take hold of the next device of that name, so this must run whenever a policed tap goes.
 */
export async function dropPolicing(dev: string): Promise<void> {
  await tool('nft', ['delete', 'chain', 'netdev', POLICE_TABLE, policeChain(dev)], `clear the outbound limit of ${dev}`);
}

/** Put `bw` on tap `dev`, replacing what was there (nothing: no limit). */
export async function setTapBandwidth(dev: string, bw: Bandwidth | undefined): Promise<void> {
  await clearTapBandwidth(dev);
  const inbound = bw?.inbound;
  if (inbound?.average !== undefined) {
    const [root, klass, leaf] = inboundTc(dev, inbound) as [string[], string[], string[]];
    await must('tc', root, `limit the inbound traffic of ${dev}`);
    await must('tc', klass, `limit the inbound traffic of ${dev}`);
    const r = await tool('tc', leaf, `limit the inbound traffic of ${dev}`);
    // A kernel without sfq keeps htb's default FIFO leaf: the class's rate still holds.
    if (!r.ok && !/qdisc kind is unknown/i.test(r.err)) throw VireoError.of('OPERATION_FAILED', `cannot limit the inbound traffic of ${dev}: ${r.err}`);
  }
  const outbound = bw?.outbound;
  if (outbound?.average !== undefined) await must('nft', ['-f', '-'], `limit the outbound traffic of ${dev}`, outboundNft(dev, outbound));
}
