/** Spelling helpers shared by the argv modules: JSON devices, legacy option escaping, bus names. */

import type { DeviceAddress, DomainDef, PciAddress } from '../../conf/domain-model.js';
import { isQ35 } from '../../conf/domain-implicit.js';

export type Json = Record<string, unknown>;
export const json = (o: Json): string => JSON.stringify(o);
/** Legacy QEMU option syntax doubles commas inside values. */
export const esc = (v: string): string => v.replace(/,/g, ',,');

/** QEMU's name for PCI bus N: the root is pcie.0 on q35 and pci.0 on pc; others are pci.N. */
export function pciBusName(def: DomainDef, bus: number): string {
  if (bus === 0) return isQ35(def.os.machine) ? 'pcie.0' : 'pci.0';
  return `pci.${bus}`;
}

/** bus/addr (and multifunction) properties for a device's PCI address. */
export function pciProps(def: DomainDef, a: PciAddress | undefined): Json {
  if (a === undefined) return {};
  const out: Json = { bus: pciBusName(def, a.bus) };
  if (a.multifunction === 'on') out.multifunction = true;
  out.addr = a.function === 0 ? `0x${a.slot.toString(16)}` : `0x${a.slot.toString(16)}.0x${a.function.toString(16)}`;
  return out;
}

/** QEMU's id of USB controller N (libvirt's alias). */
export const usbId = (index: number): string => (index === 0 ? 'usb' : `usb${index}`);

/** bus/port properties for a USB device. */
export function usbProps(a: DeviceAddress | undefined): Json {
  if (a?.type !== 'usb') return {};
  return { bus: `${usbId(a.bus)}.0`, port: a.port };
}

/** The device list a QEMU argv is built from, with what has already been emitted. */
export class Argv {
  readonly a: string[] = [];

  push(...args: string[]): void {
    this.a.push(...args);
  }

  device(dev: Json): void {
    this.a.push('-device', json(dev));
  }
}
