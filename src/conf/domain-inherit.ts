/**
 * Redefinition keeps the guest's hardware where it was: a device written without an address
 * gets the address the same device had in the previous definition (matched by what identifies
 * it: disk target, MAC, controller type and index...), as long as nothing written in the new
 * definition claims that place. libvirt assigns such devices afresh, which can move a NIC or a
 * disk to another slot when a user re-defines an old XML file; vireo keeps the guest ABI.
 */

import type { DeviceAddress, DomainDef } from './domain-model.js';
import { insertController } from './domain-implicit.js';

type Addressed = { address?: DeviceAddress };

/** Pairs (new device, previous device) of the same identity. */
function pairs(def: DomainDef, prev: DomainDef): Array<[Addressed, Addressed]> {
  const out: Array<[Addressed, Addressed]> = [];
  const match = <T extends Addressed>(now: T[], before: T[], key: (x: T, i: number) => string): void => {
    const old = new Map(before.map((x, i) => [key(x, i), x]));
    now.forEach((x, i) => {
      const p = old.get(key(x, i));
      if (p !== undefined) out.push([x, p]);
    });
  };
  const d = def.devices;
  const p = prev.devices;
  match(d.disks, p.disks, (x) => `${x.target}:${x.bus}`);
  match(d.controllers, p.controllers, (x) => `${x.type}:${x.index}:${x.model ?? ''}:${x.masterStartport ?? ''}`);
  match(d.interfaces, p.interfaces, (x) => x.mac);
  match(d.channels, p.channels, (x, i) => x.name ?? `#${i}`);
  match(d.inputs, p.inputs, (x, i) => `${x.type}:${x.bus}:${x.bus === 'ps2' ? '' : i}`);
  match(d.sounds, p.sounds, (x, i) => `${x.model}:${i}`);
  match(d.videos, p.videos, (x, i) => `${x.model}:${i}`);
  match(d.redirdevs, p.redirdevs, (_x, i) => `${i}`);
  match(d.rngs, p.rngs, (_x, i) => `${i}`);
  match(d.watchdogs, p.watchdogs, (x) => x.model);
  match([d.memballoon], [p.memballoon], (x) => x.model);
  return out;
}

const key = (a: DeviceAddress): string => {
  switch (a.type) {
    case 'pci': return `pci:${a.bus}:${a.slot}:${a.function}`;
    case 'drive': return `drive:${a.controller}:${a.bus}:${a.target}:${a.unit}`;
    case 'usb': return `usb:${a.bus}:${a.port}`;
    case 'virtio-serial': return `vs:${a.controller}:${a.port}`;
    case 'isa': return `isa:${a.iobase ?? ''}`;
  }
};

/** Give unaddressed devices of `def` the addresses they had in `prev` (before implicit devices are added). */
export function inheritAddresses(def: DomainDef, prev: DomainDef): void {
  const matched = pairs(def, prev);
  const taken = new Set<string>();
  const all: Addressed[] = [
    ...def.devices.disks, ...def.devices.controllers, ...def.devices.interfaces, ...def.devices.channels, ...def.devices.inputs,
    ...def.devices.sounds, ...def.devices.videos, ...def.devices.redirdevs, ...def.devices.rngs, ...def.devices.watchdogs, def.devices.memballoon,
  ];
  for (const x of all) if (x.address !== undefined) taken.add(key(x.address));
  for (const [now, before] of matched) {
    if (now.address !== undefined || before.address === undefined) continue;
    const k = key(before.address);
    if (taken.has(k)) continue;
    now.address = structuredClone(before.address);
    taken.add(k);
  }
  // The buses those addresses name come along (a root port libvirt-style assignment had added).
  const pciCtrls = def.devices.controllers;
  for (let changed = true; changed;) {
    changed = false;
    const buses = new Set(all.concat(pciCtrls).map((x) => (x.address?.type === 'pci' ? x.address.bus : 0)).filter((b) => b > 0));
    for (const bus of buses) {
      if (pciCtrls.some((c) => c.type === 'pci' && c.index === bus)) continue;
      const old = prev.devices.controllers.find((c) => c.type === 'pci' && c.index === bus);
      if (old === undefined || (old.address !== undefined && taken.has(key(old.address)))) continue;
      insertController(pciCtrls, structuredClone(old));
      if (old.address !== undefined) taken.add(key(old.address));
      changed = true;
    }
  }
}
