// Host interface XML (interface.rng): what we print is stable when read back, validates against
// libvirt's schema, and bad input is refused with a message that names the culprit.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { formatInterfaceXml, parseInterfaceXml } from '../../src/conf/interface/index.js';

const SCHEMA = '/usr/share/libvirt/schemas/interface.rng';

function validates(xml: string): void {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, `${xml}\n${r.stderr}`);
}

/** Documents printed as libvirt 9.0 prints them: each must come back byte for byte. */
const CANONICAL: Record<string, string> = {
  'ethernet, static and DHCP': `<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='9000'/>
  <protocol family='ipv4'>
    <dhcp peerdns='yes'/>
    <ip address='192.168.0.5' prefix='24'/>
    <ip address='1.2.3.4' prefix='32'/>
    <route gateway='192.168.0.1'/>
  </protocol>
  <protocol family='ipv6'>
    <autoconf/>
    <dhcp/>
    <ip address='2001:db8::5' prefix='64'/>
    <route gateway='2001:db8::1'/>
  </protocol>
  <mac address='52:54:00:aa:bb:cc'/>
</interface>
`,
  'bridge with members': `<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <mtu size='1500'/>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
  <bridge stp='off' delay='0.01'>
    <interface type='ethernet' name='eth0'>
      <link speed='10' state='up'/>
      <mac address='ab:bb:cc:dd:ee:fe'/>
    </interface>
    <interface type='ethernet' name='eth1'>
    </interface>
    <interface type='vlan' name='eth2.42'>
      <vlan tag='42'>
        <interface name='eth2'/>
      </vlan>
    </interface>
  </bridge>
</interface>
`,
  'empty bridge': `<interface type='bridge' name='br1'>
  <bridge stp='on' delay='15'>
  </bridge>
</interface>
`,
  vlan: `<interface type='vlan' name='eth0.42'>
  <start mode='none'/>
  <protocol family='ipv4'>
    <dhcp peerdns='no'/>
  </protocol>
  <link state='lowerlayerdown'/>
  <vlan tag='42'>
    <interface name='eth0'/>
  </vlan>
</interface>
`,
  bond: `<interface type='bond' name='bond0'>
  <start mode='hotplug'/>
  <protocol family='ipv4'>
    <ip address='192.168.50.7' prefix='24'/>
    <route gateway='192.168.50.1'/>
  </protocol>
  <bond mode='active-backup'>
    <miimon freq='100' updelay='10' carrier='ioctl'/>
    <interface type='ethernet' name='eth1'>
    </interface>
    <interface type='ethernet' name='eth0'>
      <mac address='52:54:00:00:00:01'/>
    </interface>
  </bond>
</interface>
`,
  'bond with ARP monitoring': `<interface type='bond' name='bond1'>
  <bond mode='balance-rr'>
    <arpmon interval='100' target='192.168.50.1' validate='active'/>
    <interface type='ethernet' name='eth3'>
    </interface>
  </bond>
</interface>
`,
};

