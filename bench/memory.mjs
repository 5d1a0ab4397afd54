#!/usr/bin/env node
/**
 * vireod's resident memory (VmRSS from /proc/PID/status): idle, and with N running guests.
 *
 *   node bench/memory.mjs [--guests 20] [--memory 96] [--serial pty|file] [--settle 5] [--wait-ready] [--build head] [--json FILE]
 *
 * A private vireod in a temp root; N tiny TCG guests (domain type 'qemu') are defined and started
 * one after the other through the real vireo CLI. The figure is taken once `list` shows all of
 * them running: the guests are booting, not booted (N TCG guests on 2 cores take minutes to reach
 * userspace; --wait-ready waits for that too). Then every guest is destroyed.
 * Everything the script started is stopped on exit, failure or Ctrl-C.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GUEST_DIR, READY_LINE, benchGuestXml, Vireod, useBuild, fileHas, fmtMs, mainWrapper, median, now, parseArgs, qemuPids, run, sleep, statusKiB, table, vireoAvailable, waitFor,
} from './common.mjs';

const opts = parseArgs(process.argv.slice(2), { guests: 20, memory: 96, serial: 'pty', settle: 5, 'wait-ready': false, build: 'head', json: '' });
if (opts.help) {
  process.stdout.write(`usage: node bench/memory.mjs [--guests 20] [--memory 96] [--serial pty|file] [--settle 5] [--wait-ready] [--build head] [--json FILE]
  --guests N     guests to run at once (default 20)
  --memory MiB   memory per guest (default 96: the test guest's 66 MB vmlinux does not boot in 64)
  --serial KIND  pty: vireod owns each serial console (its ring buffer is part of the figure; default)
                 file: QEMU writes the serial console to a file, vireod holds no console stream
  --settle S     seconds to sample RSS after all guests run, and to let the idle daemon settle (default 5)
  --wait-ready   also wait (up to 15 min) until every guest printed its ready line, and measure again
  --build WHAT   head (default): build the last commit in a temp dir; dist: a copy of the working
                 tree's bin/ and dist/; in-place: the repo itself
  --json FILE    also write the figures as JSON
`);
  process.exit(0);
}
if (!['pty', 'file'].includes(opts.serial)) throw new Error('--serial: pty or file');
if (!['head', 'dist', 'in-place'].includes(opts.build)) throw new Error('--build: head, dist or in-place');

const TAG = `vmem${process.pid}`;
const MiB = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

function guestXml(name, dir) {
  const serial = opts.serial === 'pty'
    ? `<serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>`
    : `<serial type='file'><source path='${dir}/${name}.serial'/><target port='0'/></serial>`;
  return benchGuestXml(name, dir, opts.memory, serial);
}

/** Sample vireod's VmRSS every 250 ms for `seconds`; returns the last and the largest. */
async function sampleRss(pid, seconds) {
  let max = 0;
  let last;
  const end = now() + seconds * 1000;
  do {
    last = statusKiB(pid, 'VmRSS');
    max = Math.max(max, last);
    await sleep(250);
  } while (now() < end);
  return { last, max };
}

