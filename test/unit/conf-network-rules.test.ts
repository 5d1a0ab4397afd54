// The rules of a network definition, one by one, with the messages libvirt 9.0 gives (checked
// against the reference daemon) and the line of the element at fault.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import { formatNetworkXml, parseNetworkXml, type NetworkDef } from '../../src/conf/network/index.js';

/** A network named 'rules' with `inner` inside <network> (line 3 onwards). */
const net = (inner: string): string => `<network>\n  <name>rules</name>\n  ${inner}\n</network>\n`;
const IP = "<ip address='10.0.0.1' prefix='24'/>";
const dhcp = (body: string, ip = "address='10.0.0.1' prefix='24'"): string => net(`<ip ${ip}>\n    <dhcp>\n      ${body}\n    </dhcp>\n  </ip>`);

function rejects(xml: string, code: ErrorCode, ...mentions: Array<string | RegExp>): void {
  assert.throws(() => parseNetworkXml(xml), (e: unknown) => {
    assert.ok(e instanceof VireoError, `not a VireoError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const m of mentions) {
      if (typeof m === 'string') assert.ok(e.message.includes(m), `message lacks ${JSON.stringify(m)}: ${e.message}`);
      else assert.match(e.message, m);
    }
    return true;
  });
}
const parse = (inner: string): NetworkDef => parseNetworkXml(net(inner));

describe('name and uuid', () => {
  test('a network needs a usable name', () => {
    rejects('<network>\n</network>', 'XML_INVALID', 'missing name information');
    rejects('<network><name></name></network>', 'XML_INVALID', 'the name is empty');
    rejects('<network><name>a/b</name></network>', 'XML_INVALID', "invalid network name 'a/b'", "contains '/'");
    rejects('<network><name>.hidden</name></network>', 'XML_INVALID', "starts with '.'");
    rejects('<domain><name>x</name></domain>', 'XML_INVALID', 'unexpected root element <domain>');
  });

  test('a missing uuid is generated; a given one is kept in canonical form', () => {
    assert.match(parse(IP).uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parse(`<uuid>11111111222233334444555555555555</uuid>${IP}`).uuid, '11111111-2222-3333-4444-555555555555');
    rejects(net(`<uuid>zzz</uuid>${IP}`), 'XML_INVALID', 'malformed uuid element', '<uuid> at line 3');
  });
});

describe('what vireo does not support is refused by name and line', () => {
  const cases: Array<[string, string]> = [
    ["<portgroup name='pg'/>", '<portgroup> at line 3'],
    ["<bandwidth><inbound average='1000'/></bandwidth>", '<bandwidth> at line 3'],
    ["<vlan><tag id='5'/></vlan>", '<vlan> at line 3'],
    ["<virtualport type='openvswitch'/>", '<virtualport> at line 3'],
    ["<port isolated='yes'/>", '<port> at line 3'],
    ['<title>t</title>', "libvirt 9.0's network schema has no <title>"],
    ['<description>d</description>', 'no <description>'],
    ["<forward mode='passthrough'><interface dev='eth0'/></forward>", "forward mode 'passthrough' is not supported"],
    ["<forward mode='hostdev' managed='yes'/>", "forward mode 'hostdev'"],
    [`<ip address='10.0.0.1' prefix='24'>\n    <tftp root='/srv'/>\n  </ip>`, '<ip>/<tftp> at line 4'],
    [`<ip address='10.0.0.1' prefix='24'><dhcp><bootp file='pxe'/></dhcp></ip>`, '<bootp>'],
    [`<bridge zone='public'/>${IP}`, 'firewalld zone'],
    [`<foo/>${IP}`, "unsupported element <foo> at line 3; supported here: name, uuid"],
    [`<mac address='52:54:00:00:00:01' type='x'/>${IP}`, "unsupported attribute 'type' on <mac> at line 3"],
  ];
  for (const [inner, mention] of cases) {
    test(inner.slice(0, 40), () => rejects(net(inner), 'XML_UNSUPPORTED', mention));
  }
  test('<dnsmasq:options> and other namespaced elements', () => {
    rejects(`<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><name>n</name><dnsmasq:options><dnsmasq:option value='x'/></dnsmasq:options></network>`,
      'XML_UNSUPPORTED', '<dnsmasq:options>');
  });
  test('the runtime connections attribute is accepted and dropped, as libvirt does', () => {
    const def = parseNetworkXml(`<network connections='4'><name>c</name>${IP}</network>`);
    assert.doesNotMatch(formatNetworkXml(def), /connections/);
    assert.match(formatNetworkXml(def, { connections: 4 }), /^<network connections='4'>/);
    assert.match(formatNetworkXml(def, { connections: 0 }), /^<network>/);
  });
});

describe('forward modes', () => {
  test('<forward/> means NAT; NAT, route and open need an <ip>', () => {
    assert.equal(parse(`<forward/>${IP}`).forward?.mode, 'nat');
    rejects(net('<forward/>'), 'XML_INVALID', "nat forwarding requested, but no IP address provided for network 'rules'", '<forward> at line 3');
    rejects(net("<forward mode='route'/>"), 'XML_INVALID', "route forwarding requested, but no IP address provided for network 'rules'");
    rejects(net("<forward mode='open'/>"), 'XML_INVALID', "open forwarding requested, but no IP address provided for network 'rules'");
  });

  test('forward dev becomes the first interface; it must agree with <interface>', () => {
    const def = parse(`<forward mode='route' dev='eth0'/>${IP}`);
    assert.deepEqual(def.forward?.interfaces, ['eth0']);
    assert.match(formatNetworkXml(def), /<forward dev='eth0' mode='route'>\n {4}<interface dev='eth0'\/>\n {2}<\/forward>/);
    rejects(net(`<forward mode='nat' dev='eth0'><interface dev='eth1'/></forward>${IP}`), 'XML_INVALID',
      "<forward dev='eth0'> must match first <interface dev='eth1'/> in network rules");
    rejects(net(`<forward mode='nat'><interface dev='eth1'/><interface dev='eth2'/></forward>${IP}`), 'XML_INVALID',
      "multiple forwarding interfaces specified for network 'rules', only one is supported");
    rejects(net(`<forward mode='open' dev='eth0'/>${IP}`), 'XML_INVALID', "forward dev not allowed for network 'rules' with forward mode='open'");
    rejects(net(`<forward dev='eth 0'/>${IP}`), 'XML_INVALID', "invalid device name 'eth 0'");
  });

  test('<nat> belongs to NAT; its address and port ranges are checked', () => {
    rejects(net(`<forward mode='route'><nat><port start='1' end='2'/></nat></forward>${IP}`), 'XML_INVALID',
      "The <nat> element can only be used when <forward> 'mode' is 'nat' in network rules");
    rejects(net(`<forward><nat><address start='1.2.3.10' end='1.2.3.4'/></nat></forward>${IP}`), 'XML_INVALID', 'range 1.2.3.10 - 1.2.3.4 is reversed');
    rejects(net(`<forward><nat><address start='1.2.3.4'/></nat></forward>${IP}`), 'XML_INVALID',
      "missing 'end' attribute in <address> element in <nat> in <forward> in network rules");
    rejects(net(`<forward><nat><address start='::1' end='::2'/></nat></forward>${IP}`), 'XML_INVALID', "Bad ipv4 start address '::1'");
    rejects(net(`<forward><nat><port start='2000' end='1000'/></nat></forward>${IP}`), 'XML_INVALID', "Missing or invalid 'end' attribute in <port>");
    rejects(net(`<forward><nat><port end='1000'/></nat></forward>${IP}`), 'XML_INVALID', "Missing or invalid 'start' attribute in <port>");
    rejects(net(`<forward><nat><port start='0' end='1000'/></nat></forward>${IP}`), 'XML_INVALID', "'start'");
    const nat = parse(`<forward><nat ipv6='yes'><port start='500' end='600'/></nat></forward>${IP}`).forward?.nat;
    assert.deepEqual(nat, { ipv6: true, port: { start: 500, end: 600 } });
  });

  test('bridge mode uses a host bridge or NICs and refuses what only a managed network has', () => {
    const bridged = parse("<forward mode='bridge'/><bridge name='br0'/>");
    assert.equal(formatNetworkXml(bridged).includes("<bridge name='br0'/>"), true);
    assert.equal(bridged.mac, undefined);
    rejects(net("<forward mode='bridge'/>"), 'XML_INVALID', "A network with forward mode='bridge' must specify a bridge name or a forward dev (network 'rules')");
    rejects(net("<forward mode='bridge' dev='eth0'/><bridge name='br0'/>"), 'XML_INVALID',
      "A network with forward mode='bridge' can specify a bridge name or a forward dev, but not both (network 'rules')");
    const refused: Array<[string, string]> = [
      [IP, "Unsupported <ip> element in network rules with forward mode='bridge'"],
      ["<dns><host ip='1.2.3.4'><hostname>a</hostname></host></dns>", 'Unsupported <dns> element'],
      ["<domain name='x.example'/>", 'Unsupported <domain> element'],
      ["<mac address='52:54:00:11:22:33'/>", 'Unsupported <mac> element'],
      ["<mtu size='9000'/>", "mtu size only allowed in open, route, nat, and isolated mode, not in bridge (network 'rules')"],
      ["<route address='10.1.0.0' prefix='16' gateway='10.0.0.2'/>", 'Unsupported <route> element'],
    ];
    for (const [inner, message] of refused) rejects(net(`<forward mode='bridge'/><bridge name='br0'/>${inner}`), 'XML_INVALID', message, 'at line 3');
    rejects(net("<forward mode='bridge'/><bridge name='br0' stp='on'/>"), 'XML_INVALID',
      "bridge delay/stp/zone options only allowed in route, nat, and isolated mode, not in bridge (network 'rules')");
    rejects(net("<forward mode='bridge'/><bridge name='br0' delay='2'/>"), 'XML_INVALID', 'bridge delay/stp/zone options');
    rejects(net("<forward mode='bridge'/><bridge name='br%d'/>"), 'XML_INVALID', 'not a name template');
  });
});

describe('bridge, mac, mtu, domain', () => {
  test('managed networks default to stp on, delay 0', () => {
    assert.deepEqual(parse(IP).bridge, { stp: true, delay: 0 });
    assert.deepEqual(parse(`<bridge name='br1' stp='off' delay='3' macTableManager='kernel'/>${IP}`).bridge,
      { name: 'br1', stp: false, delay: 3, macTableManager: 'kernel' });
  });

  test('bad bridge attributes', () => {
    rejects(net(`<bridge name='a b'/>${IP}`), 'XML_INVALID', "invalid bridge name 'a b'");
    rejects(net(`<bridge name='abcdefghijklmnop'/>${IP}`), 'XML_INVALID', 'at most 15');
    rejects(net(`<bridge stp='maybe'/>${IP}`), 'XML_UNSUPPORTED', "'maybe'", 'on, off');
    rejects(net(`<bridge delay='-1'/>${IP}`), 'XML_INVALID', "Invalid delay value in network 'rules'");
    rejects(net(`<bridge macTableManager='foo'/>${IP}`), 'XML_INVALID', "Invalid macTableManager setting 'foo' in network 'rules'");
  });

  test('bridge MAC: unicast, normalised to lower case', () => {
    assert.equal(parse(`<mac address='52:54:00:0A:0B:0C'/>${IP}`).mac, '52:54:00:0a:0b:0c');
    rejects(net(`<mac address='zz'/>${IP}`), 'XML_INVALID', "Invalid bridge mac address 'zz' in network 'rules'");
    rejects(net(`<mac address='53:54:00:11:22:33'/>${IP}`), 'XML_INVALID', "Invalid multicast bridge mac address '53:54:00:11:22:33'");
  });

  test('mtu and domain', () => {
    assert.equal(parse(`<mtu size='9000'/>${IP}`).mtu, 9000);
    rejects(net(`<mtu size='abc'/>${IP}`), 'XML_INVALID', "Invalid mtu size 'abc' in network 'rules'");
    rejects(net(`<mtu size='0'/>${IP}`), 'XML_INVALID', "Invalid mtu size '0'");
    assert.deepEqual(parse(`<domain name='lab.example' localOnly='no'/>${IP}`).domain, { name: 'lab.example', localOnly: false });
    rejects(net(`<domain name='bad name'/>${IP}`), 'XML_INVALID', "invalid DNS name 'bad name'");
    rejects(net(`<domain name='x.example' localOnly='maybe'/>${IP}`), 'XML_INVALID', "localOnly='maybe'");
  });
});

describe('<ip> addressing', () => {
  test('prefix, netmask, family', () => {
    rejects(net("<ip address='10.0.0.1' prefix='24' netmask='255.255.255.0'/>"), 'XML_INVALID', "Network 'rules' IP address cannot have both a prefix and a netmask");
    rejects(net("<ip address='10.0.0.1' netmask='255.0.255.0'/>"), 'XML_INVALID', "Invalid netmask '255.0.255.0'", 'contiguous');
    rejects(net("<ip address='10.0.0.1' prefix='33'/>"), 'XML_INVALID', "Invalid IPv4 prefix '33' in network 'rules'");
    rejects(net("<ip address='fd00::1' prefix='64'/>"), 'XML_INVALID', "no family specified for non-IPv4 address 'fd00::1' in network 'rules'");
    rejects(net("<ip family='ipv6' address='10.0.0.1' prefix='64'/>"), 'XML_INVALID', "Family 'ipv6' specified for non-IPv6 address '10.0.0.1'");
    rejects(net("<ip family='ipv6' address='fd00::1' netmask='255.255.255.0'/>"), 'XML_INVALID', "netmask not allowed for IPv6 address 'fd00::1'");
    rejects(net("<ip family='ipv6' address='fd00::1' prefix='129'/>"), 'XML_INVALID', "Invalid IPv6 prefix '129'");
    rejects(net("<ip prefix='24'/>"), 'XML_INVALID', "Missing required address attribute in network 'rules'");
    rejects(net("<ip address='10.0.0.999' prefix='24'/>"), 'XML_INVALID', "Invalid address '10.0.0.999' in network 'rules'", '<ip> at line 3');
    rejects(net("<ip family='ipv5' address='10.0.0.1'/>"), 'XML_INVALID', "Unrecognized family 'ipv5'");
  });

  test('IPv6 addresses are printed in canonical form, as libvirt does', () => {
    const xml = formatNetworkXml(parse("<ip family='ipv6' address='FD00:0:0::0001' prefix='64'><dhcp><range start='fd00:0::10' end='fd00::00ff'/></dhcp></ip>"));
    assert.match(xml, /<ip family='ipv6' address='fd00::1' prefix='64'>/);
    assert.match(xml, /<range start='fd00::10' end='fd00::ff'\/>/);
  });

  test('without prefix or netmask the classful prefix applies (10/8, 172.16/16, 192.168/24) and IPv6 /64', () => {
    parseNetworkXml(dhcp("<range start='10.200.0.2' end='10.200.0.9'/>", "address='10.0.0.1'"));
    rejects(dhcp("<range start='192.168.2.2' end='192.168.2.9'/>", "address='192.168.1.1'"), 'XML_INVALID', 'not entirely within network 192.168.1.1/24');
    parseNetworkXml(dhcp("<range start='172.16.9.2' end='172.16.9.9'/>", "address='172.16.0.1'"));
    rejects(dhcp("<range start='fd00:0:0:1::2' end='fd00:0:0:1::9'/>", "family='ipv6' address='fd00::1'"), 'XML_INVALID', 'fd00::1/64');
  });

  test('empty <dhcp/> and <dns/> are dropped, as libvirt prints nothing for them', () => {
    const xml = formatNetworkXml(parse("<dns/><ip address='10.0.0.1' prefix='24'><dhcp/></ip>"));
    assert.doesNotMatch(xml, /<dhcp|<dns/);
    assert.match(xml, /<ip address='10.0.0.1' prefix='24'>\n {2}<\/ip>/);
  });
});

describe('DHCP ranges', () => {
  test('inside the subnet, not the network or broadcast address, not reversed', () => {
    rejects(dhcp("<range start='10.0.1.2' end='10.0.0.254'/>"), 'XML_INVALID', 'range 10.0.1.2 - 10.0.0.254 is not entirely within network 10.0.0.1/24', '<ip>/<dhcp>/<range> at line 5');
    rejects(dhcp("<range start='10.0.0.0' end='10.0.0.254'/>"), 'XML_INVALID', 'start of range 10.0.0.0 - 10.0.0.254 in network 10.0.0.1/24 is the network address');
    rejects(dhcp("<range start='10.0.0.2' end='10.0.0.255'/>"), 'XML_INVALID', 'end of range 10.0.0.2 - 10.0.0.255 in network 10.0.0.1/24 is the broadcast address');
    rejects(dhcp("<range start='10.0.0.20' end='10.0.0.10'/>"), 'XML_INVALID', 'range 10.0.0.20 - 10.0.0.10 is reversed');
    rejects(dhcp("<range start='fd00::2' end='fd00::9'/>"), 'XML_INVALID', 'mismatch of address family in range fd00::2 - fd00::9 for network 10.0.0.1');
    rejects(dhcp("<range start='10.0.0.2'/>"), 'XML_INVALID', "Missing 'end' attribute in dhcp range for network 'rules'");
    // IPv6 has no broadcast address: the whole subnet is usable.
    parseNetworkXml(dhcp("<range start='fd00::' end='fd00::ffff:ffff:ffff:ffff'/>", "family='ipv6' address='fd00::1' prefix='64'"));
  });

  test('one DHCP per address family', () => {
    rejects(net(`<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip>
  <ip address='10.0.1.1' prefix='24'><dhcp><range start='10.0.1.2' end='10.0.1.9'/></dhcp></ip>`), 'XML_INVALID',
    'Multiple IPv4 dhcp sections found -- dhcp is supported only for a single IPv4 address on each network', 'line 4');
    rejects(net(`<ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::2' end='fd00::9'/></dhcp></ip>
  <ip family='ipv6' address='fd01::1' prefix='64'><dhcp><range start='fd01::2' end='fd01::9'/></dhcp></ip>`), 'XML_INVALID', 'Multiple IPv6 dhcp sections');
    parseNetworkXml(net(`<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp></ip>
  <ip address='10.0.1.1' prefix='24'/>`));
  });

  test('leases: minutes by default, at least two minutes, 0 for never', () => {
    const lease = (l: string): unknown => parseNetworkXml(dhcp(`<range start='10.0.0.2' end='10.0.0.9'>${l}</range>`)).ips[0]?.dhcp?.ranges[0]?.lease;
    assert.deepEqual(lease("<lease expiry='5'/>"), { expiry: 5, unit: 'minutes' });
    assert.deepEqual(lease("<lease expiry='120' unit='seconds'/>"), { expiry: 120, unit: 'seconds' });
    assert.deepEqual(lease("<lease expiry='0' unit='hours'/>"), { expiry: 0 });
    rejects(dhcp("<range start='10.0.0.2' end='10.0.0.9'><lease expiry='1'/></range>"), 'XML_INVALID', 'The minimum lease time should be greater than 2 minutes');
    rejects(dhcp("<range start='10.0.0.2' end='10.0.0.9'><lease expiry='5' unit='days'/></range>"), 'XML_UNSUPPORTED', "'days'", 'seconds, minutes, hours');
    rejects(dhcp("<range start='10.0.0.2' end='10.0.0.9'><lease/></range>"), 'XML_INVALID', "missing attribute 'expiry'");
  });
});

describe('DHCP static hosts', () => {
  test('what identifies a host', () => {
    rejects(dhcp("<host ip='10.0.0.5'/>"), 'XML_INVALID', "Static host definition in IPv4 network 'rules' must have mac or name attribute");
    rejects(dhcp("<host mac='52:54:00:00:00:01'/>"), 'XML_INVALID', "Missing IP address in static host definition for network 'rules'");
    rejects(dhcp("<host mac='53:54:00:00:00:01' ip='10.0.0.5'/>"), 'XML_INVALID', "expected unicast mac address, found multicast '53:54:00:00:00:01' in network 'rules'");
    rejects(dhcp("<host mac='xx' ip='10.0.0.5'/>"), 'XML_INVALID', "Cannot parse MAC address 'xx'");
    rejects(dhcp("<host mac='52:54:00:00:00:01' name='a b' ip='10.0.0.5'/>"), 'XML_INVALID', "Cannot use host name 'a b'");
    rejects(dhcp("<host id='0:3:0:1:52:54:00:00:00:01' ip='10.0.0.5'/>"), 'XML_INVALID', 'only valid in an IPv6 static host definition');
    rejects(dhcp("<host mac='52:54:00:00:00:01' ip='fd00::5'/>"), 'XML_INVALID', 'the address family of a host entry IP must match');
    const v6 = "family='ipv6' address='fd00::1' prefix='64'";
    rejects(dhcp("<host ip='fd00::5'/>", v6), 'XML_INVALID', "Static host definition in IPv6 network 'rules' must have id or name attribute");
    rejects(dhcp("<host mac='52:54:00:00:00:01' ip='fd00::5'/>", v6), 'XML_INVALID', "Invalid to specify MAC address '52:54:00:00:00:01' in network 'rules' IPv6 static host definition");
    rejects(dhcp("<host id='zz' ip='fd00::5'/>", v6), 'XML_INVALID', "Invalid character 'z' in id 'zz' of network 'rules'");
    rejects(dhcp("<host id='0:1:2' ip='fd00::5'/>", v6), 'XML_INVALID', "Invalid id '0:1:2'");
  });

  test('a host MAC is kept as written, as libvirt keeps it', () => {
    assert.match(formatNetworkXml(parseNetworkXml(dhcp("<host mac='52:54:00:AB:CD:EF' ip='10.0.0.7'/>"))), /mac='52:54:00:AB:CD:EF'/);
    assert.match(formatNetworkXml(parseNetworkXml(dhcp("<host mac='52:54:0:ab:cd:ef' ip='10.0.0.7'/>"))), /mac='52:54:00:ab:cd:ef'/);
  });

  test('hosts lie inside the subnet and are unique by MAC, name and address (stricter than libvirt)', () => {
    rejects(dhcp("<host mac='52:54:00:00:00:01' ip='10.0.1.5'/>"), 'XML_INVALID', 'static host IP 10.0.1.5 is not within network 10.0.0.1/24', 'line 5');
    rejects(dhcp("<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host mac='52:54:00:00:00:01' ip='10.0.0.6'/>"), 'XML_INVALID',
      `there is an existing dhcp host entry in network 'rules' that matches "<host mac='52:54:00:00:00:01' ip='10.0.0.6'/>"`);
    rejects(dhcp("<host mac='52:54:00:aa:00:01' ip='10.0.0.5'/><host mac='52:54:00:AA:00:01' ip='10.0.0.6'/>"), 'XML_INVALID', 'existing dhcp host entry');
    rejects(dhcp("<host mac='52:54:00:00:00:01' ip='10.0.0.5'/><host mac='52:54:00:00:00:02' ip='10.0.0.5'/>"), 'XML_INVALID', 'existing dhcp host entry');
    rejects(dhcp("<host mac='52:54:00:00:00:01' name='a' ip='10.0.0.5'/><host name='a' ip='10.0.0.6'/>"), 'XML_INVALID', 'existing dhcp host entry');
  });
});

describe('<dns>', () => {
  test('records and forwarders', () => {
    rejects(net(`<dns enable='no'><host ip='10.0.0.5'><hostname>a</hostname></host></dns>${IP}`), 'XML_INVALID', "Extra data in disabled network 'rules'", '<dns> at line 3');
    rejects(net(`<dns><forwarder/></dns>${IP}`), 'XML_INVALID', 'Invalid forwarder element, must contain at least one of addr or domain');
    rejects(net(`<dns><forwarder addr='x.y'/></dns>${IP}`), 'XML_INVALID', "Invalid forwarder IP address 'x.y' in network 'rules'");
    rejects(net(`<dns><host ip='10.0.0.5'/></dns>${IP}`), 'XML_INVALID', "Missing hostname in network 'rules' DNS HOST record");
    rejects(net(`<dns><host><hostname>a</hostname></host></dns>${IP}`), 'XML_INVALID', "Missing IP address in network 'rules' DNS HOST record");
    rejects(net(`<dns><host ip='10.0.0.5'><hostname></hostname></host></dns>${IP}`), 'XML_INVALID', 'Missing hostname');
    rejects(net(`<dns><txt name='a b' value='x'/></dns>${IP}`), 'XML_INVALID', "prohibited character in DNS TXT record name 'a b' of network rules");
    rejects(net(`<dns><txt value='x'/></dns>${IP}`), 'XML_INVALID', 'missing required name attribute in DNS TXT record of network rules');
    rejects(net(`<dns><txt name='a'/></dns>${IP}`), 'XML_INVALID', "missing required value attribute in DNS TXT record named 'a' of network rules");
    rejects(net(`<dns><srv protocol='tcp'/></dns>${IP}`), 'XML_INVALID', "missing required service attribute in DNS SRV record of network 'rules'");
    rejects(net(`<dns><srv service='a'/></dns>${IP}`), 'XML_INVALID', "missing required protocol attribute in DNS SRV record 'a' of network 'rules'");
    rejects(net(`<dns><srv service='a' protocol='sctp'/></dns>${IP}`), 'XML_INVALID', "invalid protocol attribute value 'sctp'");
    rejects(net(`<dns><srv service='a b' protocol='tcp'/></dns>${IP}`), 'XML_INVALID', "invalid character in service attribute 'a b'");
    rejects(net(`<dns><srv service='a' protocol='tcp' port='5'/></dns>${IP}`), 'XML_INVALID', "DNS SRV port attribute not permitted without target for service 'a' in network 'rules'");
    rejects(net(`<dns><srv service='a' protocol='tcp' target='t' priority='70000'/></dns>${IP}`), 'XML_INVALID', "Invalid DNS SRV priority attribute for service 'a' in network 'rules'");
  });

  test('libvirt allows one name at several addresses and a record outside the subnet', () => {
    parse(`<dns><host ip='10.0.0.5'><hostname>a</hostname></host><host ip='10.9.0.5'><hostname>a</hostname></host></dns>${IP}`);
  });

  test('<dns enable="no"/> alone is kept', () => {
    assert.match(formatNetworkXml(parse(`<dns enable='no'/>${IP}`)), /<dns enable='no'\/>/);
  });
});

describe('<route>', () => {
  test('static routes need a gateway inside one of the subnets and a network address', () => {
    assert.equal(parse(`${IP}<route address='192.168.222.0' prefix='24' gateway='10.0.0.2'/>`).routes.length, 1);
    rejects(net(`${IP}<route address='192.168.222.0' prefix='24'/>`), 'XML_INVALID', 'rules: Missing required gateway attribute in route definition');
    rejects(net(`${IP}<route address='192.168.222.1' prefix='24' gateway='10.0.0.2'/>`), 'XML_INVALID', "rules: Address '192.168.222.1' in route definition is not a network address");
    rejects(net(`${IP}<route address='192.168.222.0' gateway='10.0.0.2'/>`), 'XML_INVALID', 'is not a network address');
    rejects(net(`${IP}<route address='192.168.222.0' prefix='24' gateway='10.9.0.1'/>`), 'XML_INVALID', "unreachable static route gateway '10.9.0.1' specified for network 'rules'");
    rejects(net(`${IP}<route address='fd01::' prefix='64' gateway='fd00::2'/>`), 'XML_INVALID', "rules: No family specified for non-IPv4 address 'fd01::' in route definition");
  });
});
