/**
 * vireo-guests: what happens to running guests when the host shuts down and boots, as
 * libvirt-guests does for libvirt (and with its settings, see guests-config.ts).
 *
 *   vireo-guests [--config FILE] [--state FILE] start|stop|status
 *
 * `stop` (run by vireo-guests.service when the host goes down, before vireod stops) managed-saves
 * or shuts down every running guest on each connection and writes the list of those to bring
 * back; `start` (at boot, after vireod is up) starts them again: a managed-saved guest resumes
 * where it was. vireod itself never acts on its guests when it stops: it may be stopped for an
 * upgrade, and its guests run on without it.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DomainSummary } from '../api/types.js';
import { SYSTEM_SOCKET } from '../api/paths.js';
import { VireoClient } from '../client/client.js';
import { defaultUri } from '../client/uri.js';
import { failureLines } from './errors.js';
import { DEFAULT_GUESTS_CONFIG, formatGuestList, GuestsConfigError, parseGuestList, parseGuestsConfig, type GuestsConfig } from './guests-config.js';

export const DEFAULT_CONFIG_FILE = '/etc/default/vireo-guests';
export const DEFAULT_STATE_FILE = '/var/lib/vireo/vireo-guests';

const USAGE = `Usage: vireo-guests [--config FILE] [--state FILE] start|stop|status

  start    start the guests that were running at the last stop (ON_BOOT=start)
  stop     managed-save (ON_SHUTDOWN=suspend) or shut down (shutdown) every running guest
  status   list the running guests of each connection

  --config FILE   settings (default ${DEFAULT_CONFIG_FILE}; missing: libvirt-guests' defaults)
  --state FILE    the list of guests to bring back (default ${DEFAULT_STATE_FILE})
`;

export interface GuestsIo {
  out(line: string): void;
  err(line: string): void;
}

/** One connection's guests, as the steps below need them. */
interface Conn {
  uri: string;
  client: VireoClient;
}

/** Run vireo-guests; resolves to the exit status. */
export async function guestsMain(argv: readonly string[], io: GuestsIo): Promise<number> {
  let configFile = DEFAULT_CONFIG_FILE;
  let stateFile = DEFAULT_STATE_FILE;
  let action: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--config' || a === '--state') && i + 1 < argv.length) {
      if (a === '--config') configFile = argv[++i]!;
      else stateFile = argv[++i]!;
    } else if (a === '-h' || a === '--help') {
      io.out(USAGE);
      return 0;
    } else if (action === undefined && !a.startsWith('-')) {
      action = a;
    } else {
      io.err(`vireo-guests: unexpected argument '${a}'\n${USAGE}`);
      return 2;
    }
  }
  if (action !== 'start' && action !== 'stop' && action !== 'status') {
    io.err(`vireo-guests: ${action === undefined ? 'no action given' : `unknown action '${action}'`}\n${USAGE}`);
    return 2;
  }
  let config: GuestsConfig;
  try {
    config = existsSync(configFile) ? parseGuestsConfig(await fs.readFile(configFile, 'utf8'), configFile) : DEFAULT_GUESTS_CONFIG;
  } catch (e) {
    if (!(e instanceof GuestsConfigError)) throw e;
    io.err(`vireo-guests: ${e.message}\n`);
    return 1;
  }
  const conns = config.uris.map((u): Conn => {
    const uri = u === 'default' ? defaultUri(process.env, process.getuid?.() === 0, existsSync(SYSTEM_SOCKET)) : u;
    return { uri, client: VireoClient.open(uri) };
  });
  try {
    if (action === 'status') return await status(conns, io);
    if (action === 'stop') return await stop(conns, config, stateFile, io);
    return await start(conns, config, stateFile, io);
  } finally {
    for (const c of conns) c.client.close();
  }
}

const isActive = (d: DomainSummary): boolean => d.id !== null;
const names = (ds: readonly DomainSummary[]): string => ds.map((d) => d.name).join(', ');

async function status(conns: readonly Conn[], io: GuestsIo): Promise<number> {
  let rc = 0;
  for (const c of conns) {
    try {
      const running = (await c.client.listDomains()).filter(isActive);
      io.out(running.length === 0 ? `No running guests on ${c.uri} URI.\n` : `Running guests on ${c.uri} URI: ${names(running)}\n`);
    } catch (e) {
      io.err(`Unable to connect to ${c.uri} URI: ${failureLines(e).join(': ')}\n`);
      rc = 1;
    }
  }
  return rc;
}