async function main() {
  if (!vireoAvailable()) throw new Error('bin/vireo or bin/vireod missing (build with npx tsc -p .)');
  const build = await useBuild(opts.build);
  console.log(`vireo: ${build}`);
  const d = new Vireod();
  await d.start();
  const dir = path.join(d.root, 'guest');
  mkdirSync(dir, { recursive: true });
  for (const f of ['vmlinux', 'initrd.img']) {
    if (!existsSync(path.join(GUEST_DIR, f))) throw new Error(`${GUEST_DIR}/${f} missing: run scripts/build-guest.sh first`);
    copyFileSync(path.join(GUEST_DIR, f), path.join(dir, f));
  }
  const names = Array.from({ length: opts.guests }, (_, i) => `${TAG}-${String(i + 1).padStart(2, '0')}`);
  const pid = d.pid;
  const fig = {};
  const notes = [];

  // Idle: just started and answered one request (`vireo uri` during start-up), then left alone.
  await sleep(opts.settle * 1000);
  fig.idle = statusKiB(pid, 'VmRSS');
  await d.mustCli(['list', '--all']);
  fig.idleAfterList = statusKiB(pid, 'VmRSS');

  for (const n of names) {
    writeFileSync(path.join(dir, `${n}.xml`), guestXml(n, dir));
    await d.mustCli(['define', path.join(dir, `${n}.xml`)]);
  }
  fig.defined = statusKiB(pid, 'VmRSS');

  const t0 = now();
  fig.startMs = [];
  for (const n of names) fig.startMs.push((await d.mustCli(['start', n])).ms);
  fig.startAllMs = now() - t0;
  await waitFor(
    async () => {
      const r = await d.mustCli(['list']);
      return names.every((n) => new RegExp(`\\s${n}\\s+running\\s*$`, 'm').test(r.stdout));
    },
    120_000,
    `all ${opts.guests} guests to be running`,
    200,
  );
  fig.allRunningMs = now() - t0;
  fig.running = statusKiB(pid, 'VmRSS');
  const during = await sampleRss(pid, opts.settle);
  fig.runningLast = during.last;
  fig.runningMax = during.max;
  fig.runningHWM = statusKiB(pid, 'VmHWM');
  // How slow is any new process while the guests hold both cores? (explains the start figures)
  const loaded = async (fn) => {
    const xs = [];
    for (let k = 0; k < 3; k++) xs.push((await fn()).ms);
    return median(xs);
  };
  fig.nodeUnderLoadMs = await loaded(() => run(process.execPath, ['-e', '0']));
  fig.domstateUnderLoadMs = await loaded(() => d.mustCli(['domstate', names[0]]));
  const qemu = qemuPids(d.root);
  fig.qemuCount = qemu.length;
  fig.qemuRssTotal = qemu.reduce((sum, p) => {
    try {
      return sum + statusKiB(p, 'VmRSS');
    } catch {
      return sum;
    }
  }, 0);
  const booted = async () => {
    if (opts.serial === 'file') return names.filter((n) => fileHas(path.join(dir, `${n}.serial`), READY_LINE)).length;
    let count = 0;
    for (const n of names) if ((await d.cli(['console-log', n])).stdout.includes(READY_LINE)) count++;
    return count;
  };
  fig.booted = await booted();
  if (opts['wait-ready']) {
    await waitFor(async () => (await booted()) === names.length, 15 * 60_000, `all ${opts.guests} guests to print '${READY_LINE}'`, 5000);
    fig.allReadyMs = now() - t0;
    fig.ready = statusKiB(pid, 'VmRSS');
    fig.readyHWM = statusKiB(pid, 'VmHWM');
  }

  const t1 = now();
  for (const n of names) await d.mustCli(['destroy', n]);
  fig.destroyAllMs = now() - t1;
  await sleep(1000);
  fig.afterDestroy = statusKiB(pid, 'VmRSS');
  for (const n of names) {
    const r = await d.cli(['undefine', n]);
    if (r.code !== 0) {
      notes.push(`undefine ${n}: ${r.stderr.trim().split('\n').pop()}`);
      break; // one failure is enough to report
    }
  }

  const date = new Date().toISOString();
  console.log(`vireod memory, ${opts.guests} guests × ${opts.memory} MiB (TCG), serial ${opts.serial} (${date.slice(0, 10)})`);
  const rows = [
    ['idle (started, 1 request, settled)', MiB(fig.idle), ''],
    ['idle after one `list --all`', MiB(fig.idleAfterList), `+${MiB(fig.idleAfterList - fig.idle)}`],
    [`${opts.guests} defined, none running`, MiB(fig.defined), `+${MiB(fig.defined - fig.idle)}`],
    [`${opts.guests} running (when list first shows all)`, MiB(fig.running), `+${MiB(fig.running - fig.idle)}`],
    [`${opts.guests} running, ${opts.settle} s later`, MiB(fig.runningLast), `+${MiB(fig.runningLast - fig.idle)}`],
    [`${opts.guests} running, largest sample`, MiB(fig.runningMax), `+${MiB(fig.runningMax - fig.idle)}`],
    ['peak so far (VmHWM)', MiB(fig.runningHWM), ''],
    ...(fig.ready === undefined ? [] : [
      [`${opts.guests} booted (all printed the ready line)`, MiB(fig.ready), `+${MiB(fig.ready - fig.idle)}`],
      ['peak so far (VmHWM)', MiB(fig.readyHWM), ''],
    ]),
    ['all destroyed, 1 s later', MiB(fig.afterDestroy), `+${MiB(fig.afterDestroy - fig.idle)}`],
  ];
  console.log(table(['vireod state', 'VmRSS', 'vs idle'], rows));
  console.log(`\nper running guest: ${((fig.runningLast - fig.defined) / opts.guests).toFixed(0)} KiB in vireod (running after the settle time, minus defined)`);
  const st = fig.startMs;
  console.log(`vireo start, one by one: first ${fmtMs(st[0])}, median ${fmtMs(median(st))}, last ${fmtMs(st.at(-1))} (later ones compete with the guests already booting)`);
  console.log(`with all ${opts.guests} running: \`node -e 0\` takes ${fmtMs(fig.nodeUnderLoadMs)}, \`vireo domstate\` ${fmtMs(fig.domstateUnderLoadMs)} (medians of 3)`);
  console.log(`started ${opts.guests} guests one by one in ${fmtMs(fig.startAllMs)}; all running after ${fmtMs(fig.allRunningMs)}; destroyed in ${fmtMs(fig.destroyAllMs)}`);
  console.log(`the ${fig.qemuCount} QEMU processes held ${MiB(fig.qemuRssTotal)} together; ${fig.booted}/${opts.guests} guests had reached '${READY_LINE}' when measured${fig.allReadyMs === undefined ? ' (not awaited)' : `; all had after ${fmtMs(fig.allReadyMs)}`}`);
  for (const n of notes) console.log(`note: ${n}`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ date, build, opts, figuresKiB: fig, notes }, null, 2) + '\n');
}

void mainWrapper(main);
