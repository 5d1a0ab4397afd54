/**
 * QMP protocol client: greeting, capability negotiation, command ids, events, timeouts.
 * Knows nothing about domains.
 */
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';

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
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', (e) => reject(new QmpConnectionError(`cannot connect to QMP socket ${path}: ${e.message}`, { cause: e })));
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

  /** Run one command and resolve with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new QmpConnectionError(`QMP connection is closed (sending ${command})`));
    const id = `vireo-${this.nextId++}`;
    const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs, `QMP ${command} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.sock.write(JSON.stringify(msg) + '\n');
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
