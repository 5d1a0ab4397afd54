// net-update as pure functions, replaying what `virsh net-update` does against libvirt 9.0: the
// entries each command matches, where additions go, and libvirt's messages.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import { formatNetworkXml, parseNetworkXml, updateNetworkDef, type NetworkDef } from '../../src/conf/network/index.js';

const BASE = parseNetworkXml(`<network>
  <name>up</name>
  <forward mode='nat'/>
  <dns>
    <txt name='t1' value='v1'/>
    <host ip='192.168.50.5'><hostname>h5</hostname></host>
  </dns>
  <ip address='192.168.50.1' prefix='24'>
    <dhcp>
      <range start='192.168.50.100' end='192.168.50.200'/>
      <host mac='52:54:00:00:00:01' name='one' ip='192.168.50.11'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00::1' prefix='64'>
    <dhcp>
      <host name='six' ip='fd00::6'/>
    </dhcp>
  </ip>
</network>`);

type Step = [command: string, section: string, xml: string, parentIndex?: number];
const run = (def: NetworkDef, ...steps: Step[]): NetworkDef =>
  steps.reduce((d, [c, s, x, p]) => updateNetworkDef(d, c, s, x, p === undefined ? {} : { parentIndex: p }), def);

function fails(step: Step, code: ErrorCode, message: string, def: NetworkDef = BASE): void {
  assert.throws(() => run(def, step), (e: unknown) => {
    assert.ok(e instanceof VireoError, String(e));
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(message), `expected ${JSON.stringify(message)} in: ${e.message}`);
    return true;
  });
}
const hosts = (def: NetworkDef, i = 0): string[] =>
  (def.ips[i]?.dhcp?.hosts ?? []).map((h) => [h.mac, h.id, h.name, h.ip].filter((v) => v !== undefined).join(' '));

