/** <address> of a device: where the guest finds it (PCI slot, drive unit, USB port...). */

import type {
  DeviceAddress,
  DriveAddress,
  IsaAddress,
  PciAddress,
  UsbAddress,
  VirtioSerialAddress,
} from './domain-model.js';
import { missing } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

type AddressType = DeviceAddress['type'];
type AddressOf<T extends AddressType> = Extract<DeviceAddress, { type: T }>;

/**
 * The device's <address>, if written, restricted to the types that make sense for it.
 * Elements libvirt adds at run time (<alias>) are accepted by the device shapes and dropped.
 */
export function parseAddress<T extends AddressType>(device: XNode, allowed: readonly T[]): AddressOf<T> | undefined {
  const node = device.child('address');
  if (node === undefined) return undefined;
  if (allowed.length === 0) throw node.invalid(`a <${device.el.name}> of this kind has no guest address; remove <address>`);
  const type = node.enumAttr('type', allowed) ?? missing(node, `attribute 'type' (${allowed.join(', ')})`);
  switch (type) {
    case 'pci': {
      // libvirt reads a PCI address without a slot as "not assigned yet".
      if (node.attr('slot') === undefined && (node.numAttr('bus', 0, 255) ?? 0) === 0) {
        node.check({ attrs: ['type', 'domain', 'bus', 'function', 'multifunction'] });
        return undefined;
      }
      return pci(node) as AddressOf<T>;
    }
    case 'drive': return drive(node) as AddressOf<T>;
    case 'usb': return usb(node) as AddressOf<T>;
    case 'virtio-serial': return virtioSerial(node) as AddressOf<T>;
    case 'isa': return isa(node) as AddressOf<T>;
    default: throw node.unsupported(`address type '${String(type)}' is not supported`);
  }
}

function pci(node: XNode): PciAddress {
  node.check({ attrs: ['type', 'domain', 'bus', 'slot', 'function', 'multifunction'] });
  const domain = node.numAttr('domain', 0, 0) ?? 0;
  const bus = node.numAttr('bus', 0, 255) ?? 0;
  const slot = node.numAttr('slot', 0, 31) ?? missing(node, "attribute 'slot'");
  const fn = node.numAttr('function', 0, 7) ?? 0;
  const addr: PciAddress = { type: 'pci', domain, bus, slot, function: fn };
  const mf = node.onOffAttr('multifunction');
  if (mf !== undefined) addr.multifunction = mf;
  return addr;
}

function drive(node: XNode): DriveAddress {
  node.check({ attrs: ['type', 'controller', 'bus', 'target', 'unit'] });
  return {
    type: 'drive',
    controller: node.numAttr('controller', 0, 255) ?? 0,
    bus: node.numAttr('bus', 0, 255) ?? 0,
    target: node.numAttr('target', 0, 255) ?? 0,
    unit: node.numAttr('unit', 0, 16383) ?? 0,
  };
}

function usb(node: XNode): UsbAddress {
  node.check({ attrs: ['type', 'bus', 'port'] });
  const port = node.requireAttr('port');
  if (!/^\d+(\.\d+){0,4}$/.test(port)) throw node.invalidAttr('port', port, "expected a port number or a hub path such as '1.2'");
  return { type: 'usb', bus: node.numAttr('bus', 0, 255) ?? 0, port };
}

function virtioSerial(node: XNode): VirtioSerialAddress {
  node.check({ attrs: ['type', 'controller', 'bus', 'port'] });
  return {
    type: 'virtio-serial',
    controller: node.numAttr('controller', 0, 255) ?? 0,
    bus: node.numAttr('bus', 0, 0) ?? 0,
    port: node.numAttr('port', 1, 31) ?? missing(node, "attribute 'port'"),
  };
}

function isa(node: XNode): IsaAddress {
  node.check({ attrs: ['type', 'iobase', 'irq'] });
  const addr: IsaAddress = { type: 'isa' };
  const iobase = node.numAttr('iobase', 0, 0xffff);
  const irq = node.numAttr('irq', 0, 15);
  if (iobase !== undefined) addr.iobase = iobase;
  if (irq !== undefined) addr.irq = irq;
  return addr;
}
