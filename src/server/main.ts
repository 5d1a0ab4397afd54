/** vireod: the daemon's entry point. `vireod [--root DIR] [--socket PATH] [--session]` runs in the foreground. */
import { parseArgs } from 'node:util';
import { promises as fs } from 'node:fs';
import { rootLayout, sessionLayout, systemLayout, type StateLayout } from '../api/paths.js';
import { Daemon } from '../daemon/daemon.js';
import { logger } from '../util/log.js';
import { serve } from './http.js';
import { lockRoot } from '../util/root-lock.js';
import { writeFileAtomic } from '../util/atomic.js';
import { isVireoError } from '../api/errors.js';
import * as path from 'node:path';

const log = logger('vireod');

const USAGE = `Usage: vireod [--root DIR] [--socket PATH] [--session]

  --root DIR     keep all state under DIR (etc/, lib/, run/, log/)
  --socket PATH  serve the API on PATH instead of the default socket
  --session      the per-user daemon (state under the XDG directories)
  -h, --help     show this help
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        root: { type: 'string' },
        socket: { type: 'string' },
        session: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`vireod: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  let layout: StateLayout = args.root !== undefined ? rootLayout(args.root) : args.session === true ? sessionLayout() : systemLayout();
  if (args.socket !== undefined) layout = { ...layout, socket: args.socket };
  const uri = args.socket !== undefined || args.root !== undefined
    ? `vireo+unix:///system?socket=${layout.socket}`
    : args.session === true ? 'vireo:///session' : 'vireo:///system';

  // Lock the root before anything reads state or reaches a guest: a second daemon on the same
  // root would reconnect to the same QEMUs and serve a diverging view (util/root-lock.ts).
  await fs.mkdir(layout.etc, { recursive: true, mode: 0o700 });
  const lock = await lockRoot(layout.etc, args.root !== undefined ? path.resolve(args.root) : layout.etc);
  await fs.mkdir(layout.run, { recursive: true, mode: 0o700 });
  const pidFile = path.join(layout.run, 'vireod.pid');
  await writeFileAtomic(pidFile, `${process.pid}\n`, 0o644, { durable: false });
  const daemon = new Daemon(layout);
  await daemon.init();
  const server = await serve(daemon, layout.socket, uri);
  log.info(`listening on ${layout.socket}`);

  const stop = (sig: string): void => {
    log.info(`${sig}: stopping; running guests keep running`);
    daemon.close();
    server.close();
    server.closeAllConnections();
    void Promise.all([fs.rm(layout.socket, { force: true }), fs.rm(pidFile, { force: true })]).finally(() => {
      lock.release();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  const hint = isVireoError(e) && e.hint !== undefined ? `vireod: hint: ${e.hint}\n` : '';
  process.stderr.write(`vireod: ${e instanceof Error ? e.message : String(e)}\n${hint}`);
  process.exit(1);
});
