// What define and start fill in (bridge name, MAC, NAT ports), the default network, subnet
// collisions, and the address arithmetic under them.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import {
  canonicalIp, checkRouteCollision, defaultNetworkXml, fillNetworkDefaults, findOverlappingNetwork, formatCidr,
  formatNetworkXml, liveNetworkDef, networkSubnets, parseCidr, parseIp, parseIpv4, parseIpv6, parseNetworkXml,
  pickBridgeName, pickDefaultSubnet, subnetsOverlap, type Cidr,
} from '../../src/conf/network/index.js';

const IP = "<ip address='10.0.0.1' prefix='24'/>";
const parse = (inner: string, name = 'n'): ReturnType<typeof parseNetworkXml> => parseNetworkXml(`<network><name>${name}</name>${inner}</network>`);
const cidr = (s: string): Cidr => parseCidr(s) ?? assert.fail(`bad cidr ${s}`);

describe('fillNetworkDefaults (net-define)', () => {
  test('picks the first virbrN that no other network and no host interface uses', () => {
    const def = fillNetworkDefaults(parse(IP), { otherNetworkBridges: ['virbr0', 'virbr2'], hostInterfaces: ['virbr1', 'eth0'] });
    assert.equal(def.bridge?.name, 'virbr3');
    assert.equal(fillNetworkDefaults(parse(IP), { otherNetworkBridges: [] }).bridge?.name, 'virbr0');
  });

  test('a name template with %d is filled the same way', () => {
    const def = fillNetworkDefaults(parse(`<bridge name='lab%d'/>${IP}`), { otherNetworkBridges: ['lab0'] });
    assert.equal(def.bridge?.name, 'lab1');
  });

  test('an explicit bridge name another network uses is refused with libvirt\'s message; a host device of that name is fine', () => {
    assert.throws(() => fillNetworkDefaults(parse(`<bridge name='virbr0'/>${IP}`), { otherNetworkBridges: ['virbr0'] }),
      (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_INVALID' && e.message === "Requested operation is not valid: bridge name 'virbr0' already in use.");
    assert.equal(fillNetworkDefaults(parse(`<bridge name='br5'/>${IP}`), { otherNetworkBridges: [], hostInterfaces: ['br5'] }).bridge?.name, 'br5');
  });

  test('gives up after 256 names, as libvirt does', () => {
    const all = Array.from({ length: 256 }, (_, i) => `virbr${i}`);
    assert.throws(() => pickBridgeName('virbr%d', new Set(all)), /Bridge generation exceeded max id 256/);
  });

  test('managed networks get a 52:54:00 MAC unless they have one; bridge mode gets neither name nor MAC', () => {
    assert.match(fillNetworkDefaults(parse(IP), { otherNetworkBridges: [] }).mac ?? '', /^52:54:00(:[0-9a-f]{2}){3}$/);
    assert.equal(fillNetworkDefaults(parse(`<mac address='52:54:00:01:02:03'/>${IP}`), { otherNetworkBridges: [] }).mac, '52:54:00:01:02:03');
    const bridged = fillNetworkDefaults(parse("<forward mode='bridge'/><bridge name='br0'/>"), { otherNetworkBridges: ['br0'] });
    assert.equal(bridged.mac, undefined);
    assert.equal(formatNetworkXml(bridged).includes("<bridge name='br0'/>"), true);
  });

  test('the input definition is left alone', () => {
    const def = parse(IP);
    fillNetworkDefaults(def, { otherNetworkBridges: [] });
    assert.equal(def.bridge?.name, undefined);
    assert.equal(def.mac, undefined);
  });
});

describe('liveNetworkDef (net-start)', () => {
  test('a NAT network shows the port range 1024-65535 once running; other fields are untouched', () => {
    const nat = parse(`<forward mode='nat'/>${IP}`);
    const live = liveNetworkDef(nat);
    assert.deepEqual(live.forward?.nat, { port: { start: 1024, end: 65535 } });
    assert.equal(nat.forward?.nat, undefined);
    assert.match(formatNetworkXml(live), /<forward mode='nat'>\n {4}<nat>\n {6}<port start='1024' end='65535'\/>\n {4}<\/nat>\n {2}<\/forward>/);
    const custom = liveNetworkDef(parse(`<forward><nat><port start='2000' end='3000'/></nat></forward>${IP}`));
    assert.deepEqual(custom.forward?.nat?.port, { start: 2000, end: 3000 });
    assert.equal(liveNetworkDef(parse(`<forward mode='route'/>${IP}`)).forward?.nat, undefined);
  });
});

describe('the default network', () => {
  test('192.168.122.0/24 when free, else the first free of 124..254 (as libvirt\'s packaging picks)', () => {
    assert.equal(formatCidr(pickDefaultSubnet([]) as Cidr), '192.168.122.0/24');
    assert.equal(formatCidr(pickDefaultSubnet(['192.168.122.0/24']) as Cidr), '192.168.124.0/24');
    assert.equal(formatCidr(pickDefaultSubnet(['192.168.122.0/24', '192.168.124.0/23']) as Cidr), '192.168.126.0/24');
    assert.equal(formatCidr(pickDefaultSubnet(['192.168.122.7']) as Cidr), '192.168.124.0/24', 'a host route inside counts');
    assert.equal(formatCidr(pickDefaultSubnet(['default', '0.0.0.0/0', '10.0.0.0/8', 'fd00::/8']) as Cidr), '192.168.122.0/24');
    assert.equal(pickDefaultSubnet(['192.168.0.0/16']), undefined);
  });

  test('its XML is libvirt\'s default.xml on the chosen subnet, and defines cleanly', () => {
    assert.equal(defaultNetworkXml(cidr('192.168.122.0/24'), 'virbr0'), `<network>
  <name>default</name>
  <bridge name='virbr0'/>
  <forward/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
`);
    const def = fillNetworkDefaults(parseNetworkXml(defaultNetworkXml(cidr('192.168.124.0/24'))), { otherNetworkBridges: ['virbr0'] });
    assert.equal(def.bridge?.name, 'virbr1');
    assert.equal(def.forward?.mode, 'nat');
    assert.deepEqual(def.ips[0]?.dhcp?.ranges, [{ start: '192.168.124.2', end: '192.168.124.254' }]);
    assert.throws(() => defaultNetworkXml(cidr('10.0.0.0/8')), /IPv4 \/24/);
  });
});

describe('subnet collisions', () => {
  const nat = parse(`<forward/><bridge name='virbr9'/><ip address='192.168.122.1' prefix='24'/><ip family='ipv6' address='fd00:1::1' prefix='64'/>`);

  test('a route to an overlapping subnet stops the start with libvirt\'s message', () => {
    assert.throws(() => checkRouteCollision(nat, [{ dest: '192.168.0.0/16', dev: 'eth0' }]),
      (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_FAILED' && e.message === 'operation failed: Network is already in use by interface eth0'
        && (e.hint ?? '').includes('192.168.122.0/24'));
    assert.throws(() => checkRouteCollision(nat, [{ dest: 'fd00:1::/48', dev: 'wg0' }]), /interface wg0/);
  });

  test('default routes, unrelated routes and the network\'s own bridge do not collide', () => {
    checkRouteCollision(nat, [
      { dest: 'default', dev: 'eth0' }, { dest: '0.0.0.0/0', dev: 'eth0' }, { dest: '::/0', dev: 'eth0' },
      { dest: '10.0.0.0/8', dev: 'eth0' }, { dest: '192.168.122.0/24', dev: 'virbr9' },
    ]);
  });

  test('networks whose subnets overlap are found; a network does not overlap itself', () => {
    const other = parse(`<ip address='192.168.122.129' prefix='25'/>`, 'other');
    const far = parse(`<ip address='10.9.0.1' prefix='24'/>`, 'far');
    assert.equal(findOverlappingNetwork(nat, [nat, far, other])?.other.name, 'other');
    assert.equal(findOverlappingNetwork(nat, [nat, far]), undefined);
    assert.deepEqual(networkSubnets(nat).map(formatCidr), ['192.168.122.0/24', 'fd00:1::/64']);
  });
});

describe('addresses', () => {
  test('IPv4 is a strict dotted quad', () => {
    assert.equal(parseIpv4('192.168.1.1'), 0xc0a80101n);
    for (const bad of ['192.168.1', '192.168.1.256', '192.168.01.1', '1.2.3.4.5', '', ' 1.2.3.4', '0x1.2.3.4']) assert.equal(parseIpv4(bad), undefined, bad);
  });

  test('IPv6 in every RFC 4291 text form', () => {
    assert.equal(parseIpv6('::'), 0n);
    assert.equal(parseIpv6('::1'), 1n);
    assert.equal(parseIpv6('1::'), 1n << 112n);
    assert.equal(parseIpv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
    assert.equal(parseIpv6('::ffff:1.2.3.4'), 0xffff01020304n);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', ':1', '1:2:3:4:5:6:7::8', '1.2.3.4::']) assert.equal(parseIpv6(bad), undefined, bad);
  });

  test('printed as inet_ntop does (RFC 5952)', () => {
    const cases: Array<[string, string]> = [
      ['FD00:0:0::0001', 'fd00::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'], ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['10.0.0.1', '10.0.0.1'],
    ];
    for (const [input, output] of cases) assert.equal(canonicalIp(input), output, input);
    assert.equal(canonicalIp('nope'), undefined);
  });

  test('CIDRs clear host bits; overlap means one contains the other', () => {
    assert.equal(formatCidr(cidr('192.168.122.77/24')), '192.168.122.0/24');
    assert.equal(formatCidr(cidr('10.1.2.3')), '10.1.2.3/32');
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.ok(subnetsOverlap(cidr('10.0.0.0/8'), cidr('10.20.0.0/16')));
    assert.ok(subnetsOverlap(cidr('10.20.0.0/16'), cidr('10.0.0.0/8')));
    assert.ok(!subnetsOverlap(cidr('10.0.0.0/24'), cidr('10.0.1.0/24')));
    assert.ok(!subnetsOverlap(cidr('::/0'), cidr('10.0.0.0/8')), 'families never overlap');
    assert.deepEqual(parseIp('fd00::1'), { family: 'ipv6', value: (0xfd00n << 112n) | 1n });
  });
});
