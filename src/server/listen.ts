/**
 * The daemon's UNIX sockets: the read-write one (run/vireod.sock) and the read-only one
 * (run/vireod-ro.sock, libvirt's libvirt-sock-ro), with the group and modes the administrator
 * chose (libvirt's unix_sock_group, unix_sock_rw_perms, unix_sock_ro_perms).
 */
import * as net from 'node:net';
import { promises as fs, readFileSync } from 'node:fs';
import { VireoError } from '../api/errors.js';

export interface SocketAccess {
  /** Group owning both sockets; undefined keeps the daemon's own. */
  gid?: number;
  /** Mode of the read-write socket (default 0600: root only, as before). */
  mode: number;
  /** Mode of the read-only socket (default 0666: anyone may read, as libvirt's 0777). */
  roMode: number;
}

export const DEFAULT_SOCKET_MODE = 0o600;
export const DEFAULT_RO_SOCKET_MODE = 0o666;

/** A file mode given to flag `flag`: octal, 3 or 4 digits, permission bits only. */
export function parseSocketMode(flag: string, value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) {
    throw new VireoError('INVALID_ARG', `${flag}: '${value}' is not an octal permission mode such as 0660`);
  }
  return parseInt(value, 8);
}

/**
 * A group given to flag `flag`, by name (looked up in /etc/group; Node has no getgrnam, so
 * groups known only to NSS services such as LDAP must be given by number) or by number.
 */
export function parseSocketGroup(flag: string, value: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(value)) {
    const gid = Number(value);
    if (gid > 0xfffffffe) throw new VireoError('INVALID_ARG', `${flag}: '${value}' is not a valid group id`);
    return gid;
  }
  let text = '';
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    // no group file: every name is unknown
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === value && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new VireoError('INVALID_ARG', `${flag}: no group named '${value}' in ${groupFile}`, { hint: 'give an existing group, by name or number' });
}

/** Whether something already accepts connections on `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Listen on the UNIX socket `path` with `mode` and group `gid`; refuses a socket another daemon serves. */
export async function listenUnix(server: net.Server, path: string, mode: number, gid: number | undefined, flag: string): Promise<void> {
  if (await socketAnswers(path)) throw new VireoError('OPERATION_INVALID', `another vireod is already serving ${path}`);
  await fs.rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // bind() runs inside listen(): under this umask the socket is born 0600, never briefly wider.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
  try {
    if (gid !== undefined) await fs.chown(path, -1, gid);
  } catch (e) {
    throw new VireoError('INVALID_ARG', `--socket-group: cannot give ${path} to group ${gid}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await fs.chmod(path, mode);
  } catch (e) {
    throw new VireoError('INVALID_ARG', `${flag}: cannot set mode ${mode.toString(8).padStart(4, '0')} on ${path}: ${(e as Error).message}`, { cause: e });
  }
}
