// Domain XML fidelity end to end: the virt-install corpus defines through the CLI, dumps back to
// schema-valid XML that redefines to the same dump, and starts (paused) under real QEMU (TCG);
// define --validate, dumpxml --security-info, domxml-to-native, and stable addresses on redefine.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, READY_LINE, SOON, scenario, waitFor } from './harness.js';
import { CORPUS, CORPUS_FILES as FILES, bootable, runnable } from './corpus.js';

const SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

function validate(xml: string): void {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Running `prog` processes whose arguments mention `text` (swtpm instances of this daemon's root). */
function processes(prog: string, text: string): number {
  let n = 0;
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === prog && argv.some((a) => a.includes(text))) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

describe('virt-install corpus through the CLI and QEMU', () => {
  const d = new TestDaemon();
  before(() => d.start());
  after(() => d.cleanup());

  // Each corpus guest in one test: the start step runs the definition the first step made.
  for (const f of FILES) {
    const name = f.replace(/\.xml$/, '');
    test(`${name}: define, dump, redefine, start (paused) under QEMU`, async (t) => {
      const step = scenario(t);
      await step('define, dumpxml, define the dump again: same dump, valid against domain.rng', async () => {
        const file = path.join(d.root, `${name}.xml`);
        writeFileSync(file, runnable(name, path.join(d.root, 'img', name)));
        const r = await d.vireo(['define', file]);
        assert.equal(r.code, 0, r.stderr);
        const dump1 = (await d.vireo(['dumpxml', '--inactive', '--security-info', name])).stdout;
        validate(dump1);
        const again = path.join(d.root, `${name}.dump.xml`);
        writeFileSync(again, dump1);
        assert.equal((await d.vireo(['define', again])).code, 0);
        const dump2 = (await d.vireo(['dumpxml', '--inactive', '--security-info', name])).stdout;
        assert.equal(dump2, dump1);
      });
      await step('start --paused under QEMU (TCG), then destroy', () => startPaused(name));
    });
  }

  /** Start corpus guest `name` (defined from corpus file `corpus`) paused, check it, destroy it. */
  async function startPaused(name: string, corpus = name): Promise<void> {
    if (name === 'ubuntu20.04-network') {
      // Its NICs join libvirt's 'default' network and a host bridge br0: a start makes taps on
      // bridges, which only tests inside a network namespace may do (test/integration/network-*,
      // guest-tap-nic). Here, the command line it would get: QEMU opens the taps by name.
      const r = await d.vireo(['domxml-to-native', 'qemu-argv', '--domain', name]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\{"type":"tap","ifname":"vnet0","script":"no","downscript":"no","id":"hostnet0"\}/);
      assert.match(r.stdout, /\{"type":"tap","ifname":"vnet1","script":"no","downscript":"no","id":"hostnet1"\}/);
      return;
    }
    // alma9-tuned's 4 GiB come from 2 MiB huge pages: a host without 2048 free ones (these test
    // machines reserve none) is refused before QEMU starts, naming the numbers.
    const freePages = Number(readFileSync('/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages', 'utf8'));
    const r = await d.vireo(['start', '--paused', name]);
    if (name === 'alma9-tuned' && freePages < 2048) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /not enough free huge pages of 2048 KiB for domain 'alma9-tuned': it needs 2048, the host has \d+ free/);
      assert.deepEqual(d.qemuPids(), []);
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await d.domstate(name), 'paused (user)');
    const live = (await d.vireo(['dumpxml', name])).stdout;
    assert.match(live, new RegExp(`^<domain type='qemu' id='\\d+'>`));
    validate(live);
    if (/firmware="efi"/.test(readFileSync(path.join(CORPUS, `${corpus}.xml`), 'utf8'))) {
      // UEFI: the firmware picked from the installed descriptors (Debian 12's ovmf lists the
      // Secure Boot build with Microsoft's keys enrolled first), the NVRAM copied per domain.
      assert.match(live, /<loader readonly='yes' secure='yes' type='pflash'>\/usr\/share\/OVMF\/OVMF_CODE_4M\.ms\.fd<\/loader>/);
      assert.ok(existsSync(path.join(d.root, 'lib', 'nvram', `${name}_VARS.fd`)));
    }
    const tpm = /<tpm /.test(live);
    if (tpm) assert.equal(processes('swtpm', d.root), 1, 'swtpm runs with the guest');
    const x = await d.vireo(['destroy', name]);
    assert.equal(x.code, 0, x.stderr);
    assert.equal(await d.domstate(name), 'shut off (destroyed)');
    assert.deepEqual(d.qemuPids(), []);
    // swtpm ends by itself once QEMU has closed its socket.
    if (tpm) await waitFor(() => processes('swtpm', d.root) === 0, SOON, 'swtpm to exit after its guest');
  }

  test("virt-install's debian11 machine (q35, 14 root ports, xhci, virtio disk/net/rng/balloon, agent channel, VNC) boots the test kernel to userspace", async () => {
    const xml = bootable('debian11', 'deb-boot', path.join(d.root, 'img', 'boot'));
    const f = path.join(d.root, 'deb-boot.xml');
    writeFileSync(f, xml);
    assert.equal((await d.vireo(['define', f])).code, 0);
    const r = await d.vireo(['start', 'deb-boot']);
    assert.equal(r.code, 0, r.stderr);
    await d.waitConsole('deb-boot', READY_LINE);
    assert.equal(await d.domstate('deb-boot'), 'running (booted)');
    assert.equal((await d.vireo(['destroy', 'deb-boot'])).code, 0);
  });

  test('undefine of a UEFI guest needs --nvram or --keep-nvram; the TPM state goes unless --keep-tpm', async () => {
    // Guests of its own (copies of two corpus guests), run once so that NVRAM and TPM state exist.
    const copies = [['fedora37-uefi', 'uefi-a', 'a3'], ['win11', 'uefi-b', 'b4']] as const;
    for (const [corpus, name, uuidEnd] of copies) {
      const file = path.join(d.root, `${name}.xml`);
      writeFileSync(file, runnable(corpus, path.join(d.root, 'img', name))
        .replace(`<name>${corpus}</name>`, `<name>${name}</name>`)
        .replace(/<uuid>[^<]*<\/uuid>/, `<uuid>c0a90000-0000-4000-8000-0000000000${uuidEnd}</uuid>`));
      assert.equal((await d.vireo(['define', file])).code, 0);
      await startPaused(name, corpus);
    }
    const nvram = (n: string): string => path.join(d.root, 'lib', 'nvram', `${n}_VARS.fd`);
    const tpm = (uuidEnd: string): string => path.join(d.root, 'lib', 'swtpm', `c0a90000-0000-4000-8000-0000000000${uuidEnd}`);
    assert.ok(existsSync(nvram('uefi-a')) && existsSync(tpm('a3')));
    const r = await d.vireo(['undefine', 'uefi-a']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: Failed to undefine domain 'uefi-a'\nerror: Requested operation is not valid: cannot undefine domain with nvram\n");
    assert.equal((await d.vireo(['undefine', '--nvram', '--keep-nvram', 'uefi-a'])).stderr, 'error: Options --nvram and --keep-nvram are mutually exclusive\n');
    assert.equal((await d.vireo(['undefine', '--nvram', 'uefi-a'])).code, 0);
    assert.ok(!existsSync(nvram('uefi-a')) && !existsSync(tpm('a3')));
    assert.equal((await d.vireo(['undefine', '--keep-nvram', '--keep-tpm', 'uefi-b'])).code, 0);
    assert.ok(existsSync(nvram('uefi-b')) && existsSync(tpm('b4')));
  });
});

describe('XML commands', () => {
  const d = new TestDaemon();
  before(() => d.start());
  after(() => d.cleanup());
  const file = (name: string, text: string): string => {
    const p = path.join(d.root, name);
    writeFileSync(p, text);
    return p;
  };
  /** Define a corpus guest (made runnable here) for a test that needs it. */
  const defineCorpus = async (name: string): Promise<void> => {
    const r = await d.vireo(['define', file(`${name}.xml`, runnable(name, path.join(d.root, 'img', name)))]);
    assert.equal(r.code, 0, r.stderr);
  };

  test('define --validate reports schema errors as libvirt does, and defines valid XML', async () => {
    const bad = file('bad.xml', runnable('debian11-kernel', path.join(d.root, 'img', 'bad'))
      .replace('<name>debian11-kernel</name>', '<name>bad</name>').replace(/<uuid>[^<]*<\/uuid>/, '').replace('<vcpu>1</vcpu>', '<vcpu>1</vcpu><vcpu>2</vcpu>'));
    const r = await d.vireo(['define', '--validate', bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: Failed to define domain from ${bad}
error: XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng
Extra element vcpu in interleave
Invalid sequence in interleave
Element domain failed to validate content
`);
    const good = file('good.xml', runnable('debian10-floppy', path.join(d.root, 'img', 'good')));
    const ok = await d.vireo(['define', '--validate', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `Domain 'debian10-floppy' defined from ${good}\n\n`);
  });

  test('dumpxml shows the VNC password only with --security-info', async () => {
    await defineCorpus('debian10-floppy');
    assert.doesNotMatch((await d.vireo(['dumpxml', 'debian10-floppy'])).stdout, /passwd/);
    assert.match((await d.vireo(['dumpxml', '--security-info', 'debian10-floppy'])).stdout, /<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='s3cret'>/);
  });

  test('dumpxml --update-cpu shows a host-model CPU as the CPU the guest gets', async () => {
    const f = file('alma.xml', runnable('alma9-tuned', path.join(d.root, 'img', 'alma')));
    assert.equal((await d.vireo(['define', f])).code, 0);
    assert.match((await d.vireo(['dumpxml', 'alma9-tuned'])).stdout, /<cpu mode='host-model'>/);
    assert.match((await d.vireo(['dumpxml', '--update-cpu', 'alma9-tuned'])).stdout,
      /<cpu mode='custom' match='exact' check='none'>\n {4}<model fallback='forbid'>max<\/model>\n {4}<topology sockets='1' dies='1' cores='4' threads='2'\/>/);
  });

  test('domxml-to-native qemu-argv prints the command line vireod would run, for a file or a defined domain', async () => {
    const f = file('w7.xml', runnable('win7-pc', path.join(d.root, 'img', 'w7')));
    const r = await d.vireo(['domxml-to-native', 'qemu-argv', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LC_ALL=C PATH=\S+ HOME=\S+\/run\/domains\/-1-win7-pc \/usr\/bin\/qemu-system-x86_64 -name guest=win7-pc,debug-threads=on -S -machine pc,usb=off/);
    assert.match(r.stdout, / -device '\{"driver":"ich9-usb-ehci1","id":"usb","bus":"pci.0","addr":"0x5.0x7"\}' /);
    assert.match(r.stdout, / -vnc 127.0.0.1:0,to=99,audiodev=audio1 /);
    assert.ok(r.stdout.endsWith(' -msg timestamp=on\n\n'));
    await defineCorpus('debian10-floppy');
    const byDomain = await d.vireo(['domxml-to-native', 'qemu-argv', '--domain', 'debian10-floppy']);
    assert.equal(byDomain.code, 0, byDomain.stderr);
    assert.match(byDomain.stdout, /-boot menu=on,strict=on/);
    assert.doesNotMatch(byDomain.stdout, /s3cret/);
    const bad = await d.vireo(['domxml-to-native', 'xen-xm', f]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: unsupported configuration: Unsupported config type xen-xm\n');
  });

  test('redefining the original XML with a NIC added in front keeps the other devices where they were', async () => {
    const original = runnable('debian11', path.join(d.root, 'img', 'deb'));
    assert.equal((await d.vireo(['define', file('deb.xml', original)])).code, 0);
    const slots = async (): Promise<Map<string, string>> => {
      const xml = (await d.vireo(['dumpxml', '--inactive', 'debian11'])).stdout;
      const out = new Map<string, string>();
      for (const m of xml.matchAll(/<(disk|interface|controller|memballoon|rng)\b([^>]*)>([\s\S]*?)<\/\1>/g)) {
        const addr = /<address type='pci'[^>]*\/>/.exec(m[3] ?? '')?.[0];
        const id = `${m[1]}${m[2]}${/<mac address='([^']+)'/.exec(m[3] ?? '')?.[1] ?? ''}${/<target dev='([^']+)'/.exec(m[3] ?? '')?.[1] ?? ''}`;
        if (addr !== undefined) out.set(id, addr);
      }
      return out;
    };
    const before = await slots();
    const edited = original.replace('<interface type="user">', '<interface type="user"><mac address="52:54:00:00:00:99"/><model type="virtio"/></interface>\n    <interface type="user">');
    assert.equal((await d.vireo(['define', file('deb2.xml', edited)])).code, 0);
    const after = await slots();
    for (const [id, addr] of before) assert.equal(after.get(id), addr, id);
    assert.equal(after.size, before.size + 1);
  });
});
