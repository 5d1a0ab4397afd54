/**
 * What vireod does about a running guest's QMP events. State changes go through the state
 * machine at once, in the order QEMU sent them; what an event makes vireod do to QEMU (end a
 * powered-off guest, reset it for a reboot) runs as an internal job, in order with the
 * domain's other jobs rather than beside them.
 */
import * as path from 'node:path';
import type { QmpEvent } from '../../qemu/qmp/client.js';
import { ConsoleStream } from '../../qemu/console.js';
import { logger } from '../../util/log.js';
import { isCurrent, saveStatus, transition, type LifecycleContext } from './context.js';
import { stopProcess } from './stop.js';
import { onMonitorClosed } from './reconnect.js';
import { onDeviceDeleted, onUnplugRefused } from './unplug.js';
import { onBalloonChange } from './memory.js';
import { onVcpuDeleted } from './vcpus.js';
import { onWriteThreshold } from './blockops.js';
import type { Domain, Runtime } from './domain.js';

const log = logger('lifecycle');

/** Follow QMP events and the monitor's end for a runtime. */
export function watch(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
  const qmp = rt.qmp!;
  qmp.on('event', (ev) => onEvent(ctx, dom, rt, ev));
  // Not awaited (an event handler), so its failure (say, the status file cannot be removed) is
  // logged here: unhandled, it would end vireod.
  qmp.on('close', () => {
    onMonitorClosed(ctx, dom, rt).catch((e: unknown) => log.error(`${dom.name}: cleaning up after QEMU's monitor closed failed`, { error: String(e) }));
  });
}

/** Run what an event asks of QEMU as an internal job of the domain (logged, never thrown). */
function act(dom: Domain, rt: Runtime, name: string, fn: () => Promise<void>): void {
  dom.jobs.run(name, 'short', async () => {
    if (isCurrent(dom, rt)) await fn();
  }, { internal: true }).catch((e: unknown) => log.error(`${dom.name}: ${name} failed`, { error: String(e) }));
}

function onEvent(ctx: LifecycleContext, dom: Domain, rt: Runtime, ev: QmpEvent): void {
  if (rt.finalized || rt.expectedExit !== undefined) return;
  log.debug(`${dom.name}: ${ev.event}`, ev.data);
  switch (ev.event) {
    case 'STOP':
      if (!rt.inShutdown) transition(ctx, dom, rt, rt.pauseReason === 'user' ? 'suspend' : 'qemu-paused', rt.pauseReason);
      rt.pauseReason = undefined;
      break;
    case 'RESUME':
      if (!rt.inShutdown) transition(ctx, dom, rt, 'resume', rt.resumeReason);
      break;
    case 'SHUTDOWN':
      onGuestShutdown(ctx, dom, rt, ev.data.guest === true);
      break;
    case 'RESET':
      ctx.changed(dom, 'reboot', '');
      break;
    case 'BALLOON_CHANGE':
      onBalloonChange(ctx, dom, rt, Number(ev.data.actual));
      break;
    case 'DEVICE_DELETED':
      // Also sent for a device's backing objects, which have a path but no device id.
      if (typeof ev.data.device === 'string') onDeviceDeleted(ctx, dom, rt, ev.data.device);
      // A vCPU's own event, or (QEMU 7.2 under TCG sends only that) its local APIC's: see vcpus.ts.
      if (/^vcpu\d+$/.test(String(ev.data.device)) || /^\/machine\/peripheral\/vcpu\d+(\/|$)/.test(String(ev.data.path))) onVcpuDeleted({ ctx }, dom, rt);
      break;
    case 'ACPI_DEVICE_OST': {
      // The guest's answer to an eject request (_OST source 3, the eject notification, or 0x103,
      // an eject the guest began): a failure status means it refused to let a memory module go
      // (0x84: still working on it).
      const info = (ev.data as { info?: { device?: unknown; 'slot-type'?: unknown; source?: unknown; status?: unknown } }).info;
      if (info?.['slot-type'] === 'DIMM' && typeof info.device === 'string' && (info.source === 3 || info.source === 0x103)
        && typeof info.status === 'number' && info.status !== 0 && info.status !== 0x84) {
        onUnplugRefused(rt, info.device);
      }
      break;
    }
    case 'BLOCK_WRITE_THRESHOLD': {
      const d = ev.data as { 'node-name'?: unknown; 'write-threshold'?: unknown; 'amount-exceeded'?: unknown };
      if (typeof d['node-name'] === 'string' && typeof d['write-threshold'] === 'number' && typeof d['amount-exceeded'] === 'number') {
        onWriteThreshold(ctx, dom, rt, d['node-name'], d['write-threshold'], d['amount-exceeded']);
      }
      break;
    }
    case 'GUEST_PANICKED':
      if (rt.liveDef.onCrash === 'restart' || rt.liveDef.onCrash === 'coredump-restart') {
        act(dom, rt, 'restart after panic', async () => {
          await rt.qmp?.systemReset();
          await rt.qmp?.cont();
        });
      } else {
        transition(ctx, dom, rt, 'panic');
        if (rt.liveDef.onCrash !== 'preserve') act(dom, rt, 'destroy after panic', async () => void (await stopProcess(ctx, dom, 'crashed')));
      }
      break;
  }
}

/** The guest powered off (QEMU waits, -no-shutdown): reboot it, keep it, or end it, per on_poweroff. */
export function onGuestShutdown(ctx: LifecycleContext, dom: Domain, rt: Runtime, byGuest: boolean): void {
  const action = rt.liveDef.onPoweroff;
  rt.inShutdown = true;
  if (rt.fakeReboot || action === 'restart') {
    rt.fakeReboot = false;
    act(dom, rt, 'reboot', async () => {
      try {
        await rt.qmp?.systemReset();
        await rt.qmp?.cont();
      } finally {
        rt.inShutdown = false;
      }
      // The RESET event that system_reset raises reports the reboot to listeners.
      transition(ctx, dom, rt, 'reboot');
      await saveStatus(ctx, dom);
    });
    return;
  }
  ctx.changed(dom, 'Shutdown', byGuest ? 'Finished after guest request' : 'Finished after host request');
  if (action === 'preserve') {
    transition(ctx, dom, rt, 'poweroff-preserved');
    return;
  }
  act(dom, rt, 'end powered-off guest', async () => void (await stopProcess(ctx, dom, 'shutdown', { viaQuit: true })));
}

/** Attach to the guest's serial consoles (`replay`: refill the buffer from the log first). */
export async function connectConsoles(ctx: LifecycleContext, rt: Runtime, replay: boolean): Promise<void> {
  for (const s of rt.liveDef.devices.serials) {
    if (s.source.type !== 'pty') continue;
    const c = new ConsoleStream(path.join(rt.runDir, `serial${s.port}.sock`));
    if (replay) await c.prefillFrom(ctx.store.serialLog(rt.liveDef.name, s.port));
    await c.connect();
    rt.consoles.set(s.port, c);
  }
}
