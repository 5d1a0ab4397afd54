// Address arithmetic of the network driver: parsing, canonical text, subnets and their overlaps.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { contains, formatIp, formatSubnet, netmaskOf, overlaps, parseIp, parseSubnet, rangeSize, subnetOf } from '../../src/network/ip.js';
import { lowestFreeVnet, tapMacFor } from '../../src/network/tap.js';
import { checkIfname, checkMac } from '../../src/network/bridge.js';

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
