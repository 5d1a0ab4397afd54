/**
 * Firewall rules of virtual networks in nftables, in vireo's own table (`table inet vireo`) only:
 * nothing vireod did not write is read or changed. Each network has its own base chains, named
 * after its bridge (fwd-BR, nat-BR, in-BR, out-BR), added in one nft transaction and deleted in
 * one, so a network's rules come and go whole and exactly.
 *
 * The rules are what libvirt 9.0 installs with iptables, per forward mode: nat masquerades the
 * subnet to non-local destinations (ports 1024-65535 for TCP and UDP) and lets only replies back
 * in; route forwards both ways without NAT; isolated rejects all forwarding to and from the
 * bridge; open installs nothing. Guests on one bridge always reach each other; DNS and DHCP to
 * the host and DHCP replies back are accepted.
 */
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';
import { checkIfname } from './bridge.js';
import { formatIp, formatSubnet, mustParseIp, subnetOf, type Subnet } from './ip.js';
import type { NetworkSpec } from './types.js';

export const TABLE = 'vireo';
const KINDS = ['fwd', 'nat', 'in', 'out'] as const;

/** The chains a network's rules live in. */
export const chainsOf = (bridge: string): string[] => KINDS.map((k) => `${k}-${bridge}`);

// An nft string cannot hold a double quote or a backslash: keep the comment to plain characters.
const comment = (network: string): string => `"vireo network ${network.replace(/[^A-Za-z0-9 _.:+@-]/g, '_').slice(0, 100)}"`;

/** The nft commands that add a network's chains and rules (empty for an open network). Pure. */
export function firewallScript(spec: NetworkSpec): string {
  const mode = spec.forward.mode;
  if (mode === 'open') return '';
  const br = spec.bridge.name;
  checkIfname(br, 'bridge name');
  const dev = spec.forward.dev;
  if (dev !== undefined) checkIfname(dev, 'forward device');
  const subnets: Subnet[] = spec.ips.map((i) => subnetOf(mustParseIp(i.address, 'network address'), i.prefix));
  const v4 = subnets.filter((s) => s.family === 'ipv4');
  const v6 = subnets.filter((s) => s.family === 'ipv6');
  const nat = spec.forward.nat ?? {};
  const natV6 = nat.ipv6 === true;
  const q = (s: string): string => `"${s}"`;
  const L: string[] = [`add table inet ${TABLE}`];
  const chain = (kind: string, hook: string, type = 'filter', prio = 'filter'): string => {
    const name = `${kind}-${br}`;
    L.push(`add chain inet ${TABLE} ${name} { type ${type} hook ${hook} priority ${prio}; policy accept; comment ${comment(spec.name)}; }`);
    return name;
  };
  const rule = (c: string, r: string): number => L.push(`add rule inet ${TABLE} ${c} ${r}`);
  const fam = (s: Subnet): string => (s.family === 'ipv4' ? 'ip' : 'ip6');
  const inDev = dev === undefined ? '' : `iifname ${q(dev)} `;
  const outDev = dev === undefined ? '' : ` oifname ${q(dev)}`;

  const fwd = chain('fwd', 'forward');
  rule(fwd, `iifname ${q(br)} oifname ${q(br)} accept`);
  if (mode === 'nat' || mode === 'route') {
    // Into the network: replies only when it is masqueraded, anything for its subnet when routed.
    for (const s of subnets) {
      const masq = mode === 'nat' && (s.family === 'ipv4' || natV6);
      rule(fwd, `${inDev}oifname ${q(br)} ${fam(s)} daddr ${formatSubnet(s)}${masq ? ' ct state related,established' : ''} accept`);
    }
  }
  rule(fwd, `oifname ${q(br)} reject`);
  if (mode === 'nat' || mode === 'route') {
    for (const s of subnets) rule(fwd, `iifname ${q(br)} ${fam(s)} saddr ${formatSubnet(s)}${outDev} accept`);
  }
  rule(fwd, `iifname ${q(br)} reject`);

  const masqueraded = mode === 'nat' ? [...v4, ...(natV6 ? v6 : [])] : [];
  if (masqueraded.length > 0) {
    const c = chain('nat', 'postrouting', 'nat', 'srcnat');
    const ports = `${nat.portStart ?? 1024}-${nat.portEnd ?? 65535}`;
    const start = nat.addressStart === undefined ? undefined : formatIp(mustParseIp(nat.addressStart, 'NAT address start', 'ipv4'));
    const end = nat.addressEnd === undefined ? start : formatIp(mustParseIp(nat.addressEnd, 'NAT address end', 'ipv4'));
    const addrs = start === undefined ? '' : start === end ? start : `${start}-${end}`;
    for (const s of masqueraded) {
      const f = fam(s);
      const from = `${f} saddr ${formatSubnet(s)}`;
      const to = `${from} ${f} daddr != ${formatSubnet(s)}${outDev}`;
      // Local multicast and broadcast are never translated.
      if (f === 'ip') {
        rule(c, `${from} ip daddr 224.0.0.0/24${outDev} return`);
        rule(c, `${from} ip daddr 255.255.255.255${outDev} return`);
      } else rule(c, `${from} ip6 daddr ff00::/8${outDev} return`);
      const target = (withPorts: boolean): string =>
        addrs === '' || f === 'ip6' ? `masquerade${withPorts ? ` to :${ports}` : ''}` : `snat ip to ${addrs}${withPorts ? `:${ports}` : ''}`;
      rule(c, `meta l4proto tcp ${to} ${target(true)}`);
      rule(c, `meta l4proto udp ${to} ${target(true)}`);
      rule(c, `${to} ${target(false)}`);
    }
  }

  // The host's DNS and DHCP (and DHCPv6) for the guests, and the DHCP replies going back.
  const inp = chain('in', 'input');
  rule(inp, `iifname ${q(br)} udp dport { 53, 67 } accept`);
  rule(inp, `iifname ${q(br)} tcp dport { 53, 67 } accept`);
  if (v6.length > 0) rule(inp, `iifname ${q(br)} udp dport 547 accept`);
  const out = chain('out', 'output');
  rule(out, `oifname ${q(br)} udp dport { 53, 68 } accept`);
  rule(out, `oifname ${q(br)} tcp dport { 53, 68 } accept`);
  if (v6.length > 0) rule(out, `oifname ${q(br)} udp dport 546 accept`);
  return L.join('\n') + '\n';
}

