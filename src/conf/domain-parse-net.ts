/** <interface>: network cards (user-mode NAT, libvirt networks, bridges, plain tap devices). */

import type { Interface, NicModel } from './domain-model.js';
import { parseAddress } from './domain-parse-address.js';
import { parseBandwidth } from './domain-parse-bandwidth.js';
import { type BootOrders, missing, RUNTIME_ONLY } from './domain-parse-util.js';
import { generateMac, isMulticastMac, parseMac } from './names.js';
import type { XNode } from './xml-reader.js';

const NIC_TYPES = ['user', 'network', 'bridge', 'ethernet'] as const;
const NIC_MODELS: readonly NicModel[] = ['virtio', 'e1000', 'e1000e', 'rtl8139'];
/** libvirt 9 picks rtl8139 for x86 guests on every machine type when <model> is absent. */
const DEFAULT_NIC_MODEL: NicModel = 'rtl8139';
/** Linux interface names: at most 15 bytes, no '/', ':' or whitespace. */
const IFNAME = /^[A-Za-z0-9_.+-]{1,15}$/;
/** Names libvirt generates for tap devices at start; in a definition they are runtime state. */
const GENERATED_IFNAME = /^(vnet|macvtap|macvlan)\d*$/;

/**
 * One <interface>. `live`: the XML of a running guest (vireod's status file), whose generated tap
 * names (vnetN) are the taps it really uses and are kept, as libvirt keeps them in live XML.
 */
export function parseInterface(node: XNode, boot: BootOrders, live = false): Interface {
  const written = node.attr('type');
  if (written === undefined) throw node.invalid("missing attribute 'type'");
  if (!(NIC_TYPES as readonly string[]).includes(written)) {
    throw node.unsupported(`interfaces of type '${written}' are not supported yet; supported: ${NIC_TYPES.join(', ')}`);
  }
  const type = node.enumAttr('type', NIC_TYPES, 'user');
  const one = ['mac', 'model', 'boot', 'address', 'target', 'link', 'mtu', 'driver', 'bandwidth'];
  if (type === 'network' || type === 'bridge') one.push('source');
  node.check({ attrs: ['type', 'trustGuestRxFilters'], one, ignore: RUNTIME_ONLY });
  if (node.attr('trustGuestRxFilters') !== undefined) throw node.unsupported("attribute 'trustGuestRxFilters' is not supported yet");

  let mac = generateMac();
  const macNode = node.child('mac');
  if (macNode !== undefined) {
    macNode.check({ attrs: ['address'] });
    const text = macNode.requireAttr('address');
    const parsed = parseMac(text);
    if (parsed === undefined) {
      throw macNode.invalidValue(text, 'MAC address', 'expected six hex bytes like 52:54:00:12:34:56');
    }
    if (isMulticastMac(parsed)) {
      throw macNode.invalidValue(text, 'MAC address', 'a multicast address cannot be used by a network card');
    }
    mac = parsed;
  }
  const modelNode = node.child('model')?.check({ attrs: ['type'] });
  if (modelNode !== undefined && modelNode.attr('type') === undefined) throw modelNode.invalid("missing attribute 'type'");
  const model = modelNode?.enumAttr('type', NIC_MODELS, DEFAULT_NIC_MODEL) ?? DEFAULT_NIC_MODEL;

  const nic: Interface = { type, mac, model };
  if (type === 'network' || type === 'bridge') {
    const src = node.child('source') ?? missing(node, `element <source ${type}=.../>`);
    // A running guest's dump adds the port libvirt's network driver gave it and that network's
    // bridge: runtime state, picked again at start.
    src.check({ attrs: type === 'network' ? ['network', 'portid', 'bridge'] : [type] });
    const name = src.requireAttr(type);
    if (name === '' || /[\s/]/.test(name)) throw src.invalidAttr(type, name, `expected a ${type} name`);
    nic.source = name;
  }
  const target = node.child('target');
  if (target !== undefined) {
    target.check({ attrs: ['dev', 'managed'] });
    const managed = target.enumAttr('managed', ['yes', 'no'] as const);
    // libvirt's rule: only a plain tap can be one the user made; a bridge or network port is ours.
    if (managed === 'no' && type !== 'ethernet') {
      throw target.unsupported(`unmanaged target dev (managed='no') is supported on interfaces of type 'ethernet' only, not '${type}'`);
    }
    const dev = target.requireAttr('dev');
    if (!IFNAME.test(dev)) throw target.invalidAttr('dev', dev, 'expected an interface name of at most 15 letters, digits and _ . + -');
    if (type === 'user') throw target.invalid("a user-mode interface has no host device; remove <target dev=...>");
    // libvirt drops its own generated names from a definition: they are picked again at start.
    if (live || type === 'ethernet' || !GENERATED_IFNAME.test(dev)) {
      nic.targetDev = dev;
      if (managed !== undefined) nic.targetManaged = managed === 'yes';
    }
  }
  const link = node.child('link');
  if (link !== undefined) {
    link.check({ attrs: ['state'] });
    nic.linkState = link.enumAttr('state', ['up', 'down'] as const) ?? missing(link, "attribute 'state'");
  }
  const mtu = node.child('mtu');
  if (mtu !== undefined) {
    mtu.check({ attrs: ['size'] });
    nic.mtu = mtu.intAttr('size', 68, 65535) ?? missing(mtu, "attribute 'size'");
  }
  const driver = node.child('driver');
  if (driver !== undefined) {
    driver.check({ attrs: ['name', 'queues'] });
    const d: NonNullable<Interface['driver']> = {};
    const name = driver.enumAttr('name', ['qemu', 'vhost'] as const);
    const queues = driver.intAttr('queues', 1, 256);
    if (name !== undefined) d.name = name;
    if (queues !== undefined) {
      if (model !== 'virtio') throw driver.invalid("<driver queues> applies to model 'virtio' only");
      d.queues = queues;
    }
    nic.driver = d;
  }
  const bwNode = node.child('bandwidth');
  const bandwidth = bwNode === undefined ? undefined : parseBandwidth(bwNode, type);
  if (bandwidth !== undefined) nic.bandwidth = bandwidth;
  const order = boot.read(node.child('boot'));
  if (order !== undefined) nic.bootOrder = order;
  const address = parseAddress(node, ['pci'] as const);
  if (address !== undefined) nic.address = address;
  // A running guest's device ids (its status file); a definition's are picked again at start.
  const alias = live ? node.child('alias')?.attr('name') : undefined;
  if (alias !== undefined && /^net\d+$/.test(alias)) nic.alias = alias;
  return nic;
}
