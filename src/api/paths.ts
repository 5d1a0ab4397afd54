/**
 * Where a vireod keeps its state, for the three kinds of instance. Shared by the daemon
 * (which creates the layout) and the client (which finds the socket).
 */
import * as os from 'node:os';
import * as path from 'node:path';

export interface StateLayout {
  etc: string;
  lib: string;
  run: string;
  log: string;
  socket: string;
}

export const SYSTEM_SOCKET = '/run/vireo/vireod.sock';

/**
 * The read-only socket served beside a read-write one (libvirt's libvirt-sock-ro):
 * run/vireod.sock -> run/vireod-ro.sock. Its connections can only read.
 */
export function readOnlySocket(socket: string): string {
  return `${socket.endsWith('.sock') ? socket.slice(0, -'.sock'.length) : socket}-ro.sock`;
}

/** The host daemon's layout (vireo:///system). */
export function systemLayout(): StateLayout {
  return { etc: '/etc/vireo', lib: '/var/lib/vireo', run: '/run/vireo', log: '/var/log/vireo', socket: SYSTEM_SOCKET };
}

/** Everything under one directory (vireod --root DIR). */
export function rootLayout(root: string): StateLayout {
  const r = path.resolve(root);
  return { etc: path.join(r, 'etc'), lib: path.join(r, 'lib'), run: path.join(r, 'run'), log: path.join(r, 'log'), socket: path.join(r, 'run', 'vireod.sock') };
}

/** The per-user daemon's layout (vireo:///session), under the XDG base directories. */
export function sessionLayout(env: NodeJS.ProcessEnv = process.env): StateLayout {
  const home = env.HOME ?? os.homedir();
  const config = env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  const data = env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  const state = env.XDG_STATE_HOME ?? path.join(home, '.local', 'state');
  const runtime = env.XDG_RUNTIME_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'vireo-run');
  const run = path.join(runtime, 'vireo');
  return { etc: path.join(config, 'vireo'), lib: path.join(data, 'vireo'), run, log: path.join(state, 'vireo', 'log'), socket: path.join(run, 'vireod.sock') };
}
