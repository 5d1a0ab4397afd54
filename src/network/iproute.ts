/**
 * iproute2 (`ip`) as typed calls: argument arrays in, `ip -json` output parsed into typed values
 * at the edge. The only module of the network driver that runs `ip`.
 */
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';
import { parseSubnet, type IpFamily, type Subnet } from './ip.js';

/** Run `ip ARGS`; a failure becomes OPERATION_FAILED naming what was attempted and ip's message. */
export async function ip(args: readonly string[], what: string): Promise<string> {
  let r;
  try {
    r = await run('ip', args, { timeoutMs: 30_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new VireoError('NO_SUPPORT', `cannot ${what}: ip (iproute2) is not installed`, { hint: 'install iproute2', cause: e });
    throw e;
  }
  if (r.code !== 0) throw VireoError.of('OPERATION_FAILED', `cannot ${what}: ${firstLine(r.stderr) || `ip exited with ${r.code ?? r.signal}`}`);
  return r.stdout;
}

const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';

export interface LinkStats {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface LinkInfo {
  name: string;
  index: number;
  mtu: number;
  mac: string | undefined;
  /** Administratively up (`ip link set up`). */
  up: boolean;
  /** The kernel's RFC 2863 state: UP, DOWN, UNKNOWN, LOWERLAYERDOWN... */
  operstate: string;
  /** The bridge (or bond) this device is a port of. */
  master: string | undefined;
  /** `ip -d`'s info_kind: bridge, tun, veth...; undefined for physical devices. */
  kind: string | undefined;
  /** For tun/tap devices: their type and owner. */
  tun: { type: string; persist: boolean; multiQueue: boolean; user: string | undefined; group: string | undefined } | undefined;
  stats: LinkStats | undefined;
}

/** `ip -json` output, read defensively: a value as an object, a string or nothing. */
export const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** The array `ip -json` printed; INTERNAL naming `what` when it printed something else. */
export function parseJsonArray(text: string, what: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch (e) {
    throw new VireoError('INTERNAL', `ip printed JSON that cannot be parsed while reading ${what}`, { cause: e });
  }
  if (!Array.isArray(v)) throw new VireoError('INTERNAL', `ip printed an unexpected JSON value while reading ${what}`);
  return v;
}

function toLink(v: unknown): LinkInfo {
  const o = obj(v);
  const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
  const info = obj(o.linkinfo);
  const data = obj(info.info_data);
  const s = o.stats64 === undefined ? undefined : obj(o.stats64);
  const rx = obj(s?.rx);
  const tx = obj(s?.tx);
  return {
    name: str(o.ifname) ?? '',
    index: num(o.ifindex),
    mtu: num(o.mtu),
    mac: str(o.address),
    up: flags.includes('UP'),
    operstate: str(o.operstate) ?? 'UNKNOWN',
    master: str(o.master),
    kind: str(info.info_kind),
    tun: str(info.info_kind) === 'tun'
      ? { type: str(data.type) ?? 'tun', persist: data.persist === true, multiQueue: data.multi_queue === true, user: str(data.user), group: str(data.group) }
      : undefined,
    stats: s === undefined ? undefined : {
      rxBytes: num(rx.bytes), rxPackets: num(rx.packets), rxErrors: num(rx.errors), rxDropped: num(rx.dropped),
      txBytes: num(tx.bytes), txPackets: num(tx.packets), txErrors: num(tx.errors), txDropped: num(tx.dropped),
    },
  };
}

/** Every network device of this namespace, with details (kind, master, tun owner). */
export async function listLinks(): Promise<LinkInfo[]> {
  return parseJsonArray(await ip(['-json', '-details', 'link', 'show'], 'list network devices'), 'devices').map(toLink);
}

/** One device with details and statistics; undefined when there is none of that name. */
export async function getLink(name: string): Promise<LinkInfo | undefined> {
  const r = await run('ip', ['-json', '-details', '-statistics', 'link', 'show', 'dev', name], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    if (/does not exist/.test(r.stderr)) return undefined;
    throw VireoError.of('OPERATION_FAILED', `cannot read device ${name}: ${firstLine(r.stderr)}`);
  }
  return parseJsonArray(r.stdout, name).map(toLink)[0];
}

export interface RouteInfo {
  family: IpFamily;
  /** The destination; undefined for the default route. */
  dst: Subnet | undefined;
  dev: string | undefined;
  gateway: string | undefined;
  /** kernel, boot, static, ... */
  protocol: string | undefined;
}

/** The routes of the main table (the table libvirt compares a new network's subnets with). */
export async function listRoutes(family: IpFamily): Promise<RouteInfo[]> {
  const out = await ip([family === 'ipv4' ? '-4' : '-6', '-json', 'route', 'show', 'table', 'main'], 'list routes');
  return parseJsonArray(out, 'routes').map((v) => {
    const o = obj(v);
    const dst = str(o.dst);
    return {
      family,
      dst: dst === undefined || dst === 'default' ? undefined : parseSubnet(dst),
      dev: str(o.dev),
      gateway: str(o.gateway),
      protocol: str(o.protocol),
    };
  });
}
