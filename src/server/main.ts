/** vireod: the daemon's entry point. `vireod [--root DIR] [--socket PATH] [--session]` runs in the foreground. */
import { parseArgs } from 'node:util';
import { promises as fs } from 'node:fs';
import { readOnlySocket, rootLayout, sessionLayout, systemLayout, type StateLayout } from '../api/paths.js';
import { Daemon } from '../daemon/daemon.js';
import { logger } from '../util/log.js';
import { serve } from './http.js';
import { DEFAULT_RO_SOCKET_MODE, DEFAULT_SOCKET_MODE, parseSocketGroup, parseSocketMode, type SocketAccess } from './listen.js';
import { lockRoot } from '../util/root-lock.js';
import { writeFileAtomic } from '../util/atomic.js';
import { isVireoError } from '../api/errors.js';
import * as path from 'node:path';

const log = logger('vireod');

const USAGE = `Usage: vireod [--root DIR] [--socket PATH] [--session] [--socket-group G] [--socket-mode M] [--ro-socket-mode M]

  --root DIR            keep all state under DIR (etc/, lib/, run/, log/)
  --socket PATH         serve the API on PATH instead of the default socket; the
                        read-only socket is beside it (vireod.sock -> vireod-ro.sock)
  --session             the per-user daemon (state under the XDG directories)
  --socket-group G      group owning both sockets, by name or number (default: vireod's)
  --socket-mode M       mode of the read-write socket (default 0600)
  --ro-socket-mode M    mode of the read-only socket (default 0666)
  --default-network yes|no
                        on the first start of this state, define libvirt's 'default' NAT
                        network (192.168.122.0/24, or the next free /24) and mark it autostart
                        (default: yes for the host daemon, no with --root or --session)
  --default-pool yes|no
                        on the first start of this state, define libvirt's 'default' dir
                        pool in lib/images, build it and mark it autostart (same default)
  -h, --help            show this help
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        root: { type: 'string' },
        socket: { type: 'string' },
        session: { type: 'boolean' },
        'socket-group': { type: 'string' },
        'socket-mode': { type: 'string' },
        'ro-socket-mode': { type: 'string' },
        'default-network': { type: 'string' },
        'default-pool': { type: 'string' },
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
  let access: SocketAccess;
  try {
    access = {
      mode: args['socket-mode'] === undefined ? DEFAULT_SOCKET_MODE : parseSocketMode('--socket-mode', args['socket-mode']),
      roMode: args['ro-socket-mode'] === undefined ? DEFAULT_RO_SOCKET_MODE : parseSocketMode('--ro-socket-mode', args['ro-socket-mode']),
    };
    if (args['socket-group'] !== undefined) access.gid = parseSocketGroup('--socket-group', args['socket-group']);
  } catch (e) {
    process.stderr.write(`vireod: ${(e as Error).message}\n`);
    process.exit(2);
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
  await fs.mkdir(layout.run, { recursive: true, mode: 0o755 });
  // Searchable by all, as /run/libvirt: the read-only socket must be reachable. What it holds
  // is protected one by one (domains/ is 0700, the read-write socket 0600 by default).
  await fs.chmod(layout.run, 0o755);
  const pidFile = path.join(layout.run, 'vireod.pid');
  await writeFileAtomic(pidFile, `${process.pid}\n`, 0o644, { durable: false });
  const defaultNetwork = args['default-network'] ?? (args.root === undefined && args.session !== true ? 'yes' : 'no');
  if (defaultNetwork !== 'yes' && defaultNetwork !== 'no') {
    process.stderr.write(`vireod: --default-network must be yes or no, not '${defaultNetwork}'\n`);
    process.exit(2);
  }
  const defaultPool = args['default-pool'] ?? (args.root === undefined && args.session !== true ? 'yes' : 'no');
  if (defaultPool !== 'yes' && defaultPool !== 'no') {
    process.stderr.write(`vireod: --default-pool must be yes or no, not '${defaultPool}'\n`);
    process.exit(2);
  }
  const daemon = new Daemon(layout, { defaultNetwork: defaultNetwork === 'yes', defaultPool: defaultPool === 'yes' });
  await daemon.init();
  const roSocket = readOnlySocket(layout.socket);
  const server = await serve(daemon, { socket: layout.socket, roSocket, ...access }, uri);
  log.info(`listening on ${layout.socket} (read-only: ${roSocket})`);

  const stop = (sig: string): void => {
    log.info(`${sig}: stopping; running guests keep running`);
    daemon.close();
    server.close();
    // Not awaited (a signal handler); whatever the removals do, the finally ends the process.
    void Promise.all([layout.socket, roSocket, pidFile].map((f) => fs.rm(f, { force: true }))).finally(() => {
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
