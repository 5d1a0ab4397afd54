/**
 * The shape of the declarative command table: every command is data (name, group, texts, options)
 * plus one async handler. The parser, `help` and the shell's completion all read the same table.
 */
import type { VireoClient } from '../../client/client.js';

/**
 * Option kinds, as virsh has them. bool: a flag. string/int: `--name value`, also positional
 * unless namedOnly. data: a positional that may also be named. argv: takes every remaining word.
 */
export type OptType = 'bool' | 'int' | 'string' | 'data' | 'argv';

export interface OptDef {
  readonly name: string;
  readonly type: OptType;
  /** The command fails to parse without it (virsh: "requires <name> option"). */
  readonly required?: boolean;
  /** Only accepted as `--name value`, never by position. */
  readonly namedOnly?: boolean;
  /** An empty value is a valid value (otherwise "Option argument is empty"). */
  readonly emptyOk?: boolean;
  /** What the shell's Tab offers for the value; options named domain, network and file default to those. */
  readonly complete?: 'domain' | 'network' | 'file' | 'none';
  readonly help: string;
}

export type GroupKey = 'domain' | 'monitor' | 'events' | 'host' | 'interface' | 'network' | 'snapshot' | 'pool' | 'volume' | 'vireo';

export interface GroupDef {
  readonly key: GroupKey;
  readonly title: string;
  /** Words `help WORD` accepts for the group; the first is the one shown. */
  readonly keywords: readonly string[];
}

/** The daemon calls the CLI uses; a structural subset of VireoClient so tests can pass a fake. */
export type CliClient = Pick<VireoClient,
  'uri' | 'close' | 'host' | 'listDomains' | 'getDomain' | 'define' | 'create' | 'undefine' | 'dumpXml' | 'consoleTail'
  | 'start' | 'destroy' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume' | 'setAutostart' | 'attachConsole' | 'events'
  | 'nodeInfo' | 'nodeCpuStats' | 'nodeMemStats' | 'freeCells' | 'maxVcpus' | 'capabilities' | 'domainCapabilities' | 'sysinfo'
  | 'validateHost' | 'devices' | 'blockInfo' | 'job' | 'description' | 'setDescription' | 'metadata' | 'setMetadata' | 'rename'
  | 'listNetworks' | 'getNetwork' | 'defineNetwork' | 'createNetwork' | 'undefineNetwork' | 'networkXml' | 'startNetwork'
  | 'destroyNetwork' | 'setNetworkAutostart' | 'updateNetwork' | 'networkLeases' | 'networkEvents'
  | 'interfaceAddresses' | 'linkState' | 'setLinkState' | 'abortJob' | 'attachDevice' | 'detachDevice' | 'updateDevice' | 'blockResize' | 'blockThreshold' | 'ioTune' | 'setIoTune' | 'ifTune' | 'setIfTune'
  | 'listInterfaces' | 'getInterface' | 'defineInterface' | 'undefineInterface' | 'interfaceXml' | 'startInterface' | 'destroyInterface'
  | 'bridgeInterface' | 'unbridgeInterface' | 'interfaceTransaction'
  | 'listPools' | 'getPool' | 'definePool' | 'createPool' | 'undefinePool' | 'poolXml' | 'startPool' | 'buildPool' | 'destroyPool'
  | 'deletePool' | 'setPoolAutostart' | 'refreshPool' | 'poolCapabilities' | 'findPoolSources' | 'poolEvents'
  | 'listVolumes' | 'getVolume' | 'volumeXml' | 'createVolume' | 'createVolumeFrom' | 'deleteVolume' | 'wipeVolume' | 'resizeVolume'
  | 'uploadVolume' | 'downloadVolume'
  | 'nodeCpuMap' | 'domainStats' | 'vcpuInfo' | 'vcpuCount' | 'blockStats' | 'interfaceStats' | 'memoryStats' | 'setMemoryStatsPeriod'
  | 'blockErrors' | 'cpuStats' | 'setMemory' | 'setMaxMemory' | 'setVcpus' | 'nodeMemoryParameters' | 'tuning' | 'setTuning'
  | 'save' | 'dump' | 'screenshot' | 'restore' | 'saveImageXml' | 'saveImageDefine' | 'managedSave' | 'managedSaveRemove' | 'managedSaveXml' | 'managedSaveDefine'
  | 'iothreads' | 'addIothread' | 'delIothread' | 'pinIothread' | 'setIothread'
  | 'createSnapshot' | 'listSnapshots' | 'snapshotInfo' | 'snapshotXml' | 'setCurrentSnapshot' | 'revertSnapshot' | 'deleteSnapshot'>
  & Partial<Pick<VireoClient, 'domxmlToNative'>>;

