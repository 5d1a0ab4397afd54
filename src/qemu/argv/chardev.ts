/**
 * Character devices: serial and parallel ports, virtio consoles and channels. A serial port of
 * type 'pty' becomes a socket chardev owned by vireod (it keeps the console ring buffer and
 * serves readers; see docs/architecture.md), with a log file so nothing is lost while vireod is
 * down. Other pty devices get a real host pty from QEMU.
 */

import type { CharSource, DomainDef } from '../../conf/domain-model.js';
import type { LaunchPaths } from './index.js';
import { esc, type Argv } from './util.js';

/** -chardev for `src`; `daemonSocket` is where a daemon-owned pty lives (serial consoles). */
export function chardevArg(id: string, src: CharSource, opts: { daemonSocket?: string; logfile?: string; bindPath?: string } = {}): string {
  switch (src.type) {
    case 'pty': {
      if (opts.daemonSocket === undefined) return `pty,id=${id}`;
      const log = opts.logfile === undefined ? '' : `,logfile=${esc(opts.logfile)},logappend=on`;
      return `socket,id=${id},path=${esc(opts.daemonSocket)},server=on,wait=off${log}`;
    }
    case 'file':
      return `file,id=${id},path=${esc(src.path)},append=${src.append === true ? 'on' : 'off'}`;
    case 'unix': {
      const path = src.path ?? opts.bindPath ?? '';
      return src.mode === 'bind'
        ? `socket,id=${id},path=${esc(path)},server=on,wait=off`
        : `socket,id=${id},path=${esc(path)},server=off`;
    }
    case 'tcp': {
      const telnet = src.protocol === 'telnet' ? ',telnet=on' : '';
      return src.mode === 'bind'
        ? `socket,id=${id},host=${esc(src.host)},port=${src.service}${telnet},server=on,wait=off`
        : `socket,id=${id},host=${esc(src.host)},port=${src.service}${telnet},server=off`;
    }
    case 'spicevmc':
      return `spicevmc,id=${id},name=vdagent`;
    case 'null':
      return `null,id=${id}`;
  }
}

export function chardevDeviceArgs(def: DomainDef, paths: LaunchPaths, out: Argv): void {
  const d = def.devices;
  for (const s of d.serials) {
    const id = `charserial${s.port}`;
    out.push('-chardev', chardevArg(id, s.source, { daemonSocket: paths.serialSocket(s.port), logfile: paths.serialLog(s.port) }));
    out.device({ driver: 'isa-serial', chardev: id, id: `serial${s.port}`, index: s.port });
  }
  d.parallels.forEach((p, i) => {
    const id = `charparallel${i}`;
    out.push('-chardev', chardevArg(id, p.source));
    out.device({ driver: 'isa-parallel', chardev: id, id: `parallel${i}` });
  });
  for (const c of d.consoles) {
    if (c.targetType !== 'virtio') continue;
    const id = `charconsole${c.port}`;
    out.push('-chardev', chardevArg(id, c.source, { daemonSocket: paths.consoleSocket(c.port) }));
    out.device({ driver: 'virtconsole', bus: 'virtio-serial0.0', nr: c.port, chardev: id, id: `console${c.port}` });
  }
  d.channels.forEach((ch, i) => {
    const id = `charchannel${i}`;
    out.push('-chardev', chardevArg(id, ch.source, { bindPath: paths.channelSocket(ch.name ?? `channel${i}`) }));
    const a = ch.address;
    const dev: Record<string, unknown> = { driver: 'virtserialport', bus: `virtio-serial${a?.controller ?? 0}.${a?.bus ?? 0}`, nr: a?.port ?? i + 1, chardev: id, id: `channel${i}` };
    if (ch.name !== undefined) dev.name = ch.name;
    out.device(dev);
  });
}
