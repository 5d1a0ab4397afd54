/** <input>, <sound>, <audio>, <redirdev>, <rng>, <memballoon>, <watchdog>, <panic> and <tpm>. */

import type { Audio, Input, MemBalloon, Panic, RedirDev, Rng, RngBackend, Sound, Tpm, Watchdog } from './domain-model.js';
import { parseAddress } from './domain-parse-address.js';
import { parseSource } from './domain-parse-chr.js';
import { type BootOrders, missing, RUNTIME_ONLY } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

/** One <input>; `live`: a running guest's XML, whose device id (<alias>) is kept. */
export function parseInput(node: XNode, live = false): Input {
  const type = node.enumAttr('type', ['tablet', 'mouse', 'keyboard'] as const) ?? missing(node, "attribute 'type' (tablet, mouse or keyboard)");
  node.check({ attrs: ['type', 'bus'], one: ['address'], ignore: RUNTIME_ONLY });
  // libvirt: a tablet defaults to USB; mouse and keyboard to PS/2 on x86.
  const bus = node.enumAttr('bus', ['usb', 'ps2', 'virtio'] as const, type === 'tablet' ? 'usb' : 'ps2');
  if (type === 'tablet' && bus === 'ps2') throw node.invalid("a tablet cannot be on bus 'ps2'; use usb or virtio");
  const input: Input = { type, bus };
  const address = parseAddress(node, bus === 'usb' ? ['usb'] as const : bus === 'virtio' ? ['pci'] as const : []);
  if (address !== undefined) input.address = address;
  const alias = live ? node.child('alias')?.attr('name') : undefined;
  if (alias !== undefined && /^input\d+$/.test(alias)) input.alias = alias;
  return input;
}

const SOUND_MODELS = ['ich9', 'ich6', 'ac97', 'es1370', 'sb16'] as const;

export function parseSound(node: XNode): Sound {
  const written = node.attr('model');
  if (written !== undefined && !(SOUND_MODELS as readonly string[]).includes(written)) {
    throw node.unsupported(`sound model '${written}' is not supported; supported: ${SOUND_MODELS.join(', ')}`);
  }
  const model = node.enumAttr('model', SOUND_MODELS) ?? missing(node, "attribute 'model'");
  const hda = model === 'ich9' || model === 'ich6';
  node.check({ attrs: ['model'], one: ['address', 'audio'], many: hda ? ['codec'] : [], ignore: RUNTIME_ONLY });
  const audio = node.child('audio');
  if (audio !== undefined) {
    audio.check({ attrs: ['id'] });
    audio.intAttr('id', 1, 1); // one audio backend is supported: id 1
  }
  const codecs = node.children('codec').map((c) => {
    c.check({ attrs: ['type'] });
    return c.enumAttr('type', ['duplex', 'micro', 'output'] as const) ?? missing(c, "attribute 'type'");
  });
  const sound: Sound = { model, codecs };
  const address = parseAddress(node, ['pci'] as const);
  if (address !== undefined) {
    if (model === 'sb16') throw node.invalid('an sb16 is an ISA card and has no PCI address');
    sound.address = address;
  }
  return sound;
}

export function parseAudio(nodes: XNode[]): Audio[] {
  if (nodes.length > 1) throw (nodes[1] as XNode).unsupported('only one <audio> backend is supported');
  return nodes.map((node) => {
    const written = node.attr('type');
    if (written !== undefined && written !== 'none' && written !== 'spice') {
      throw node.unsupported(`audio type '${written}' is not supported; supported: none, spice`);
    }
    const type = node.enumAttr('type', ['none', 'spice'] as const) ?? missing(node, "attribute 'type'");
    node.check({ attrs: ['id', 'type'] });
    const id = node.intAttr('id', 1, 1) ?? missing(node, "attribute 'id'");
    return { id, type };
  });
}

export function parseRedirdev(node: XNode, boot: BootOrders): RedirDev {
  const source = parseSource(node, ['spicevmc', 'tcp']);
  node.check({ attrs: ['bus', 'type'], one: ['source', 'protocol', 'address', 'boot'], ignore: RUNTIME_ONLY });
  node.enumAttr('bus', ['usb'] as const, 'usb');
  const dev: RedirDev = { bus: 'usb', source };
  const order = boot.read(node.child('boot'));
  if (order !== undefined) dev.bootOrder = order;
  const address = parseAddress(node, ['usb'] as const);
  if (address !== undefined) dev.address = address;
  return dev;
}

