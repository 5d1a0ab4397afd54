/** Routes of save images and managed save (save.ts, managed-save.ts), spread into routes.ts's declarations. */
const D = '/v1/domains/{ref}';

/** Routes without a domain in the path: declared before `${D}` routes of the same shape. */
export const SAVE_IMAGE_ROUTES = [
  { id: 'domain.restore', access: 'write', method: 'POST', path: '/v1/domains/restore', summary: 'start a domain from a save image: a transient one if it is not defined (restore)', request: 'RestoreRequest', response: 'DomainSummary' },
  {
    id: 'saveImage.xml', access: 'read', secretQuery: ['security-info'],
    method: 'GET', path: '/v1/save-image/xml', summary: 'the domain XML a save image holds (save-image-dumpxml)', response: 'XmlResponse',
    query: [
      { name: 'file', type: 'string', required: true, description: 'the save image (a path on the daemon host)' },
      { name: 'security-info', type: 'flag', description: 'include display passwords' },
    ],
  },
  { id: 'saveImage.define', access: 'write', method: 'POST', path: '/v1/save-image/define', summary: 'replace the domain XML a save image holds, and whether restore resumes it (save-image-define)', request: 'SaveImageDefineRequest', response: 'Done' },
] as const;

export const SAVE_ROUTES = [
  { id: 'domain.save', access: 'write', method: 'POST', path: `${D}/save`, summary: "write a running guest's state into a file and stop it (save): a long job (domjobinfo, domjobabort)", request: 'SaveRequest', response: 'Done' },
  { id: 'domain.dump', access: 'write', method: 'POST', path: `${D}/dump`, summary: "write a guest's memory into a file (dump): a long job (domjobinfo, domjobabort)", request: 'DumpRequest', response: 'Done' },
  {
    // A write route as libvirt's (a read-only connection may not take screenshots).
    id: 'domain.screenshot', access: 'write', method: 'GET', path: `${D}/screenshot`, shape: 'bytes', response: 'Error',
    summary: "the guest's display as PNG (screenshot): image/png with its length",
    query: [{ name: 'screen', type: 'integer', description: 'which screen (default 0, the primary display)' }],
  },
  { id: 'domain.managedSave', access: 'write', method: 'POST', path: `${D}/managed-save`, summary: 'save a running guest into the daemon\'s own image; start restores it (managedsave)', request: 'ManagedSaveRequest', response: 'Done' },
  { id: 'domain.managedSaveRemove', access: 'write', method: 'DELETE', path: `${D}/managed-save`, summary: 'remove the managed-save image (managedsave-remove)', response: 'Done' },
  {
    id: 'domain.managedSaveXml', access: 'read', secretQuery: ['security-info'],
    method: 'GET', path: `${D}/managed-save/xml`, summary: 'the domain XML the managed-save image holds (managedsave-dumpxml)', response: 'XmlResponse',
    query: [{ name: 'security-info', type: 'flag', description: 'include display passwords' }],
  },
  { id: 'domain.managedSaveDefine', access: 'write', method: 'POST', path: `${D}/managed-save/define`, summary: 'replace the domain XML the managed-save image holds (managedsave-define)', request: 'SaveImageDefineRequest', response: 'Done' },
] as const;
