/**
 * vireo-guests' configuration: /etc/default/vireo-guests, the same KEY=VALUE settings (and
 * meanings) as libvirt-guests' file, so a host's existing policy carries over. Pure: text in,
 * settings out; a bad line is refused naming the file, the line and the reason.
 */

export type OnShutdown = 'suspend' | 'shutdown' | 'leave';

export interface GuestsConfig {
  /** Connections to act on; 'default' is the CLI's default connection. */
  uris: string[];
  /** start: guests that were running at the last stop are started (resumed) again; ignore: not. */
  onBoot: 'start' | 'ignore';
  /** Seconds between two guests' starts. */
  startDelay: number;
  /** suspend: managed save; shutdown: ask each guest to power off; leave: do nothing (vireo only). */
  onShutdown: OnShutdown;
  /** Guests asked to shut down at once (0: one at a time). */
  parallelShutdown: number;
  /** Seconds to wait for the guests of one connection to shut down (0: no limit). */
  shutdownTimeout: number;
  bypassCache: boolean;
  /**
   * default: transient guests (which cannot be managed-saved) are shut down, persistent ones get
   * ON_SHUTDOWN; true: transient guests are left alone; false: they get ON_SHUTDOWN too (a
   * suspend then fails for them, as libvirt's does).
   */
  persistentOnly: 'default' | 'true' | 'false';
}

export const DEFAULT_GUESTS_CONFIG: GuestsConfig = {
  uris: ['default'], onBoot: 'start', startDelay: 0, onShutdown: 'suspend', parallelShutdown: 0, shutdownTimeout: 300,
  bypassCache: false, persistentOnly: 'default',
};

export class GuestsConfigError extends Error {}

/** Parse the file's text; `file` names it in errors. Comments (#) and blank lines are skipped. */
export function parseGuestsConfig(text: string, file: string): GuestsConfig {
  const c: GuestsConfig = { ...DEFAULT_GUESTS_CONFIG, uris: [...DEFAULT_GUESTS_CONFIG.uris] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const bad = (why: string): never => {
      throw new GuestsConfigError(`${file}:${i + 1}: ${why}`);
    };
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m === null) bad(`expected KEY=VALUE, got '${line}'`);
    const [, key, rawValue] = m as unknown as [string, string, string];
    const value = unquote(rawValue, bad);
    const oneOf = <T extends string>(allowed: readonly T[]): T =>
      (allowed as readonly string[]).includes(value) ? (value as T) : bad(`${key} must be ${allowed.join(', ')} (not '${value}')`);
    const count = (): number => (/^\d+$/.test(value) ? Number(value) : bad(`${key} must be a whole number of ${key === 'PARALLEL_SHUTDOWN' ? 'guests' : 'seconds'} (not '${value}')`));
    switch (key) {
      case 'URIS': {
        const uris = value.split(/\s+/).filter((u) => u !== '');
        c.uris = uris.length > 0 ? uris : bad('URIS names no connection');
        break;
      }
      case 'ON_BOOT': c.onBoot = oneOf(['start', 'ignore'] as const); break;
      case 'START_DELAY': c.startDelay = count(); break;
      case 'ON_SHUTDOWN': c.onShutdown = oneOf(['suspend', 'shutdown', 'leave'] as const); break;
      case 'PARALLEL_SHUTDOWN': c.parallelShutdown = count(); break;
      case 'SHUTDOWN_TIMEOUT': c.shutdownTimeout = count(); break;
      case 'BYPASS_CACHE': c.bypassCache = oneOf(['0', '1'] as const) === '1'; break;
      case 'PERSISTENT_ONLY': c.persistentOnly = oneOf(['default', 'true', 'false'] as const); break;
      case 'SYNC_TIME':
        // libvirt's SYNC_TIME=1 sets the clock through the guest agent, which vireo lacks yet.
        if (oneOf(['0', '1'] as const) === '1') bad('SYNC_TIME=1 needs the guest agent, which vireo does not support yet');
        break;
      default: bad(`unknown setting ${key}`);
    }
  });
  return c;
}

/** A shell-style value: bare, 'single-quoted' or "double-quoted" (no expansions). */
function unquote(v: string, bad: (why: string) => never): string {
  const s = v.trim();
  if (s.startsWith("'") || s.startsWith('"')) {
    if (s.length < 2 || !s.endsWith(s[0]!)) bad(`unterminated quote in ${s}`);
    return s.slice(1, -1);
  }
  if (/[$`\\;|&<>]/.test(s)) bad(`shell syntax is not supported in values ('${s}')`);
  return s.replace(/\s+#.*$/, '');
}

/**
 * The list of guests to bring back: one line per connection, "URI UUID UUID...", as
 * libvirt-guests keeps /var/lib/libvirt/libvirt-guests.
 */
export function formatGuestList(entries: ReadonlyMap<string, readonly string[]>): string {
  return [...entries].filter(([, uuids]) => uuids.length > 0).map(([uri, uuids]) => `${uri} ${uuids.join(' ')}\n`).join('');
}

export function parseGuestList(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [uri, ...uuids] = line.trim().split(/\s+/);
    if (uri === undefined || uri === '') continue;
    out.set(uri, [...(out.get(uri) ?? []), ...uuids]);
  }
  return out;
}
