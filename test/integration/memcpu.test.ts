// Memory and vCPU control of a running guest, end to end through the CLI, checked against what
// the guest itself sees: setmem shrinks the guest's MemTotal through the balloon (dominfo,
// dumpxml and `vireo event`'s balloon-change follow), setmaxmem is refused live and works
// --config, setvcpus plugs a vCPU into the guest and takes it out again, and node-memory-tune
// reads and writes the host's KSM settings (restored afterwards). Errors in libvirt's words.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BOOT, guestXml, REPO, scenario, SOON, TestDaemon, waitFor } from './harness.js';

const KSM = '/sys/kernel/mm/ksm';
const ksm = (f: string): number => Number(readFileSync(path.join(KSM, f), 'utf8').trim());

/** The tiny guest with 256 MiB and one of two vCPUs online at boot. */
const xml = guestXml('mc', { memoryMiB: 256, vcpus: 2 }).replace('<vcpu>2</vcpu>', "<vcpu current='1'>2</vcpu>");

describe('memory and vCPU control of a running guest', () => {
  const d = new TestDaemon();
  const file = path.join(d.root, 'mc.xml');
  const memTotal = async (): Promise<number> => {
    const out = await d.guestRun('mc', 'grep MemTotal /proc/meminfo');
    const m = /MemTotal:\s+(\d+) kB/.exec(out);
    assert.ok(m !== null, out);
    return Number(m[1]);
  };
  // Each command short: guestRun finds its output after the typed line, which must not wrap at 80 columns.
  const cpu = async (f: string): Promise<string> => (await d.guestRun('mc', `cat /sys/devices/system/cpu/${f}`)).trim();
  const cpus = async (): Promise<string> => `${await cpu('present')}\n${await cpu('online')}`;
  const xmlLine = async (re: RegExp, ...args: string[]): Promise<string> => {
    const line = (await d.ok('dumpxml', 'mc', ...args)).split('\n').find((l) => re.test(l));
    return (line ?? '').trim();
  };

  before(async () => {
    await d.start();
    writeFileSync(file, xml);
    await d.ok('define', file);
    await d.ok('start', 'mc');
    await d.waitShell('mc', BOOT);
  });
  after(() => d.cleanup());

  test('setmem, setmaxmem and the balloon', async (t) => {
    const step = scenario(t);
    let fullMemTotal = 0;
    await step('setmem --live balloons the guest down: MemTotal, dominfo, dumpxml and the balloon-change event follow', async () => {
      const before = await memTotal();
      fullMemTotal = before;
      const ev = spawn(path.join(REPO, 'bin', 'vireo'), ['-c', d.uri, '-d', '1', 'event', '--domain', 'mc', '--event', 'balloon-change', '--loop'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      ev.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      ev.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const exited = new Promise<number | null>((resolve) => ev.once('close', (code) => resolve(code)));
      try {
        await waitFor(() => err.includes('listening for events'), SOON, 'vireo event to listen');
        assert.equal(await d.ok('setmem', 'mc', '200M', '--live'), '\n');
        // The guest gives the memory back in steps; the last event is the target.
        await waitFor(() => out.includes("event 'balloon-change' for domain 'mc': 204800KiB\n"), BOOT, 'the balloon to reach 200 MiB');
      } finally {
        ev.kill('SIGINT');
      }
      assert.equal(await exited, 0);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines.at(-2), 'event loop interrupted');
      assert.equal(lines.at(-1), `events received: ${lines.length - 2}`);
      for (const l of lines.slice(0, -2)) assert.match(l, /^event 'balloon-change' for domain 'mc': \d+KiB$/);
      // virtio_balloon takes the pages out of the guest's MemTotal.
      assert.equal(before - (await memTotal()), 56 * 1024);
      assert.match(await d.ok('dominfo', 'mc'), /^Max memory: {5}262144 KiB\nUsed memory: {4}204800 KiB$/m);
      assert.equal(await xmlLine(/<currentMemory/), "<currentMemory unit='KiB'>204800</currentMemory>");
      // The stored definition did not change.
      assert.equal(await xmlLine(/<currentMemory/, '--inactive'), "<currentMemory unit='KiB'>262144</currentMemory>");
    });
    await step('setmem above the maximum and setmaxmem on a running guest are refused in libvirt\'s words', async () => {
      assert.equal(await d.failing('setmem', 'mc', '300M'), 'error: invalid argument: cannot set memory higher than max memory\n');
      assert.equal(await d.failing('setmem', 'mc', '0'), 'error: memory in virDomainSetMemoryFlags must not be zero\n');
      assert.equal(await d.failing('setmem', 'mc', '1x'), "error: Scaled numeric value '1x' for <size> option is malformed or out of range\nerror: invalid argument: unknown suffix 'x'\n");
      assert.equal(await d.failing('setmem', 'mc', '1M', '--live', '--current'), 'error: Options --current and --live are mutually exclusive\n');
      assert.equal(await d.failing('setmaxmem', 'mc', '300M'),
        'error: Unable to change MaxMemorySize\nerror: Requested operation is not valid: cannot resize the maximum memory on an active domain\n');
      assert.equal(await d.failing('setmem', 'nosuch', '1M'), "error: failed to get domain 'nosuch'\n");
    });
    await step('--config changes only the stored definition', async () => {
      await d.ok('setmaxmem', 'mc', '300M', '--config');
      await d.ok('setmem', 'mc', '100M', '--config');
      assert.equal(await xmlLine(/<memory/, '--inactive'), "<memory unit='KiB'>307200</memory>");
      assert.equal(await xmlLine(/<currentMemory/, '--inactive'), "<currentMemory unit='KiB'>102400</currentMemory>");
      assert.equal(await xmlLine(/<memory/), "<memory unit='KiB'>262144</memory>");
      // A maximum below the current allocation takes the allocation down with it, as libvirt's does.
      await d.ok('setmaxmem', 'mc', '50M', '--config');
      assert.equal(await xmlLine(/<currentMemory/, '--inactive'), "<currentMemory unit='KiB'>51200</currentMemory>");
      await d.ok('setmaxmem', 'mc', '256M', '--config');
    });
    await step('a stored <currentMemory> below <memory> is the balloon target from boot', async () => {
      await d.ok('setmem', 'mc', '200M', '--config');
      await d.ok('destroy', 'mc');
      await d.ok('start', 'mc');
      await d.waitShell('mc', BOOT);
      await waitFor(async () => /^Used memory: {4}204800 KiB$/m.test(await d.ok('dominfo', 'mc')), BOOT, 'the balloon to reach 200 MiB after boot');
      await waitFor(async () => fullMemTotal - (await memTotal()) === 56 * 1024, SOON, "the guest's MemTotal to be 56 MiB below a full boot's");
      await d.ok('setmem', 'mc', '256M', '--config');
    });
  });

  test('setvcpus', async (t) => {
    const step = scenario(t);
    await step('--live plugs a vCPU: the guest has a second CPU (which it onlines on request), dumpxml and dominfo follow', async () => {
      assert.equal(await cpus(), '0\n0');
      assert.equal(await d.ok('setvcpus', 'mc', '2', '--live'), '\n');
      assert.equal(await xmlLine(/<vcpu /), "<vcpu placement='static'>2</vcpu>");
      assert.match(await d.ok('dominfo', 'mc'), /^CPU\(s\): {9}2$/m);
      // The guest kernel (no udev) adds the CPU but leaves it offline, as the kernel does by default.
      await waitFor(async () => (await cpus()) === '0-1\n0', SOON, 'the guest to see its second CPU');
      await d.guestRun('mc', 'echo 1 > /sys/devices/system/cpu/cpu1/online');
      assert.equal(await cpu('online'), '0-1');
      assert.equal(await xmlLine(/<vcpu /, '--inactive'), "<vcpu placement='static' current='1'>2</vcpu>");
    });
    await step('--live unplugs it again: the guest lets the CPU go', async () => {
      assert.equal(await d.ok('setvcpus', 'mc', '1'), '\n');
      assert.equal(await xmlLine(/<vcpu /), "<vcpu placement='static' current='1'>2</vcpu>");
      assert.equal(await cpus(), '0\n0');
      // QEMU 7.2 under TCG crashes when a vCPU is plugged into an emptied slot: vireod refuses it.
      assert.match(await d.failing('setvcpus', 'mc', '2'), /^error: vCPU 1 was unplugged from this running guest, and QEMU under TCG crashes/);
      // Asking for what the guest has is no change.
      assert.equal(await d.ok('setvcpus', 'mc', '1', '--live'), '\n');
    });
    await step("refusals in libvirt's words", async () => {
      assert.equal(await d.failing('setvcpus', 'mc', '3', '--live'), 'error: invalid argument: requested vcpus is greater than max allowable vcpus for the live domain: 3 > 2\n');
      assert.equal(await d.failing('setvcpus', 'mc', '3', '--config'), 'error: invalid argument: requested vcpus is greater than max allowable vcpus for the persistent domain: 3 > 2\n');
      assert.equal(await d.failing('setvcpus', 'mc', '2', '--guest'), 'error: argument unsupported: QEMU guest agent is not configured\n');
      assert.equal(await d.failing('setvcpus', 'mc', '2', '--maximum'), 'error: Option --config is required by option --maximum\n');
      assert.equal(await d.failing('setvcpus', 'mc', '2', '--maximum', '--live', '--config'), "error: Operation not supported: maximum vcpu count of a live domain can't be modified\n");
      assert.equal(await d.failing('setvcpus', 'mc', '0'), "error: Can't set 0 processors for a VM\n");
    });
    await step('--config and --maximum --config change the stored definition only', async () => {
      await d.ok('setvcpus', 'mc', '2', '--config');
      assert.equal(await xmlLine(/<vcpu /, '--inactive'), "<vcpu placement='static'>2</vcpu>");
      await d.ok('setvcpus', 'mc', '4', '--maximum', '--config');
      assert.equal(await xmlLine(/<vcpu /, '--inactive'), "<vcpu placement='static' current='2'>4</vcpu>");
      await d.ok('setvcpus', 'mc', '1', '--maximum', '--config');
      assert.equal(await xmlLine(/<vcpu /, '--inactive'), "<vcpu placement='static'>1</vcpu>");
      assert.equal(await xmlLine(/<vcpu /), "<vcpu placement='static' current='1'>2</vcpu>");
    });
  });
});

describe('node-memory-tune', () => {
  const d = new TestDaemon();
  const saved = { pages_to_scan: ksm('pages_to_scan'), sleep_millisecs: ksm('sleep_millisecs') };
  before(() => d.start());
  after(async () => {
    for (const [f, v] of Object.entries(saved)) writeFileSync(path.join(KSM, f), `${v}\n`);
    await d.cleanup();
  });

  test("shows and sets the host's KSM parameters", async () => {
    const shown = await d.ok('node-memory-tune');
    const expect = ['pages_to_scan', 'sleep_millisecs', 'pages_shared', 'pages_sharing', 'pages_unshared', 'pages_volatile', 'full_scans', 'merge_across_nodes']
      .map((f) => `\t${`shm_${f}`.padEnd(15)} ${ksm(f)}\n`).join('');
    // The counters may move while KSM runs; the settings may not.
    assert.equal(shown.split('\n')[0], 'Shared memory:');
    assert.deepEqual(shown.split('\n').slice(1, 3), expect.split('\n').slice(0, 2));
    assert.equal(shown.split('\n').length, expect.split('\n').length + 2);
    assert.equal(await d.ok('node-memory-tune', '--shm-pages-to-scan', String(saved.pages_to_scan + 7), '--shm-sleep-millisecs', String(saved.sleep_millisecs + 3)), '\n');
    assert.equal(ksm('pages_to_scan'), saved.pages_to_scan + 7);
    assert.equal(ksm('sleep_millisecs'), saved.sleep_millisecs + 3);
    const json = JSON.parse(await d.ok('node-memory-tune', '--json')) as Record<string, number>;
    assert.equal(json.shm_pages_to_scan, saved.pages_to_scan + 7);
    assert.equal(await d.failing('node-memory-tune', '--shm-sleep-millisecs', 'x'), "error: Numeric value 'x' for <shm-sleep-millisecs> option is malformed or out of range\n");
    assert.match(await d.failing('-r', 'node-memory-tune', '--shm-pages-to-scan', '1'), /^error: Unable to change memory parameters\nerror: operation forbidden: /);
    assert.equal(ksm('pages_to_scan'), saved.pages_to_scan + 7);
  });
});

describe('a guest on huge pages', () => {
  const d = new TestDaemon();
  const HP = '/sys/kernel/mm/hugepages/hugepages-2048kB';
  const saved = readFileSync(path.join(HP, 'nr_hugepages'), 'utf8').trim();
  const reserve = (n: number): void => writeFileSync(path.join(HP, 'nr_hugepages'), `${n}\n`);
  const free = (): number => Number(readFileSync(path.join(HP, 'free_hugepages'), 'utf8').trim());
  const ours = (): string[] => readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(d.root) && l.split(' ')[2] === 'hugetlbfs');
  // 96 MiB of 2 MiB pages: 48 of them.
  const hugeXml = guestXml('huge', { memoryMiB: 96 }).replace('<vcpu>', "<memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>\n  <vcpu>");
  before(() => d.start());
  after(async () => {
    await d.cleanup();
    reserve(Number(saved));
  });

  test('starts only with enough free huge pages, takes its RAM from a hugetlbfs vireod mounts, and unmounts it after', async (t) => {
    const step = scenario(t);
    const file = path.join(d.root, 'huge.xml');
    writeFileSync(file, hugeXml);
    await d.ok('define', file);
    await step('too few free huge pages: a clear error before QEMU starts, nothing left mounted', async () => {
      reserve(10);
      assert.equal(free(), 10, 'the host could not reserve 10 huge pages');
      assert.equal(await d.failing('start', 'huge'), "error: Failed to start domain 'huge'\nerror: operation failed: not enough free huge pages of 2048 KiB for domain 'huge': it needs 48, the host has 10 free (reserve more in /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)\n");
      assert.deepEqual(ours(), []);
      assert.deepEqual(d.qemuPids(), []);
    });
    await step('enough: the guest boots with its RAM in huge pages (HugePages_Free drops by 48)', async () => {
      reserve(50);
      assert.equal(free(), 50, 'the host could not reserve 50 huge pages');
      await d.ok('start', 'huge');
      assert.equal(ours().length, 1, 'vireod mounted a hugetlbfs under its root');
      assert.match(ours()[0]!, /hugetlbfs \S+\/run\/hugepages-2048kB hugetlbfs \S*pagesize=2M/);
      // The backend is preallocated: every page is taken before the guest runs.
      assert.equal(free(), 2);
      await d.waitShell('huge', BOOT);
      assert.match(await d.guestRun('huge', 'grep MemTotal /proc/meminfo'), /MemTotal:\s+\d+ kB/);
    });
    await step('destroy gives the pages back and unmounts what vireod mounted', async () => {
      await d.ok('destroy', 'huge');
      assert.equal(free(), 50);
      assert.deepEqual(ours(), []);
    });
  });
});