describe('ip-dhcp-host', () => {
  test('add appends, add-first prepends; the input definition is not changed', () => {
    const out = run(BASE,
      ['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:02' name='two' ip='192.168.50.12'/>"],
      ['add-first', 'ip-dhcp-host', "<host mac='52:54:00:00:00:06' name='six4' ip='192.168.50.16'/>"],
      ['add-last', 'ip-dhcp-host', "<host mac='52:54:00:00:00:07' ip='192.168.50.17'/>"]);
    assert.deepEqual(hosts(out), [
      '52:54:00:00:00:06 six4 192.168.50.16', '52:54:00:00:00:01 one 192.168.50.11',
      '52:54:00:00:00:02 two 192.168.50.12', '52:54:00:00:00:07 192.168.50.17',
    ]);
    assert.deepEqual(hosts(BASE), ['52:54:00:00:00:01 one 192.168.50.11']);
  });

  test('add refuses an entry that shares a MAC, a name or an address', () => {
    const msg = (x: string): string => `there is an existing dhcp host entry in network 'up' that matches "${x}"`;
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:01' name='uno' ip='192.168.50.13'/>"], 'OPERATION_INVALID', msg("<host mac='52:54:00:00:00:01' name='uno' ip='192.168.50.13'/>"));
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:03' name='one' ip='192.168.50.14'/>"], 'OPERATION_INVALID', msg("<host mac='52:54:00:00:00:03' name='one' ip='192.168.50.14'/>"));
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:04' ip='192.168.50.11'/>"], 'OPERATION_INVALID', msg("<host mac='52:54:00:00:00:04' ip='192.168.50.11'/>"));
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:08'/>"], 'XML_INVALID', "Missing IP address in static host definition for network 'up'");
    fails(['add', 'ip-dhcp-host', '<foo/>'], 'XML_INVALID', "unexpected element <foo>, expecting <host>, while updating network 'up'");
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:05' name='five' ip='192.168.51.11'/>"], 'XML_INVALID', 'static host IP 192.168.51.11 is not within network 192.168.50.1/24');
  });

  test('the parent <ip>: the one with DHCP by default, else --parent-index', () => {
    fails(['add', 'ip-dhcp-host', "<host name='sixb' ip='fd00::7'/>"], 'XML_INVALID',
      "the address family of a host entry IP must match the address family of the dhcp element's parent");
    const out = run(BASE, ['add', 'ip-dhcp-host', "<host name='sixc' ip='fd00::8'/>", 1]);
    assert.deepEqual(hosts(out, 1), ['six fd00::6', 'sixc fd00::8']);
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:09' ip='192.168.50.30'/>", 5], 'OPERATION_INVALID',
      "couldn't update dhcp host entry - no <ip> element found at index 5 in network 'up'");
    const noIp = parseNetworkXml("<network><name>bare</name></network>");
    fails(['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:09' ip='192.168.50.30'/>"], 'OPERATION_INVALID',
      "couldn't update dhcp host entry - no <ip> element found in network 'bare'", noIp);
    // No <dhcp> yet: the first IPv4 <ip> gets one.
    const plain = parseNetworkXml("<network><name>p</name><ip address='10.0.0.1' prefix='24'/></network>");
    assert.deepEqual(hosts(run(plain, ['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:09' ip='10.0.0.9'/>"])), ['52:54:00:00:00:09 10.0.0.9']);
  });

  test('delete needs every given attribute to match; the last host leaves no <dhcp>', () => {
    const two = run(BASE, ['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:02' name='two' ip='192.168.50.12'/>"]);
    assert.deepEqual(hosts(run(two, ['delete', 'ip-dhcp-host', "<host mac='52:54:00:00:00:02'/>"])), ['52:54:00:00:00:01 one 192.168.50.11']);
    assert.deepEqual(hosts(run(two, ['delete', 'ip-dhcp-host', "<host name='one'/>"])), ['52:54:00:00:00:02 two 192.168.50.12']);
    assert.deepEqual(hosts(run(two, ['delete', 'ip-dhcp-host', "<host ip='192.168.50.12'/>"])), ['52:54:00:00:00:01 one 192.168.50.11']);
    assert.deepEqual(hosts(run(two, ['delete', 'ip-dhcp-host', "<host mac='52:54:00:00:00:02' name='two' ip='192.168.50.12'/>"])), ['52:54:00:00:00:01 one 192.168.50.11']);
    fails(['delete', 'ip-dhcp-host', "<host mac='52:54:00:00:00:01' name='two'/>"], 'OPERATION_INVALID', "couldn't locate a matching dhcp host entry in network 'up'", two);
    const v6 = run(BASE, ['delete', 'ip-dhcp-host', "<host name='six' ip='fd00::6'/>", 1]);
    assert.equal(v6.ips[1]?.dhcp, undefined);
    assert.match(formatNetworkXml(v6), /<ip family='ipv6' address='fd00::1' prefix='64'>\n {2}<\/ip>/);
  });

  test('modify replaces the entry with the same MAC, address or name', () => {
    assert.deepEqual(hosts(run(BASE, ['modify', 'ip-dhcp-host', "<host mac='52:54:00:00:00:01' name='uno' ip='192.168.50.21'/>"])), ['52:54:00:00:00:01 uno 192.168.50.21']);
    assert.deepEqual(hosts(run(BASE, ['modify', 'ip-dhcp-host', "<host mac='52:54:00:00:00:77' name='one' ip='192.168.50.22'/>"])), ['52:54:00:00:00:77 one 192.168.50.22']);
    assert.deepEqual(hosts(run(BASE, ['modify', 'ip-dhcp-host', "<host name='six' ip='fd00::9'/>", 1]), 1), ['six fd00::9']);
    fails(['modify', 'ip-dhcp-host', "<host mac='52:54:00:00:00:88' name='nobody' ip='192.168.50.88'/>"], 'OPERATION_INVALID',
      `couldn't locate an existing dhcp host entry with "mac='52:54:00:00:00:88'" "name='nobody'" "ip='192.168.50.88'" in network 'up'`);
  });
});

describe('ip-dhcp-range', () => {
  test('added and deleted by start and end, never modified', () => {
    const out = run(BASE, ['add-first', 'ip-dhcp-range', "<range start='192.168.50.10' end='192.168.50.20'/>"]);
    assert.deepEqual(out.ips[0]?.dhcp?.ranges.map((r) => `${r.start}-${r.end}`), ['192.168.50.10-192.168.50.20', '192.168.50.100-192.168.50.200']);
    fails(['add', 'ip-dhcp-range', "<range start='192.168.50.100' end='192.168.50.200'/>"], 'OPERATION_INVALID',
      `there is an existing dhcp range entry in network 'up' that matches "<range start='192.168.50.100' end='192.168.50.200'/>"`);
    fails(['add', 'ip-dhcp-range', "<range start='192.168.51.10' end='192.168.51.20'/>"], 'XML_INVALID', 'range 192.168.51.10 - 192.168.51.20 is not entirely within network 192.168.50.1/24');
    fails(['delete', 'ip-dhcp-range', "<range start='192.168.50.10' end='192.168.50.21'/>"], 'OPERATION_INVALID', "couldn't locate a matching dhcp range entry in network 'up'");
    assert.deepEqual(run(out, ['delete', 'ip-dhcp-range', "<range start='192.168.50.10' end='192.168.50.20'/>"]).ips[0]?.dhcp?.ranges.length, 1);
    fails(['modify', 'ip-dhcp-range', "<range start='192.168.50.100' end='192.168.50.200'/>"], 'NO_SUPPORT', 'dhcp ranges cannot be modified, only added or deleted');
  });
});

describe('dns-host', () => {
  const dnsHosts = (def: NetworkDef): string[] => (def.dns?.hosts ?? []).map((h) => `${h.ip}=${h.hostnames.join(',')}`);

  test('add refuses a second record for an address; one name may have several addresses', () => {
    const out = run(BASE,
      ['add', 'dns-host', "<host ip='192.168.50.7'><hostname>h5</hostname></host>"],
      ['add-first', 'dns-host', "<host ip='192.168.50.8'><hostname>h8</hostname><hostname>h8b</hostname></host>"]);
    assert.deepEqual(dnsHosts(out), ['192.168.50.8=h8,h8b', '192.168.50.5=h5', '192.168.50.7=h5']);
    fails(['add', 'dns-host', "<host ip='192.168.50.5'><hostname>other</hostname></host>"], 'OPERATION_INVALID',
      'there is already at least one DNS HOST record with a matching field in network up');
    fails(['add', 'dns-host', "<host ip='192.168.50.12'/>"], 'XML_INVALID', "Missing hostname in network 'up' DNS HOST record");
    fails(['modify', 'dns-host', "<host ip='192.168.50.5'><hostname>x</hostname></host>"], 'NO_SUPPORT', 'DNS HOST records cannot be modified, only added or deleted');
  });

  test('delete matches by address or by a shared name, and refuses ambiguity', () => {
    const two = run(BASE, ['add', 'dns-host', "<host ip='192.168.50.7'><hostname>h5</hostname></host>"],
      ['add', 'dns-host', "<host ip='192.168.50.9'><hostname>h9</hostname></host>"]);
    assert.deepEqual(dnsHosts(run(two, ['delete', 'dns-host', "<host ip='192.168.50.9'><hostname>nomatch</hostname></host>"])), ['192.168.50.5=h5', '192.168.50.7=h5']);
    assert.deepEqual(dnsHosts(run(two, ['delete', 'dns-host', '<host><hostname>h9</hostname></host>'])), ['192.168.50.5=h5', '192.168.50.7=h5']);
    fails(['delete', 'dns-host', '<host><hostname>h5</hostname></host>'], 'OPERATION_INVALID', 'multiple matching DNS HOST records were found in network up', two);
    fails(['delete', 'dns-host', "<host ip='192.168.50.99'><hostname>zz</hostname></host>"], 'OPERATION_INVALID', "couldn't locate a matching DNS HOST record in network up");
    fails(['delete', 'dns-host', '<host/>'], 'XML_INVALID', 'Missing IP address');
  });

  test('the last record and TXT gone leave no <dns>', () => {
    const out = run(BASE, ['delete', 'dns-host', "<host ip='192.168.50.5'/>"], ['delete', 'dns-txt', "<txt name='t1'/>"]);
    assert.equal(out.dns, undefined);
    assert.doesNotMatch(formatNetworkXml(out), /<dns/);
  });
});

describe('dns-txt and dns-srv', () => {
  test('TXT records are keyed by name', () => {
    fails(['add', 'dns-txt', "<txt name='t1' value='v2'/>"], 'OPERATION_INVALID', "there is already a DNS TXT record with name 't1' in network up");
    assert.deepEqual(run(BASE, ['add-first', 'dns-txt', "<txt name='t2' value='v2'/>"]).dns?.txts, [{ name: 't2', value: 'v2' }, { name: 't1', value: 'v1' }]);
    assert.deepEqual(run(BASE, ['delete', 'dns-txt', "<txt name='t1' value='other'/>"]).dns?.txts, []);
    fails(['delete', 'dns-txt', "<txt name='t9' value='x'/>"], 'OPERATION_INVALID', "couldn't locate a matching DNS TXT record in network up");
    fails(['modify', 'dns-txt', "<txt name='t1' value='v3'/>"], 'NO_SUPPORT', 'DNS TXT records cannot be modified, only added or deleted');
  });

  test('SRV records match on every field the fragment gives', () => {
    const full = "<srv service='s1' protocol='tcp' domain='d' target='t' port='1' priority='2' weight='3'/>";
    const out = run(BASE, ['add', 'dns-srv', full], ['add', 'dns-srv', "<srv service='s1' protocol='udp'/>"]);
    assert.equal(out.dns?.srvs.length, 2);
    fails(['add', 'dns-srv', full], 'OPERATION_INVALID', 'there is already at least one DNS SRV record matching all specified fields in network up', out);
    fails(['delete', 'dns-srv', "<srv service='s1'/>"], 'OPERATION_INVALID', 'multiple DNS SRV records matching all specified fields were found in network up', out);
    assert.deepEqual(run(out, ['delete', 'dns-srv', "<srv service='s1' protocol='udp'/>"]).dns?.srvs.map((s) => s.protocol), ['tcp']);
    fails(['delete', 'dns-srv', "<srv service='s2' protocol='tcp'/>"], 'OPERATION_INVALID', "couldn't locate a matching DNS SRV record in network up", out);
    fails(['add', 'dns-srv', "<srv service='s2' protocol='tcp' port='5'/>"], 'XML_INVALID', "DNS SRV port attribute not permitted without target for service 's2' in network 'up'");
    fails(['modify', 'dns-srv', "<srv service='s1' protocol='tcp'/>"], 'NO_SUPPORT', 'DNS SRV records cannot be modified, only added or deleted');
  });
});

describe('forward-interface and the sections libvirt cannot update', () => {
  test('interfaces are added and deleted by dev', () => {
    const out = run(BASE, ['add', 'forward-interface', "<interface dev='eth5'/>"]);
    assert.match(formatNetworkXml(out), /<forward dev='eth5' mode='nat'>\n {4}<interface dev='eth5'\/>/);
    fails(['add', 'forward-interface', "<interface dev='eth5'/>"], 'OPERATION_INVALID', `there is an existing interface entry in network 'up' that matches "<interface dev='eth5'>"`, out);
    fails(['add', 'forward-interface', "<interface dev='eth6'/>"], 'XML_INVALID', "multiple forwarding interfaces specified for network 'up'", out);
    fails(['delete', 'forward-interface', "<interface dev='eth6'/>"], 'OPERATION_INVALID', "couldn't find an interface entry in network 'up' matching <interface dev='eth6'>");
    fails(['modify', 'forward-interface', "<interface dev='eth5'/>"], 'NO_SUPPORT', 'forward interface entries cannot be modified, only added or deleted');
    assert.match(formatNetworkXml(run(out, ['delete', 'forward-interface', "<interface dev='eth5'/>"])), /<forward mode='nat'\/>/);
  });

  test('bridge, domain, ip, forward, forward-pf and portgroup are refused; unknown names are bad arguments', () => {
    for (const section of ['bridge', 'domain', 'ip', 'forward', 'forward-pf']) {
      fails(['add', section, '<x/>'], 'NO_SUPPORT', `can't update '${section}' section of network 'up'`);
    }
    fails(['add', 'portgroup', "<portgroup name='pg'/>"], 'NO_SUPPORT', 'port groups');
    fails(['add', 'dns-forwarder', "<forwarder addr='1.1.1.1'/>"], 'INVALID_ARG', "unrecognized section name 'dns-forwarder'");
    fails(['replace', 'dns-host', '<host/>'], 'INVALID_ARG', "unrecognized command name 'replace'");
  });
});
