// dnsmasq's configuration for a network, compared with what libvirt 9.0 wrote for the same network
// XML (test/fixtures/network/libvirt-dnsmasq/, net-X.xml beside each).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { VireoError } from '../../src/api/errors.js';
import { dnsmasqFiles, dnsmasqPaths, needsDnsmasq, ptrDomain } from '../../src/network/dnsmasq-conf.js';
import { parseSubnet } from '../../src/network/ip.js';
import type { NetworkSpec } from '../../src/network/types.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/network/libvirt-dnsmasq');
const DIR = '/var/lib/vireo/dnsmasq';

/** libvirt's file with its paths and its name in the header replaced by vireo's. */
function libvirt(name: string, ext: string): string {
  const p = dnsmasqPaths(DIR, name);
  return readFileSync(path.join(FIX, `${name}.${ext}`), 'utf8')
    .replace(`##    virsh net-edit ${name}`, `##    vireo net-edit ${name}`)
    .replace('the libvirt API', 'the vireo API')
    .replace('created by libvirt', 'created by vireo')
    .replace(`/run/libvirt/network/${name}.pid`, p.pidFile)
    .replace(`/var/lib/libvirt/dnsmasq/${name}.hostsfile`, p.hostsFile)
    .replace(`/var/lib/libvirt/dnsmasq/${name}.addnhosts`, p.addnHosts);
}

function same(spec: NetworkSpec): void {
  const files = dnsmasqFiles(spec, dnsmasqPaths(DIR, spec.name));
  assert.equal(files.conf, libvirt(spec.name, 'conf'));
  assert.equal(files.hostsFile, libvirt(spec.name, 'hostsfile'));
  assert.equal(files.addnHosts, libvirt(spec.name, 'addnhosts'));
}

