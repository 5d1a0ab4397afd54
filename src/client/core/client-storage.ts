/** The typed client's storage part: pools (pool-*), volumes (vol-*) and their byte streams. */
import type { PoolBuildRequest, PoolEvent, PoolSummary, VolumeCreateFromRequest, VolumeResizeRequest, VolumeSummary, XmlResponse } from '../../api/types.js';
import { enc } from './client-base.js';
import { NetworkClient } from './client-network.js';
import { downloadVolume, uploadVolume, type ByteSink, type TransferRange } from './volume-stream.js';

export class StorageClient<Channel = unknown> extends NetworkClient<Channel> {
  // Storage pools (pool-*): a ref is a pool's name or UUID.

  listPools(): Promise<PoolSummary[]> {
    return this.t.request('GET', '/v1/pools');
  }

  getPool(ref: string): Promise<PoolSummary> {
    return this.t.request('GET', `/v1/pools/${enc(ref)}`);
  }

  /** Define (or redefine) a persistent pool from its XML; it stays inactive. */
  definePool(xml: string): Promise<PoolSummary> {
    return this.t.request('POST', '/v1/pools', { xml });
  }

  /** Start a transient pool from its XML (built first with `build`). */
  createPool(xml: string, opts: PoolBuildRequest = {}): Promise<PoolSummary> {
    return this.t.request('POST', '/v1/pools/create', { xml, ...opts });
  }

  undefinePool(ref: string): Promise<PoolSummary> {
    return this.t.request('DELETE', `/v1/pools/${enc(ref)}`);
  }

  async poolXml(ref: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const r = await this.t.request<XmlResponse>('GET', `/v1/pools/${enc(ref)}/xml${opts.inactive === true ? '?inactive=1' : ''}`);
    return r.xml;
  }

  startPool(ref: string, opts: PoolBuildRequest = {}): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/start`, opts);
  }

  buildPool(ref: string, opts: PoolBuildRequest = {}): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/build`, opts);
  }

  destroyPool(ref: string): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/destroy`, {});
  }

  deletePool(ref: string): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/delete`, {});
  }

  setPoolAutostart(ref: string, enabled: boolean): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/autostart`, { enabled });
  }

  refreshPool(ref: string): Promise<PoolSummary> {
    return this.t.request('POST', `/v1/pools/${enc(ref)}/refresh`, {});
  }

  async poolCapabilities(): Promise<string> {
    return (await this.t.request<XmlResponse>('GET', '/v1/pool-capabilities')).xml;
  }

  /** The storage this host offers for a pool type (find-storage-pool-sources), as <sources> XML. */
  async findPoolSources(type: string, spec?: string): Promise<string> {
    return (await this.t.request<XmlResponse>('POST', '/v1/pool-sources', spec === undefined ? { type } : { type, spec })).xml;
  }

  /** Follow the pools' lifecycle events until the returned function is called. */
  poolEvents(onEvent: (e: PoolEvent) => void, onEnd: () => void = () => {}): Promise<() => void> {
    return this.t.events('/v1/events', (json) => {
      const ev = JSON.parse(json) as { type: string };
      if (ev.type === 'pool-lifecycle') onEvent(ev as PoolEvent);
    }, onEnd);
  }

  // Storage volumes (vol-*): in a pool by name, key or path; without a pool by key or path.

  listVolumes(pool: string): Promise<VolumeSummary[]> {
    return this.t.request('GET', `/v1/pools/${enc(pool)}/volumes`);
  }

  getVolume(pool: string | undefined, vol: string): Promise<VolumeSummary> {
    return this.t.request('GET', pool === undefined ? `/v1/volumes/${enc(vol)}` : `/v1/pools/${enc(pool)}/volumes/${enc(vol)}`);
  }

  async volumeXml(pool: string, vol: string): Promise<string> {
    return (await this.t.request<XmlResponse>('GET', `/v1/pools/${enc(pool)}/volumes/${enc(vol)}/xml`)).xml;
  }

  createVolume(pool: string, xml: string, opts: { preallocMetadata?: boolean } = {}): Promise<VolumeSummary> {
    return this.t.request('POST', `/v1/pools/${enc(pool)}/volumes`, { xml, ...opts });
  }

  createVolumeFrom(pool: string, req: VolumeCreateFromRequest): Promise<VolumeSummary> {
    return this.t.request('POST', `/v1/pools/${enc(pool)}/volumes/from`, req);
  }

  deleteVolume(pool: string, vol: string): Promise<VolumeSummary> {
    return this.t.request('DELETE', `/v1/pools/${enc(pool)}/volumes/${enc(vol)}`);
  }

  wipeVolume(pool: string, vol: string, algorithm?: string): Promise<VolumeSummary> {
    return this.t.request('POST', `/v1/pools/${enc(pool)}/volumes/${enc(vol)}/wipe`, algorithm === undefined ? {} : { algorithm });
  }

  resizeVolume(pool: string, vol: string, req: VolumeResizeRequest): Promise<VolumeSummary> {
    return this.t.request('POST', `/v1/pools/${enc(pool)}/volumes/${enc(vol)}/resize`, req);
  }

  /** vol-upload: `source`'s bytes into the volume's file at offset (volume-stream.ts). */
  uploadVolume(pool: string, vol: string, source: AsyncIterable<Uint8Array>, r: TransferRange & { size?: number } = {}): Promise<VolumeSummary> {
    return uploadVolume(this.t, pool, vol, source, r);
  }

  /** vol-download: the volume's bytes into `sink`; resolves with the bytes the range covered. */
  downloadVolume(pool: string, vol: string, sink: ByteSink, r: TransferRange = {}): Promise<number> {
    return downloadVolume(this.t, pool, vol, sink, r);
  }
}
