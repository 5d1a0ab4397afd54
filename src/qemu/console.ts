/**
 * A guest serial console owned by the daemon: a client of QEMU's socket chardev that keeps a
 * ring buffer of recent output and fans it out to any number of readers.
 */
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { readLogTail } from '../util/logrotate.js';

const RING_BYTES = 64 * 1024;

export interface ConsoleEvents {
  data: [Buffer];
  /** The guest's side went away (QEMU stopped): readers should detach. */
  end: [];
}

/** The one interactive (read-write) reader of a console; watchers are read-only. */
export interface ConsoleWriter {
  /** Called when another reader takes over with force. */
  kick(): void;
}

export class ConsoleStream extends EventEmitter<ConsoleEvents> {
  private ring: Buffer[] = [];
  private ringBytes = 0;
  private sock: Socket | undefined;
  private stopped = false;
  private writer: ConsoleWriter | undefined;

  constructor(readonly socketPath: string) {
    super();
  }

  /**
   * Prefill the buffer from QEMU's log of this port (output produced while vireod was down),
   * reaching into the rotated copies when the log was just truncated (util/logrotate.ts).
   */
  async prefillFrom(logFile: string): Promise<void> {
    this.push(await readLogTail(logFile, RING_BYTES));
  }

  /** Connect to the chardev socket; resolves once connected (or rejects if it cannot be). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createConnection(this.socketPath);
      s.once('connect', () => {
        s.removeListener('error', reject);
        this.sock = s;
        s.on('data', (d: Buffer) => this.push(d));
        s.on('error', () => {});
        s.on('close', () => {
          this.sock = undefined;
        });
        resolve();
      });
      s.once('error', reject);
    });
  }

  private push(d: Buffer): void {
    if (d.length === 0) return;
    this.ring.push(d);
    this.ringBytes += d.length;
    while (this.ringBytes - (this.ring[0]?.length ?? 0) >= RING_BYTES && this.ring.length > 1) {
      this.ringBytes -= this.ring.shift()!.length;
    }
    if (!this.stopped) this.emit('data', d);
  }

  /** Recent output, at most 64 KiB. */
  recent(): Buffer {
    const all = Buffer.concat(this.ring);
    return all.length > RING_BYTES ? all.subarray(all.length - RING_BYTES) : all;
  }

  /**
   * Become the interactive reader. Fails when another holds it, unless `force`, which kicks the
   * other one out. Returns false when taken.
   */
  claim(w: ConsoleWriter, force: boolean): boolean {
    if (this.writer !== undefined && this.writer !== w) {
      if (!force) return false;
      const old = this.writer;
      this.writer = undefined;
      old.kick();
    }
    this.writer = w;
    return true;
  }

  release(w: ConsoleWriter): void {
    if (this.writer === w) this.writer = undefined;
  }

  /** Send keystrokes to the guest. */
  write(d: Buffer): boolean {
    if (this.sock === undefined) return false;
    this.sock.write(d);
    return true;
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sock?.destroy();
    this.sock = undefined;
    this.emit('end');
  }
}
