/** The snapshot part of the typed client: snapshot-create, -list, -info, -current, -dumpxml, -revert, -delete. */
import type { SnapshotDeleteRequest, SnapshotListQuery, SnapshotSummary } from '../../api/snapshot-types.js';
import { enc } from './client-base.js';
import { IothreadClient } from './client-iothreads.js';

const qs = (params: Record<string, string | boolean | undefined>): string => {
  const parts = Object.entries(params).flatMap(([k, v]) => (v === undefined || v === false ? [] : [`${k}=${v === true ? '1' : encodeURIComponent(v)}`]));
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
};

export class SnapshotClient<Channel = unknown> extends IothreadClient<Channel> {
  /** Take a snapshot described by domainsnapshot XML; answers its name. */
  async createSnapshot(ref: string, xml: string): Promise<string> {
    const r = await this.t.request<{ name: string }>('POST', `/v1/domains/${enc(ref)}/snapshots`, { xml });
    return r.name;
  }

  listSnapshots(ref: string, q: SnapshotListQuery = {}): Promise<SnapshotSummary[]> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/snapshots${qs({ ...q })}`);
  }

  /** One snapshot, or the current one when `name` is undefined. */
  snapshotInfo(ref: string, name?: string): Promise<SnapshotSummary> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/snapshots/info${qs({ name })}`);
  }

  async snapshotXml(ref: string, name: string): Promise<string> {
    return (await this.t.request<{ xml: string }>('GET', `/v1/domains/${enc(ref)}/snapshots/xml${qs({ name })}`)).xml;
  }

  async setCurrentSnapshot(ref: string, name: string): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/snapshots/current`, { name });
  }

  async revertSnapshot(ref: string, name: string): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/snapshots/revert`, { name });
  }

  async deleteSnapshot(ref: string, r: SnapshotDeleteRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/snapshots/delete`, r);
  }
}
