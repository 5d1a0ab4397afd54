/**
 * vireo:///session: the per-user daemon is started by the client on first use, as libvirt's
 * session daemon is. It runs detached and outlives the CLI.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { createConnection } from 'node:net';
import { sessionLayout } from '../../api/paths.js';
import { VireoError } from '../../api/errors.js';
import { spawnDetached } from '../../util/proc.js';

/** bin/vireod of this installation: above dist/src/client/node on Node, beside dist/ when compiled. */
function vireodPath(): string {
  if (process.env.VIREO_VIREOD) return process.env.VIREO_VIREOD;
  const here = new URL('../../../../bin/vireod', import.meta.url);
  if (here.protocol === 'file:' && existsSync(fileURLToPath(here))) return fileURLToPath(here);
  return path.join(path.dirname(process.execPath), '..', 'bin', 'vireod');
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Start `vireod --session` unless it already answers, and wait (up to 10 s) until it does. */
export async function ensureSessionDaemon(socket: string): Promise<void> {
  if (await answers(socket)) return;
  const layout = sessionLayout();
  mkdirSync(layout.log, { recursive: true, mode: 0o700 });
  const vireod = vireodPath();
  if (!existsSync(vireod)) throw new VireoError('DAEMON_UNREACHABLE', `cannot start the session daemon: ${vireod} does not exist`);
  await spawnDetached(vireod, ['--session'], { logFile: path.join(layout.log, 'vireod.log') });
  const deadline = Date.now() + 10_000;
  for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
    await new Promise((r) => setTimeout(r, delay));
    if (await answers(socket)) return;
  }
  throw new VireoError('DAEMON_UNREACHABLE', `the session daemon did not come up on ${socket}; see ${path.join(layout.log, 'vireod.log')}`);
}