// Here rather than in hotplug-memory.test.ts: the host's huge page reserve is global, and the
// tests of one file run one after another.
describe('a memory module from huge pages', () => {
  const d = new TestDaemon();
  const HP = '/sys/kernel/mm/hugepages/hugepages-2048kB';
  const saved = readFileSync(path.join(HP, 'nr_hugepages'), 'utf8').trim();
  const reserve = (n: number): void => writeFileSync(path.join(HP, 'nr_hugepages'), `${n}\n`);
  const free = (): number => Number(readFileSync(path.join(HP, 'free_hugepages'), 'utf8').trim());
  // 128 MiB of boot memory in a NUMA cell (64 pages of 2 MiB; with room for modules the guest
  // kernel does not boot in 96); modules up to 512 MiB in all.
  const xml = guestXml('hdimm', { cmdline: 'memhp_default_state=online_movable' })
    .replace('<vcpu>', "<maxMemory slots='2' unit='MiB'>512</maxMemory>\n  <memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>\n  <vcpu>")
    .replace('</features>', "</features>\n  <cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>");
  // A whole memory block of the guest kernel (128 MiB on x86-64): 64 pages.
  const module = "<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>\n";
  before(() => d.start());
  after(async () => {
    try {
      // vireod unmounts its hugetlbfs when the guest stops; a QEMU the harness kills after the
      // daemon has gone would leave the mount (and the root could not be removed).
      await d.vireo(['destroy', 'hdimm']);
      await d.cleanup();
    } finally {
      reserve(Number(saved));
    }
  });

  test('attach-device takes the module\'s memory from huge pages; detach-device gives it back', async (t) => {
    const step = scenario(t);
    const file = (name: string, text: string): string => {
      const f = path.join(d.root, name);
      writeFileSync(f, text);
      return f;
    };
    const memTotal = async (): Promise<number> => Number(/MemTotal:\s+(\d+) kB/.exec(await d.guestRun('hdimm', 'grep MemTotal /proc/meminfo'))?.[1]);
    let before = 0;
    await step('the guest boots from 64 huge pages', async () => {
      reserve(64 + 64 + 2);
      assert.equal(free(), 130, 'the host could not reserve 130 huge pages');
      await d.ok('define', file('hdimm.xml', xml));
      await d.ok('start', 'hdimm');
      assert.equal(free(), 66);
      await d.waitShell('hdimm', BOOT);
      before = await memTotal();
    });
    await step('attach-device --live: 64 more pages, preallocated; the guest counts 128 MiB more', async () => {
      assert.equal(await d.ok('attach-device', 'hdimm', file('dimm.xml', module), '--live'), 'Device attached successfully\n\n');
      assert.equal(free(), 2);
      await waitFor(async () => (await memTotal()) === before + 131072, SOON, 'the guest to count the module');
    });
    await step('a second module finds too few free pages: refused before QEMU is asked', async () => {
      assert.equal(await d.failing('attach-device', 'hdimm', path.join(d.root, 'dimm.xml'), '--live'),
        `error: Failed to attach device from ${path.join(d.root, 'dimm.xml')}\nerror: operation failed: not enough free huge pages of 2048 KiB for domain 'hdimm': it needs 64, the host has 2 free (reserve more in ${HP}/nr_hugepages)\n`);
    });
    await step('detach-device --live: the guest gives the module back, and the host its pages', async () => {
      assert.equal(await d.ok('detach-device', 'hdimm', path.join(d.root, 'dimm.xml'), '--live'), 'Device detached successfully\n\n');
      // QEMU frees a deleted backend's memory a moment after object-del answers (after an RCU grace period).
      await waitFor(() => free() === 66, SOON, 'the module\'s huge pages to be free again');
      assert.equal(await memTotal(), before);
    });
    await step('destroy: every page back', async () => {
      await d.ok('destroy', 'hdimm');
      assert.equal(free(), 130);
    });
  });
});
