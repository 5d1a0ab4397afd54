// Network XML against libvirt itself: test/fixtures/network/NN-NAME.xml were defined in a real
// libvirt 9.0 (capture.sh there), and NN-NAME.libvirt.xml / .live.xml are what it printed. Ours
// must print the same bytes after a define with the same inputs, stay stable when read back, and
// validate against libvirt's network.rng.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  fillNetworkDefaults, formatNetworkXml, liveNetworkDef, parseNetworkXml, updateNetworkDef, type NetworkDef,
} from '../../src/conf/network/index.js';

// Tests run from dist/test/unit; fixtures stay in the source tree.
const DIR = new URL('../../../test/fixtures/network/', import.meta.url);
const SCHEMA = '/usr/share/libvirt/schemas/network.rng';
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
const INPUTS = readdirSync(DIR).filter((f) => /^\d\d-.*\.xml$/.test(f) && !/\.(libvirt|live)\.xml$/.test(f)).sort();

/** Define every fixture in file order, as capture.sh did: each one sees the bridges of those before it. */
function defineAll(): Map<string, NetworkDef> {
  const defined = new Map<string, NetworkDef>();
  for (const file of INPUTS) {
    const reference = read(file.replace(/\.xml$/, '.libvirt.xml'));
    // The bridge MAC is the one random part of libvirt's output: hand ours the same one.
    const mac = /<mac address='([^']+)'/.exec(reference)?.[1];
    const def = fillNetworkDefaults(parseNetworkXml(read(file)), {
      otherNetworkBridges: [...defined.values()].flatMap((d) => (d.bridge?.name === undefined ? [] : [d.bridge.name])),
      generateMac: () => mac ?? assert.fail(`${file}: libvirt printed no MAC, yet one was generated`),
    });
    defined.set(file, def);
  }
  return defined;
}

test('the fixtures are there', () => assert.ok(INPUTS.length >= 8, `only ${INPUTS.length} fixtures in ${DIR.pathname}`));

describe('net-define output matches libvirt 9.0 byte for byte', () => {
  const defined = defineAll();
  for (const file of INPUTS) {
    const def = defined.get(file) as NetworkDef;
    test(`${file} (net-dumpxml --inactive)`, () => {
      assert.equal(formatNetworkXml(def), read(file.replace(/\.xml$/, '.libvirt.xml')));
    });
    const live = file.replace(/\.xml$/, '.live.xml');
    if (existsSync(new URL(live, DIR))) {
      test(`${file} (net-dumpxml of the running network)`, () => {
        assert.equal(formatNetworkXml(liveNetworkDef(def)), read(live));
      });
    }
  }
});

describe('round trip: format(parse(format(x))) === format(x)', () => {
  const defined = defineAll();
  for (const [file, def] of defined) {
    test(file, () => {
      const once = formatNetworkXml(def);
      assert.equal(formatNetworkXml(parseNetworkXml(once)), once);
      const live = formatNetworkXml(liveNetworkDef(def), { connections: 2 });
      assert.equal(formatNetworkXml(liveNetworkDef(parseNetworkXml(live)), { connections: 2 }), live);
    });
  }
  test('libvirt\'s own dumps read back to the same text', () => {
    for (const f of readdirSync(DIR).filter((n) => /\.(libvirt|live)\.xml$/.test(n))) {
      const text = read(f);
      assert.equal(formatNetworkXml(parseNetworkXml(text)), text, f);
    }
  });
});

function schemaProblem(): string | false {
  const probe = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return 'xmllint is not installed (Debian package libxml2-utils)';
  if (!existsSync(SCHEMA)) return `${SCHEMA} is missing (Debian package libvirt0)`;
  return false;
}

// Not skipped when the tools are missing: a silent skip would hide invalid XML.
test('xmllint and libvirt\'s network schema are installed', () => assert.equal(schemaProblem(), false));

describe("formatted XML validates against libvirt's network.rng", () => {
  const validate = (xml: string): void => {
    const run = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: xml, encoding: 'utf8' });
    assert.equal(run.error, undefined, `xmllint could not run: ${String(run.error)}`);
    assert.equal(run.status, 0, `xmllint rejected:\n${xml}\n${run.stderr}`);
  };
  const defined = defineAll();
  for (const [file, def] of defined) {
    test(file, () => {
      validate(formatNetworkXml(def));
      validate(formatNetworkXml(liveNetworkDef(def), { connections: 3 }));
    });
  }
  test('metadata, every DNS record kind, IPv6 hosts and net-update results', () => {
    const def = parseNetworkXml(`<network xmlns:my='urn:x'>
  <name>all</name>
  <metadata><my:note a='1'>text &amp; more</my:note></metadata>
  <dns forwardPlainNames='yes'>
    <srv service='sip' protocol='udp'/>
    <txt name='t' value='v &lt;x&gt;'/>
  </dns>
  <ip address='10.9.0.1' prefix='24' localPtr='yes'/>
  <ip family='ipv6' address='fd09::1' prefix='64'/>
</network>`);
    const updated = [
      ['add', 'ip-dhcp-host', "<host mac='52:54:00:00:00:01' name='a' ip='10.9.0.10'/>", 0],
      ['add-first', 'ip-dhcp-range', "<range start='10.9.0.100' end='10.9.0.150'/>", 0],
      ['add', 'ip-dhcp-host', "<host id='0:3:0:1:52:54:00:00:00:01' ip='fd09::10'/>", 1],
      ['add', 'dns-host', "<host ip='10.9.0.10'><hostname>a</hostname></host>", undefined],
    ].reduce((d, [cmd, section, xml, parentIndex]) =>
      updateNetworkDef(d, cmd as string, section as string, xml as string, parentIndex === undefined ? {} : { parentIndex: parentIndex as number }), def);
    validate(formatNetworkXml(fillNetworkDefaults(updated, { otherNetworkBridges: [] })));
  });
});
