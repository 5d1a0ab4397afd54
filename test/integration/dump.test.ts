// dump end to end: a real vireod, the real CLI, the tiny guest under TCG. The files are checked
// for what the tools that read them need (an ELF core's program headers, the flattened kdump
// signature, QEMU's migration stream magic); faults and aborts leave no file and the guest as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, guestXml, scenario, waitFor, SOON, BOOT, READY_LINE } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-dump-'));
const full = path.join(scratch, 'full');
after(() => {
  spawnSync('umount', [full]);
  rmSync(scratch, { recursive: true, force: true });
});

const MiB = 1 << 20;

function head(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** An ELF64 core's program headers: how many PT_NOTE and PT_LOAD, and the PT_LOADs' bytes. */
function elfCore(file: string): { notes: number; loads: number; loadBytes: number } {
  const h = head(file, 64);
  assert.equal(h.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(h[4], 2, 'ELFCLASS64');
  assert.equal(h.readUInt16LE(16), 4, 'e_type ET_CORE');
  assert.equal(h.readUInt16LE(18), 62, 'e_machine EM_X86_64');
  const phoff = Number(h.readBigUInt64LE(32));
  const phentsize = h.readUInt16LE(54);
  const phnum = h.readUInt16LE(56);
  const ph = head(file, phoff + phentsize * phnum).subarray(phoff);
  let notes = 0;
  let loads = 0;
  let loadBytes = 0;
  for (let i = 0; i < phnum; i++) {
    const type = ph.readUInt32LE(i * phentsize);
    if (type === 4) notes++;
    if (type === 1) {
      loads++;
      loadBytes += Number(ph.readBigUInt64LE(i * phentsize + 32)); // p_filesz
    }
  }
  return { notes, loads, loadBytes };
}

test('dump: ELF, kdump and full dumps; --live, --reset, --crash; faults and abort leave no file', { timeout: 900_000 }, async (t) => {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start();
  const step = scenario(t);
  const xmlFile = path.join(scratch, 'g.xml');

  await step('a running guest', async () => {
    writeFileSync(xmlFile, guestXml('g', { memoryMiB: 128 }));
    await d.ok('define', xmlFile);
    await d.ok('start', 'g');
    await d.guestRun('g', 'echo vireo-marker-1 > /tmp/m');
  });

  await step('--memory-only --live: a real ELF core of the guest memory; the guest runs on', async () => {
    const f = path.join(scratch, 'g.elf');
    assert.equal(await d.ok('dump', 'g', f, '--memory-only', '--live'), `\nDomain 'g' dumped to ${f}\n\n`);
    const core = elfCore(f);
    assert.ok(core.notes >= 1, `${core.notes} PT_NOTE`);
    assert.ok(core.loads >= 1, `${core.loads} PT_LOAD`);
    // All of the guest's RAM, plus at most some device memory (firmware ROMs).
    assert.ok(core.loadBytes >= 128 * MiB && core.loadBytes < 160 * MiB, `PT_LOAD bytes ${core.loadBytes}`);
    assert.ok(statSync(f).size >= core.loadBytes);
    // binutils' own reader agrees (readelf is on this machine: Debian's binutils).
    const r = spawnSync('readelf', ['-h', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Type: +CORE/);
    assert.equal(await d.domstate('g'), 'running (unpaused)');
    assert.match(await d.guestRun('g', 'cat /tmp/m'), /^vireo-marker-1$/m);
  });

  await step('--memory-only --format kdump-zlib: the flattened kdump makedumpfile and crash read', async () => {
    const f = path.join(scratch, 'g.kdump');
    await d.ok('dump', 'g', f, '--memory-only', '--format', 'kdump-zlib');
    assert.equal(head(f, 12).toString('latin1'), 'makedumpfile');
    assert.equal(await d.domstate('g'), 'running (unpaused)');
  });

  await step('refusals in virsh\'s words', async () => {
    const f = path.join(scratch, 'never');
    assert.equal(await d.failing('dump', 'g', f, '--format', 'elf'), 'error: --format only works with --memory-only\n');
    assert.equal(await d.failing('dump', 'g', f, '--memory-only', '--format', 'foo'),
      "error: format 'foo' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'\n");
    assert.equal(await d.failing('dump', 'g', f, '--crash', '--reset'),
      `error: Failed to core dump domain 'g' to ${f}\nerror: Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET' are mutually exclusive\n`);
    // Debian's QEMU 7.2 is built without lzo (query-dump-guest-memory-capability says so).
    assert.equal(await d.failing('dump', 'g', f, '--memory-only', '--format', 'kdump-lzo'),
      `error: Failed to core dump domain 'g' to ${f}\nerror: invalid argument: unsupported dumpformat 'kdump-lzo' for this QEMU binary\n`);
    assert.equal(existsSync(f), false);
    assert.equal(await d.domstate('g'), 'running (unpaused)');
  });

  await step('a full dump (--verbose) is QEMU\'s migration stream; the guest is resumed', async () => {
    const f = path.join(scratch, 'g.core');
    const r = await d.vireo(['dump', 'g', f, '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `\nDomain 'g' dumped to ${f}\n\n`);
    assert.match(r.stderr, /\rDump: \[100 %\]$/);
    assert.equal(head(f, 4).toString('latin1'), 'QEVM');
    assert.equal(await d.domstate('g'), 'running (unpaused)');
    assert.match(await d.guestRun('g', 'cat /tmp/m'), /^vireo-marker-1$/m);
  });

  await step('a dump onto a full file system fails with ENOSPC; no file is left, the guest runs on', async () => {
    mkdirSync(full);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'vireo-dump-test', full], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      for (const extra of [[], ['--memory-only']]) {
        const target = path.join(full, 'g.core');
        assert.match(await d.failing('dump', 'g', target, ...extra), /No space left on device/);
        assert.equal(existsSync(target), false);
        assert.equal(await d.domstate('g'), 'running (unpaused)');
      }
    } finally {
      spawnSync('umount', [full]);
    }
    assert.match(await d.guestRun('g', 'cat /tmp/m'), /^vireo-marker-1$/m);
  });

  await step('domjobabort half-way: no file is left, the guest runs on', async () => {
    await d.stop();
    d.env = { VIREO_SAVE_MAX_BANDWIDTH: String(1 << 20) }; // 1 MiB/s: the job lasts long enough to abort
    await d.start();
    const target = path.join(scratch, 'aborted.core');
    const dumping = d.vireo(['dump', 'g', target]);
    await waitFor(async () => /Operation: +Dump/.test((await d.vireo(['domjobinfo', 'g'])).stdout), SOON, 'the dump job');
    await waitFor(async () => /Data processed:/.test((await d.vireo(['domjobinfo', 'g'])).stdout), SOON, 'dump progress');
    await d.ok('domjobabort', 'g');
    const r = await dumping;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /operation aborted/);
    assert.equal(existsSync(target), false);
    assert.equal(await d.domstate('g'), 'running (unpaused)');
    await d.stop();
    d.env = {};
    await d.start();
  });

  await step('--reset: the guest boots again after the dump', async () => {
    const f = path.join(scratch, 'reset.core');
    await d.ok('dump', 'g', f, '--memory-only', '--reset');
    assert.ok(existsSync(f));
    const boots = async (): Promise<number> => (await d.vireo(['console-log', 'g'])).stdout.split(READY_LINE).length - 1;
    await waitFor(async () => (await boots()) >= 2, BOOT, 'the guest to boot again');
    assert.equal(await d.domstate('g'), 'running (unpaused)');
    // Memory written before the reset is gone: the guest booted afresh.
    assert.doesNotMatch(await d.guestRun('g', 'cat /tmp/m 2>&1'), /^vireo-marker-1$/m);
  });

  await step('--crash: the guest is shut off, reason crashed', async () => {
    const f = path.join(scratch, 'crash.core');
    await d.ok('dump', 'g', f, '--memory-only', '--crash');
    assert.ok(statSync(f).size > 128 * MiB);
    assert.equal(await d.domstate('g'), 'shut off (crashed)');
    assert.deepEqual(d.qemuPids(), []);
    assert.match(await d.failing('dump', 'g', f), /error: Requested operation is not valid: domain is not running/);
  });
});