describe('dnsmasq conf as libvirt 9.0 writes it', () => {
  test('NAT with a domain, DNS hosts and a forwarder, IPv4 and IPv6 DHCP (net-nat.xml)', () => {
    same({
      name: 'natnet', bridge: { name: 'virbr5', mac: '52:54:00:aa:bb:01', stp: true, delay: 0 }, forward: { mode: 'nat' },
      domain: { name: 'example.test' },
      dns: { forwarders: [{ addr: '8.8.8.8' }], hosts: [{ ip: '192.168.150.50', hostnames: ['myhost', 'alias1'] }] },
      ips: [
        { address: '192.168.150.1', prefix: 24, dhcpRanges: [{ start: '192.168.150.2', end: '192.168.150.254' }], dhcpHosts: [{ mac: '52:54:00:00:00:11', name: 'g1', ip: '192.168.150.11' }] },
        { address: 'fd00:150::1', prefix: 64, dhcpRanges: [{ start: 'fd00:150::100', end: 'fd00:150::1ff' }] },
      ],
    });
  });

  test('routed (net-route.xml)', () => {
    same({ name: 'routenet', bridge: { name: 'virbr6' }, forward: { mode: 'route' }, ips: [{ address: '192.168.151.1', prefix: 24, dhcpRanges: [{ start: '192.168.151.10', end: '192.168.151.20' }] }] });
  });

  test('isolated: no router, no forwarding of DNS, RA lifetime 0 (net-iso.xml)', () => {
    same({ name: 'isonet', bridge: { name: 'virbr7' }, forward: { mode: 'isolated' }, ips: [{ address: '192.168.152.1', prefix: 24, dhcpRanges: [{ start: '192.168.152.10', end: '192.168.152.20' }] }] });
  });

  test('open without DHCP: DNS only (net-open.xml)', () => {
    same({ name: 'opennet', bridge: { name: 'virbr8' }, forward: { mode: 'open' }, ips: [{ address: '192.168.153.1', prefix: 24 }] });
  });

  test('MTU, local-only domain, plain names kept local, domain forwarder, lease times (net-a.xml)', () => {
    same({
      name: 'neta', bridge: { name: 'virbr9', stp: false, mtu: 9000 }, forward: { mode: 'nat', nat: { portStart: 1024, portEnd: 65535 } },
      domain: { name: 'lab.test', localOnly: true },
      dns: { forwardPlainNames: false, forwarders: [{ domain: 'corp.test', addr: '10.9.9.9' }, { addr: '1.1.1.1' }], hosts: [{ ip: '192.168.160.7', hostnames: ['seven'] }] },
      ips: [{
        address: '192.168.160.1', prefix: 24,
        dhcpRanges: [{ start: '192.168.160.100', end: '192.168.160.199', lease: { expiry: 2, unit: 'hours' } }],
        dhcpHosts: [{ mac: '52:54:00:00:00:22', ip: '192.168.160.22' }, { mac: '52:54:00:00:00:23', name: 'g23', ip: '192.168.160.23', lease: { expiry: 0 } }],
      }],
    });
  });

  test('DNS switched off: port 0, no DNS hosts file (net-b.xml)', () => {
    same({ name: 'netb', bridge: { name: 'virbr10' }, forward: { mode: 'isolated' }, dns: { enable: false }, ips: [{ address: '10.77.0.1', prefix: 16, dhcpRanges: [{ start: '10.77.1.1', end: '10.77.1.100' }] }] });
  });

  test('IPv6 without DHCP: router advertisements only (net-c.xml)', () => {
    same({ name: 'netc', bridge: { name: 'virbr11' }, forward: { mode: 'route' }, ips: [{ address: 'fd00:77::1', prefix: 64 }] });
  });

  test('static-only DHCPv6 by DUID and by name (net-d.xml)', () => {
    same({
      name: 'netd', bridge: { name: 'virbr12' }, forward: { mode: 'nat' },
      ips: [
        { address: '192.168.170.1', prefix: 24, dhcpRanges: [{ start: '192.168.170.2', end: '192.168.170.254' }] },
        { address: 'fd00:170::1', prefix: 64, dhcpHosts: [{ id: '0:3:0:1:0:16:3e:11:22:33', name: 'v6host', ip: 'fd00:170::5' }, { name: 'v6byname', ip: 'fd00:170::6' }] },
      ],
    });
  });

  test('TXT and SRV records, local PTR zones, TFTP and BOOTP, static-only IPv4 DHCP (net-e.xml)', () => {
    same({
      name: 'nete', bridge: { name: 'virbr13' }, forward: { mode: 'route', dev: 'eth0' },
      domain: { name: 'e.test' },
      dns: {
        txts: [{ name: 'example', value: 'example value' }],
        forwarders: [{ domain: 'local.test' }],
        srvs: [
          { service: 'name', protocol: 'tcp', domain: 'e.test', target: '.', port: 1, priority: 10, weight: 10 },
          { service: 'ldap', protocol: 'tcp', target: 'ldap.e.test', port: 389 },
          { service: 'web', protocol: 'udp', target: 'w.e.test', weight: 5 },
        ],
        hosts: [{ ip: '192.168.180.5', hostnames: ['five'] }, { ip: '192.168.180.6', hostnames: ['six'] }, { ip: '192.168.180.5', hostnames: ['cinq'] }],
      },
      ips: [
        { address: '192.168.180.1', prefix: 24, localPtr: true, tftpRoot: '/srv/tftp', bootFile: 'pxelinux.0', bootServer: '192.168.180.2', dhcpHosts: [{ mac: '52:54:00:00:00:33', name: 'g33', ip: '192.168.180.33' }, { name: 'byname', ip: '192.168.180.34' }] },
        { address: 'fd00:180::1', prefix: 64, localPtr: true },
      ],
      routes: [{ address: '192.168.181.0', prefix: 24, gateway: '192.168.180.9' }],
    });
  });
});

