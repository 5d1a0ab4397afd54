/**
 * What every part of the typed client shares: the daemon's URI and the Transport requests go
 * over. The client is split by resource (client-network.ts, client-storage.ts, client.ts), each
 * part extending the one before, so that VireoClient is still one class with every method.
 */
import type { Transport } from './transport.js';

export const enc = encodeURIComponent;

export class ClientBase<Channel = unknown> {
  /** A client for the daemon at `uri`, reached through `t` (no request is made until the first call). */
  constructor(readonly uri: string, protected readonly t: Transport<Channel>) {}

  close(): void {
    this.t.close();
  }
}
