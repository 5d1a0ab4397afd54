/** Handlers of the tuning routes (schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin, cpu-stats). */
import { getTuning, setTuning } from '../../daemon/domain/tuning.js';
import type { HandlerTable } from './call.js';

type TuningId = 'domain.tuning' | 'domain.setTuning';

export const tuningHandlers: HandlerTable<TuningId> = {
  'domain.tuning': ({ daemon, ref, query }) => getTuning(daemon.domains.host, ref, { live: query.flag('live'), config: query.flag('config') }),
  // The body was checked against the TuningChange schema (all optional fields) before it got here.
  'domain.setTuning': ({ daemon, ref, body }) => setTuning(daemon.domains.host, ref, body),
};
