// Host commands against the real host (the golden tests read a fake one): what they print agrees
// with /proc, with the daemon's own KVM verdict, and with libvirt's XML schemas.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon } from './harness.js';

function validates(xml: string, schema: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-xml-'));
  try {
    writeFileSync(path.join(dir, 'doc.xml'), xml);
    const r = spawnSync('xmllint', ['--noout', '--relaxng', `/usr/share/libvirt/schemas/${schema}`, path.join(dir, 'doc.xml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('host commands on this host', () => {
  const d = new TestDaemon();
  before(() => d.start());
  after(() => d.cleanup());

  test('nodeinfo and hostname describe this machine', async () => {
    const r = await d.vireo(['nodeinfo']);
    assert.equal(r.code, 0, r.stderr);
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim().split(',')
      .reduce((n, part) => { const [a, b] = part.split('-').map(Number); return n + ((b ?? a!) - a! + 1); }, 0);
    assert.match(r.stdout, new RegExp(`^CPU model:           x86_64\\nCPU\\(s\\):              ${online}\\nCPU frequency:       \\d+ MHz\\nCPU socket\\(s\\):       \\d+\\nCore\\(s\\) per socket:  \\d+\\nThread\\(s\\) per core:  \\d+\\nNUMA cell\\(s\\):        \\d+\\nMemory size:         \\d+ KiB\\n\\n$`));
    assert.equal((await d.vireo(['hostname'])).stdout, `${hostname()}\n\n`);
  });

  test('host-validate agrees with the daemon about KVM, and fails exactly when a check fails', async () => {
    const r = await d.vireo(['host-validate']);
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) assert.match(l, /^ {2}QEMU: Checking .{60}: (PASS|WARN \(.+\)|FAIL \(.+\))$/);
    assert.equal(r.code, lines.some((l) => / : FAIL/.test(l)) ? 1 : 0);
    const kvmLine = lines.find((l) => l.includes('if KVM acceleration can be used')) ?? '';
    const caps = (await d.vireo(['capabilities'])).stdout;
    validates(caps, 'capability.rng');
    assert.equal(kvmLine.endsWith(': PASS'), caps.includes("<domain type='kvm'/>"), 'capabilities offers kvm exactly when host-validate passes it');
    // This machine: /dev/kvm comes from kvm_pvm and the CPU has no vmx/svm (reference/environment.md).
    if (/\bkvm_pvm\b/.test(spawnSync('ls', ['/sys/module'], { encoding: 'utf8' }).stdout)) {
      assert.match(kvmLine, /FAIL \(.*kvm_pvm/);
    }
  });

  test('domcapabilities validates; nodememstats, nodecpustats and freecell read /proc and sysfs', async () => {
    const dc = await d.vireo(['domcapabilities', '--machine', 'q35']);
    assert.equal(dc.code, 0, dc.stderr);
    validates(dc.stdout, 'domaincaps.rng');
    const mem = await d.vireo(['nodememstats']);
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    assert.match(mem.stdout, new RegExp(`^total  : +${total} KiB\\nfree   : +\\d+ KiB\\nbuffers: +\\d+ KiB\\ncached : +\\d+ KiB\\n\\n$`));
    const pct = await d.vireo(['nodecpustats', '--percent']);
    const v = Object.fromEntries([...pct.stdout.matchAll(/^(\w+): +([\d.]+)%$/gm)].map((m): [string, number] => [m[1] ?? '', Number(m[2])]));
    assert.ok(Math.abs((v.usage ?? 0) + (v.idle ?? 0) + (v.iowait ?? 0) - 100) < 0.3, pct.stdout);
    assert.match((await d.vireo(['freecell', '--all'])).stdout, /^( +\d+: +\d+ KiB\n)+-{20}\nTotal: +\d+ KiB\n\n$/);
    assert.equal((await d.vireo(['maxvcpus'])).stdout, '255\n\n');
  });
});
