/** Handlers of the tuning routes (schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin, cpu-stats). */
import type { TuningChange } from '../../api/types.js';
import { cpuStats, getTuning, setTuning } from '../../daemon/domain/tuning.js';
import type { HandlerTable } from './call.js';

type TuningId = 'domain.tuning' | 'domain.setTuning' | 'domain.cpuStats';

export const tuningHandlers: HandlerTable<TuningId> = {
  'domain.tuning': ({ daemon, ref, query }) => getTuning(daemon.domains.host, ref, { live: query.flag('live'), config: query.flag('config') }),
  // The body was checked against the TuningChange schema before it got here.
  'domain.setTuning': ({ daemon, ref, body }) => setTuning(daemon.domains.host, ref, body as TuningChange),
  'domain.cpuStats': ({ daemon, ref }) => cpuStats(daemon.domains.host, ref),
};
