/** The command table: every vireo command, grouped as virsh groups them. */
import { consoleCommands } from './console.js';
import { deviceCommands } from './devices.js';
import { memCpuCommands } from './memcpu.js';
import { diskCommands } from './disks.js';
import { mediaCommands } from './media.js';
import { iotuneCommands } from './iotune.js';
import { iftuneCommands } from './iftune.js';
import { domainCommands } from './domain.js';
import { undefineCommand } from './undefine.js';
import { saveCommands } from './save.js';
import { dumpCommands } from './dump.js';
import { blkInfoCommands } from './blkinfo.js';
import { statsCommands } from './stats.js';
import { domStatsCommands } from './domstats.js';
import { editCommands } from './edit.js';
import { domTableCommands } from './domtable.js';
import { hostCommands } from './host.js';
import { hostInfoCommands } from './hostinfo.js';
import { monitorCommands } from './monitor.js';
import { networkCommands } from './network.js';
import { ifaceCommands } from './iface.js';
import { netUpdateCommands } from './netupdate.js';
import { poolCommands } from './pool.js';
import { poolSourceCommands } from './poolsources.js';
import { volCommands } from './vol.js';
import { volTransferCommands } from './vol-transfer.js';
import { shellCommands } from './shell.js';
import { xmlCommands } from './xml.js';
import { tuningCommands } from './tuning.js';
import { iothreadCommands } from './iothreads.js';
import { snapshotCommands } from './snapshot.js';
import type { CommandDef, CommandTable, GroupDef, OptDef } from './types.js';

export type { CommandDef, CommandTable, GroupDef, OptDef, Ctx, CliClient } from './types.js';
export { Args } from './types.js';

/** virsh's sections, in its order; the shell's own group answers to 'virsh' too, for old habits. */
export const GROUPS: readonly GroupDef[] = [
  { key: 'domain', title: 'Domain Management', keywords: ['domain'] },
  { key: 'monitor', title: 'Domain Monitoring', keywords: ['monitor'] },
  { key: 'events', title: 'Domain Events', keywords: ['events'] },
  { key: 'host', title: 'Host and Hypervisor', keywords: ['host'] },
  { key: 'interface', title: 'Interface', keywords: ['interface'] },
  { key: 'network', title: 'Networking', keywords: ['network'] },
  { key: 'snapshot', title: 'Snapshot', keywords: ['snapshot'] },
  { key: 'pool', title: 'Storage Pool', keywords: ['pool'] },
  { key: 'volume', title: 'Storage Volume', keywords: ['volume'] },
  { key: 'vireo', title: 'Vireo itself', keywords: ['vireo', 'virsh'] },
];

/** Build a table from command definitions; listings show each group's commands by name. */
/** The option every data-printing command takes (docs/cli-json.md). */
export const JSON_OPT: OptDef = { name: 'json', type: 'bool', help: 'print the result as one JSON document (docs/cli-json.md)' };

export function makeTable(groups: readonly GroupDef[], defs: readonly CommandDef[]): CommandTable {
  const commands = defs.map((d) => (d.json === true ? { ...d, opts: [...d.opts, JSON_OPT] } : d)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = new Map(commands.map((c) => [c.name, c]));
  if (byName.size !== commands.length) throw new Error('duplicate command name in the command table');
  return {
    groups,
    commands,
    find: (name) => byName.get(name),
    findGroup: (word) => groups.find((g) => g.keywords.includes(word)),
  };
}

export const TABLE: CommandTable = makeTable(GROUPS, [...domainCommands, undefineCommand, ...saveCommands, ...deviceCommands, ...diskCommands, ...mediaCommands, ...iotuneCommands, ...memCpuCommands, ...editCommands, ...domTableCommands, ...blkInfoCommands, ...statsCommands, ...domStatsCommands, ...consoleCommands, ...monitorCommands, ...hostCommands, ...hostInfoCommands, ...ifaceCommands, ...networkCommands, ...netUpdateCommands, ...poolCommands, ...poolSourceCommands, ...volCommands, ...volTransferCommands,
  ...shellCommands, ...xmlCommands, ...tuningCommands, ...iothreadCommands, ...iftuneCommands, ...dumpCommands, ...snapshotCommands]);