/** The user's terminal, for console. Tests and the shell provide their own. */
export interface Terminal {
  readonly input: NodeJS.ReadableStream & { isRaw?: boolean; setRawMode?(raw: boolean): unknown };
  readonly output: NodeJS.WritableStream;
  /** Whether input is a terminal (console refuses to run otherwise, as virsh does). */
  readonly isTTY: boolean;
  /** Take the input away from whoever else reads it (the shell's line editor); returns the give-back. */
  acquire?(): () => void;
}

/** Parsed option values of one command invocation. */
export class Args {
  constructor(private readonly values: ReadonlyMap<string, readonly string[] | true>) {}

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** The value of a string/int/data option, or undefined when it was not given. */
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined || v === true ? undefined : v[0];
  }

  /** Whether the option was given at all. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Every value of an argv option, in order. */
  list(name: string): readonly string[] {
    const v = this.values.get(name);
    return v === undefined || v === true ? [] : v;
  }

  /** The value of an option the parser guarantees is present (required ones). */
  need(name: string): string {
    const v = this.str(name);
    if (v === undefined) throw new Error(`option --${name} missing after parse`);
    return v;
  }
}

/** What a command handler gets: output, the connection, and the session's switches. */
export interface Ctx {
  /** Write to stdout (bytes are written as they are, e.g. a guest's console output). */
  print(text: string | Uint8Array): void;
  /** Write an informational message to stdout unless -q (virsh's vshPrintExtra). */
  extra(text: string): void;
  /** Write `error: TEXT` to stderr without failing the command. */
  error(text: string): void;
  /** --json: print one JSON document (the shapes are in docs/cli-json.md). */
  json(value: unknown): void;
  /** A -d line (info level) on stderr: what the command is doing, for scripts and bug reports. */
  debug(text: string): void;
  /** The open connection; opening it lazily is what keeps help/echo from touching the daemon. */
  client(): Promise<CliClient>;
  /** Switch to another URI (or re-open the current one) and check that the daemon answers. */
  reconnect(uri: string | undefined, readonly: boolean): Promise<void>;
  /** End the shell or the command sequence after this command. */
  quit(): void;
  readonly quiet: boolean;
  readonly readonly: boolean;
  /** True in the shell and for commands read from stdin (virsh's "interactive mode"). */
  readonly interactive: boolean;
  readonly table: CommandTable;
  /** The console escape (-e), `^]` by default. */
  readonly escape: string;
  readonly terminal: Terminal;
  /** Run the user's editor on a file and wait for it (the caller hands the terminal over). */
  runEditor(file: string): Promise<void>;
  /** Call fn on Ctrl+C until the returned function is called (then Ctrl+C acts as before). */
  onInterrupt(fn: () => void): () => void;
}

export interface CommandDef {
  readonly name: string;
  readonly group: GroupKey;
  /** One line: the NAME line of `help CMD` and the group listings. */
  readonly help: string;
  /** The DESCRIPTION paragraph of `help CMD`; lines are indented when printed. */
  readonly desc: string;
  readonly opts: readonly OptDef[];
  /** The command prints data and takes --json (the table adds the option). */
  readonly json?: boolean;
  /** Which domains Tab offers for the domain argument (default: all). */
  readonly domainState?: 'active' | 'inactive' | 'paused' | 'persistent';
  /** Which networks Tab offers for the network argument (default: all). */
  readonly networkState?: 'active' | 'inactive' | 'persistent';
  /** Runs without a daemon (the shell built-ins). */
  readonly noConnect?: boolean;
  /** Changes state on the daemon: refused on a read-only (-r) connection. */
  readonly writes?: boolean;
  /** Ignore unknown options and extra words instead of failing (virsh does this for help). */
  readonly lenient?: boolean;
  /**
   * The output does not end its own last line; the separator newline does. virsh's echo works so,
   * which is why echo shows no blank line after it.
   */
  readonly unterminated?: boolean;
  /** Throw (CmdFailure or any error) to fail; the runner prints the error lines. */
  run(ctx: Ctx, args: Args): Promise<void>;
}

export interface CommandTable {
  readonly groups: readonly GroupDef[];
  readonly commands: readonly CommandDef[];
  find(name: string): CommandDef | undefined;
  findGroup(keyword: string): GroupDef | undefined;
}
