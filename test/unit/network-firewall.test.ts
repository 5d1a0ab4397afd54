// The nftables rules of each forward mode: libvirt 9.0's iptables rule set (its -A lines quoted
// beside each group), written into vireo's own table, one set of chains per bridge.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chainsOf, firewallScript } from '../../src/network/firewall.js';
import type { NetworkSpec } from '../../src/network/types.js';

const net = (mode: NetworkSpec['forward']['mode'], ips: NetworkSpec['ips'], over: Partial<NetworkSpec['forward']> = {}): NetworkSpec =>
  ({ name: 'n1', bridge: { name: 'virbr5' }, forward: { mode, ...over }, ips });
const v4 = [{ address: '192.168.150.1', prefix: 24 }];
const dual = [...v4, { address: 'fd00:150::1', prefix: 64 }];
const lines = (s: string): string[] => s.trimEnd().split('\n').map((l) => l.replace(/^add rule inet vireo /, ''));
const chain = (kind: string, hook: string, type = 'filter', prio = 'filter'): string =>
  `add chain inet vireo ${kind}-virbr5 { type ${type} hook ${hook} priority ${prio}; policy accept; comment "vireo network n1"; }`;
// -A LIBVIRT_INP -i virbr5 -p udp --dport 53/67, -p tcp --dport 53/67 -j ACCEPT
// -A LIBVIRT_OUT -o virbr5 -p udp --dport 53/68, -p tcp --dport 53/68 -j ACCEPT
const hostV4 = [
  chain('in', 'input'), 'in-virbr5 iifname "virbr5" udp dport { 53, 67 } accept', 'in-virbr5 iifname "virbr5" tcp dport { 53, 67 } accept',
  chain('out', 'output'), 'out-virbr5 oifname "virbr5" udp dport { 53, 68 } accept', 'out-virbr5 oifname "virbr5" tcp dport { 53, 68 } accept',
];

test('nat: masquerade the subnet (ports 1024-65535 for TCP and UDP) to non-local destinations; only replies come in; IPv6 is routed', () => {
  assert.deepEqual(lines(firewallScript(net('nat', dual))), [
    'add table inet vireo',
    chain('fwd', 'forward'),
    // -A LIBVIRT_FWX -i virbr5 -o virbr5 -j ACCEPT
    'fwd-virbr5 iifname "virbr5" oifname "virbr5" accept',
    // -A LIBVIRT_FWI -d 192.168.150.0/24 -o virbr5 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    'fwd-virbr5 oifname "virbr5" ip daddr 192.168.150.0/24 ct state related,established accept',
    // (ip6) -A LIBVIRT_FWI -d fd00:150::/64 -o virbr5 -j ACCEPT
    'fwd-virbr5 oifname "virbr5" ip6 daddr fd00:150::/64 accept',
    // -A LIBVIRT_FWI -o virbr5 -j REJECT
    'fwd-virbr5 oifname "virbr5" reject',
    // -A LIBVIRT_FWO -s 192.168.150.0/24 -i virbr5 -j ACCEPT (and ip6)
    'fwd-virbr5 iifname "virbr5" ip saddr 192.168.150.0/24 accept',
    'fwd-virbr5 iifname "virbr5" ip6 saddr fd00:150::/64 accept',
    // -A LIBVIRT_FWO -i virbr5 -j REJECT
    'fwd-virbr5 iifname "virbr5" reject',
    chain('nat', 'postrouting', 'nat', 'srcnat'),
    // -A LIBVIRT_PRT -s 192.168.150.0/24 -d 224.0.0.0/24 -j RETURN, -d 255.255.255.255/32 -j RETURN
    'nat-virbr5 ip saddr 192.168.150.0/24 ip daddr 224.0.0.0/24 return',
    'nat-virbr5 ip saddr 192.168.150.0/24 ip daddr 255.255.255.255 return',
    // -A LIBVIRT_PRT -s 192.168.150.0/24 ! -d 192.168.150.0/24 -p tcp|udp -j MASQUERADE --to-ports 1024-65535, then without -p
    'nat-virbr5 meta l4proto tcp ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 masquerade to :1024-65535',
    'nat-virbr5 meta l4proto udp ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 masquerade to :1024-65535',
    'nat-virbr5 ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 masquerade',
    ...hostV4.slice(0, 3),
    // (ip6) -A LIBVIRT_INP -i virbr5 -p udp --dport 547 -j ACCEPT
    'in-virbr5 iifname "virbr5" udp dport 547 accept',
    ...hostV4.slice(3),
    // (ip6) -A LIBVIRT_OUT -o virbr5 -p udp --dport 546 -j ACCEPT
    'out-virbr5 oifname "virbr5" udp dport 546 accept',
  ]);
});

