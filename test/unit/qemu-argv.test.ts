// Golden files: domain XML in, QEMU argv out (test/fixtures/argv/NAME.xml -> NAME.argv, and the
// virt-install corpus test/fixtures/virt-install/NAME.xml -> NAME.argv).
// Regenerate after an intended change with VIREO_UPDATE_GOLDEN=1.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDomainXml } from '../../src/conf/domain-xml.js';
import type { DomainDef, Interface } from '../../src/conf/domain-model.js';
import { parseFirmwareDescriptor, resolveFirmware, type FirmwareDescriptor } from '../../src/qemu/firmware.js';
import { buildQemuArgv, checkHostSupport, diskIndex, monitorSetup, netdevProps, nicDeviceProps, type LaunchOptions } from '../../src/qemu/argv.js';
import { VireoError } from '../../src/api/errors.js';
import { hostFacts, vhostNetUsable } from '../../src/qemu/prepare.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');
const dir = path.join(fixtures, 'argv');
const corpus = path.join(fixtures, 'virt-install');
const paths = {
  monitor: '/run/vireo/domains/NAME/monitor.sock',
  serialSocket: (p: number) => `/run/vireo/domains/NAME/serial${p}.sock`,
  serialLog: (p: number) => `/var/log/vireo/NAME.serial${p}.log`,
  consoleSocket: (p: number) => `/run/vireo/domains/NAME/console${p}.sock`,
  channelSocket: (n: string) => `/run/vireo/domains/NAME/${n}.sock`,
  tpmSocket: '/run/vireo/domains/NAME/swtpm.sock',
};
const OPTS: LaunchOptions = { accel: 'tcg', hugepagesPath: '/dev/hugepages', now: new Date('2026-01-02T03:04:05Z') };
/** Debian 12's ovmf descriptors, copied into the fixtures. */
const firmware: FirmwareDescriptor[] = readdirSync(path.join(fixtures, 'firmware'))
  .map((f) => parseFirmwareDescriptor(f, readFileSync(path.join(fixtures, 'firmware', f), 'utf8')))
  .filter((d): d is FirmwareDescriptor => d !== undefined);

/** What the daemon does before building a command line: firmware picked, NVRAM path set. */
function live(xml: string): DomainDef {
  return resolveFirmware(parseDomainXml(xml), firmware, '/var/lib/vireo/nvram');
}

function golden(xmlFile: string): void {
  const def = live(readFileSync(xmlFile, 'utf8'));
  const argv = buildQemuArgv(def, paths, OPTS).join('\n') + '\n';
  const file = xmlFile.replace(/\.xml$/, '.argv');
  if (process.env.VIREO_UPDATE_GOLDEN === '1') writeFileSync(file, argv);
  // A missing golden file fails: written here, it would pass whatever the argv builder printed.
  assert.ok(existsSync(file), `${file} is missing; write it with VIREO_UPDATE_GOLDEN=1 and review it`);
  assert.equal(argv, readFileSync(file, 'utf8'));
}

describe('argv golden files', () => {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.xml'))) test(`argv golden: ${f}`, () => golden(path.join(dir, f)));
  for (const f of readdirSync(corpus).filter((f) => f.endsWith('.xml'))) test(`argv golden (virt-install): ${f}`, () => golden(path.join(corpus, f)));
});

