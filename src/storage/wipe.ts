/**
 * vol-wipe of a volume that is a local file or block device, as libvirt's local backends do:
 * zeros written by vireod itself, the pattern algorithms (nnsa, dod, gutmann, random...) by
 * scrub(1) with `-f -p ALGORITHM`, which also writes its "SCRUBBED!" signature at the start;
 * trim is refused (libvirt has it for RBD only).
 */
import { VireoError } from '../api/errors.js';
import type { WipeAlgorithm } from '../api/storage-types.js';
import { run } from '../util/proc.js';
import { systemError, zeroFill } from './files.js';
import { toolPath } from './tool.js';

/** Wipe `length` bytes of `path` (the zero algorithm), or all of it with scrub's pattern. */
export async function wipeLocal(path: string, length: number, algorithm: WipeAlgorithm): Promise<void> {
  if (algorithm === 'trim') throw VireoError.of('NO_SUPPORT', "argument unsupported: 'trim' algorithm not supported");
  if (algorithm === 'zero') {
    try {
      await zeroFill(path, length);
    } catch (e) {
      throw systemError(`Failed to wipe volume '${path}'`, e);
    }
    return;
  }
  const scrub = toolPath('scrub');
  // libvirt's words; the package goes in the hint.
  if (scrub === undefined) throw VireoError.of('NO_SUPPORT', "Cannot find 'scrub' in path: No such file or directory", { hint: 'apt-get install scrub' });
  // Gutmann's 35 passes over a large disk take hours: a day before the runner gives up.
  const r = await run(scrub, ['-f', '-p', algorithm, path], { timeoutMs: 86_400_000 });
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' ');
    throw VireoError.of('STORAGE_FAILED', `internal error: Child process (${scrub} -f -p ${algorithm} ${path}) unexpected exit status ${r.code ?? r.signal ?? '?'}: ${why}`);
  }
}
