/** The typed client's network part: virtual networks (net-*) and host interfaces (iface-*). */
import type { InterfaceBridgeRequest, InterfaceSummary, NetworkEvent, NetworkLease, NetworkSummary, NetworkUpdateRequest, XmlResponse } from '../../api/types.js';
import { ClientBase, enc } from './client-base.js';

export class NetworkClient<Channel = unknown> extends ClientBase<Channel> {
  // Virtual networks (net-*): a ref is a network's name or UUID.

  listNetworks(): Promise<NetworkSummary[]> {
    return this.t.request('GET', '/v1/networks');
  }

  /** Look a network up by UUID, then by name. */
  getNetwork(ref: string): Promise<NetworkSummary> {
    return this.t.request('GET', `/v1/networks/${enc(ref)}`);
  }

  /** Define (or redefine) a persistent network from its XML; it stays inactive. */
  defineNetwork(xml: string): Promise<NetworkSummary> {
    return this.t.request('POST', '/v1/networks', { xml });
  }

  /** Start a transient network from its XML; it is gone once it stops. */
  createNetwork(xml: string): Promise<NetworkSummary> {
    return this.t.request('POST', '/v1/networks/create', { xml });
  }

  /** Forget a persistent network; an active one keeps running as a transient network. */
  undefineNetwork(ref: string): Promise<NetworkSummary> {
    return this.t.request('DELETE', `/v1/networks/${enc(ref)}`);
  }

  /** The network's XML: the live definition of an active network unless `inactive`. */
  async networkXml(ref: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const r = await this.t.request<XmlResponse>('GET', `/v1/networks/${enc(ref)}/xml${opts.inactive === true ? '?inactive=1' : ''}`);
    return r.xml;
  }

  startNetwork(ref: string): Promise<NetworkSummary> {
    return this.t.request('POST', `/v1/networks/${enc(ref)}/start`, {});
  }

  destroyNetwork(ref: string): Promise<NetworkSummary> {
    return this.t.request('POST', `/v1/networks/${enc(ref)}/destroy`, {});
  }

  setNetworkAutostart(ref: string, enabled: boolean): Promise<NetworkSummary> {
    return this.t.request('POST', `/v1/networks/${enc(ref)}/autostart`, { enabled });
  }

  /** Add, delete or modify one part of a network's live and/or stored definition (net-update). */
  async updateNetwork(ref: string, req: NetworkUpdateRequest): Promise<void> {
    await this.t.request('POST', `/v1/networks/${enc(ref)}/update`, req);
  }

  /** The DHCP leases of an active network, or only those of one MAC. */
  networkLeases(ref: string, opts: { mac?: string } = {}): Promise<NetworkLease[]> {
    return this.t.request('GET', `/v1/networks/${enc(ref)}/leases${opts.mac === undefined ? '' : `?mac=${enc(opts.mac)}`}`);
  }

  /** Follow the networks' lifecycle events until the returned function is called. */
  networkEvents(onEvent: (e: NetworkEvent) => void, onEnd: () => void = () => {}): Promise<() => void> {
    return this.t.events('/v1/events', (json) => {
      const ev = JSON.parse(json) as { type: string };
      if (ev.type === 'network-lifecycle') onEvent(ev as NetworkEvent);
    }, onEnd);
  }

  // Host interfaces (iface-*): a ref is an interface name, else its MAC address.

  listInterfaces(): Promise<InterfaceSummary[]> {
    return this.t.request('GET', '/v1/interfaces');
  }

  /** Look an interface up by name, then by MAC address. */
  getInterface(ref: string): Promise<InterfaceSummary> {
    return this.t.request('GET', `/v1/interfaces/${enc(ref)}`);
  }

  /** Define (or change) a host interface config. */
  defineInterface(xml: string): Promise<InterfaceSummary> {
    return this.t.request('POST', '/v1/interfaces', { xml });
  }

  undefineInterface(ref: string): Promise<InterfaceSummary> {
    return this.t.request('DELETE', `/v1/interfaces/${enc(ref)}`);
  }

  /** The kernel's view of the interface as XML, or its config with `inactive`. */
  async interfaceXml(ref: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const r = await this.t.request<XmlResponse>('GET', `/v1/interfaces/${enc(ref)}/xml${opts.inactive === true ? '?inactive=1' : ''}`);
    return r.xml;
  }

  startInterface(ref: string): Promise<InterfaceSummary> {
    return this.t.request('POST', `/v1/interfaces/${enc(ref)}/start`, {});
  }

  destroyInterface(ref: string): Promise<InterfaceSummary> {
    return this.t.request('POST', `/v1/interfaces/${enc(ref)}/destroy`, {});
  }

  /** Define a bridge that takes the interface as its port, keeping its addresses (not started). */
  bridgeInterface(ref: string, req: InterfaceBridgeRequest): Promise<InterfaceSummary> {
    return this.t.request('POST', `/v1/interfaces/${enc(ref)}/bridge`, req);
  }

  /** Take a bridge down and forget it; its port is defined with the bridge's addressing (not started). */
  unbridgeInterface(ref: string): Promise<InterfaceSummary> {
    return this.t.request('POST', `/v1/interfaces/${enc(ref)}/unbridge`, {});
  }

  async interfaceTransaction(step: 'begin' | 'commit' | 'rollback'): Promise<void> {
    await this.t.request('POST', `/v1/interface-transaction/${step}`, {});
  }
}
