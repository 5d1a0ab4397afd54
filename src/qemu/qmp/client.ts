/**
 * QMP protocol client: greeting, capability negotiation, command ids, events, timeouts.
 * Knows nothing about domains.
 */
import { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { getSystemErrorName } from 'node:util';

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

/** An error reply from QEMU ({"error": {"class", "desc"}}). */
export class QmpCommandError extends Error {
  constructor(readonly command: string, readonly errorClass: string, readonly desc: string) {
    super(`QMP ${command} failed: ${desc}`);
    this.name = 'QmpCommandError';
  }
}

/** The monitor connection went away or never came up. */
export class QmpConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QmpConnectionError';
  }
}

/** A command (or the greeting) got no answer in time: the monitor, or QEMU, is stuck. */
export class QmpTimeoutError extends QmpConnectionError {
  constructor(readonly command: string, readonly timeoutMs: number, message: string) {
    super(message);
    this.name = 'QmpTimeoutError';
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [];
}

/** One QMP session over a UNIX socket. Emits 'event' for each async event and 'close' once. */
export class QmpClient extends EventEmitter<QmpClientEvents> {
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  greeting: { version?: { qemu?: { major: number; minor: number; micro: number } } } | undefined;

  private constructor(private readonly sock: Socket, private readonly timeoutMs: number) {
    super();
  }

  /** Connect, read the greeting and negotiate capabilities. */
  static async connect(path: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const sock = await connectIpc(path).catch((e: Error) => {
      throw new QmpConnectionError(`cannot connect to QMP socket ${path}: ${e.message}`, { cause: e });
    });
    const client = new QmpClient(sock, timeoutMs);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpTimeoutError('(greeting)', timeoutMs, `no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
      client.onGreeting = (g) => {
        clearTimeout(timer);
        client.greeting = g;
        resolve();
      };
      client.onEarlyClose = () => {
        clearTimeout(timer);
        reject(new QmpConnectionError(`QMP socket ${path} closed before the greeting`));
      };
    });
    client.attach();
    try {
      await greeting;
      await client.execute('qmp_capabilities');
    } catch (e) {
      // QEMU's monitor serves one client at a time: a connection left open here would keep
      // every later attempt (ours included) waiting forever.
      client.close();
      throw e;
    }
    return client;
  }

  private onGreeting: ((g: QmpClient['greeting']) => void) | undefined;
  private onEarlyClose: (() => void) | undefined;

  private attach(): void {
    this.sock.setEncoding('utf8');
    this.sock.on('data', (chunk: string) => this.onData(chunk));
    this.sock.on('error', () => this.shutdown());
    this.sock.on('close', () => this.shutdown());
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line !== '') this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QEMU never sends invalid JSON; ignore rather than crash the daemon.
    }
    if ('QMP' in msg) {
      const g = this.onGreeting;
      this.onGreeting = undefined;
      g?.(msg.QMP as QmpClient['greeting']);
      return;
    }
    if (typeof msg.event === 'string') {
      this.emit('event', {
        event: msg.event,
        data: (msg.data as Record<string, unknown> | undefined) ?? {},
        timestamp: msg.timestamp as QmpEvent['timestamp'],
      });
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p === undefined || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpCommandError(p.command, err.class ?? 'GenericError', err.desc ?? 'unknown error'));
    } else {
      p.resolve(msg.return);
    }
  }

  /**
   * Run one command and resolve with its `return` value. `fd` (getfd, add-fd) goes to QEMU with
   * the command's bytes (SCM_RIGHTS) and is closed here once sent, whatever happens.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number; fd?: number } = {}): Promise<T> {
    if (this.closed) {
      if (opts.fd !== undefined) closeFdHandle(opts.fd);
      return Promise.reject(new QmpConnectionError(`QMP connection is closed (sending ${command})`));
    }
    const id = `vireo-${this.nextId++}`;
    const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs, `QMP ${command} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const line = JSON.stringify(msg) + '\n';
      if (opts.fd === undefined) this.sock.write(line);
      else sendWithFd(this.sock, line, opts.fd);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Close the connection; pending commands fail. */
  close(): void {
    this.sock.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEarlyClose?.();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new QmpConnectionError(`QMP connection closed while waiting for ${p.command}`));
      this.pending.delete(id);
    }
    this.emit('close');
  }
}

/*
 * Passing a descriptor to QEMU. QEMU takes files (a save image, a restore stream) as descriptors
 * sent over its monitor socket; opening them itself would need paths and rights it should not
 * have, and a helper process in the data path is what makes libvirt's save slow. Node has no
 * public API for SCM_RIGHTS, but its IPC pipe handle (what child_process uses for send(handle))
 * sends a handle's descriptor with the bytes of a write through libuv's uv_write2. So the
 * monitor connection is made on an IPC-type pipe handle, and a file descriptor is wrapped in a
 * pipe handle to be sent. These bindings are internal but stable across Node 12-22.
 */
interface PipeHandle {
  open(fd: number): number;
  connect(req: object, path: string): number;
  close(cb?: () => void): void;
  writeUtf8String(req: object, s: string, send?: PipeHandle): number;
}
interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete?: (status: number) => void };
  constants: { SOCKET: number; IPC: number };
}
interface StreamBinding {
  WriteWrap: new () => { handle?: unknown; oncomplete?: (status: number) => void; async?: boolean };
}
const binding = (name: string): unknown => (process as unknown as { binding(n: string): unknown }).binding(name);
const pipeWrap = binding('pipe_wrap') as PipeBinding;
const streamWrap = binding('stream_wrap') as StreamBinding;

function connectIpc(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const handle = new pipeWrap.Pipe(pipeWrap.constants.IPC);
    const req = new pipeWrap.PipeConnectWrap();
    req.oncomplete = (status: number) => {
      if (status < 0) {
        handle.close();
        reject(new Error(`${getSystemErrorName(status)}`));
        return;
      }
      resolve(new Socket({ handle: handle as never }));
    };
    const err = handle.connect(req, path);
    if (err < 0) {
      handle.close();
      reject(new Error(getSystemErrorName(err)));
    }
  });
}

/** Write `line` on the monitor socket with `fd` attached; `fd` is closed once the write is done. */
function sendWithFd(sock: Socket, line: string, fd: number): void {
  const fh = new pipeWrap.Pipe(pipeWrap.constants.SOCKET);
  const openErr = fh.open(fd);
  const handle = (sock as unknown as { _handle: PipeHandle | null })._handle;
  if (openErr < 0 || handle === null) {
    fh.close();
    sock.destroy(new Error(`cannot pass a descriptor to QEMU: ${openErr < 0 ? getSystemErrorName(openErr) : 'connection closed'}`));
    return;
  }
  const req = new streamWrap.WriteWrap();
  req.handle = handle;
  req.async = false; // the binding sets it true when the write is queued (oncomplete then follows)
  req.oncomplete = () => fh.close();
  const err = handle.writeUtf8String(req, line, fh);
  if (err < 0) {
    fh.close();
    sock.destroy(new Error(`cannot pass a descriptor to QEMU: ${getSystemErrorName(err)}`));
  } else if ((req as { async?: boolean }).async !== true) {
    fh.close();
  }
}

/** Close a descriptor that was meant for QEMU (the connection was gone). */
function closeFdHandle(fd: number): void {
  const fh = new pipeWrap.Pipe(pipeWrap.constants.SOCKET);
  if (fh.open(fd) >= 0) fh.close();
}
