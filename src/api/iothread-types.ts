/** Wire types of I/O threads (iothreadinfo, iothreadadd, iothreaddel, iothreadpin, iothreadset). */
import type { ModificationImpact } from './types.js';

/** GET /v1/domains/{ref}/iothreads: one I/O thread and its host CPU affinity. */
export interface IothreadEntry {
  id: number;
  /** e.g. '0-1': the running thread's (from /proc), or the definition's pinning. */
  affinity: string;
}

/** POST /v1/domains/{ref}/iothreads/add and /delete. */
export interface IothreadRequest extends ModificationImpact {
  id: number;
}

/** POST /v1/domains/{ref}/iothreads/pin. */
export interface IothreadPinRequest extends IothreadRequest {
  cpuset: string;
}

/** POST /v1/domains/{ref}/iothreads/set: the tunables to change (absent: unchanged). */
export interface IothreadSetRequest extends IothreadRequest {
  pollMaxNs?: number;
  pollGrow?: number;
  pollShrink?: number;
  /** -1: QEMU's default. */
  poolMin?: number;
  poolMax?: number;
}
