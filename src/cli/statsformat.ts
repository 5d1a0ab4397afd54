/**
 * virsh 9.0's layouts of the statistics commands (vcpuinfo, vcpucount, domblkstat, domifstat,
 * dommemstat, domblkerror, cpu-stats, nodecpumap, domstats). Pure functions of the wire types,
 * checked against virsh's literal output in test/unit/cli-statsformat.test.ts.
 */
import type { BlockError, BlockStats, CpuStatsReply, DomainStatsRecord, InterfaceStats, MemStat, NodeCpuMap, VcpuInfoReply } from '../api/stats-types.js';

/** virsh's CPU map: 'y' for each CPU in `cpus`, '-' for the others, over `count` CPUs. */
export function cpuMapString(cpus: readonly number[], count: number): string {
  const set = new Set(cpus);
  let s = '';
  for (let i = 0; i < count; i++) s += set.has(i) ? 'y' : '-';
  return s;
}

/** A CPU list as ranges, as virsh's --pretty prints it ("0-1,4"). */
export function cpuRanges(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const line15 = (label: string, value: string): string => `${label.padEnd(15)} ${value}\n`;

/** vcpuinfo: one block per vCPU, a blank line between blocks; N/A for a shut-off guest. */
export function formatVcpuInfo(r: VcpuInfoReply, pretty: boolean): string {
  return r.vcpus.map((v) => {
    let s = line15('VCPU:', String(v.vcpu));
    s += line15('CPU:', v.cpu === null ? 'N/A' : String(v.cpu));
    s += line15('State:', v.state ?? 'N/A');
    // virsh's quirk: no colon after "CPU time" when the guest is shut off; no line for 0 s.
    if (v.cpuTimeNs === null) s += line15('CPU time', 'N/A');
    else if (v.cpuTimeNs !== 0) s += line15('CPU time:', `${(v.cpuTimeNs / 1e9).toFixed(1)}s`);
    s += line15('CPU Affinity:', pretty ? `${cpuRanges(v.affinity)} (out of ${r.hostCpus})` : cpuMapString(v.affinity, r.hostCpus));
    return s;
  }).join('\n');
}

/** vcpucount's table: `%-12s %-12s %3d` for each number that exists. */
export function formatVcpuCountRows(rows: ReadonlyArray<[string, string, number]>): string {
  return rows.map(([a, b, n]) => `${a.padEnd(12)} ${b.padEnd(12)} ${String(n).padStart(3)}\n`).join('');
}

const BLOCK_FIELDS: ReadonlyArray<[keyof BlockStats, string, string]> = [
  ['rdReq', 'rd_req', 'number of read operations:'],
  ['rdBytes', 'rd_bytes', 'number of bytes read:'],
  ['wrReq', 'wr_req', 'number of write operations:'],
  ['wrBytes', 'wr_bytes', 'number of bytes written:'],
  ['flushReq', 'flush_operations', 'number of flush operations:'],
  ['rdTimeNs', 'rd_total_times', 'total duration of reads (ns):'],
  ['wrTimeNs', 'wr_total_times', 'total duration of writes (ns):'],
  ['flushTimeNs', 'flush_total_times', 'total duration of flushes (ns):'],
];

/** domblkstat: `DEV FIELD VALUE` lines (DEV empty for the sum of all disks), or --human's labelled block. QEMU has no errs. */
export function formatBlockStats(s: BlockStats, human: boolean): string {
  if (human) return `Device: ${s.device}\n` + BLOCK_FIELDS.map(([k, , label]) => ` ${label.padEnd(31)} ${s[k]}\n`).join('');
  return BLOCK_FIELDS.map(([k, name]) => `${s.device} ${name} ${s[k]}\n`).join('');
}

/** domifstat: `IFACE FIELD VALUE` lines, the interface as the user named it. */
export function formatInterfaceStats(s: InterfaceStats): string {
  const f: Array<[string, number]> = [
    ['rx_bytes', s.rxBytes], ['rx_packets', s.rxPackets], ['rx_errs', s.rxErrs], ['rx_drop', s.rxDrop],
    ['tx_bytes', s.txBytes], ['tx_packets', s.txPackets], ['tx_errs', s.txErrs], ['tx_drop', s.txDrop],
  ];
  return f.map(([k, v]) => `${s.interface} ${k} ${v}\n`).join('');
}

/** dommemstat: `TAG VALUE` lines in the order the daemon gives (libvirt's). */
export function formatMemStats(stats: readonly MemStat[]): string {
  return stats.map((m) => `${m.tag} ${m.value}\n`).join('');
}

/** domblkerror: each disk's error, or virsh's "No errors found". */
export function formatBlockErrors(errors: readonly BlockError[]): string {
  return errors.length === 0 ? 'No errors found\n' : errors.map((e) => `${e.device}: ${e.error}\n`).join('');
}

/** nodecpumap, with --pretty the online CPUs as ranges. */
export function formatNodeCpuMap(m: NodeCpuMap, pretty: boolean): string {
  return line15('CPUs present:', String(m.present)) + line15('CPUs online:', String(m.online.length))
    + line15('CPU map:', pretty ? cpuRanges(m.online) : cpuMapString(m.online, m.present));
}

const seconds = (ns: number): string => {
  const s = Math.floor(ns / 1e9);
  return `${String(s).padStart(9)}.${String(ns - s * 1e9).padStart(9, '0')} seconds`;
};

/** cpu-stats: per-CPU blocks (CPUn: then tab-indented rows), then the Total block. */
export function formatCpuStats(r: CpuStatsReply, o: { start: number; count: number; perCpu: boolean; total: boolean }): string {
  let out = '';
  if (o.perCpu) {
    for (const c of (r.cpus ?? []).slice(o.start, o.start + o.count)) {
      out += `CPU${c.cpu}:\n\t${'cpu_time'.padEnd(12)} ${seconds(c.cpuTimeNs)}\n`;
      if (c.vcpuTimeNs !== undefined) out += `\t${'vcpu_time'.padEnd(12)} ${seconds(c.vcpuTimeNs)}\n`;
    }
  }
  if (o.total && r.total !== undefined) {
    const t = r.total;
    out += `Total:\n\t${'cpu_time'.padEnd(12)} ${seconds(t.cpuTimeNs)}\n\t${'user_time'.padEnd(12)} ${seconds(t.userTimeNs)}\n\t${'system_time'.padEnd(12)} ${seconds(t.systemTimeNs)}\n`;
  }
  return out;
}

/** domstats: "Domain: 'NAME'" then two-space-indented key=value lines; a blank line between domains. */
export function formatDomainStats(records: readonly DomainStatsRecord[]): string {
  return records.map((r) => `Domain: '${r.name}'\n${Object.entries(r.stats).map(([k, v]) => `  ${k}=${v}\n`).join('')}`).join('\n');
}
