/**
 * Input devices in hotplug.ts's table, as libvirt's QEMU driver plugs them: a USB tablet, mouse
 * or keyboard on the lowest free port of the guest's USB controller, a virtio one at a free
 * hot-pluggable PCI place (device id inputN, the lowest free); unplugged with device_del. PS/2
 * inputs are part of the machine and change in the stored definition only.
 */
import { VireoError } from '../../api/errors.js';
import { hotplugPlace, hotplugUsbPlace, type DeviceOf } from '../../conf/domain-device.js';
import type { DomainDef, Input } from '../../conf/domain-model.js';
import { inputDevice } from '../../qemu/argv.js';
import { Revert } from '../../util/revert.js';
import { saveStatus } from './context.js';
import type { DeviceKind } from './hotplug-kind.js';
import { unplugDevice } from './unplug.js';

/** The input of `list` a device XML names: its type and bus (and address, when it gives one); libvirt's error when none. */
function findInput(list: readonly Input[], given: Input): number {
  const at = given.address === undefined ? undefined : JSON.stringify(given.address);
  const i = list.findIndex((x) => x.type === given.type && x.bus === given.bus && (at === undefined || JSON.stringify(x.address) === at));
  if (i < 0) throw VireoError.of('DEVICE_MISSING', 'matching input device not found');
  return i;
}

/** Give each input of a live definition its device id (input<index>, the command line's) unless it has one. */
function nameInputs(live: DomainDef): void {
  live.devices.inputs.forEach((x, i) => (x.alias ??= `input${i}`));
}

function nextInputAlias(live: DomainDef): string {
  const used = new Set(live.devices.inputs.map((x) => x.alias));
  let n = 0;
  while (used.has(`input${n}`)) n++;
  return `input${n}`;
}

const noPs2 = (op: string): VireoError =>
  VireoError.of('NO_SUPPORT', `Operation not supported: a PS/2 input is part of the machine and cannot be hot ${op === 'attach' ? 'plugged' : 'unplugged'}; use --config`);

export const inputKind: DeviceKind<DeviceOf<'input'>> = {
  config(next, op, dev) {
    const list = next.devices.inputs;
    if (op === 'attach') list.push(structuredClone(dev.input));
    else list.splice(findInput(list, dev.input), 1);
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    const live = rt.liveDef;
    nameInputs(live);
    if (op === 'detach') {
      const old = live.devices.inputs[findInput(live.devices.inputs, dev.input)]!;
      if (old.bus === 'ps2') throw noPs2(op);
      out.alias = old.alias!;
      out.pending = await unplugDevice(ctx, dom, rt, qmp, out.alias);
      return;
    }
    if (dev.input.bus === 'ps2') throw noPs2(op);
    const input = structuredClone(dev.input);
    const alias = nextInputAlias(live);
    input.alias = alias;
    input.address = input.bus === 'usb'
      ? hotplugUsbPlace(live, dev.input)
      : hotplugPlace(live, (trial) => {
        const copy = structuredClone(dev.input);
        trial.devices.inputs.push(copy);
        return () => (copy.address?.type === 'pci' ? copy.address : undefined);
      });
    await Revert.run(async (revert) => {
      await qmp.deviceAdd(inputDevice(live, input, alias));
      revert.add(() => qmp.deviceDel(alias), `device ${alias}`);
      live.devices.inputs.push(input);
      revert.add(() => live.devices.inputs.splice(live.devices.inputs.indexOf(input), 1), 'live definition');
      await saveStatus(ctx, dom);
    });
    ctx.changed(dom, 'device-added', alias);
    out.alias = alias;
  },
  update: false,
};
