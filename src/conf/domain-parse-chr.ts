/**
 * Character devices: <serial>, <console>, <parallel> and <channel>, including libvirt's pairing
 * rule: the first console, when its target type is 'serial', is an alias of serial port 0
 * rather than a device of its own.
 */

import type { Channel, CharSource, Console, ParallelPort, SerialPort } from './domain-model.js';
import { parseAddress } from './domain-parse-address.js';
import { missing, RUNTIME_ONLY } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

const CHR_TYPES = ['pty', 'file', 'unix', 'tcp', 'null', 'spicevmc'] as const;
type ChrType = (typeof CHR_TYPES)[number];
/** An x86 PC has four ISA serial ports (ttyS0..ttyS3) and three parallel ports. */
const MAX_SERIAL_PORT = 3;
const MAX_PARALLEL_PORT = 2;
const MAX_CONSOLE_PORT = 30;
/** The SPICE agent channel name libvirt gives a spicevmc channel without one. */
const SPICE_AGENT = 'com.redhat.spice.0';

interface ParsedChr {
  node: XNode;
  source: CharSource;
  /** Target port as written, or undefined to be assigned. */
  port: number | undefined;
}

/** Serial ports, consoles, parallel ports and channels after pairing and port assignment. */
export function parseChardevs(
  serialNodes: XNode[],
  consoleNodes: XNode[],
  parallelNodes: XNode[],
  channelNodes: XNode[],
): { serials: SerialPort[]; consoles: Console[]; parallels: ParallelPort[]; channels: Channel[] } {
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
  const parallels = assignPorts(parallelNodes.map(parseParallel), MAX_PARALLEL_PORT, 'parallel port');
  return { serials: serialPorts, consoles: result, parallels, channels: parseChannels(channelNodes) };
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

/** Child elements a character device of `type` may have besides <target>. */
function sourceShape(type: ChrType): string[] {
  return type === 'tcp' ? ['source', 'protocol'] : ['source'];
}

function parseSerial(node: XNode): ParsedChr {
  const source = parseSource(node, ['pty', 'file', 'unix', 'tcp', 'null']);
  node.check({ attrs: ['type'], one: [...sourceShape(source.type), 'target'], ignore: [...RUNTIME_ONLY, 'address'] });
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

function parseParallel(node: XNode): ParsedChr {
  const source = parseSource(node, ['pty', 'file', 'unix', 'tcp', 'null']);
  node.check({ attrs: ['type'], one: [...sourceShape(source.type), 'target'], ignore: [...RUNTIME_ONLY, 'address'] });
  const target = node.child('target');
  target?.check({ attrs: ['port'] });
  return { node, source, port: target?.intAttr('port', 0, MAX_PARALLEL_PORT) };
}

function parseConsole(node: XNode): ParsedChr & { targetType: Console['targetType'] } {
  // 'tty' is the pty path a running domain reports; like the pty <source path>, it is runtime state.
  const source = parseSource(node, ['pty', 'file', 'unix', 'tcp', 'null']);
  node.check({ attrs: ['type', 'tty'], one: [...sourceShape(source.type), 'target'], ignore: [...RUNTIME_ONLY, 'address'] });
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

function parseChannels(nodes: XNode[]): Channel[] {
  const names = new Map<string, XNode>();
  return nodes.map((node) => {
    const source = parseSource(node, CHR_TYPES, { pathOptional: true });
    node.check({ attrs: ['type'], one: [...sourceShape(source.type), 'target', 'address'], ignore: RUNTIME_ONLY });
    const target = node.child('target') ?? missing(node, "element <target type='virtio' name=.../>");
    target.check({ attrs: ['type', 'name', 'state'] });
    if (target.attr('type') === 'guestfwd') throw target.unsupported("channels of target type 'guestfwd' are not supported yet; use 'virtio'");
    if (target.enumAttr('type', ['virtio'] as const) === undefined) missing(target, "attribute 'type' (virtio)");
    let name = target.attr('name');
    if (name === undefined && source.type === 'spicevmc') name = SPICE_AGENT;
    if (name !== undefined) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw target.invalidAttr('name', name, 'expected a port name such as org.qemu.guest_agent.0');
      const prev = names.get(name);
      if (prev !== undefined) throw node.invalid(`channel name '${name}' is already used at line ${prev.line}`);
      names.set(name, node);
    }
    if (source.type === 'unix' && source.path === undefined && name === undefined) {
      throw node.invalid('a unix channel without a <source path> needs a target name to name its socket');
    }
    const ch: Channel = { source };
    if (name !== undefined) ch.name = name;
    const address = parseAddress(node, ['virtio-serial'] as const);
    if (address !== undefined) ch.address = address;
    return ch;
  });
}

/** The host side of a character device; its type is checked before the element's shape. */
export function parseSource(node: XNode, allowed: readonly ChrType[], opts: { pathOptional?: boolean } = {}): CharSource {
  const type = node.enumAttr('type', allowed, 'pty');
  const sources = node.children('source');
  if (sources.length > 1) throw (sources[1] as XNode).unsupported('only one <source> is supported');
  const src = sources[0];
  switch (type) {
    case 'pty':
      // The pty path is assigned when the guest starts; a written one is runtime state, not config.
      src?.check({ attrs: ['path'] });
      return { type: 'pty' };
    case 'null':
    case 'spicevmc':
      if (src !== undefined) throw src.invalid(`a '${type}' device has no <source>`);
      return { type };
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
      const mode = src.enumAttr('mode', ['bind', 'connect'] as const, 'connect');
      const path = src.attr('path');
      if (path === undefined) {
        if (opts.pathOptional !== true || mode !== 'bind') throw src.invalid("missing attribute 'path'");
        return { type: 'unix', mode };
      }
      if (path === '') throw src.invalid("attribute 'path' must not be empty");
      return { type: 'unix', path, mode };
    }
    case 'tcp': {
      if (src === undefined) throw node.invalid("type 'tcp' needs <source mode=... host=... service=.../>");
      src.check({ attrs: ['mode', 'host', 'service', 'tls'] });
      if (src.attr('tls') !== undefined) throw src.unsupported("TLS on character devices is not supported yet");
      const mode = src.enumAttr('mode', ['bind', 'connect'] as const, 'connect');
      const host = src.attr('host') ?? (mode === 'bind' ? '127.0.0.1' : missing(src, "attribute 'host'"));
      if (!/^[0-9A-Za-z.:_-]+$/.test(host)) throw src.invalidAttr('host', host, 'expected a host name or IP address');
      const service = src.requireAttr('service');
      if (!/^\d{1,5}$/.test(service) || Number(service) > 65535) throw src.invalidAttr('service', service, 'expected a TCP port number');
      const protoNode = node.child('protocol');
      protoNode?.check({ attrs: ['type'] });
      const protocol = protoNode?.enumAttr('type', ['raw', 'telnet'] as const, 'raw') ?? 'raw';
      return { type: 'tcp', mode, host, service, protocol };
    }
  }
}
