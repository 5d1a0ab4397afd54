/**
 * The virt-install corpus (test/fixtures/virt-install, made by scripts/gen-virt-install-corpus.sh)
 * as guests that can run here: shared by the XML-fidelity tests and the network tests that start
 * the corpus guest on libvirt's 'default' network.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { INITRD, KERNEL, REPO } from './harness.js';

export const CORPUS = path.join(REPO, 'test', 'fixtures', 'virt-install');
export const CORPUS_FILES = readdirSync(CORPUS).filter((f) => f.endsWith('.xml')).sort();

/**
 * A corpus guest made runnable here: TCG instead of KVM (no hardware virtualization), disks
 * pointed at small images made with qemu-img (under `dir`), the kernel-boot guest at the test kernel.
 */
export function runnable(name: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  let i = 0;
  return readFileSync(path.join(CORPUS, `${name}.xml`), 'utf8')
    .replace('<domain type="kvm">', '<domain type="qemu">')
    .replace(/<disk type="file" device="(\w+)">([\s\S]*?)<\/disk>/g, (m, dev: string, body: string) => {
      const fmt = /type="qcow2"/.test(body) ? 'qcow2' : 'raw';
      const file = path.join(dir, `disk${i++}.${fmt}`);
      const r = spawnSync('qemu-img', ['create', '-q', '-f', fmt, file, dev === 'floppy' ? '1440K' : '64M'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return m.replace(/<source file="[^"]*"\/>/, `<source file="${file}"/>`);
    })
    .replace(/<kernel>[^<]*<\/kernel>/, `<kernel>${KERNEL}</kernel>`)
    .replace(/<initrd>[^<]*<\/initrd>/, `<initrd>${INITRD}</initrd>`);
}

/** A corpus guest that boots the test kernel (renamed `name`, no UUID): its machine, devices and NICs as virt-install wrote them. */
export function bootable(corpus: string, name: string, dir: string, cmdline = ''): string {
  return runnable(corpus, dir)
    .replace(`<name>${corpus}</name>`, `<name>${name}</name>`).replace(/<uuid>[^<]*<\/uuid>/, '')
    .replace(/<boot dev="(cdrom|hd)"\/>/, `<kernel>${KERNEL}</kernel><initrd>${INITRD}</initrd><cmdline>console=ttyS0 panic=-1 quiet${cmdline === '' ? '' : ` ${cmdline}`}</cmdline>`)
    .replace('<console type="pty"/>', '<serial type="pty"/><console type="pty"/>');
}
