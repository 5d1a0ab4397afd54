import type * as http from 'node:http';
/** Handlers of save, restore, save images and managed save: each turns one checked request into one call. */
import { VireoError } from '../../api/errors.js';
import type { XmlResponse } from '../../api/types.js';
import { managedSave, managedSaveDefine, managedSaveXml, removeManagedSave } from '../../daemon/domain/managed-save.js';
import { dumpDomain } from '../../daemon/domain/dump.js';
import { isDumpFormat } from '../../qemu/dump.js';
import { defineImage, imageXml, restoreDomain, saveDomain } from '../../daemon/domain/save.js';
import { screenshot } from '../../daemon/domain/screenshot.js';
import { field, type Call, type HandlerTable } from './call.js';

/** GET .../screenshot: the PNG, whole (a screen is small), with its length. */
export async function sendScreenshot(c: Call, res: http.ServerResponse): Promise<void> {
  const png = await screenshot(c.daemon.domains.host, c.ref, c.query.int('screen') ?? 0);
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store' });
  res.end(png);
}

type SaveId = 'domain.dump' | 'domain.restore' | 'saveImage.xml' | 'saveImage.define' | 'domain.save' | 'domain.managedSave'
  | 'domain.managedSaveRemove' | 'domain.managedSaveXml' | 'domain.managedSaveDefine';

const { str, optStr, bool } = field;
const resume = (b: Record<string, unknown>): { running: boolean; paused: boolean } => ({ running: bool(b, 'running'), paused: bool(b, 'paused') });
const withXml = (b: Record<string, unknown>): { xml?: string } => {
  const xml = optStr(b, 'xml');
  return xml === undefined ? {} : { xml };
};

export const saveHandlers: HandlerTable<SaveId> = {
  'domain.save': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await saveDomain(daemon.domains.host, ref, str(body, 'file'), { ...resume(body), ...withXml(body) });
    return {};
  },
  'domain.dump': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    const format = optStr(body, 'format');
    if (format !== undefined && !isDumpFormat(format)) {
      throw VireoError.of('INVALID_ARG', `unsupported dumpformat '${format}'`, { hint: 'use elf, kdump-zlib, kdump-lzo or kdump-snappy' });
    }
    await dumpDomain(daemon.domains.host, ref, str(body, 'file'), {
      memoryOnly: bool(body, 'memoryOnly'), live: bool(body, 'live'), crash: bool(body, 'crash'), reset: bool(body, 'reset'),
      ...(format === undefined ? {} : { format }),
    });
    return {};
  },
  'domain.restore': async ({ daemon, body }) => {
    const dom = await restoreDomain(daemon.domains.host, str(body, 'file'), { ...resume(body), ...withXml(body) });
    return daemon.domains.summary(dom);
  },
  'saveImage.xml': async ({ query }): Promise<XmlResponse> => ({ xml: await imageXml(query.str('file') ?? '', { securityInfo: query.flag('security-info') }) }),
  'saveImage.define': async ({ body }): Promise<Record<string, never>> => {
    await defineImage(str(body, 'file'), { ...resume(body), xml: str(body, 'xml') });
    return {};
  },
  'domain.managedSave': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await managedSave(daemon.domains.host, ref, resume(body));
    return {};
  },
  'domain.managedSaveRemove': async ({ daemon, ref }): Promise<Record<string, never>> => {
    await removeManagedSave(daemon.domains.host, ref);
    return {};
  },
  'domain.managedSaveXml': async ({ daemon, ref, query }): Promise<XmlResponse> => ({
    xml: await managedSaveXml(daemon.domains.host, ref, { securityInfo: query.flag('security-info') }),
  }),
  'domain.managedSaveDefine': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await managedSaveDefine(daemon.domains.host, ref, { ...resume(body), xml: str(body, 'xml') });
    return {};
  },
};
