/** Handlers of the domain routes: each turns one checked request into one Daemon call. */
import type {
  ConsoleTail, DescriptionResponse, DeviceRequest, DomainDevices, DomainJob, MetadataRequest, ModificationImpact, NativeResponse, XmlResponse,
} from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { field, type Call, type HandlerTable } from './call.js';

type DomainId = 'domain.list' | 'domain.define' | 'domain.create' | 'domain.toNative' | 'domain.get' | 'domain.undefine' | 'domain.xml'
  | 'domain.consoleTail' | 'domain.start' | 'domain.destroy' | 'domain.shutdown' | 'domain.reboot' | 'domain.reset' | 'domain.suspend'
  | 'domain.resume' | 'domain.autostart' | 'domain.devices' | 'domain.job' | 'domain.description' | 'domain.setDescription'
  | 'domain.metadata' | 'domain.setMetadata' | 'domain.rename' | 'domain.jobAbort' | 'domain.ifaddr' | 'domain.getLink' | 'domain.setLink'
  | 'domain.attachDevice' | 'domain.detachDevice' | 'domain.updateDevice' | 'domain.blockInfo';

const { str, optStr, bool } = field;
const mode = ({ body }: Call): { mode?: string } => {
  const m = optStr(body, 'mode');
  return m === undefined ? {} : { mode: m };
};
const impact = (b: Record<string, unknown>): ModificationImpact => ({ live: bool(b, 'live'), config: bool(b, 'config') });
const device = (b: Record<string, unknown>): DeviceRequest => ({ ...impact(b), xml: str(b, 'xml') });

export const domainHandlers: HandlerTable<DomainId> = {
  'domain.list': ({ daemon }) => daemon.domains.list(),
  'domain.define': ({ daemon, body }) => daemon.domains.define(str(body, 'xml'), { validate: bool(body, 'validate') }),
  'domain.create': ({ daemon, body }) => daemon.domains.create(str(body, 'xml'), { paused: bool(body, 'paused'), validate: bool(body, 'validate') }),
  'domain.toNative': async ({ daemon, body }): Promise<NativeResponse> => {
    const domain = optStr(body, 'domain');
    const xml = optStr(body, 'xml');
    if (domain === undefined && xml === undefined) throw new VireoError('INVALID_ARG', "invalid request: body.xml or body.domain is required");
    return { native: await daemon.domains.domxmlToNative(str(body, 'format'), domain === undefined ? { xml: xml ?? '' } : { domain }) };
  },
  'domain.get': ({ daemon, ref }) => daemon.domains.summary(daemon.domains.lookup(ref)),
  'domain.undefine': ({ daemon, ref, query }) => daemon.domains.undefine(ref, { nvram: query.flag('nvram'), keepNvram: query.flag('keep-nvram'), keepTpm: query.flag('keep-tpm'), managedSave: query.flag('managed-save'), snapshotsMetadata: query.flag('snapshots-metadata') }),
  'domain.xml': ({ daemon, ref, query }): XmlResponse => ({
    xml: daemon.domains.dumpXml(ref, { inactive: query.flag('inactive'), securityInfo: query.flag('security-info'), updateCpu: query.flag('update-cpu') }),
  }),
  'domain.consoleTail': async ({ daemon, ref, query }): Promise<ConsoleTail> => ({ data: (await daemon.domains.consoleTail(ref, query.str('devname'))).toString('base64') }),
  'domain.start': ({ daemon, ref, body }) => daemon.domains.start(ref, { paused: bool(body, 'paused'), forceBoot: bool(body, 'forceBoot') }),
  'domain.destroy': ({ daemon, ref, body }) => daemon.domains.destroy(ref, { graceful: bool(body, 'graceful') }),
  'domain.shutdown': (c) => c.daemon.domains.shutdown(c.ref, mode(c)),
  'domain.reboot': (c) => c.daemon.domains.reboot(c.ref, mode(c)),
  'domain.reset': ({ daemon, ref }) => daemon.domains.reset(ref),
  'domain.suspend': ({ daemon, ref }) => daemon.domains.suspend(ref),
  'domain.resume': ({ daemon, ref }) => daemon.domains.resume(ref),
  'domain.autostart': ({ daemon, ref, body }) => daemon.domains.setAutostart(ref, bool(body, 'enabled')),
  'domain.devices': ({ daemon, ref, query }): Promise<DomainDevices> | DomainDevices =>
    daemon.domains.devices(ref, { inactive: query.flag('inactive'), securityInfo: query.flag('security-info') }),
  'domain.blockInfo': ({ daemon, ref, query }) => daemon.domains.blockInfo(ref, query.str('device')),
  'domain.job': ({ daemon, ref }): Promise<DomainJob> | DomainJob => daemon.domains.job(ref),
  'domain.ifaddr': ({ daemon, ref, query }) => daemon.domains.interfaceAddresses(ref, (query.str('source') ?? 'lease') as 'lease' | 'arp' | 'agent'),
  'domain.getLink': ({ daemon, ref, query }) => daemon.domains.linkState(ref, query.str('interface') ?? '', { config: query.flag('config') }),
  'domain.setLink': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await daemon.domains.setLinkState(ref, str(body, 'interface'), str(body, 'state') as 'up' | 'down', { config: bool(body, 'config') });
    return {};
  },
  'domain.attachDevice': ({ daemon, ref, body }) => daemon.domains.attachDevice(ref, device(body)),
  'domain.detachDevice': ({ daemon, ref, body }) => daemon.domains.detachDevice(ref, device(body)),
  'domain.updateDevice': ({ daemon, ref, body }) => daemon.domains.updateDevice(ref, device(body)),
  'domain.jobAbort': ({ daemon, ref }): Record<string, never> => {
    daemon.domains.abortJob(ref);
    return {};
  },
  'domain.description': ({ daemon, ref, query }): DescriptionResponse => ({
    text: daemon.domains.description(ref, { title: query.flag('title'), live: query.flag('live'), config: query.flag('config') }),
  }),
  'domain.setDescription': async ({ daemon, ref, body }): Promise<DescriptionResponse> => {
    const text = str(body, 'text');
    await daemon.domains.setDescription(ref, { ...impact(body), title: bool(body, 'title'), text });
    return { text: text === '' ? null : text };
  },
  'domain.metadata': ({ daemon, ref, query }): XmlResponse => {
    const uri = query.str('uri') ?? '';
    if (uri === '') throw new VireoError('INVALID_ARG', "invalid argument: the metadata namespace 'uri' is required");
    return { xml: daemon.domains.metadata(ref, uri, { live: query.flag('live'), config: query.flag('config') }) };
  },
  'domain.setMetadata': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    const req: MetadataRequest = { ...impact(body), uri: str(body, 'uri'), xml: (body.xml ?? null) as string | null };
    const key = optStr(body, 'key');
    if (key !== undefined) req.key = key;
    await daemon.domains.setMetadata(ref, req);
    return {};
  },
  'domain.rename': ({ daemon, ref, body }) => daemon.domains.rename(ref, str(body, 'name')),
};
