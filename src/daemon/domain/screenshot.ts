/**
 * screenshot: the guest's display as PNG (virsh screenshot). QEMU's screendump writes it into the
 * guest's run directory (QEMU's own, never the user's path); vireod reads it, removes it, and the
 * server streams the bytes to the client, which writes the user's file on its side as virsh does.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { VireoError } from '../../api/errors.js';
import { screendump } from '../../qemu/dump.js';
import type { DomainHost } from './ops.js';

/** The PNG of screen `screen` (0: the primary display) of running domain `ref`. */
export async function screenshot(host: DomainHost, ref: string, screen = 0): Promise<Buffer> {
  const dom = host.lookup(ref);
  const rt = dom.runtime;
  if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
  const video = rt.liveDef.devices.videos[0];
  if (video === undefined || video.model === 'none') throw VireoError.of('OPERATION_INVALID', 'no screens to take screenshot from');
  if (!Number.isInteger(screen) || screen < 0 || screen >= (video.heads ?? 1)) throw VireoError.of('OPERATION_INVALID', 'no such screen ID');
  const qmp = await host.qmp(dom);
  const file = path.join(rt.runDir, 'screenshot.png');
  try {
    // Screen 0 is the console QEMU shows by default; others are heads of the first video device.
    await screendump(qmp, file, screen === 0 ? undefined : { device: 'video0', head: screen });
    return await fs.readFile(file);
  } finally {
    await fs.rm(file, { force: true }).catch(() => undefined);
  }
}
