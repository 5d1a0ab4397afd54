/**
 * QEMU's background jobs for internal snapshots of a running guest (QEMU 7.2's snapshot-save,
 * snapshot-load, snapshot-delete): start one, wait for it to conclude (JOB_STATUS_CHANGE, listened
 * for before the job starts so that no change is missed), read its outcome from query-jobs and
 * dismiss it. A failed job becomes a QMP_ERROR carrying QEMU's own words.
 */
import { VireoError } from '../api/errors.js';
import type { QmpEvent } from './qmp/client.js';
import type { Monitor } from './monitor.js';

export type SnapshotJobKind = 'snapshot-save' | 'snapshot-load' | 'snapshot-delete';

const WHAT: Record<SnapshotJobKind, string> = {
  'snapshot-save': 'save the snapshot',
  'snapshot-load': 'load the snapshot',
  'snapshot-delete': 'delete the snapshot',
};

/** One job of query-jobs, as far as vireo reads it. */
export interface JobInfo {
  id: string;
  status: string;
  error?: string;
}

/** query-jobs' reply (exported for the unit test). */
export function parseJobs(reply: unknown): JobInfo[] {
  if (!Array.isArray(reply)) throw VireoError.of('QEMU_FAILED', "QEMU answered 'query-jobs' with a reply vireo does not understand");
  return reply.flatMap((j: unknown) => {
    const r = typeof j === 'object' && j !== null ? (j as Record<string, unknown>) : {};
    if (typeof r.id !== 'string' || typeof r.status !== 'string') return [];
    return [{ id: r.id, status: r.status, ...(typeof r.error === 'string' ? { error: r.error } : {}) }];
  });
}

/**
 * Run an internal snapshot job: `tag` is the snapshot's name, `devices` the block nodes of the
 * disks it covers, `vmstate` (save and load) the node that holds the guest's memory.
 */
export async function runSnapshotJob(qmp: Monitor, kind: SnapshotJobKind, jobId: string, a: { tag: string; devices: string[]; vmstate?: string }, domain: string): Promise<void> {
  let settle: () => void = () => undefined;
  const concluded = new Promise<void>((resolve) => { settle = resolve; });
  const onEvent = (ev: QmpEvent): void => {
    if (ev.event === 'JOB_STATUS_CHANGE' && ev.data.id === jobId && ev.data.status === 'concluded') settle();
  };
  // A monitor that goes away ends the wait too; query-jobs then fails as QEMU_FAILED.
  const onClose = (): void => settle();
  qmp.on('event', onEvent);
  qmp.on('close', onClose);
  try {
    const args: Record<string, unknown> = { 'job-id': jobId, tag: a.tag, devices: a.devices };
    if (a.vmstate !== undefined) args.vmstate = a.vmstate;
    await qmp.execute(kind, args);
    await concluded;
    const job = parseJobs(await qmp.execute('query-jobs')).find((j) => j.id === jobId);
    if (job === undefined) throw VireoError.of('QEMU_FAILED', `QEMU lost the ${kind} job of domain '${domain}'`);
    await qmp.execute('job-dismiss', { id: jobId });
    if (job.error !== undefined) {
      throw VireoError.of('QMP_ERROR', `QEMU could not ${WHAT[kind]} '${a.tag}' of domain '${domain}' (monitor command '${kind}'): ${job.error}`);
    }
  } finally {
    qmp.off('event', onEvent);
    qmp.off('close', onClose);
  }
}
