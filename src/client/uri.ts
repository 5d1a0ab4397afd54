/** Connection URIs as libvirt users write them, resolved to a daemon socket. */
import { VireoError } from '../api/errors.js';
import { SYSTEM_SOCKET, sessionLayout } from '../api/paths.js';

export interface Endpoint {
  /** The canonical URI that `vireo uri` prints. */
  uri: string;
  socket: string;
  /** True for vireo:///session: the client may start the per-user daemon. */
  session: boolean;
}

/**
 * Resolve a URI: vireo:///system, vireo:///session, vireo+unix:///system?socket=PATH, and the
 * qemu:/// aliases. Remote transports (tcp, ssh) are recognised and refused with a clear error.
 */
export function parseUri(uri: string, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const m = /^([a-z]+)(?:\+([a-z]+))?:\/\/([^/?]*)(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (m === null) throw new VireoError('INVALID_ARG', `invalid connection URI '${uri}'`, { hint: 'use vireo:///system, vireo:///session or vireo+unix:///system?socket=PATH' });
  const [, scheme, transport, host, pathPart, query] = m as unknown as [string, string, string | undefined, string, string | undefined, string | undefined];
  if (scheme !== 'vireo' && scheme !== 'qemu') {
    throw new VireoError('INVALID_ARG', `no connection driver available for URI '${uri}'`, { hint: "vireo speaks vireo:// and qemu:// URIs" });
  }
  const instance = pathPart ?? '/system';
  if (instance !== '/system' && instance !== '/session') {
    throw new VireoError('INVALID_ARG', `unexpected path '${instance}' in URI '${uri}'`, { hint: 'the path is /system or /session' });
  }
  if (transport !== undefined && transport !== 'unix') {
    throw new VireoError('NO_SUPPORT', `the '${transport}' transport is not supported yet (URI '${uri}')`, { hint: 'connect over the local UNIX socket' });
  }
  if (host !== '') throw new VireoError('NO_SUPPORT', `remote hosts are not supported yet (URI '${uri}')`);
  const params = new URLSearchParams(query ?? '');
  const explicit = params.get('socket');
  if (explicit !== null) {
    return { uri: `${scheme}+unix://${instance}?socket=${explicit}`, socket: explicit, session: false };
  }
  if (instance === '/session') return { uri: `${scheme}:///session`, socket: sessionLayout(env).socket, session: true };
  return { uri: `${scheme}:///system`, socket: SYSTEM_SOCKET, session: false };
}

/** The URI to use when none is given: VIREO_DEFAULT_URI, a qemu LIBVIRT_DEFAULT_URI, system for root, else session. */
export function defaultUri(env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0, systemSocketExists = false): string {
  if (env.VIREO_DEFAULT_URI) return env.VIREO_DEFAULT_URI;
  const lv = env.LIBVIRT_DEFAULT_URI;
  if (lv !== undefined && /^qemu(\+unix)?:\/\//.test(lv)) return lv;
  return isRoot && systemSocketExists ? 'vireo:///system' : 'vireo:///session';
}