/** One <rng>; `live`: a running guest's XML, whose device id (<alias>) is kept. */
export function parseRng(node: XNode, live = false): Rng {
  if (node.enumAttr('model', ['virtio'] as const) === undefined) missing(node, "attribute 'model' (virtio)");
  node.check({ attrs: ['model'], one: ['backend', 'rate', 'address', 'driver'], ignore: RUNTIME_ONLY });
  if (node.child('driver') !== undefined) throw (node.child('driver') as XNode).unsupported('<rng><driver> is not supported yet');
  const b = node.child('backend') ?? missing(node, "element <backend model='random'>");
  const model = b.enumAttr('model', ['random', 'builtin', 'egd'] as const) ?? missing(b, "attribute 'model' (random, builtin or egd)");
  let backend: RngBackend;
  switch (model) {
    case 'random': {
      b.check({ attrs: ['model'], text: true });
      const device = b.text() === '' ? '/dev/urandom' : b.text();
      if (device !== '/dev/urandom' && device !== '/dev/random' && device !== '/dev/hwrng') {
        throw b.invalidValue(device, 'entropy source', 'expected /dev/urandom, /dev/random or /dev/hwrng');
      }
      backend = { model, device };
      break;
    }
    case 'builtin':
      b.check({ attrs: ['model'] });
      backend = { model };
      break;
    case 'egd':
      b.check({ attrs: ['model', 'type'], one: ['source', 'protocol'] });
      backend = { model, source: parseSource(b, ['tcp', 'unix']) };
      break;
  }
  const rng: Rng = { model: 'virtio', backend };
  const rate = node.child('rate');
  if (rate !== undefined) {
    rate.check({ attrs: ['bytes', 'period'] });
    const bytes = rate.intAttr('bytes', 1, 4294967295) ?? missing(rate, "attribute 'bytes'");
    const period = rate.intAttr('period', 1, 4294967295);
    rng.rate = period === undefined ? { bytes } : { bytes, periodMs: period };
  }
  const address = parseAddress(node, ['pci'] as const);
  if (address !== undefined) rng.address = address;
  const alias = live ? node.child('alias')?.attr('name') : undefined;
  if (alias !== undefined && /^rng\d+$/.test(alias)) rng.alias = alias;
  return rng;
}

export function parseMemballoon(node: XNode): MemBalloon {
  if (node.attr('model') === undefined) throw node.invalid("missing attribute 'model' (virtio or none)");
  const model = node.enumAttr('model', ['virtio', 'none'] as const, 'virtio');
  node.check({ attrs: ['model', 'autodeflate', 'freePageReporting'], one: ['address', 'stats'], ignore: RUNTIME_ONLY });
  const balloon: MemBalloon = { model };
  if (model === 'none') {
    if (node.child('address') !== undefined || node.child('stats') !== undefined) throw node.invalid("a memballoon of model 'none' takes no address or stats");
    return balloon;
  }
  const autodeflate = node.onOffAttr('autodeflate');
  const fpr = node.onOffAttr('freePageReporting');
  if (autodeflate !== undefined) balloon.autodeflate = autodeflate;
  if (fpr !== undefined) balloon.freePageReporting = fpr;
  const stats = node.child('stats');
  if (stats !== undefined) {
    stats.check({ attrs: ['period'] });
    balloon.statsPeriod = stats.intAttr('period', 0, 2147483647) ?? missing(stats, "attribute 'period'");
  }
  const address = parseAddress(node, ['pci'] as const);
  if (address !== undefined) balloon.address = address;
  return balloon;
}

const WATCHDOG_ACTIONS = ['reset', 'shutdown', 'poweroff', 'pause', 'none', 'dump', 'inject-nmi'] as const;

export function parseWatchdog(node: XNode): Watchdog {
  // libvirt 9.0's schema knows i6300esb and ib700 (itco came later), so those are what dumpxml can print.
  const model = node.enumAttr('model', ['i6300esb', 'ib700'] as const) ?? missing(node, "attribute 'model' (i6300esb or ib700)");
  node.check({ attrs: ['model', 'action'], one: ['address'], ignore: RUNTIME_ONLY });
  const wd: Watchdog = { model, action: node.enumAttr('action', WATCHDOG_ACTIONS, 'reset') };
  if (wd.action === 'dump') throw node.unsupported("watchdog action 'dump' is not supported yet");
  const address = parseAddress(node, model === 'i6300esb' ? ['pci'] as const : []);
  if (address !== undefined) wd.address = address;
  return wd;
}

export function parsePanic(node: XNode): Panic {
  // libvirt 9.0's schema has isa and hyperv for x86 (the PCI pvpanic model came later).
  const model = node.enumAttr('model', ['isa', 'hyperv'] as const, 'isa');
  node.check({ attrs: ['model'], one: ['address'], ignore: RUNTIME_ONLY });
  const panic: Panic = { model };
  const address = parseAddress(node, model === 'isa' ? ['isa'] as const : []);
  if (address !== undefined) panic.address = address;
  return panic;
}

export function parseTpm(node: XNode): Tpm {
  const model = node.enumAttr('model', ['tpm-tis', 'tpm-crb'] as const, 'tpm-tis');
  node.check({ attrs: ['model'], one: ['backend'], ignore: [...RUNTIME_ONLY, 'address'] });
  const b = node.child('backend') ?? missing(node, "element <backend type='emulator'>");
  const type = b.enumAttr('type', ['emulator', 'passthrough'] as const) ?? missing(b, "attribute 'type' (emulator or passthrough)");
  if (type === 'emulator') {
    b.check({ attrs: ['type', 'version', 'persistent_state'], one: ['encryption', 'active_pcr_banks'] });
    if (b.attr('persistent_state') !== undefined) throw b.unsupported("attribute 'persistent_state' is not supported yet");
    for (const c of ['encryption', 'active_pcr_banks']) {
      const n = b.child(c);
      if (n !== undefined) throw n.unsupported(`<${c}> is not supported yet`);
    }
    const version = b.enumAttr('version', ['2.0', '1.2'] as const, '2.0');
    if (model === 'tpm-crb' && version !== '2.0') throw b.invalid("a tpm-crb device needs version '2.0'");
    return { model, backend: { type, version } };
  }
  b.check({ attrs: ['type'], one: ['device'] });
  const dev = b.child('device') ?? missing(b, "element <device path='/dev/tpm0'/>");
  dev.check({ attrs: ['path'] });
  const path = dev.requireAttr('path');
  if (!path.startsWith('/dev/')) throw dev.invalidAttr('path', path, 'expected a device such as /dev/tpm0');
  return { model, backend: { type, device: path } };
}
