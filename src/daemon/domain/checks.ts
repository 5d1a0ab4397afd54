/** Checks of domain requests that need the host but no domain state: machine types, shutdown modes. */
import type { DomainDef } from '../../conf/domain-model.js';
import { VireoError } from '../../api/errors.js';
import { DEFAULT_EMULATOR, qemuMachines } from '../../host/qemu-binary.js';

/**
 * Pin a machine alias ('q35', 'pc') to the versioned type it stands for on this QEMU
 * ('pc-q35-7.2'), as libvirt does at define: a QEMU upgrade then never changes the hardware a
 * defined guest sees. A machine type the emulator lacks is refused here, not at start.
 */
export async function pinMachine(def: DomainDef): Promise<void> {
  const emulator = def.devices.emulator ?? DEFAULT_EMULATOR;
  const machines = await qemuMachines(emulator);
  const versioned = machines.aliases.get(def.os.machine);
  if (versioned !== undefined) {
    def.os.machine = versioned;
  } else if (!machines.names.has(def.os.machine)) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `Emulator '${emulator}' does not support machine type '${def.os.machine}'`, {
      hint: `see: ${emulator} -machine help`,
    });
  }
}

export function checkMode(mode: string | undefined): void {
  if (mode === undefined || mode === '' || mode === 'acpi') return;
  for (const m of mode.split(',')) {
    if (!['acpi', 'agent', 'initctl', 'signal', 'paravirt'].includes(m)) throw new VireoError('INVALID_ARG', `Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'`);
  }
  if (!mode.split(',').includes('acpi')) throw new VireoError('NO_SUPPORT', `this function is not supported by the connection driver: shutdown mode '${mode}' needs a guest agent; use --mode acpi`);
}