describe('interface XML', () => {
  for (const [what, xml] of Object.entries(CANONICAL)) {
    test(`${what}: printed as read, valid against interface.rng`, () => {
      const out = formatInterfaceXml(parseInterfaceXml(xml));
      assert.equal(out, xml);
      validates(out);
    });
  }

  test('a bridge without <bridge> content but stp/delay unset prints as written; addresses are canonical', () => {
    const def = parseInterfaceXml(`<interface name='br2' type='bridge'><protocol family='ipv6'><ip address='2001:DB8:0::1' prefix='64'/></protocol><bridge/></interface>`);
    assert.deepEqual(def.protocols, [{ family: 'ipv6', ips: [{ address: '2001:db8::1', prefix: 64 }] }]);
    const out = formatInterfaceXml(def);
    validates(out);
    assert.deepEqual(parseInterfaceXml(out), def);
  });

  test('a VLAN without a name is named DEVICE.TAG', () => {
    const def = parseInterfaceXml(`<interface type='vlan'><vlan tag='7'><interface name='eth0'/></vlan></interface>`);
    assert.equal(def.name, 'eth0.7');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['<network/>', 'XML_INVALID', /unexpected root element <network>/],
    [`<interface name='x'/>`, 'XML_INVALID', /missing interface type/],
    [`<interface type='wifi' name='x'/>`, 'XML_UNSUPPORTED', /unsupported value 'wifi' for attribute 'type'.*supported: ethernet, bridge, bond, vlan/],
    [`<interface type='ethernet'/>`, 'XML_INVALID', /missing interface name/],
    [`<interface type='ethernet' name='a/b'/>`, 'XML_INVALID', /invalid interface name 'a\/b'/],
    [`<interface type='ethernet' name='averyveryverylongname'/>`, 'XML_INVALID', /invalid interface name/],
    [`<interface type='ethernet' name='e'><foo/></interface>`, 'XML_UNSUPPORTED', /unsupported element <foo> at line 1/],
    [`<interface type='ethernet' name='e'><mac address='zz'/></interface>`, 'XML_INVALID', /invalid address='zz' on <mac>/],
    [`<interface type='ethernet' name='e'><mtu size='10'/></interface>`, 'XML_INVALID', /invalid size='10' on <mtu>.*68 to 65535/],
    [`<interface type='ethernet' name='e'><start mode='sometimes'/></interface>`, 'XML_UNSUPPORTED', /unsupported value 'sometimes' for attribute 'mode'/],
    [`<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1.2.3'/></protocol></interface>`, 'XML_INVALID', /invalid address='1.2.3' on <protocol>\/<ip>.*IPv4/],
    [`<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1.2.3.4' prefix='33'/></protocol></interface>`, 'XML_INVALID', /invalid prefix='33'/],
    [`<interface type='ethernet' name='e'><protocol family='ipv4'/><protocol family='ipv4'/></interface>`, 'XML_INVALID', /duplicate <protocol family='ipv4'>/],
    [`<interface type='ethernet' name='e'><protocol family='ipv4'><autoconf/></protocol></interface>`, 'XML_UNSUPPORTED', /unsupported element <protocol>\/<autoconf>/],
    [`<interface type='bridge' name='br0'/>`, 'XML_INVALID', /a bridge interface needs <bridge>/],
    [`<interface type='bridge' name='br0'><mac address='52:54:00:00:00:01'/><bridge/></interface>`, 'XML_UNSUPPORTED', /unsupported element <mac>/],
    [`<interface type='bridge' name='br0'><bridge stp='maybe'/></interface>`, 'XML_INVALID', /invalid stp='maybe'.*'on' or 'off'/],
    [`<interface type='bridge' name='br0'><bridge delay='-1'/></interface>`, 'XML_INVALID', /invalid delay='-1'/],
    [`<interface type='bridge' name='br0'><bridge><interface type='bridge' name='br1'><bridge/></interface></bridge></interface>`, 'XML_UNSUPPORTED', /cannot be a member of another bridge/],
    [`<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='e'><mtu size='1500'/></interface></bridge></interface>`, 'XML_UNSUPPORTED', /unsupported element <bridge>\/<interface>\/<mtu>/],
    [`<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='e'/><interface type='ethernet' name='e'/></bridge></interface>`, 'XML_INVALID', /listed twice/],
    [`<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='br0'/></bridge></interface>`, 'XML_INVALID', /member of itself/],
    [`<interface type='vlan' name='v'/>`, 'XML_INVALID', /needs <vlan tag/],
    [`<interface type='vlan' name='v'><vlan tag='4096'><interface name='e'/></vlan></interface>`, 'XML_INVALID', /invalid tag='4096'/],
    [`<interface type='vlan' name='v'><vlan tag='1'/></interface>`, 'XML_INVALID', /the device it rides on/],
    [`<interface type='bond' name='b'><bond/></interface>`, 'XML_INVALID', /at least one member/],
    [`<interface type='bond' name='b'><bond mode='fast'><interface type='ethernet' name='e'/></bond></interface>`, 'XML_UNSUPPORTED', /unsupported value 'fast'/],
    [`<interface type='bond' name='b'><bond><miimon freq='1'/><arpmon interval='1' target='1.2.3.4'/><interface type='ethernet' name='e'/></bond></interface>`, 'XML_INVALID', /either <miimon> or <arpmon>/],
    [`<interface type='ethernet' name='e'`, 'XML_SYNTAX', /./],
  ];
  for (const [xml, code, message] of bad) {
    test(`refused: ${xml.slice(0, 90)}`, () => {
      assert.throws(() => parseInterfaceXml(xml), (e: Error & { code?: string }) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