/** Split a command line as libvirt quotes it (single quotes around JSON) into words. */
function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let inWord = false;
  for (const ch of line.trim()) {
    if (quoted) {
      if (ch === "'") quoted = false;
      else cur += ch;
    } else if (ch === "'") {
      quoted = true;
      inWord = true;
    } else if (ch === ' ') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** id -> "bus addr [multifunction]" of every -device with a bus, from an argv. */
function placements(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  argv.forEach((a, i) => {
    if (argv[i - 1] !== '-device' || !a.startsWith('{')) return;
    const d = JSON.parse(a) as { id?: unknown; bus?: string; addr?: string | number; port?: string | number; unit?: string | number; multifunction?: boolean };
    if (typeof d.id !== 'string' || d.bus === undefined) return;
    out.set(d.id, [d.bus, d.addr ?? d.port ?? d.unit ?? '', d.multifunction === true ? 'mf' : ''].join(' ').trim());
  });
  return out;
}

describe("guest addresses match libvirt's (virsh domxml-to-native of the same XML)", () => {
  const refDir = path.join(corpus, 'libvirt-argv');
  for (const f of readdirSync(refDir).filter((x) => x.endsWith('.argv'))) {
    test(f.replace(/\.argv$/, ''), () => {
      const theirs = placements(shellWords(readFileSync(path.join(refDir, f), 'utf8')));
      const ours = placements(buildQemuArgv(live(readFileSync(path.join(corpus, f.replace(/\.argv$/, '.xml')), 'utf8')), paths, OPTS));
      assert.ok(theirs.size > 3, 'the reference lists devices');
      for (const [id, where] of theirs) assert.equal(ours.get(id), where, `device ${id}`);
    });
  }
});

const parseFixture = (name: string, edit: (x: string) => string = (x) => x): DomainDef =>
  live(edit(readFileSync(path.join(dir, name), 'utf8')));

test('the daemon-owned console keeps a log so output survives a daemon restart', () => {
  const argv = buildQemuArgv(parseFixture('full.xml'), paths, OPTS);
  const chardev = argv.find((a) => a.startsWith('socket,id=charserial0'));
  assert.match(chardev ?? '', /path=\/run\/vireo\/domains\/NAME\/serial0\.sock,server=on,wait=off,logfile=\/var\/log\/vireo\/NAME\.serial0\.log/);
});

test('every guest starts paused, sandboxed, and stays after guest poweroff', () => {
  const argv = buildQemuArgv(parseFixture('full.xml'), paths, { accel: 'kvm' });
  for (const flag of ['-S', '-no-user-config', '-nodefaults', '-no-shutdown']) assert.ok(argv.includes(flag), flag);
  assert.equal(argv[argv.indexOf('-sandbox') + 1], 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  assert.equal(argv[argv.indexOf('-accel') + 1], 'kvm');
});

test('host-passthrough and host-model: the host CPU under KVM, "max" under TCG (TCG cannot pass a CPU through)', () => {
  const cpu = (mode: string, accel: 'kvm' | 'tcg'): string | undefined => {
    const argv = buildQemuArgv(parseFixture('full.xml', (x) => x.replace('<features>', `<cpu mode='${mode}'/><features>`)), paths, { accel });
    return argv[argv.indexOf('-cpu') + 1];
  };
  assert.equal(cpu('host-passthrough', 'tcg'), 'max');
  assert.equal(cpu('host-passthrough', 'kvm'), 'host');
  assert.equal(cpu('host-model', 'tcg'), 'max');
  assert.equal(cpu('maximum', 'kvm'), 'max');
});

test('<os><boot dev> becomes bootindex on the first device of each kind, as libvirt does', () => {
  const argv = buildQemuArgv(parseFixture('legacy-pc.xml'), paths, OPTS);
  const boot = new Map<string, number>();
  for (const a of argv) {
    if (!a.startsWith('{')) continue;
    const d = JSON.parse(a) as { id?: string; bootindex?: number };
    if (d.bootindex !== undefined && d.id !== undefined) boot.set(d.id, d.bootindex);
  }
  assert.deepEqual([...boot.entries()].sort((a, b) => a[1] - b[1]), [['fdc0-0-0', 1], ['ide0-1-0', 2], ['ide0-0-0', 3], ['net0', 4]]);
  assert.equal(argv[argv.indexOf('-boot') + 1], 'menu=off,strict=on');
});

test('UEFI: firmware picked from the descriptors, NVRAM per domain, secure boot brings SMM', () => {
  const def = parseFixture('tuned.xml');
  assert.deepEqual(def.os.loader, { path: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', readonly: true, type: 'pflash', secure: true });
  assert.deepEqual(def.os.nvram, { template: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd', path: '/var/lib/vireo/nvram/tuned_VARS.fd' });
  const plain = live(readFileSync(path.join(dir, 'tuned.xml'), 'utf8').replace(/<firmware>[\s\S]*?<\/firmware>/, "<firmware><feature enabled='no' name='secure-boot'/></firmware>"));
  assert.equal(plain.os.loader?.path, '/usr/share/OVMF/OVMF_CODE_4M.fd');
  assert.equal(plain.os.loader.secure, false);
  assert.throws(() => resolveFirmware(parseDomainXml(readFileSync(path.join(dir, 'legacy-pc.xml'), 'utf8').replace(/<loader[^<]*<\/loader>/, '').replace('<os>', "<os firmware='efi'>").replace('<bootmenu', "<firmware><feature enabled='yes' name='secure-boot'/></firmware><bootmenu")), firmware, '/n'),
    (e: unknown) => e instanceof VireoError && e.code === 'NO_SUPPORT' && /pc-i440fx-7\.2/.test(e.message) && /secure-boot=yes/.test(e.message));
});

test('start is refused, naming the device, for what this host or vireo cannot run', () => {
  const def = parseFixture('tuned.xml', (x) => x.replace("<driver name='vhost' queues='2'/>", "<driver queues='2'/>"));
  const facts = { spice: true, swtpm: true, vhostNet: false };
  // network, bridge and ethernet NICs start: vireod makes their taps.
  checkHostSupport(def, facts);
  assert.throws(() => checkHostSupport(def, { ...facts, spice: false }), (e: unknown) => e instanceof VireoError && /SPICE/.test(e.message));
  assert.throws(() => checkHostSupport(def, { ...facts, swtpm: false }), (e: unknown) => e instanceof VireoError && /swtpm/.test(e.message));
  const iscsi = parseFixture('tuned.xml', (x) => x.replace("<driver name='vhost' queues='2'/>", "<driver queues='2'/>").replace('<devices>', "<devices><disk type='network'><source protocol='iscsi' name='iqn.2026-01.org.vireo:t/1'><host name='127.0.0.1'/></source><target dev='vdz'/></disk>"));
  checkHostSupport(iscsi, { ...facts, iscsi: true });
  assert.throws(() => checkHostSupport(iscsi, { ...facts, iscsi: false }), (e: unknown) => e instanceof VireoError && e.code === 'NO_SUPPORT' && /disk vdz .*qemu-block-extra/.test(e.message));
  // A NIC type the start path cannot make (the parser refuses these today; this is the second line).
  const direct = { ...def, devices: { ...def.devices, interfaces: [{ ...def.devices.interfaces[0], type: 'direct' } as unknown as Interface] } };
  assert.throws(() => checkHostSupport(direct, facts), (e: unknown) =>
    e instanceof VireoError && e.code === 'NO_SUPPORT' && e.message.includes("interface net0 (52:54:00:aa:00:01) of type 'direct' cannot be started") && e.message.includes("use type 'network', 'bridge', 'ethernet' or 'user'"));
});

test("an explicit <driver name='vhost'> is checked as libvirt does: KVM guests only, virtio only, /dev/vhost-net needed", () => {
  const facts = { spice: true, swtpm: true, vhostNet: false };
  const kvm = parseFixture('tuned.xml'); // type kvm, net0: bridge, virtio, <driver name='vhost'>
  assert.throws(() => checkHostSupport(kvm, facts), (e: unknown) =>
    e instanceof VireoError && e.code === 'NO_SUPPORT' && e.message.includes("interface net0 (52:54:00:aa:00:01) asks for vhost-net") && /\/dev\/vhost-net is not available/.test(e.message));
  checkHostSupport(kvm, { ...facts, vhostNet: true });
  const e1000 = parseFixture('tuned.xml', (x) => x.replace("<model type='virtio'/>\n      <driver name='vhost' queues='2'/>", "<model type='e1000'/>\n      <driver name='vhost'/>"));
  assert.equal(e1000.devices.interfaces[0]?.model, 'e1000');
  assert.throws(() => checkHostSupport(e1000, { ...facts, vhostNet: true }), (e: unknown) =>
    e instanceof VireoError && e.code === 'NO_SUPPORT' && /net0 .*vhost-net is only supported for virtio network interfaces/.test(e.message));
  // A plain QEMU (TCG) guest never uses vhost, so asking for it is not an error there.
  checkHostSupport({ ...kvm, type: 'qemu' }, facts);
});

test('tap NICs: QEMU opens the tap vireod made, by the name in <target dev>; vhost only where libvirt would use it', () => {
  // Parsed as vireod reads a running guest's status file: generated tap names (vnetN) are kept.
  const def = resolveFirmware(parseDomainXml(readFileSync(path.join(dir, 'network.xml'), 'utf8'), { live: true }), firmware, '/n');
  const netdevs = (o: LaunchOptions, d: DomainDef = def): Array<Record<string, unknown>> => {
    const argv = buildQemuArgv(d, paths, o);
    return argv.flatMap((a, i) => (argv[i - 1] === '-netdev' ? [JSON.parse(a) as Record<string, unknown>] : []));
  };
  assert.deepEqual(netdevs(OPTS).map((n) => n.ifname), ['vnet0', 'vnet1', 'vtest0', 'tap-qemu', undefined]);
  for (const n of netdevs(OPTS).slice(0, 4)) assert.deepEqual([n.type, n.script, n.downscript], ['tap', 'no', 'no']);
  assert.deepEqual(netdevs(OPTS)[4], { type: 'user', id: 'hostnet4' });
  // vhost: the host has /dev/vhost-net, the guest is KVM, the model virtio, the driver not 'qemu'.
  assert.deepEqual(netdevs({ ...OPTS, vhostNet: true }).map((n) => n.vhost), [true, true, undefined, undefined, undefined]);
  assert.deepEqual(netdevs({ ...OPTS, vhostNet: false }).map((n) => n.vhost), [undefined, undefined, undefined, undefined, undefined]);
  assert.deepEqual(netdevs({ ...OPTS, vhostNet: true }, { ...def, type: 'qemu' }).map((n) => n.vhost), [undefined, undefined, undefined, undefined, undefined]);
  // Multi-queue: the tap is opened N times, the device gets 2N+2 MSI-X vectors (libvirt's count).
  assert.equal(netdevs(OPTS)[1]?.queues, 4);
  const dev = nicDeviceProps(def, def.devices.interfaces[1] as Interface, 1);
  assert.deepEqual([dev.mq, dev.vectors, dev.host_mtu], [true, 10, 9000]);
  // <mtu> tells a virtio guest its MTU (host_mtu); other models only get the tap's MTU, host-side.
  assert.equal(nicDeviceProps(def, def.devices.interfaces[2] as Interface, 2).host_mtu, undefined);
  // The same objects serve netdev_add/device_add when a NIC is plugged into a running guest.
  assert.deepEqual(netdevProps(def, def.devices.interfaces[1] as Interface, 7, false), { type: 'tap', ifname: 'vnet1', script: 'no', downscript: 'no', queues: 4, id: 'hostnet7' });
  // Link state is not on the command line: set_link before the guest runs, as libvirt does.
  assert.deepEqual(monitorSetup(def), [{ execute: 'set_link', arguments: { name: 'net1', up: false } }]);
});

test('graphics passwords and link state go over QMP, never on the command line', () => {
  const def = parseFixture('tuned.xml');
  const argv = buildQemuArgv(def, paths, OPTS).join(' ');
  assert.doesNotMatch(argv, /sp1ce|password=vnc/);
  assert.deepEqual(monitorSetup(def), [
    { execute: 'set_password', arguments: { protocol: 'spice', password: 'sp1ce' } },
    { execute: 'set_password', arguments: { protocol: 'vnc', password: 'vnc' } },
    { execute: 'set_link', arguments: { name: 'net0', up: false } },
    { execute: 'qom-set', arguments: { path: '/machine/peripheral/balloon0', property: 'guest-stats-polling-interval', value: 10 } },
    { execute: 'balloon', arguments: { value: 3 * 1024 ** 3 } },
  ]);
});

test('a <currentMemory> below <memory> is the balloon target before the guest runs', () => {
  const def = parseFixture('memcpu.xml');
  assert.deepEqual(monitorSetup(def), [{ execute: 'balloon', arguments: { value: 384 * 1024 * 1024 } }]);
  assert.deepEqual(monitorSetup({ ...def, currentMemoryKiB: def.memoryKiB }), []);
});

test('huge pages need hugetlbfs: a clear NO_SUPPORT without it', () => {
  assert.throws(() => buildQemuArgv(parseFixture('tuned.xml'), paths, { accel: 'tcg' }),
    (e: unknown) => e instanceof VireoError && e.code === 'NO_SUPPORT' && /hugetlbfs/.test(e.message));
});

test('disk index from target name', () => {
  assert.equal(diskIndex('vda'), 0);
  assert.equal(diskIndex('sdb'), 1);
  assert.equal(diskIndex('vdz'), 25);
  assert.equal(diskIndex('vdaa'), 26);
});

test('the vhost-net host fact: whether /dev/vhost-net opens read-write, asked at every start', async () => {
  assert.equal(await vhostNetUsable('/dev/null'), true);
  assert.equal(await vhostNetUsable('/dev/vireo-no-such-device'), false);
  const facts = await hostFacts('/usr/bin/qemu-system-x86_64', parseFixture('network.xml'));
  assert.equal(facts.vhostNet, await vhostNetUsable('/dev/vhost-net'));
});
