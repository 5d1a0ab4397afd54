/**
 * The QEMU command line of a domain, as `virsh domxml-to-native qemu-argv` prints it: the
 * environment vireod gives QEMU, the emulator, then every argument, shell-quoted on one line.
 * Nothing is started or created: the firmware is picked and the paths are the ones a start
 * would use, but NVRAM, swtpm and graphics ports are left for the real start.
 */
import * as path from 'node:path';
import type { DomainDef } from '../../conf/domain-model.js';
import { parseDomainXml } from '../../conf/domain-xml.js';
import { VireoError } from '../../api/errors.js';
import { resolveFirmware } from '../../qemu/firmware.js';
import { buildQemuArgv, type LaunchPaths } from '../../qemu/argv.js';
import { QEMU_ENV, shellQuote } from '../../qemu/process.js';
import { readFirmwareDescriptors } from '../../qemu/prepare.js';
import { DEFAULT_EMULATOR } from '../../host/qemu-binary.js';
import type { Store } from './store.js';
import { resolveDisks, type VolumeContext } from './disks.js';

/** Where a domain's sockets and logs are while it runs. */
export function launchPaths(store: Store, runDir: string, name: string, tpmSocket: string): LaunchPaths {
  return {
    monitor: path.join(runDir, 'monitor.sock'),
    serialSocket: (p) => path.join(runDir, `serial${p}.sock`),
    serialLog: (p) => store.serialLog(name, p),
    consoleSocket: (p) => path.join(runDir, `console${p}.sock`),
    channelSocket: (n) => path.join(runDir, `${n}.sock`),
    tpmSocket,
  };
}

export async function nativeCommandLine(defIn: DomainDef, ctx: { store: Store; kvmUsable: boolean; volumes: VolumeContext }): Promise<string> {
  // Volume disks are looked up as a start would (libvirt's domxml-to-native does the same).
  const def = resolveDisks(defIn, ctx.volumes);
  const firmware = def.os.firmware === 'efi' || def.os.loader !== undefined ? await readFirmwareDescriptors() : [];
  const live = resolveFirmware(def, firmware, path.join(ctx.store.layout.lib, 'nvram'));
  // Id -1 as libvirt's domxml-to-native: the run directory a start would use, minus its id.
  const runDir = ctx.store.runDir(-1, def.name);
  const argv = buildQemuArgv(live, launchPaths(ctx.store, runDir, def.name, path.join(runDir, 'swtpm.sock')), {
    accel: def.type === 'kvm' ? 'kvm' : 'tcg',
    hugepagesPath: '/dev/hugepages',
  });
  const env = Object.entries(QEMU_ENV(runDir)).map(([k, v]) => `${k}=${v}`);
  return shellQuote([...env, def.devices.emulator ?? DEFAULT_EMULATOR, ...argv]);
}

/** `domxml-to-native`: a domain's (or an XML text's) command line; only 'qemu-argv' is known. */
export async function domxmlToNative(format: string, source: DomainDef | string | undefined, ctx: { store: Store; kvmUsable: boolean; volumes: VolumeContext }): Promise<string> {
  if (format !== 'qemu-argv') throw VireoError.of('CONFIG_UNSUPPORTED', `Unsupported config type ${format}`, { hint: "the only format is 'qemu-argv'" });
  if (source === undefined) throw new VireoError('INVALID_ARG', "either 'xml' or 'domain' is needed");
  return nativeCommandLine(typeof source === 'string' ? parseDomainXml(source) : source, ctx);
}
