/** The I/O thread part of the typed client: iothreadinfo, iothreadadd, iothreaddel, iothreadpin, iothreadset. */
import type { IothreadEntry, IothreadPinRequest, IothreadRequest, IothreadSetRequest } from '../../api/iothread-types.js';
import { enc } from './client-base.js';
import { StatsClient } from './client-stats.js';

export class IothreadClient<Channel = unknown> extends StatsClient<Channel> {
  /** The guest's I/O threads and their affinity: the running guest's (live), the stored definition's (config), or the current one's. */
  iothreads(ref: string, opts: { live?: boolean; config?: boolean } = {}): Promise<IothreadEntry[]> {
    const q = opts.live === true ? '?live=1' : opts.config === true ? '?config=1' : '';
    return this.t.request('GET', `/v1/domains/${enc(ref)}/iothreads${q}`);
  }

  async addIothread(ref: string, r: IothreadRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iothreads/add`, r);
  }

  async delIothread(ref: string, r: IothreadRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iothreads/delete`, r);
  }

  async pinIothread(ref: string, r: IothreadPinRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iothreads/pin`, r);
  }

  async setIothread(ref: string, r: IothreadSetRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/iothreads/set`, r);
  }
}
