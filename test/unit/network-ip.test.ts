// Address arithmetic of the network driver (subnets and their overlaps), tap names and MACs, and
// dnsmasq lease files.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { contains, formatIp, formatSubnet, netmaskOf, overlaps, parseIp, parseSubnet, rangeSize, subnetOf } from '../../src/network/ip.js';
import { lowestFreeVnet, tapMacFor } from '../../src/network/tap.js';
import { checkIfname, checkMac } from '../../src/network/bridge.js';
import { parseLeases } from '../../src/network/leases.js';

test('IPv4 and IPv6 parse, and print canonically (RFC 5952 for IPv6)', () => {
  const canon = (s: string): string | undefined => {
    const ip = parseIp(s);
    return ip === undefined ? undefined : formatIp(ip);
  };
  assert.equal(canon('192.168.122.1'), '192.168.122.1');
  assert.equal(canon('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  assert.equal(canon('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(canon('::'), '::');
  assert.equal(canon('::ffff:10.0.0.1'), '::ffff:a00:1');
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', 'x', '']) assert.equal(canon(bad), undefined, bad);
});

test('subnets: network address, netmask, containment, overlap, range size', () => {
  const s = subnetOf(parseIp('192.168.122.1')!, 24);
  assert.equal(formatSubnet(s), '192.168.122.0/24');
  assert.equal(netmaskOf(24), '255.255.255.0');
  assert.equal(netmaskOf(17), '255.255.128.0');
  assert.ok(contains(s, parseIp('192.168.122.254')!));
  assert.ok(!contains(s, parseIp('192.168.123.1')!));
  assert.ok(overlaps(s, parseSubnet('192.168.0.0/16')!));
  assert.ok(overlaps(s, parseSubnet('192.168.122.128/25')!));
  assert.ok(!overlaps(s, parseSubnet('192.168.123.0/24')!));
  assert.ok(!overlaps(s, parseSubnet('fd00::/8')!));
  assert.equal(formatSubnet(parseSubnet('fd00:150::1/64')!), 'fd00:150::/64');
  assert.equal(formatSubnet(parseSubnet('10.1.2.3')!), '10.1.2.3/32');
  assert.equal(parseSubnet('10.0.0.0/33'), undefined);
  assert.equal(rangeSize(parseIp('192.168.122.2')!, parseIp('192.168.122.254')!), 253);
  assert.equal(rangeSize(parseIp('fd00::100')!, parseIp('fd00::1ff')!), 256);
  assert.throws(() => subnetOf(parseIp('10.0.0.1')!, 40), /prefix 40 is out of range/);
});

test('taps: the lowest free vnetN; the tap MAC of a guest MAC; names and MACs checked', () => {
  assert.equal(lowestFreeVnet([]), 'vnet0');
  assert.equal(lowestFreeVnet(['lo', 'vnet0', 'vnet1', 'vnet3', 'vnetx']), 'vnet2');
  assert.equal(tapMacFor('52:54:00:AB:cd:01'), 'fe:54:00:ab:cd:01');
  assert.throws(() => checkMac('01:00:5e:00:00:01', 'MAC'), /multicast/);
  assert.throws(() => checkMac('52:54:00:00:00', 'MAC'), /is not a MAC address/);
  checkIfname('virbr0', 'bridge name');
  checkIfname('br-lan.10', 'bridge name');
  for (const bad of ['', 'abcdefghijklmnop', 'a b', 'a/b', 'a:b', 'a"b', '..']) assert.throws(() => checkIfname(bad, 'bridge name'), /is not a valid interface name/, bad);
});

test('dnsmasq lease files: IPv4 and IPv6 leases, absent fields, a MAC from a DUID, lines that do not parse left out', () => {
  const leases = parseLeases([
    '1796170000 52:54:00:00:50:01 10.50.0.120 guest1 01:52:54:00:00:50:01',
    '0 52:54:00:00:50:02 10.50.0.7 * *',
    '1796170001 06-00:11:22:33:44:55 10.50.0.9 tr *',
    'duid 00:01:00:01:2c:aa:bb:cc:52:54:00:aa:bb:01',
    '1796170002 12345 fd00:170::5 v6host 00:03:00:01:52:54:00:00:60:01',
    '1796170003 T99 fd00:170:0:0::9 * 00:02:00:00:ab:11:22',
    '1796170004 1 fd00:170::a * 00:01:00:01:2c:aa:bb:cc:52:54:00:00:60:02',
    'garbage line',
    '',
  ].join('\n'));
  assert.deepEqual(leases, [
    { family: 'ipv4', ip: '10.50.0.120', expiryTime: 1796170000, mac: '52:54:00:00:50:01', iaid: undefined, hostname: 'guest1', clientId: '01:52:54:00:00:50:01' },
    { family: 'ipv4', ip: '10.50.0.7', expiryTime: 0, mac: '52:54:00:00:50:02', iaid: undefined, hostname: undefined, clientId: undefined },
    { family: 'ipv4', ip: '10.50.0.9', expiryTime: 1796170001, mac: '00:11:22:33:44:55', iaid: undefined, hostname: 'tr', clientId: undefined },
    { family: 'ipv6', ip: 'fd00:170::5', expiryTime: 1796170002, mac: '52:54:00:00:60:01', iaid: '12345', hostname: 'v6host', clientId: '00:03:00:01:52:54:00:00:60:01' },
    { family: 'ipv6', ip: 'fd00:170::9', expiryTime: 1796170003, mac: undefined, iaid: '99', hostname: undefined, clientId: '00:02:00:00:ab:11:22' },
    { family: 'ipv6', ip: 'fd00:170::a', expiryTime: 1796170004, mac: '52:54:00:00:60:02', iaid: '1', hostname: undefined, clientId: '00:01:00:01:2c:aa:bb:cc:52:54:00:00:60:02' },
  ]);
});