async function stop(conns: readonly Conn[], config: GuestsConfig, stateFile: string, io: GuestsIo): Promise<number> {
  let rc = 0;
  // What the next start brings back; written before any guest is touched, so that a host that
  // powers off half-way still finds the guests that were stopped.
  const list = existsSync(stateFile) ? parseGuestList(await fs.readFile(stateFile, 'utf8')) : new Map<string, string[]>();
  for (const c of conns) {
    let running: DomainSummary[];
    try {
      running = (await c.client.listDomains()).filter(isActive);
    } catch (e) {
      io.err(`Unable to connect to ${c.uri} URI: ${failureLines(e).join(': ')}\n`);
      rc = 1;
      continue;
    }
    if (running.length === 0) {
      io.out(`No running guests on ${c.uri} URI.\n`);
      continue;
    }
    io.out(`Running guests on ${c.uri} URI: ${names(running)}\n`);
    if (config.onShutdown === 'leave') {
      io.out(`Leaving guests on ${c.uri} URI running (ON_SHUTDOWN=leave).\n`);
      continue;
    }
    const persistent = running.filter((d) => d.persistent);
    const transient = running.filter((d) => !d.persistent);
    // A transient guest is gone once stopped: nothing to bring back.
    list.set(c.uri, [...new Set([...(list.get(c.uri) ?? []), ...persistent.map((d) => d.uuid)])]);
    await writeList(stateFile, list);
    const toSuspend = config.onShutdown === 'suspend' ? (config.persistentOnly === 'false' ? running : persistent) : [];
    const toShutDown = config.onShutdown === 'shutdown'
      ? (config.persistentOnly === 'true' ? persistent : running)
      : (config.persistentOnly === 'default' ? transient : []);
    if (toSuspend.length > 0) {
      io.out(`Suspending guests on ${c.uri} URI...\n`);
      for (const d of toSuspend) {
        try {
          await c.client.managedSave(d.uuid, { bypassCache: config.bypassCache });
          io.out(`Suspending ${d.name}: done\n`);
        } catch (e) {
          io.err(`Suspending ${d.name}: failed: ${failureLines(e).join(': ')}\n`);
          rc = 1;
        }
      }
    }
    if (toShutDown.length > 0 && !(await shutDown(c, toShutDown, config, io))) rc = 1;
  }
  return rc;
}

/**
 * Ask `doms` to power off, PARALLEL_SHUTDOWN at a time (one when 0), and wait for them within
 * SHUTDOWN_TIMEOUT for the whole connection. False when some did not stop in time.
 */
async function shutDown(c: Conn, doms: readonly DomainSummary[], config: GuestsConfig, io: GuestsIo): Promise<boolean> {
  io.out(`Shutting down guests on ${c.uri} URI...\n`);
  const deadline = config.shutdownTimeout === 0 ? Infinity : Date.now() + config.shutdownTimeout * 1000;
  const queue = [...doms];
  const width = Math.max(1, config.parallelShutdown);
  let ok = true;
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
      io.out(`Starting shutdown on guest: ${d.name}\n`);
      try {
        await c.client.shutdown(d.uuid);
      } catch (e) {
        io.err(`Shutdown of guest ${d.name} failed: ${failureLines(e).join(': ')}\n`);
        ok = false;
        continue;
      }
      if (await waitInactive(c, d.uuid, deadline)) {
        io.out(`Shutdown of guest ${d.name} complete.\n`);
      } else {
        io.err(`Timeout expired while shutting down domains (guest ${d.name} is still running)\n`);
        ok = false;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, doms.length) }, worker));
  return ok;
}

async function waitInactive(c: Conn, uuid: string, deadline: number): Promise<boolean> {
  for (;;) {
    const d = await c.client.getDomain(uuid).catch(() => undefined);
    // A transient guest that shut down is gone.
    if (d === undefined || !isActive(d)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function start(conns: readonly Conn[], config: GuestsConfig, stateFile: string, io: GuestsIo): Promise<number> {
  if (!existsSync(stateFile)) return 0;
  const list = parseGuestList(await fs.readFile(stateFile, 'utf8'));
  if (config.onBoot === 'ignore') {
    io.out('vireo-guests is configured not to start any guests on boot\n');
    await fs.rm(stateFile, { force: true });
    return 0;
  }
  let rc = 0;
  let first = true;
  for (const [uri, uuids] of list) {
    const c = conns.find((x) => x.uri === uri) ?? { uri, client: VireoClient.open(uri) };
    io.out(`Resuming guests on ${uri} URI...\n`);
    const left: string[] = [];
    for (const uuid of uuids) {
      let d: DomainSummary;
      try {
        d = await c.client.getDomain(uuid);
      } catch (e) {
        const lines = failureLines(e);
        // A guest undefined since is skipped; an unreachable daemon keeps the list for the next try.
        if (/connect/i.test(lines[0] ?? '')) left.push(uuid);
        io.err(`Resuming guest ${uuid}: ${lines.join(': ')}\n`);
        rc = 1;
        continue;
      }
      if (isActive(d)) {
        io.out(`Resuming guest ${d.name}: already active\n`);
        continue;
      }
      if (!first && config.startDelay > 0) await new Promise((r) => setTimeout(r, config.startDelay * 1000));
      first = false;
      try {
        await c.client.start(d.uuid);
        io.out(`Resuming guest ${d.name}: done\n`);
      } catch (e) {
        io.err(`Resuming guest ${d.name}: failed: ${failureLines(e).join(': ')}\n`);
        rc = 1;
      }
    }
    if (!conns.includes(c)) c.client.close();
    list.set(uri, left);
  }
  await writeList(stateFile, list);
  return rc;
}

/** Replace the list atomically and durably (the host is going down); an empty list is no file. */
async function writeList(file: string, list: ReadonlyMap<string, readonly string[]>): Promise<void> {
  const text = formatGuestList(list);
  if (text === '') {
    await fs.rm(file, { force: true });
    return;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}