describe('when dnsmasq runs, and bad input', () => {
  const base: NetworkSpec = { name: 'n', bridge: { name: 'br0' }, forward: { mode: 'nat' }, ips: [] };

  test('no address: no dnsmasq; DNS off without DHCP: no dnsmasq; DNS alone: dnsmasq', () => {
    assert.equal(needsDnsmasq(base), false);
    assert.equal(needsDnsmasq({ ...base, dns: { enable: false }, ips: [{ address: '10.0.0.1', prefix: 24 }] }), false);
    assert.equal(needsDnsmasq({ ...base, ips: [{ address: '10.0.0.1', prefix: 24 }] }), true);
    assert.equal(needsDnsmasq({ ...base, dns: { enable: false }, ips: [{ address: '10.0.0.1', prefix: 24, dhcpRanges: [{ start: '10.0.0.2', end: '10.0.0.3' }] }] }), true);
  });

  test('a DHCP range outside the subnet, a second IPv4 DHCP, a host without MAC or name: INVALID_ARG naming it', () => {
    const p = dnsmasqPaths('/d', 'n');
    const err = (spec: NetworkSpec, re: RegExp): void => assert.throws(() => dnsmasqFiles(spec, p), (e: unknown) => e instanceof VireoError && e.code === 'INVALID_ARG' && re.test(e.message));
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpRanges: [{ start: '10.0.0.2', end: '10.0.1.3' }] }] }, /DHCP range 10.0.0.2 - 10.0.1.3 does not lie within the network 10.0.0.1\/24/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpRanges: [{ start: '10.0.0.9', end: '10.0.0.3' }] }] }, /10.0.0.9 - 10.0.0.3/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpRanges: [{ start: '10.0.0.2', end: '10.0.0.3' }] }, { address: '10.1.0.1', prefix: 24, dhcpHosts: [{ mac: '52:54:00:00:00:01', ip: '10.1.0.5' }] }] }, /multiple DHCP definitions/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpHosts: [{ ip: '10.0.0.5' }] }] }, /DHCP host 10.0.0.5 needs a MAC address or a name/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpHosts: [{ mac: '52:54:00:00:00:01', ip: '10.0.9.5' }] }] }, /10.0.9.5 is outside the network/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24, dhcpRanges: [{ start: 'fd00::2', end: 'fd00::3' }] }] }, /'fd00::2' is not an IPv4 address/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24 }], dnsmasqOptions: ['a=b\nc=d'] }, /contains a line break: "a=b\\nc=d"/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24 }], domain: { name: 'x\nserver=1.2.3.4' } }, /contains a line break: "domain=x\\nserver=1.2.3.4"/);
    err({ ...base, ips: [{ address: '10.0.0.1', prefix: 24 }], dns: { hosts: [{ ip: '10.0.0.5', hostnames: ['a\n10.0.0.6'] }] } }, /DNS host name "a\\n10.0.0.6" is empty or contains white space/);
    assert.throws(() => dnsmasqPaths('/d', '..'), /cannot name dnsmasq's files/);
    assert.equal(dnsmasqPaths('/d', 'my net#1/é').conf, '/d/my%20net%231%2F%C3%A9.conf');
  });

  test('PTR zones: whole octets (IPv4) or nibbles (IPv6) only', () => {
    assert.equal(ptrDomain(parseSubnet('10.1.0.0/16')!), '1.10.in-addr.arpa');
    assert.equal(ptrDomain(parseSubnet('fd00:1::/36')!), '0.1.0.0.0.0.0.d.f.ip6.arpa');
    assert.throws(() => ptrDomain(parseSubnet('10.1.0.0/20')!), /prefix 20 cannot be created automatically/);
  });

  test('extra dnsmasq options come last, as written', () => {
    const conf = dnsmasqFiles({ ...base, ips: [{ address: '10.0.0.1', prefix: 24 }], dnsmasqOptions: ['log-queries', 'cache-size=0'] }, dnsmasqPaths('/d', 'n')).conf;
    assert.match(conf, /addn-hosts=\/d\/n.addnhosts\nlog-queries\ncache-size=0\n$/);
  });
});