test('nat through one device, with a source address range and ports, IPv6 masqueraded too', () => {
  const s = lines(firewallScript(net('nat', dual, { dev: 'eth0', nat: { addressStart: '198.51.100.10', addressEnd: '198.51.100.20', portStart: 2000, portEnd: 3000, ipv6: true } })));
  assert.ok(s.includes('fwd-virbr5 iifname "eth0" oifname "virbr5" ip6 daddr fd00:150::/64 ct state related,established accept'));
  assert.ok(s.includes('fwd-virbr5 iifname "virbr5" ip saddr 192.168.150.0/24 oifname "eth0" accept'));
  assert.ok(s.includes('nat-virbr5 meta l4proto udp ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 oifname "eth0" snat ip to 198.51.100.10-198.51.100.20:2000-3000'));
  assert.ok(s.includes('nat-virbr5 ip saddr 192.168.150.0/24 ip daddr != 192.168.150.0/24 oifname "eth0" snat ip to 198.51.100.10-198.51.100.20'));
  assert.ok(s.includes('nat-virbr5 ip6 saddr fd00:150::/64 ip6 daddr ff00::/8 oifname "eth0" return'));
  assert.ok(s.includes('nat-virbr5 meta l4proto tcp ip6 saddr fd00:150::/64 ip6 daddr != fd00:150::/64 oifname "eth0" masquerade to :2000-3000'));
});

test('route: forwarding both ways for the subnet, no NAT', () => {
  assert.deepEqual(lines(firewallScript(net('route', v4))), [
    'add table inet vireo',
    chain('fwd', 'forward'),
    'fwd-virbr5 iifname "virbr5" oifname "virbr5" accept',
    // -A LIBVIRT_FWI -d 192.168.151.0/24 -o virbr6 -j ACCEPT
    'fwd-virbr5 oifname "virbr5" ip daddr 192.168.150.0/24 accept',
    'fwd-virbr5 oifname "virbr5" reject',
    'fwd-virbr5 iifname "virbr5" ip saddr 192.168.150.0/24 accept',
    'fwd-virbr5 iifname "virbr5" reject',
    ...hostV4,
  ]);
});

test('isolated: every forwarded packet to or from the bridge is rejected; guests still reach each other and the host', () => {
  assert.deepEqual(lines(firewallScript(net('isolated', v4))), [
    'add table inet vireo',
    chain('fwd', 'forward'),
    // -A LIBVIRT_FWX -i virbr7 -o virbr7 -j ACCEPT ; -A LIBVIRT_FWI -o virbr7 -j REJECT ; -A LIBVIRT_FWO -i virbr7 -j REJECT
    'fwd-virbr5 iifname "virbr5" oifname "virbr5" accept',
    'fwd-virbr5 oifname "virbr5" reject',
    'fwd-virbr5 iifname "virbr5" reject',
    ...hostV4,
  ]);
});

test('open: no rules at all; bad names are refused before nft sees them', () => {
  assert.equal(firewallScript(net('open', v4)), '');
  assert.deepEqual(chainsOf('virbr5'), ['fwd-virbr5', 'nat-virbr5', 'in-virbr5', 'out-virbr5']);
  assert.throws(() => firewallScript({ ...net('nat', v4), bridge: { name: 'br"0' } }), /bridge name 'br"0' is not a valid interface name/);
  assert.throws(() => firewallScript(net('nat', v4, { dev: 'eth 0' })), /forward device 'eth 0'/);
  assert.match(firewallScript({ ...net('isolated', v4), name: 'a"b\\c' }), /comment "vireo network a_b_c"/);
});
