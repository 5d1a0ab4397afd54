/** Locating the QEMU emulator and learning its version. */
import { promises as fs, constants as fsc } from 'node:fs';
import { run } from '../util/proc.js';
import { VireoError } from '../api/errors.js';

export const DEFAULT_EMULATOR = '/usr/bin/qemu-system-x86_64';

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** libvirt's encoding: major * 1_000_000 + minor * 1000 + micro. */
  number: number;
}

const versionCache = new Map<string, Promise<QemuVersion>>();

/** Ask an emulator binary for its version (once per path; concurrent callers share the answer). */
export function qemuVersion(emulator = DEFAULT_EMULATOR): Promise<QemuVersion> {
  let v = versionCache.get(emulator);
  if (v === undefined) {
    v = probeVersion(emulator);
    versionCache.set(emulator, v);
    v.catch(() => versionCache.delete(emulator)); // a binary installed later is found then
  }
  return v;
}

async function probeVersion(emulator: string): Promise<QemuVersion> {
  try {
    await fs.access(emulator, fsc.X_OK);
  } catch {
    throw VireoError.of('NO_SUPPORT', `Cannot find QEMU binary ${emulator}`, {
      hint: 'install it with: apt-get install qemu-system-x86',
    });
  }
  const r = await run(emulator, ['--version']);
  const m = /version (\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
  if (m === null) throw VireoError.of('QEMU_FAILED', `Cannot parse the version printed by ${emulator}: ${r.stdout.split('\n')[0] ?? ''}`);
  const [major, minor, micro] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, micro, number: major * 1_000_000 + minor * 1000 + micro };
}

/** The machine types an emulator offers: each name, and what its aliases stand for ('q35' -> 'pc-q35-7.2'). */
export interface QemuMachines {
  names: Set<string>;
  aliases: Map<string, string>;
}

const machinesCache = new Map<string, Promise<QemuMachines>>();

/** Parse `qemu-system-x86_64 -machine help` (pure; exported for tests). */
export function parseMachineHelp(text: string): QemuMachines {
  const names = new Set<string>();
  const aliases = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+.*?(?:\(alias of (\S+)\))?\s*(?:\(default\))?\s*(?:\(deprecated\))?$/.exec(line);
    if (m === null || line.startsWith('Supported machines')) continue;
    names.add(m[1]!);
    if (m[2] !== undefined) aliases.set(m[1]!, m[2]);
  }
  return { names, aliases };
}

/** The machine types of an emulator (probed once per path). */
export function qemuMachines(emulator = DEFAULT_EMULATOR): Promise<QemuMachines> {
  let v = machinesCache.get(emulator);
  if (v === undefined) {
    v = (async () => {
      await qemuVersion(emulator); // a clear error when the binary is missing
      return parseMachineHelp((await run(emulator, ['-machine', 'help'])).stdout);
    })();
    machinesCache.set(emulator, v);
    v.catch(() => machinesCache.delete(emulator));
  }
  return v;
}
