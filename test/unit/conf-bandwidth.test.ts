// A NIC's <bandwidth> (domiftune): parsed as libvirt checks it, printed back in libvirt's form
// (valid against its schema), and turned into the tc commands and nftables rule put on the tap.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { htbQuantum, inboundTc, outboundNft, policeChain } from '../../src/network/bandwidth.js';
import { formatIfTune } from '../../src/cli/commands/iftune.js';

const guest = (nic: string): string => `<domain type='qemu'><name>a</name><memory>131072</memory>
<os><type machine='q35'>hvm</type></os><devices>${nic}</devices></domain>`;
const onNetwork = (bw: string, type = "network'><source network='n1'/"): string => `<interface type='${type}><mac address='52:54:00:aa:00:01'/><model type='virtio'/>${bw}</interface>`;
const err = (xml: string): string => {
  try {
    parseDomainXml(xml);
  } catch (e) {
    assert.ok(e instanceof VireoError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
};

describe('<interface><bandwidth>', () => {
  test('is kept without its zeros and printed in libvirt\'s order (average, peak, floor, burst); a round trip is stable and schema-valid', () => {
    const xml = guest(onNetwork("<bandwidth><inbound average='1000' peak='2000' burst='512' floor='0'/><outbound burst='256' average='500' peak='0'/></bandwidth>"));
    const def = parseDomainXml(xml);
    assert.deepEqual(def.devices.interfaces[0]?.bandwidth, { inbound: { average: 1000, peak: 2000, burst: 512 }, outbound: { average: 500, burst: 256 } });
    const out = formatDomainXml(def);
    assert.match(out, /<source network='n1'\/>\n {6}<bandwidth>\n {8}<inbound average='1000' peak='2000' burst='512'\/>\n {8}<outbound average='500' burst='256'\/>\n {6}<\/bandwidth>\n/);
    assert.equal(formatDomainXml(parseDomainXml(out)), out);
    const lint = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/libvirt/schemas/domain.rng', '-'], { input: out, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stderr);
  });

  test('a direction or a whole element that limits nothing is dropped, as libvirt drops it', () => {
    assert.equal(parseDomainXml(guest(onNetwork("<bandwidth><inbound average='0'/></bandwidth>"))).devices.interfaces[0]?.bandwidth, undefined);
    assert.equal(parseDomainXml(guest(onNetwork('<bandwidth/>'))).devices.interfaces[0]?.bandwidth, undefined);
  });

  test('a floor is an inbound guarantee of a virtual network\'s NIC: kept there, refused elsewhere with libvirt\'s words', () => {
    assert.deepEqual(parseDomainXml(guest(onNetwork("<bandwidth><inbound floor='10'/></bandwidth>"))).devices.interfaces[0]?.bandwidth, { inbound: { floor: 10 } });
    assert.equal(err(guest(onNetwork("<bandwidth><inbound average='10' floor='5'/></bandwidth>", "bridge'><source bridge='br0'/"))),
      'CONFIG_UNSUPPORTED: unsupported configuration: floor attribute is not supported for this config');
    assert.equal(err(guest(onNetwork("<bandwidth><outbound average='10' floor='3'/></bandwidth>"))),
      "CONFIG_UNSUPPORTED: unsupported configuration: 'floor' attribute allowed only in <inbound> element");
  });

  test("bad values and shapes are refused: libvirt's messages, vireo's for what libvirt ignores", () => {
    assert.equal(err(guest(onNetwork("<bandwidth><inbound peak='10'/></bandwidth>"))), 'XML_INVALID: Missing mandatory average or floor attributes');
    assert.equal(err(guest(onNetwork("<bandwidth><inbound average='10k'/></bandwidth>"))), "CONFIG_UNSUPPORTED: unsupported configuration: could not convert bandwidth average value '10k'");
    assert.equal(err(guest(onNetwork("<bandwidth><outbound average='1' burst='-1'/></bandwidth>"))), "CONFIG_UNSUPPORTED: unsupported configuration: could not convert bandwidth burst value '-1'");
    assert.match(err(guest(onNetwork("<bandwidth><inbound average='1'/><inbound average='2'/></bandwidth>"))), /^XML_INVALID: duplicate element .*<bandwidth>\/<inbound>/);
    assert.match(err(guest(onNetwork("<bandwidth><inbound average='1' foo='1'/></bandwidth>"))), /^XML_UNSUPPORTED: unsupported attribute 'foo'/);
  });
});

describe('limits on the tap', () => {
  test("inbound: htb root, one class with libvirt's rate, ceiling, burst and quantum, an sfq leaf", () => {
    assert.deepEqual(inboundTc('vnet0', { average: 1000, peak: 2000, burst: 512 }), [
      ['qdisc', 'add', 'dev', 'vnet0', 'root', 'handle', '1:', 'htb', 'default', '1'],
      ['class', 'add', 'dev', 'vnet0', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '1000kbps', 'ceil', '2000kbps', 'burst', '512kb', 'quantum', '85'],
      ['qdisc', 'add', 'dev', 'vnet0', 'parent', '1:1', 'handle', '2:', 'sfq', 'perturb', '10'],
    ]);
    assert.deepEqual(inboundTc('vnet1', { average: 170 })[1], ['class', 'add', 'dev', 'vnet1', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '170kbps', 'quantum', '14']);
    // libvirt's figures for 10 and 150 kB/s.
    assert.equal(htbQuantum(10), 1);
    assert.equal(htbQuantum(150), 12);
  });

  test("outbound: the tap's ingress chain drops what exceeds the average (tc's kbps are 1000 bytes, its kb 1024), burst defaulting to the average", () => {
    assert.equal(outboundNft('vnet0', { average: 500, burst: 256 }), 'add table netdev vireo_bw\n'
      + 'add chain netdev vireo_bw tap_vnet0 { type filter hook ingress device "vnet0" priority 0; policy accept; }\n'
      + 'flush chain netdev vireo_bw tap_vnet0\n'
      + 'add rule netdev vireo_bw tap_vnet0 limit rate over 500000 bytes/second burst 262144 bytes counter drop\n');
    assert.match(outboundNft('vnet1', { average: 50, peak: 80 }), /limit rate over 50000 bytes\/second burst 51200 bytes counter drop\n$/);
    // Tap names nft cannot take as they are, one chain each.
    assert.deepEqual(['my-tap', 'my_2dtap', 'a+b', 'v.1'].map(policeChain), ['tap_my_2dtap', 'tap_my_5f2dtap', 'tap_a_2bb', 'tap_v.1']);
  });
});

test("domiftune's listing is virsh's: names padded to 15 columns, every field, 0 for none", () => {
  assert.equal(formatIfTune({ inbound: { average: 1000, peak: 2000, burst: 512, floor: 0 }, outbound: { average: 500, peak: 0, burst: 256 } }),
    'inbound.average: 1000\ninbound.peak   : 2000\ninbound.burst  : 512\ninbound.floor  : 0\noutbound.average: 500\noutbound.peak  : 0\noutbound.burst : 256\n');
});