async function nft(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    return await run('nft', args, input === undefined ? { timeoutMs: 30_000 } : { input, timeoutMs: 30_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new VireoError('NO_SUPPORT', 'cannot set up the network\'s firewall rules: nft is not installed', { hint: 'install nftables', cause: e });
    throw e;
  }
}

/** Apply nft commands as one transaction: all of them or none. */
export async function nftApply(script: string, what: string): Promise<void> {
  const r = await nft(['-f', '-'], script);
  if (r.code !== 0) throw VireoError.of('OPERATION_FAILED', `cannot ${what}: ${r.stderr.trim().split('\n')[0] ?? `nft exited with ${r.code}`}`);
}

/** The chains in vireo's table (none when the table does not exist). */
export async function listChains(): Promise<string[]> {
  const r = await nft(['-j', 'list', 'chains', 'inet']);
  if (r.code !== 0) throw VireoError.of('OPERATION_FAILED', `cannot list firewall chains: ${r.stderr.trim()}`);
  let items: unknown[];
  try {
    const v = JSON.parse(r.stdout || '{"nftables":[]}') as { nftables?: unknown[] };
    items = Array.isArray(v.nftables) ? v.nftables : [];
  } catch (e) {
    throw new VireoError('INTERNAL', 'nft printed JSON that cannot be parsed', { cause: e });
  }
  const out: string[] = [];
  for (const it of items) {
    const c = (it as { chain?: { family?: unknown; table?: unknown; name?: unknown } }).chain;
    if (c?.family === 'inet' && c.table === TABLE && typeof c.name === 'string') out.push(c.name);
  }
  return out;
}

// One firewall change at a time: removing a network's chains may delete the table, which must
// not race with another network adding its own to it.
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const p = queue.then(fn);
  queue = p.catch(() => undefined);
  return p;
}

const deleteChains = (names: readonly string[]): string =>
  names.map((c) => `flush chain inet ${TABLE} ${c}\ndelete chain inet ${TABLE} ${c}\n`).join('');

/** Install a network's rules, replacing any it had (one transaction). Nothing for an open network. */
export function addFirewall(spec: NetworkSpec): Promise<void> {
  const script = firewallScript(spec);
  return serial(async () => {
    const existing = (await listChains()).filter((c) => chainsOf(spec.bridge.name).includes(c));
    if (script === '' && existing.length === 0) return;
    await nftApply(deleteChains(existing) + script, `install the firewall rules of network ${spec.name}`);
  });
}

/** Remove a network's rules (one transaction), and vireo's table once it holds nothing else. */
export function removeFirewall(bridge: string): Promise<void> {
  return serial(async () => {
    const all = await listChains();
    const mine = all.filter((c) => chainsOf(bridge).includes(c));
    if (mine.length === 0) return;
    const rest = all.length - mine.length;
    await nftApply(deleteChains(mine) + (rest === 0 ? `delete table inet ${TABLE}\n` : ''), `remove the firewall rules of bridge ${bridge}`);
  });
}

/** True when the network's rules are in place (a host firewall reload may have flushed them). */
export async function hasFirewall(bridge: string): Promise<boolean> {
  return (await listChains()).includes(`fwd-${bridge}`);
}
