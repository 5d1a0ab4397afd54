/**
 * A disk's <source> by the disk's type: a file or block device path, a storage pool's volume
 * (`<source pool volume [mode]>`), or a network server (`<source protocol name>` with <host>,
 * <initiator> and <auth>; protocol iscsi only). Read as libvirt 9.0 reads them and filled as
 * it fills them: an iSCSI name without a LUN gets '/0', a host without a port gets 3260.
 */
import type { DiskAuth, DiskSourceType, IscsiSource, VolumeSource } from './domain-model.js';
import type { XNode } from './xml-reader.js';

/** libvirt's other network disk protocols, refused by name. */
const OTHER_PROTOCOLS = ['nbd', 'rbd', 'sheepdog', 'gluster', 'http', 'https', 'ftp', 'ftps', 'tftp', 'ssh', 'vxhs', 'nfs'];
const ISCSI_PORT = 3260;
/** 'index' is the node number libvirt shows for a running guest's image: runtime state. */
const RUNTIME_ATTRS = ['index'];

export interface ParsedSource {
  sourceType: DiskSourceType;
  source?: string;
  volume?: VolumeSource;
  network?: IscsiSource;
}

/** The disk types vireo reads, and the others refused by name. */
export function diskSourceType(node: XNode): DiskSourceType {
  const type = node.attr('type');
  if (type === 'nvme' || type === 'vhostuser' || type === 'dir') {
    throw node.unsupported(`disks of type '${type}' are not supported; use type 'file', 'block', 'volume' or 'network'`);
  }
  return node.enumAttr('type', ['file', 'block', 'volume', 'network'] as const, 'file');
}

/** Read <source> for a disk of type `type`; none is an empty drive, which libvirt prints as a file drive. */
export function parseDiskSource(sourceNode: XNode | undefined, type: DiskSourceType): ParsedSource {
  switch (type) {
    case 'file':
    case 'block':
      return pathSource(sourceNode, type);
    case 'volume':
      return sourceNode === undefined ? { sourceType: 'file' } : { sourceType: 'volume', volume: volumeSource(sourceNode) };
    case 'network':
      return sourceNode === undefined ? { sourceType: 'file' } : { sourceType: 'network', network: networkSource(sourceNode) };
  }
}

function pathSource(node: XNode | undefined, type: 'file' | 'block'): ParsedSource {
  const attr = type === 'file' ? 'file' : 'dev';
  node?.check({ attrs: [attr, ...RUNTIME_ATTRS] });
  const source = node?.attr(attr);
  if (source === '') throw (node as XNode).invalid(`attribute '${attr}' must not be empty`);
  if (source !== undefined && !source.startsWith('/')) throw (node as XNode).invalidAttr(attr, source, 'expected an absolute path');
  return source === undefined ? { sourceType: type } : { sourceType: type, source };
}

function volumeSource(node: XNode): VolumeSource {
  node.check({ attrs: ['pool', 'volume', 'mode', ...RUNTIME_ATTRS] });
  const pool = node.requireAttr('pool');
  const volume = node.requireAttr('volume');
  if (pool === '') throw node.invalid("attribute 'pool' must not be empty");
  if (volume === '') throw node.invalid("attribute 'volume' must not be empty");
  const out: VolumeSource = { pool, volume };
  const mode = node.enumAttr('mode', ['host', 'direct'] as const);
  if (mode !== undefined) out.mode = mode;
  return out;
}

function networkSource(node: XNode): IscsiSource {
  const protocol = node.attr('protocol');
  if (protocol === undefined) throw node.invalid("missing network source protocol type: <source protocol='iscsi' name=...>");
  if (protocol !== 'iscsi') {
    const known = OTHER_PROTOCOLS.includes(protocol);
    throw node.unsupported(`${known ? 'network disk protocol' : 'unknown network disk protocol'} '${protocol}' is not supported; supported: iscsi`);
  }
  node.check({ attrs: ['protocol', 'name', ...RUNTIME_ATTRS], one: ['initiator', 'auth'], many: ['host'] });
  let name = node.requireAttr('name');
  if (!name.includes('/')) name += '/0';
  const slash = name.indexOf('/');
  const target = name.slice(0, slash);
  const lun = name.slice(slash + 1);
  if (target === '') throw node.invalidAttr('name', name, "expected 'TARGET-IQN/LUN'");
  if (!/^\d+$/.test(lun) || Number(lun) > 16383) throw node.invalidAttr('name', name, "expected 'TARGET-IQN/LUN' with a LUN from 0 to 16383");
  const hosts = node.children('host');
  const hostNode = hosts[0];
  if (hostNode === undefined || hosts.length > 1) throw node.invalid(`an iSCSI disk needs exactly one <host name=...>, found ${hosts.length}`);
  hostNode.check({ attrs: ['name', 'port', 'transport'] });
  // tcp is the default and libvirt drops it; iSER needs RDMA hardware that vireo does not drive.
  hostNode.enumAttr('transport', ['tcp'] as const);
  const hostName = hostNode.requireAttr('name');
  if (hostName === '') throw hostNode.invalid("attribute 'name' must not be empty");
  const out: IscsiSource = { protocol: 'iscsi', name: `${target}/${Number(lun)}`, host: { name: hostName, port: hostNode.intAttr('port', 1, 65535) ?? ISCSI_PORT } };
  const initiator = node.child('initiator');
  if (initiator !== undefined) {
    initiator.check({ one: ['iqn'] });
    const iqn = initiator.child('iqn');
    if (iqn === undefined) throw initiator.invalid('missing <iqn name=.../> in <initiator>');
    out.initiatorIqn = iqn.check({ attrs: ['name'] }).requireAttr('name');
  }
  const auth = node.child('auth');
  if (auth !== undefined) out.auth = parseAuth(auth);
  return out;
}

function parseAuth(node: XNode): DiskAuth {
  node.check({ attrs: ['username'], one: ['secret'] });
  const username = node.requireAttr('username');
  const secret = node.child('secret');
  if (secret === undefined) throw node.invalid('missing <secret> in <auth>');
  secret.check({ attrs: ['type', 'usage', 'uuid'] });
  const secretType = secret.enumAttr('type', ['iscsi'] as const);
  if (secretType === undefined) throw secret.invalid("missing secret type: expected <secret type='iscsi' usage=.../>");
  const usage = secret.attr('usage');
  const uuid = secret.attr('uuid');
  if ((usage === undefined) === (uuid === undefined)) throw secret.invalid("a <secret> names its secret by exactly one of 'usage' or 'uuid'");
  const out: DiskAuth = { username, secretType };
  if (usage !== undefined) out.usage = usage;
  if (uuid !== undefined) out.uuid = uuid;
  return out;
}
