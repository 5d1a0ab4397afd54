// Statistics of a real guest, checked against what the guest and the host show: vCPU time grows
// while the guest works, disk counters grow by what the guest reads, the balloon's figures are
// the guest's own MemTotal once polling is on, a tap's counters are the host's swapped, and
// domstats reports a running, a paused and a shut-off guest in one call. Runs inside a network
// namespace (netns.ts) for the tap, which the test makes itself.
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/proc.js';
import { BOOT, guestXml, SOON, TestDaemon, waitFor } from './harness.js';
import { netnsSuite } from './netns.js';

const TAP = 'vst0';
const MAC = '52:54:00:5a:00:01';

async function sh(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** `KEY VALUE` lines (dommemstat, domblkstat, domifstat) as a map; the device column dropped. */
function fields(text: string): Map<string, number> {
  return new Map(text.trim().split('\n').map((l) => {
    const w = l.trim().split(' ');
    return [w[w.length - 2]!, Number(w[w.length - 1])];
  }));
}

const tapCounter = (name: string): number => Number(readFileSync(`/sys/class/net/${TAP}/statistics/${name}`, 'utf8'));

netnsSuite(import.meta.url, () => {
  describe('statistics of a running guest', () => {
    const d = new TestDaemon();

    before(async () => {
      await sh('ip', ['tuntap', 'add', 'dev', TAP, 'mode', 'tap']);
      await sh('ip', ['addr', 'add', '10.89.0.1/24', 'dev', TAP]);
      await sh('ip', ['link', 'set', TAP, 'up']);
      await d.start();
      const disk = path.join(d.root, 'disk.img');
      await sh('truncate', ['-s', '8M', disk]);
      // vdb: 16 MiB the guest may write, on a 1 MiB file system (in this run's own mount namespace:
      // ip netns exec gave it one, and it goes with the run).
      const small = path.join(d.root, 'small');
      mkdirSync(small);
      await sh('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'vireo-stats-small', small]);
      await sh('truncate', ['-s', '16M', path.join(small, 'full.img')]);
      const devices = `
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${small}/full.img'/><target dev='vdb' bus='virtio'/></disk>
    <interface type='ethernet'><mac address='${MAC}'/><target dev='${TAP}' managed='no'/><model type='virtio'/></interface>`;
      for (const [name, xml] of [['st', guestXml('st', { vcpus: 2, extraDevices: devices })], ['sp', guestXml('sp')], ['ss', guestXml('ss')]] as const) {
        writeFileSync(path.join(d.root, `${name}.xml`), xml);
        await d.ok('define', path.join(d.root, `${name}.xml`));
      }
      await d.ok('start', 'st');
      await d.ok('start', '--paused', 'sp');
      await d.waitShell('st', BOOT);
    });
    after(async () => {
      // Lazily: QEMU may still hold the file; the root can then be removed.
      await run('umount', ['-l', path.join(d.root, 'small')]);
      await d.cleanup();
    });

    test('vcpuinfo: each vCPU runs on a host CPU, its CPU time grows while the guest works', async () => {
      const cpuTime = async (): Promise<number> => {
        const out = await d.ok('vcpuinfo', 'st');
        assert.equal(out.match(/^VCPU:/gm)?.length, 2, out);
        assert.match(out, /^State:          running$/m);
        assert.match(out, /^CPU Affinity:   y+$/m);
        return [...out.matchAll(/^CPU time:\s+([\d.]+)s$/gm)].reduce((s, m) => s + Number(m[1]), 0);
      };
      const before = await cpuTime();
      await d.guestRun('st', 'dd if=/dev/zero of=/dev/null bs=64k count=20000');
      assert.ok((await cpuTime()) > before, 'vCPU time grew');
      assert.match(await d.ok('vcpucount', 'st'), /^maximum {6}config {9}2\nmaximum {6}live {11}2\ncurrent {6}config {9}2\ncurrent {6}live {11}2\n/);
    });

    test('domblkstat: rd_bytes grows by what the guest reads from its disk; no device sums every disk', async () => {
      const before = fields(await d.ok('domblkstat', 'st', 'vda'));
      // A line longer than the console's 80 columns (guestRun's markers included): the terminal wraps its echo.
      const read = await d.guestRun('st', 'dd if=/dev/vda of=/dev/null bs=1M count=4 && echo "four MiB read from the first disk of this guest"');
      assert.match(read, /^4\+0 records out$/m);
      assert.match(read, /^four MiB read from the first disk of this guest$/m);
      const after = fields(await d.ok('domblkstat', 'st', 'vda'));
      assert.ok(after.get('rd_bytes')! >= before.get('rd_bytes')! + 4 * 1024 * 1024, `rd_bytes ${before.get('rd_bytes')} -> ${after.get('rd_bytes')}`);
      assert.ok(after.get('rd_req')! > before.get('rd_req')!);
      // No device: every disk summed (the guest is idle on them now).
      const vdb = fields(await d.ok('domblkstat', 'st', 'vdb'));
      assert.equal(fields(await d.ok('domblkstat', 'st')).get('rd_bytes'), after.get('rd_bytes')! + vdb.get('rd_bytes')!);
      assert.equal(await d.failing('domblkstat', 'st', 'vdz'), 'error: invalid argument: invalid path: vdz\n');
    });

    test("dommemstat: the balloon size and QEMU's RSS; with --period, the guest's own figures: available is its MemTotal", async () => {
      const first = fields(await d.ok('dommemstat', 'st'));
      assert.equal(first.get('actual'), 128 * 1024);
      assert.ok(first.get('rss')! > 0);
      assert.equal(await d.ok('dommemstat', 'st', '--period', '1'), '\n');
      let stats = new Map<string, number>();
      await waitFor(async () => {
        stats = fields(await d.ok('dommemstat', 'st'));
        return stats.has('unused') && stats.has('available') && stats.get('last_update')! > 0;
      }, SOON, "the guest's balloon statistics");
      const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(await d.guestRun('st', 'cat /proc/meminfo'))?.[1]);
      assert.equal(stats.get('available'), memTotal);
      assert.ok(stats.get('unused')! < memTotal);
      assert.match(await d.ok('dumpxml', 'st'), /<memballoon model='virtio'>\n\s+<stats period='1'\/>/);
    });

    test("domifstat: the tap's counters as the guest sees them (the host's rx is the guest's tx), by name or MAC", async () => {
      // The guest's DHCP client keeps sending; the host side sends ARP for an address nobody has.
      const sock = createSocket('udp4');
      await new Promise<void>((resolve, reject) => sock.send('x', 9, '10.89.0.2', (e) => (e === null ? resolve() : reject(e))));
      sock.close();
      await waitFor(() => tapCounter('tx_packets') > 0, SOON, 'the host to send an ARP request on the tap');
      const hostRx = tapCounter('rx_packets');
      const hostTx = tapCounter('tx_packets');
      const s = fields(await d.ok('domifstat', 'st', TAP));
      assert.ok(hostTx > 0 && hostRx > 0);
      assert.ok(s.get('rx_packets')! >= hostTx && s.get('rx_packets')! <= tapCounter('tx_packets'), `guest rx ${s.get('rx_packets')} is the tap's tx ${hostTx}`);
      assert.ok(s.get('tx_packets')! >= hostRx && s.get('tx_packets')! <= tapCounter('rx_packets'), `guest tx ${s.get('tx_packets')} is the tap's rx ${hostRx}`);
      const byMac = await d.ok('domifstat', 'st', MAC);
      assert.match(byMac, new RegExp(`^${MAC} rx_bytes \\d+\\n`));
      await waitFor(async () => fields(await d.ok('domifstat', 'st', MAC)).get('tx_packets')! > s.get('tx_packets')!, SOON, 'the guest to send more');
      assert.equal(await d.failing('domifstat', 'st', 'vnet9'), "error: Failed to get interface stats st vnet9\nerror: invalid argument: 'vnet9' is not a known interface\n");
    });

    test('cpu-stats: the total grows; per host CPU only where the guest has its own cpuacct cgroup', async () => {
      const total = async (): Promise<number> => Number(/^\tcpu_time +([\d.]+) seconds$/m.exec(await d.ok('cpu-stats', 'st', '--total'))?.[1]);
      const t1 = await total();
      await d.guestRun('st', 'dd if=/dev/zero of=/dev/null bs=64k count=20000');
      assert.ok((await total()) > t1);
      const pid = (JSON.parse(readFileSync(path.join(d.root, 'run', 'domains', 'st.json'), 'utf8')) as { pid: number }).pid;
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('cpuacct'))?.split(':')[2];
      // vireod puts no guest in a cgroup of its own yet (the resource-control work will): QEMU shares
      // vireod's. Where the cgroup is not mounted (ip netns exec remounts /sys) there is none to read.
      assert.ok(cg !== undefined);
      const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '))
        .find((f) => f[f.indexOf('-') + 1] === 'cgroup' && (f[f.indexOf('-') + 3] ?? '').split(',').includes('cpuacct'))?.[4];
      const own = cg !== '/' && mount !== undefined
        && readFileSync(path.join(mount, cg, 'cgroup.procs'), 'utf8').trim().split('\n').every((p) => Number(p) === pid);
      if (!own) {
        assert.equal(await d.failing('cpu-stats', 'st'), "error: Failed to retrieve CPU statistics for domain 'st'\nerror: Requested operation is not valid: cgroup CPUACCT controller is not mounted\n");
      } else {
        assert.match(await d.ok('cpu-stats', 'st', '--start', '0', '--count', '1'), /^CPU0:\n\tcpu_time +\d+\.\d{9} seconds\n/);
      }
    });

    test('domstats: a running, a paused and a shut-off guest in one API call; filters; groups; a missing domain', async () => {
      const r = await d.api('POST', '/v1/domain-stats', { groups: ['state', 'block', 'vcpu'] });
      assert.equal(r.status, 200);
      const recs = r.json as Array<{ name: string; stats: Record<string, number | string> }>;
      const by = new Map(recs.map((x) => [x.name, x.stats]));
      assert.deepEqual([...by.keys()].sort(), ['sp', 'ss', 'st']);
      assert.deepEqual([by.get('st')!['state.state'], by.get('sp')!['state.state'], by.get('ss')!['state.state']], [1, 3, 5]);
      assert.equal(by.get('sp')!['state.reason'], 1); // paused by the user
      assert.ok(Number(by.get('st')!['block.0.rd.bytes']) >= 4 * 1024 * 1024);
      assert.equal(by.get('st')!['vcpu.current'], 2);
      assert.equal(typeof by.get('st')!['vcpu.1.time'], 'number');

      const all = await d.ok('domstats');
      for (const n of ['st', 'sp', 'ss']) assert.match(all, new RegExp(`^Domain: '${n}'$`, 'm'));
      assert.match(all, /^  balloon\.rss=\d+$/m);
      assert.match(all, /^  net\.0\.name=vst0$/m);
      assert.match(all, /^  dirtyrate\.calc_mode=page-sampling$/m);
      assert.equal(await d.ok('domstats', '--state', '--list-paused'), "Domain: 'sp'\n  state.state=3\n  state.reason=1\n\n");
      assert.equal(await d.ok('domstats', '--vcpu', 'ss'), "Domain: 'ss'\n  vcpu.current=1\n  vcpu.maximum=1\n\n");
      assert.equal(await d.failing('domstats', 'st', 'nosuch'), "error: failed to get domain 'nosuch'\n");
      assert.equal(await d.ok('domblkerror', 'st'), 'No errors found\n\n');
    });

    test('domblkerror: the disk whose host file system filled up (QEMU stops the guest on ENOSPC)', async () => {
      // In the background, a little later: the guest stops in the middle of it, and the shell must
      // have printed guestRun's end marker before.
      await d.guestRun('st', '(sleep 2; dd if=/dev/zero of=/dev/vdb bs=1M count=8; sync) >/dev/null 2>&1 & true');
      await waitFor(async () => (await d.ok('domblkerror', 'st')) === 'vdb: no space\n\n', SOON, "vdb's I/O error");
      assert.match(await d.domstate('st'), /^paused/);
    });
  });
});
