/**
 * Internal snapshots of a RUNNING guest: disks and memory together in its qcow2 images, through
 * QEMU 7.2's snapshot-save / snapshot-load / snapshot-delete jobs (qemu/monitor-jobs.ts). QEMU
 * pauses the guest for the job itself; the STOP/RESUME it sends go through the state machine
 * with the reasons libvirt records (snapshot while saving, from snapshot while reverting).
 */
import { VireoError } from '../../api/errors.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { diskNode } from '../../qemu/argv.js';
import { runSnapshotJob } from '../../qemu/monitor-jobs.js';
import type { Domain } from './domain.js';
import type { DomainHost } from './ops.js';
import type { Snapshot } from './snapshot-store.js';

let jobSeq = 0;
const jobId = (kind: string): string => `vireo-${kind}-${process.pid}-${++jobSeq}`;

/** The format node of each writable qcow2 file disk of the live definition, by target. */
function qcow2Nodes(def: DomainDef): Map<string, string> {
  const out = new Map<string, string>();
  def.devices.disks.forEach((d, i) => {
    if (d.device !== 'disk' || d.readonly) return;
    if (d.format !== 'qcow2' || d.sourceType !== 'file' || d.source === undefined) {
      const type = d.sourceType !== 'file' ? d.sourceType : d.format ?? 'raw';
      throw VireoError.of('CONFIG_UNSUPPORTED', `internal snapshot for disk ${d.target} unsupported for storage type ${type}`);
    }
    out.set(d.target, `${diskNode(d, i)}-format`);
  });
  return out;
}

function running(dom: Domain): NonNullable<Domain['runtime']> {
  const rt = dom.runtime;
  if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
  return rt;
}

/** Save disks and memory of the running guest as snapshot `name`; the targets it covers and the state it was in. */
export async function saveLive(host: DomainHost, dom: Domain, name: string): Promise<{ targets: string[]; state: 'running' | 'paused' }> {
  const rt = running(dom);
  const nodes = qcow2Nodes(rt.liveDef);
  if (nodes.size === 0) throw VireoError.of('OPERATION_INVALID', 'the domain has no writable qcow2 disk to hold the guest\'s memory state');
  const state = dom.state === 'paused' ? 'paused' : 'running';
  const qmp = await host.qmp(dom);
  const devices = [...nodes.values()];
  // QEMU stops the CPUs for the save (a STOP event when they ran): libvirt's pause reason.
  if (state === 'running') rt.pauseReason = 'creating snapshot';
  try {
    await runSnapshotJob(qmp, 'snapshot-save', jobId('save'), { tag: name, vmstate: devices[0]!, devices }, dom.name);
  } finally {
    if (dom.runtime === rt && dom.state === 'running') rt.pauseReason = undefined;
  }
  return { targets: [...nodes.keys()], state };
}

/** Revert the running guest to `s`, a snapshot taken while it ran: memory and disks go back. */
export async function loadLive(host: DomainHost, dom: Domain, s: Snapshot): Promise<void> {
  const rt = running(dom);
  if (s.state !== 'running' && s.state !== 'paused') {
    throw VireoError.of('NO_SUPPORT', `reverting a running guest to a snapshot taken while it was ${s.state} is not supported yet`, { hint: 'shut the guest off first' });
  }
  const nodes = qcow2Nodes(rt.liveDef);
  const devices: string[] = [];
  for (const d of s.disks ?? []) {
    if (d.snapshot !== 'internal') continue;
    const node = nodes.get(d.name);
    if (node === undefined) throw VireoError.of('OPERATION_FAILED', `disk '${d.name}' of snapshot ${s.name} is no longer in the domain`);
    devices.push(node);
  }
  if (devices.length === 0) throw VireoError.of('OPERATION_FAILED', `snapshot ${s.name} holds no disk of the domain`);
  const qmp = await host.qmp(dom);
  const wasRunning = dom.state === 'running';
  // QEMU stops the guest for the load and runs it on after (STOP, RESUME): libvirt's
  // Suspended/Resumed "from snapshot".
  rt.pauseReason = 'from snapshot';
  rt.resumeReason = 'from snapshot';
  try {
    await runSnapshotJob(qmp, 'snapshot-load', jobId('load'), { tag: s.name, vmstate: devices[0]!, devices }, dom.name);
    if (dom.runtime !== rt) return;
    if (s.state === 'running' && !wasRunning) {
      await qmp.cont();
    } else if (s.state === 'paused' && dom.state === 'running') {
      rt.pauseReason = 'from snapshot';
      await qmp.stop();
    }
  } finally {
    if (dom.runtime === rt) {
      rt.resumeReason = undefined;
      if (dom.state === 'running') rt.pauseReason = undefined;
    }
  }
}

/** Delete internal snapshot `s` from the running guest's disks. */
export async function deleteLive(host: DomainHost, dom: Domain, s: Snapshot): Promise<void> {
  const rt = running(dom);
  const nodes = qcow2Nodes(rt.liveDef);
  const devices = (s.disks ?? []).filter((d) => d.snapshot === 'internal').flatMap((d) => {
    const node = nodes.get(d.name);
    return node === undefined ? [] : [node];
  });
  if (devices.length === 0) return;
  await runSnapshotJob(await host.qmp(dom), 'snapshot-delete', jobId('delete'), { tag: s.name, devices }, dom.name);
}
