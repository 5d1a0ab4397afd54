/**
 * API routes for the host commands and the domain table commands (nodeinfo, capabilities, domcapabilities, sysinfo, memory and
 * CPU statistics, free memory per cell, maximum vCPUs, host-validate). They read the host's procfs
 * and sysfs; VIREO_HOST_ROOT (for tests only) makes them read a fake tree instead.
 */
import { VireoError } from '../api/errors.js';
import type {
  DescriptionResponse, DomainDevices, DomainJob, DomainSummary, FreeCell, HostCheck, MetadataRequest, ModificationImpact, NodeCpuStats,
  NodeInfo, NodeMemStats, XmlResponse,
} from '../api/types.js';
import type { Daemon } from '../daemon/daemon.js';
import { capabilitiesXml, domainCapabilitiesXml, MAX_VCPUS, sysinfoXml } from '../host/capabilities.js';
import { probeKvm } from '../host/kvm.js';
import { cpuStats, freeCells, memStats, nodeInfo } from '../host/nodeinfo.js';
import { qemuVersion } from '../host/qemu-binary.js';
import { validateHost } from '../host/validate.js';

export interface HostRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: (daemon: Daemon, params: string[], body: Record<string, unknown>, query: URLSearchParams) => Promise<unknown>;
}

/** The root host facts are read under: '/' in production. */
function hostRoot(): string {
  const r = process.env.VIREO_HOST_ROOT;
  return r === undefined || r === '' ? '/' : r;
}

/** A non-negative integer query parameter, or undefined when absent. */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new VireoError('INVALID_ARG', `invalid argument: '${name}' must be a non-negative integer, not '${v}'`);
  return Number(v);
}

/** The KVM status of the host being described: the daemon's own, unless a fake root is read. */
async function kvmOf(daemon: Daemon, root: string): ReturnType<typeof probeKvm> {
  return root === '/' ? daemon.kvm : probeKvm(root.endsWith('/') ? root : `${root}/`);
}

export function hostRoutes(): HostRoute[] {
  const get = (path: string, handler: HostRoute['handler']): HostRoute => ({ method: 'GET', path, handler });
  return [
    get('/v1/host/nodeinfo', async (): Promise<NodeInfo> => nodeInfo(hostRoot())),
    get('/v1/host/cpustats', async (_d, _p, _b, q): Promise<NodeCpuStats> => cpuStats(hostRoot(), intParam(q, 'cpu'))),
    get('/v1/host/memstats', async (_d, _p, _b, q): Promise<NodeMemStats> => memStats(hostRoot(), intParam(q, 'cell'))),
    get('/v1/host/freecells', async (): Promise<FreeCell[]> => freeCells(hostRoot())),
    get('/v1/host/maxvcpus', async (_d, _p, _b, q): Promise<{ max: number }> => {
      const type = q.get('type');
      if (type !== null && type !== 'qemu' && type !== 'kvm') throw new VireoError('INVALID_ARG', `invalid argument: unknown type '${type}'`);
      return { max: MAX_VCPUS };
    }),
    get('/v1/host/capabilities', async (d): Promise<XmlResponse> => {
      const root = hostRoot();
      const q = await qemuVersion().catch(() => undefined);
      return { xml: await capabilitiesXml(root, await kvmOf(d, root), q) };
    }),
    get('/v1/host/domcapabilities', async (d, _p, _b, query): Promise<XmlResponse> => {
      const root = hostRoot();
      const q = await qemuVersion().catch(() => undefined);
      const opt = (k: string): { [key: string]: string } => {
        const v = query.get(k);
        return v === null || v === '' ? {} : { [k]: v };
      };
      return { xml: await domainCapabilitiesXml(root, await kvmOf(d, root), q, { ...opt('emulator'), ...opt('arch'), ...opt('machine'), ...opt('virttype') }) };
    }),
    get('/v1/host/sysinfo', async (): Promise<XmlResponse> => ({ xml: await sysinfoXml(hostRoot()) })),
    get('/v1/host/validate', async (): Promise<HostCheck[]> => validateHost(hostRoot())),
  ];
}

const flag = (q: URLSearchParams, name: string): boolean => q.get(name) === '1';
const impact = (b: Record<string, unknown>): ModificationImpact => ({ live: b.live === true, config: b.config === true });

/** The routes of the table commands (domblklist, domiflist, domdisplay, domjobinfo, desc, metadata, domrename). */
export function domainInfoRoutes(dom: string): HostRoute[] {
  const route = (method: 'GET' | 'POST', path: string, handler: HostRoute['handler']): HostRoute => ({ method, path, handler });
  return [
    route('GET', `${dom}/devices`, async (d, [ref], _b, q): Promise<DomainDevices> => d.domains.devices(ref!, { inactive: flag(q, 'inactive'), securityInfo: flag(q, 'security-info') })),
    route('GET', `${dom}/job`, async (d, [ref]): Promise<DomainJob> => d.domains.job(ref!)),
    route('GET', `${dom}/description`, async (d, [ref], _b, q): Promise<DescriptionResponse> => ({
      text: d.domains.description(ref!, { title: flag(q, 'title'), live: flag(q, 'live'), config: flag(q, 'config') }),
    })),
    route('POST', `${dom}/description`, async (d, [ref], b): Promise<DescriptionResponse> => {
      const text = b.text as string;
      await d.domains.setDescription(ref!, { ...impact(b), title: b.title === true, text });
      return { text: text === '' ? null : text };
    }),
    route('GET', `${dom}/metadata`, async (d, [ref], _b, q): Promise<XmlResponse> => {
      const uri = q.get('uri');
      if (uri === null || uri === '') throw new VireoError('INVALID_ARG', "invalid argument: the metadata namespace 'uri' is required");
      return { xml: d.domains.metadata(ref!, uri, { live: flag(q, 'live'), config: flag(q, 'config') }) };
    }),
    route('POST', `${dom}/metadata`, async (d, [ref], b): Promise<Record<string, never>> => {
      const req: MetadataRequest = { ...impact(b), uri: b.uri as string, xml: (b.xml ?? null) as string | null };
      if (typeof b.key === 'string') req.key = b.key;
      await d.domains.setMetadata(ref!, req);
      return {};
    }),
    route('POST', `${dom}/rename`, async (d, [ref], b): Promise<DomainSummary> => d.domains.rename(ref!, b.name as string)),
  ];
}
