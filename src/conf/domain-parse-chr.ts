/**
 * <serial> and <console> devices, including libvirt's pairing rule: the first console, when
 * its target type is 'serial', is an alias of serial port 0 rather than a device of its own.
 */

import type { CharSource, Console, SerialPort } from './domain-model.js';
import type { XNode } from './xml-reader.js';

const CHR_TYPES = ['pty', 'file', 'unix'] as const;
/** An x86 PC has four ISA serial ports (ttyS0..ttyS3). */
const MAX_SERIAL_PORT = 3;
const MAX_CONSOLE_PORT = 30;

interface ParsedChr {
  node: XNode;
  source: CharSource;
  /** Target port as written, or undefined to be assigned. */
  port: number | undefined;
}

/** Serial ports and consoles after libvirt's console/serial pairing and port assignment. */
export function parseChardevs(
  serialNodes: XNode[],
  consoleNodes: XNode[],
): { serials: SerialPort[]; consoles: Console[] } {
  const serials = serialNodes.map(parseSerial);
  const consoles = consoleNodes.map(parseConsole);

  consoles.forEach((c, i) => {
    if (i > 0 && c.targetType === 'serial') {
      throw c.node.invalid("only the first <console> may have target type 'serial'");
    }
  });

  const serialPorts = assignPorts(serials, MAX_SERIAL_PORT, 'serial port');
  const first = consoles[0];
  if (first !== undefined && first.targetType === 'serial' && serialPorts.length === 0) {
    // A serial console with no <serial> defines serial port 0 (libvirt moves the config there).
    serialPorts.push({ source: { ...first.source }, port: 0 });
  }

  const virtioConsoles = consoles.filter((c) => c.targetType === 'virtio');
  const result: Console[] = [];
  const serial0 = serialPorts[0];
  if (serial0 !== undefined) {
    // Console 0 mirrors serial port 0; libvirt adds it when only <serial> was written.
    result.push({ source: { ...serial0.source }, targetType: 'serial', port: serial0.port });
  }
  const taken = result.map((c) => c.port);
  for (const c of assignPorts(virtioConsoles, MAX_CONSOLE_PORT, 'console port', taken)) {
    result.push({ source: c.source, targetType: 'virtio', port: c.port });
  }
  return { serials: serialPorts, consoles: result };
}

/**
 * Keep written ports (unique among `devices`, in range); give the rest max+1 in document order,
 * as libvirt does. `alsoCounted` are ports of other devices that only raise that maximum.
 */
function assignPorts(devices: ParsedChr[], max: number, what: string, alsoCounted: number[] = []): SerialPort[] {
  const used = new Map<number, XNode>();
  for (const d of devices) {
    if (d.port === undefined) continue;
    const previous = used.get(d.port);
    if (previous !== undefined) throw d.node.invalid(`${what} ${d.port} is already used at line ${previous.line}`);
    used.set(d.port, d.node);
  }
  let highest = Math.max(-1, ...alsoCounted, ...used.keys());
  const out: SerialPort[] = [];
  for (const d of devices) {
    let port = d.port;
    if (port === undefined) {
      port = highest + 1;
      if (port > max) throw d.node.invalid(`no free ${what} left (ports 0 to ${max})`);
      highest = port;
    }
    out.push({ source: d.source, port });
  }
  return out;
}

function parseSerial(node: XNode): ParsedChr {
  const source = parseSource(node);
  node.check({ attrs: ['type'], one: ['source', 'target'], ignore: ['alias', 'address'] });
  let port: number | undefined;
  const target = node.child('target');
  if (target !== undefined) {
    target.check({ attrs: ['type', 'port'], one: ['model'] });
    target.enumAttr('type', ['isa-serial'] as const, 'isa-serial');
    port = target.intAttr('port', 0, MAX_SERIAL_PORT);
    const model = target.child('model');
    if (model !== undefined) {
      model.check({ attrs: ['name'] });
      model.enumAttr('name', ['isa-serial'] as const, 'isa-serial');
    }
  }
  return { node, source, port };
}

function parseConsole(node: XNode): ParsedChr & { targetType: Console['targetType'] } {
  // 'tty' is the pty path a running domain reports; like the pty <source path>, it is runtime state.
  const source = parseSource(node);
  node.check({ attrs: ['type', 'tty'], one: ['source', 'target'], ignore: ['alias', 'address'] });
  let port: number | undefined;
  let targetType: Console['targetType'] = 'serial';
  const target = node.child('target');
  if (target !== undefined) {
    target.check({ attrs: ['type', 'port'] });
    targetType = target.enumAttr('type', ['serial', 'virtio'] as const, 'serial');
    port = target.intAttr('port', 0, MAX_CONSOLE_PORT);
  }
  return { node, source, port, targetType };
}

/** The host side of a serial port or console; its type is checked before the element's shape. */
function parseSource(node: XNode): CharSource {
  const type = node.enumAttr('type', CHR_TYPES, 'pty');
  const sources = node.children('source');
  if (sources.length > 1) throw (sources[1] as XNode).unsupported('only one <source> is supported');
  const src = sources[0];
  switch (type) {
    case 'pty':
      // The pty path is assigned when the guest starts; a written one is runtime state, not config.
      src?.check({ attrs: ['path'] });
      return { type: 'pty' };
    case 'file': {
      if (src === undefined) throw node.invalid("type 'file' needs <source path=.../>");
      src.check({ attrs: ['path', 'append'] });
      const path = src.requireAttr('path');
      if (path === '') throw src.invalid("attribute 'path' must not be empty");
      const append = src.boolAttr('append', 'on-off');
      return append === undefined ? { type: 'file', path } : { type: 'file', path, append };
    }
    case 'unix': {
      if (src === undefined) throw node.invalid("type 'unix' needs <source mode=... path=.../>");
      src.check({ attrs: ['mode', 'path'] });
      const path = src.requireAttr('path');
      if (path === '') throw src.invalid("attribute 'path' must not be empty");
      return { type: 'unix', path, mode: src.enumAttr('mode', ['bind', 'connect'] as const, 'connect') };
    }
  }
}
