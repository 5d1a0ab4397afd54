/** Pure formatters for the domain commands' output, byte-compatible with virsh 9.0. */
import type { DomainSummary, HostInfo } from '../api/types.js';
import { renderTable } from './table.js';

/** printf("%.1f"): JS rounds exact binary ties up (0.25 -> "0.3"), glibc rounds them to even ("0.2"). */
export function fixed1(x: number): string {
  const scaled = x * 10;
  if (Number.isFinite(scaled) && Math.abs(scaled % 1) === 0.5) {
    const lo = Math.floor(scaled);
    const n = lo % 2 === 0 ? lo : lo + 1;
    return (n / 10).toFixed(1);
  }
  return x.toFixed(1);
}

/** `%-15s %s`: the label column of dominfo. */
function field(label: string, value: string | number): string {
  return `${label.padEnd(15)} ${value}\n`;
}

/** dominfo's output as the qemu driver gives it. */
export function formatDomInfo(d: DomainSummary): string {
  let s = field('Id:', d.id === null ? '-' : d.id);
  s += field('Name:', d.name);
  s += field('UUID:', d.uuid);
  s += field('OS Type:', d.osType);
  s += field('State:', d.state);
  s += field('CPU(s):', d.vcpus);
  if (d.cpuTimeNs !== 0) s += field('CPU time:', `${fixed1(d.cpuTimeNs / 1e9)}s`);
  s += field('Max memory:', `${d.maxMemoryKiB} KiB`);
  s += field('Used memory:', `${d.usedMemoryKiB} KiB`);
  s += field('Persistent:', d.persistent ? 'yes' : 'no');
  s += field('Autostart:', d.autostart ? 'enable' : 'disable');
  s += field('Managed save:', d.managedSave ? 'yes' : 'no');
  // vireo has no security driver; the qemu driver without one prints exactly these two lines.
  s += field('Security model:', 'none');
  s += field('Security DOI:', '0');
  return s;
}

/** domstate's line: `running` or `running (booted)`. */
export function formatDomState(d: DomainSummary, withReason: boolean): string {
  return withReason ? `${d.state} (${d.reason})\n` : `${d.state}\n`;
}

/** The four or five lines of `version [--daemon]`. */
export function formatVersion(host: HostInfo, cliVersion: string, withDaemon: boolean): string {
  const hv = host.hypervisor;
  const type = hv?.name ?? 'QEMU';
  let s = `Compiled against library: vireo ${cliVersion}\n`;
  s += `Using library: vireo ${cliVersion}\n`;
  s += `Using API: ${type} ${host.version}\n`;
  s += hv === null ? `Cannot extract running ${type} hypervisor version\n` : `Running hypervisor: ${hv.name} ${hv.version}\n`;
  if (withDaemon) s += `Running against daemon: ${host.version}\n`;
  return s;
}

/** The selection and display switches of `list`. */
export interface ListOptions {
  all?: boolean;
  inactive?: boolean;
  persistent?: boolean;
  transient?: boolean;
  autostart?: boolean;
  noAutostart?: boolean;
  withManagedSave?: boolean;
  withoutManagedSave?: boolean;
  withSnapshot?: boolean;
  withoutSnapshot?: boolean;
  /** vireo has no checkpoints: --with-checkpoint matches nothing, --without-checkpoint everything. */
  withCheckpoint?: boolean;
  withoutCheckpoint?: boolean;
  stateRunning?: boolean;
  statePaused?: boolean;
  stateShutoff?: boolean;
  stateOther?: boolean;
  uuid?: boolean;
  name?: boolean;
  id?: boolean;
  /** The default display; the command only checks it against --name/--uuid/--id. */
  table?: boolean;
  title?: boolean;
  managedSave?: boolean;
  /** Quiet mode: no table header. */
  quiet?: boolean;
}

/** Within one pair of filters either side matches; pairs combine with AND (virsh's rule). */
export function pair(a: boolean | undefined, b: boolean | undefined, value: boolean): boolean {
  if (a !== true && b !== true) return true;
  return (a === true && value) || (b === true && !value);
}

/** The domains `list` shows, before sorting. */
export function filterDomains(domains: readonly DomainSummary[], o: ListOptions): DomainSummary[] {
  // Without --all only running domains show; --inactive and --state-shutoff switch to inactive ones.
  const wantInactive = o.all === true || o.inactive === true || o.stateShutoff === true;
  const wantActive = o.all === true || !wantInactive;
  const anyState = o.stateRunning === true || o.statePaused === true || o.stateShutoff === true || o.stateOther === true;
  return domains.filter((d) => {
    const active = d.id !== null;
    if (active ? !wantActive : !wantInactive) return false;
    if (!pair(o.persistent, o.transient, d.persistent)) return false;
    if (!pair(o.autostart, o.noAutostart, d.autostart)) return false;
    if (!pair(o.withManagedSave, o.withoutManagedSave, d.managedSave)) return false;
    if (!pair(o.withSnapshot, o.withoutSnapshot, d.hasSnapshot)) return false;
    if (!pair(o.withCheckpoint, o.withoutCheckpoint, false)) return false;
    if (anyState) {
      const other = d.state !== 'running' && d.state !== 'paused' && d.state !== 'shut off';
      const ok = (o.stateRunning === true && d.state === 'running') || (o.statePaused === true && d.state === 'paused')
        || (o.stateShutoff === true && d.state === 'shut off') || (o.stateOther === true && other);
      if (!ok) return false;
    }
    return true;
  });
}

/** ASCII-only case folding, as g_ascii_strcasecmp compares names. */
function asciiFold(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** virsh's name order: case-insensitively (ASCII), ties broken by the exact bytes. */
export function compareNames(a: string, b: string): number {
  const fa = asciiFold(a);
  const fb = asciiFold(b);
  if (fa !== fb) return fa < fb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** virsh's order: active domains by id, then inactive ones by name, case-insensitively. */
export function sortDomains(domains: readonly DomainSummary[]): DomainSummary[] {
  return [...domains].sort((a, b) => {
    if (a.id !== null && b.id !== null) return a.id - b.id;
    if (a.id !== null) return -1;
    if (b.id !== null) return 1;
    return compareNames(a.name, b.name);
  });
}

/** The whole output of `list` for the given domains (filtered and sorted here). */
export function formatList(domains: readonly DomainSummary[], o: ListOptions): string {
  const shown = sortDomains(filterDomains(domains, o));
  const idText = (d: DomainSummary): string => (d.id === null ? '-' : String(d.id));
  if (o.uuid === true || o.name === true || o.id === true) {
    let s = '';
    for (const d of shown) {
      // --id on its own lists only running domains; with a name or UUID beside it, inactive ones show '-'.
      if (o.id === true && d.id === null && o.uuid !== true && o.name !== true) continue;
      const parts: string[] = [];
      if (o.uuid === true) parts.push(d.uuid);
      if (o.id === true) parts.push(idText(d));
      if (o.name === true) parts.push(d.name);
      s += parts.join(' ') + '\n';
    }
    return s;
  }
  const state = (d: DomainSummary): string => (o.managedSave === true && d.state === 'shut off' && d.managedSave ? 'saved' : d.state);
  const header = o.title === true ? ['Id', 'Name', 'State', 'Title'] : ['Id', 'Name', 'State'];
  const rows = shown.map((d) => {
    const r = [idText(d), d.name, state(d)];
    if (o.title === true) r.push(d.title);
    return r;
  });
  return renderTable(header, rows, o.quiet !== true);
}
