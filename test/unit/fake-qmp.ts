// A fake QEMU monitor on a UNIX socket that speaks the real QMP wire protocol: the greeting,
// qmp_capabilities, then one JSON reply per command, with the command's id, CRLF-terminated as
// QEMU writes them. Tests script the answer to each command and see what was sent.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const GREETING = '{"QMP": {"version": {"qemu": {"micro": 19, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u7"}, "capabilities": ["oob"]}}\r\n';

export interface Received {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: string;
}

/** What the fake does with a command: reply with `return` or `error`, say nothing, or hang up. */
export type Answer = { return: unknown } | { error: { class: string; desc: string } } | 'silence' | 'hangup';

export interface FakeQmp {
  path: string;
  server: Server;
  /** Every command after qmp_capabilities, in order. */
  received: Received[];
  /** Send an event to every connected client. */
  event(name: string, data?: Record<string, unknown>): void;
  done(): void;
}

export async function fakeQmp(answer: (cmd: Received) => Answer = () => ({ return: {} }), opts: { greet?: boolean } = {}): Promise<FakeQmp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-fakeqmp-'));
  const sockPath = path.join(dir, 'monitor.sock');
  const received: Received[] = [];
  const clients = new Set<Socket>();
  const server = createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    sock.on('error', () => {});
    if (opts.greet !== false) sock.write(GREETING);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Received;
        buf = buf.slice(nl + 1);
        if (msg.execute === 'qmp_capabilities') {
          sock.write(JSON.stringify({ return: {}, id: msg.id }) + '\r\n');
          continue;
        }
        received.push(msg);
        const a = answer(msg);
        if (a === 'hangup') sock.destroy();
        else if (a !== 'silence') sock.write(JSON.stringify({ ...a, id: msg.id }) + '\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(sockPath, r));
  return {
    path: sockPath,
    server,
    received,
    event: (name, data = {}) => {
      for (const c of clients) c.write(JSON.stringify({ timestamp: { seconds: 1700000000, microseconds: 1 }, event: name, data }) + '\r\n');
    },
    done: () => {
      for (const c of clients) c.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
