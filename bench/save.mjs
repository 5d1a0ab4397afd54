#!/usr/bin/env node
/**
 * save / restore, side by side, for one guest with dirtied memory:
 *   (a) vireo — a private vireod in a temp root, `vireo save` / `vireo restore` as whole processes
 *               (QEMU sends its stream to a UNIX socket that vireod copies into the image; restore
 *               hands QEMU the image as an inherited descriptor);
 *   (b) virsh — libvirt 9.0 through /work/shared/tools/libvirt-ref (its private libvirtd), the same
 *               guest and memory (libvirt pipes the stream through libvirt_iohelper);
 *   (c) bare QEMU — the floor: QMP `migrate "exec:cat > FILE"` (QEMU's documented way to save to
 *               a file) and `-incoming defer` + `migrate-incoming fd:3` from the file inherited as
 *               descriptor 3, no manager and no header.
 * Before each save the guest writes --dirty MiB of random data into its tmpfs (typed into its
 * serial console), so the stream carries real pages, not zero-page markers. Prints medians and
 * MiB/s (image size / wall time).
 *
 *   node bench/save.mjs [--memory 256] [--dirty 192] [--runs 3] [--only vireo,virsh,qemu] [--json FILE]
 *
 * Uses this checkout's bin/ and dist/ (run `npx tsc -p tsconfig.json` first). Run as root.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  GUEST_DIR, REPO, Vireod, benchGuestXml, mainWrapper, median, now, onCleanup, parseArgs, qemuPids, killPids, run, sleep, table, waitFor,
} from './common.mjs';

const USAGE = `usage: node bench/save.mjs [--memory MiB] [--dirty MiB] [--runs N] [--only vireo,virsh,qemu] [--json FILE]`;
const LIBVIRT_REF = '/work/shared/tools/libvirt-ref';

/**
 * Type `cmd` into a guest shell on its serial console and wait for its end marker: `target` is a
 * UNIX socket path (libvirt, bare QEMU) or a function that opens the console stream (vireo's API).
 */
async function typeInto(target, cmd, timeoutMs = 600_000) {
  let s;
  if (typeof target === 'string') {
    s = connect(target);
    await new Promise((r, j) => s.once('connect', r).once('error', j));
  } else {
    s = await target();
  }
  let out = '';
  s.on('data', (d) => (out += d.toString('latin1')));
  try {
    s.write(`${cmd}; echo bench-$((6*7))-done\r`);
    await waitFor(() => out.includes('bench-42-done'), timeoutMs, `'${cmd}' in the guest`, 50);
  } finally {
    // A serial socket (and vireo's interactive console) serves one client at a time.
    s.destroy();
  }
}

const dirtyCmd = (mib) => `dd if=/dev/urandom of=/tmp/dirt bs=1M count=${mib} 2>/dev/null`;
const serialXml = (sock) => `<serial type='unix'><source mode='bind' path='${sock}'/><target port='0'/></serial>`;

/** One measured save + restore: times in ms and the image size. */
async function measure(name, save, restore, file) {
  const t0 = now();
  await save();
  const saveMs = now() - t0;
  const bytes = statSync(file).size;
  const t1 = now();
  await restore();
  const restoreMs = now() - t1;
  rmSync(file, { force: true });
  return { tool: name, saveMs, restoreMs, bytes };
}

async function benchVireo(o, work) {
  const d = new Vireod();
  await d.start();
  writeFileSync(path.join(work, 'v.xml'), benchGuestXml('bsave', GUEST_DIR, o.memory, "<serial type='pty'><target port='0'/></serial>"));
  const { VireoClient } = await import(path.join(REPO, 'dist/src/client/client.js'));
  const client = VireoClient.open(d.uri);
  onCleanup(() => client.close());
  const sock = () => client.attachConsole('bsave');
  await d.mustCli(['define', path.join(work, 'v.xml')]);
  await d.mustCli(['start', 'bsave']);
  await waitFor(() => typeInto(sock, 'true', 5000).then(() => true, () => false), 300_000, 'the vireo guest shell', 500);
  const file = path.join(work, 'vireo.save');
  const out = [];
  for (let i = 0; i < o.runs; i++) {
    await typeInto(sock, dirtyCmd(o.dirty));
    out.push(await measure('vireo', () => d.mustCli(['save', 'bsave', file]), () => d.mustCli(['restore', file]), file));
  }
  client.close();
  await d.cleanup();
  return out;
}

async function benchVirsh(o, work) {
  const dir = path.join(work, 'libvirt');
  const ref = (...args) => run(LIBVIRT_REF, args, { timeoutMs: 600_000 });
  const must = async (...args) => {
    const r = await ref(...args);
    if (r.code !== 0) throw new Error(`libvirt-ref ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await must('start', dir);
  onCleanup(() => ref('stop', dir));
  const sock = path.join(work, 'virsh-serial.sock');
  writeFileSync(path.join(work, 'l.xml'), benchGuestXml('bsave', GUEST_DIR, o.memory, serialXml(sock)));
  await must('virsh', dir, 'define', path.join(work, 'l.xml'));
  await must('virsh', dir, 'start', 'bsave');
  await waitFor(() => typeInto(sock, 'true', 5000).then(() => true, () => false), 300_000, 'the libvirt guest shell', 500);
  const file = path.join(work, 'virsh.save');
  const out = [];
  for (let i = 0; i < o.runs; i++) {
    await typeInto(sock, dirtyCmd(o.dirty));
    out.push(await measure('virsh', () => must('virsh', dir, 'save', 'bsave', file), () => must('virsh', dir, 'restore', file), file));
  }
  await ref('virsh', dir, 'destroy', 'bsave');
  await ref('virsh', dir, 'undefine', 'bsave');
  await ref('stop', dir);
  return out;
}

async function benchQemu(o, work) {
  const { QmpClient } = await import(path.join(REPO, 'dist/src/qemu/qmp/client.js'));
  const { openSync, closeSync } = await import('node:fs');
  const sock = path.join(work, 'qemu-serial.sock');
  const qmpSock = path.join(work, 'qmp.sock');
  const argv = (incoming) => [
    '-machine', 'q35', '-accel', 'tcg', '-m', String(o.memory), '-nodefaults', '-display', 'none', '-name', 'bench-save-qemu',
    '-kernel', path.join(GUEST_DIR, 'vmlinux'), '-initrd', path.join(GUEST_DIR, 'initrd.img'), '-append', 'console=ttyS0 panic=-1 quiet',
    '-chardev', `socket,id=s0,path=${sock},server=on,wait=off`, '-serial', 'chardev:s0',
    '-qmp', `unix:${qmpSock},server=on,wait=off`, ...(incoming ? ['-incoming', 'defer'] : []),
  ];
  const launch = async (incoming, fd) => {
    rmSync(qmpSock, { force: true });
    const p = spawn('qemu-system-x86_64', argv(incoming), { stdio: ['ignore', 'ignore', 'ignore', ...(fd === undefined ? [] : [fd])] });
    onCleanup(() => killPids([p.pid]));
    let q;
    await waitFor(async () => (q = await QmpClient.connect(qmpSock).catch(() => undefined)) !== undefined, 30_000, 'QMP', 20);
    return { p, q };
  };
  const poll = async (q) => {
    for (;;) {
      const r = await q.execute('query-migrate');
      if (r.status === 'completed') return;
      if (r.status === 'failed') throw new Error(r['error-desc']);
      await sleep(5);
    }
  };
  let { p, q } = await launch(false);
  await waitFor(() => typeInto(sock, 'true', 5000).then(() => true, () => false), 300_000, 'the bare QEMU guest shell', 500);
  const file = path.join(work, 'qemu.save');
  const out = [];
  for (let i = 0; i < o.runs; i++) {
    await typeInto(sock, dirtyCmd(o.dirty));
    out.push(await measure('qemu', async () => {
      await q.execute('stop');
      await q.execute('migrate-set-parameters', { 'max-bandwidth': Number.MAX_SAFE_INTEGER });
      await q.execute('migrate', { uri: `exec:cat > '${file}'` });
      await poll(q);
      await q.execute('quit').catch(() => undefined);
      await new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r()));
    }, async () => {
      const fd = openSync(file, 'r');
      ({ p, q } = await launch(true, fd));
      closeSync(fd);
      await q.execute('migrate-incoming', { uri: 'fd:3' });
      await poll(q);
      await q.execute('cont');
    }, file));
  }
  await q.execute('quit').catch(() => undefined);
  return out;
}

await mainWrapper(async () => {
  const o = parseArgs(process.argv.slice(2), { memory: 256, dirty: 0, runs: 3, only: 'vireo,virsh,qemu', json: '' });
  if (o.help) return void console.log(USAGE);
  if (o.dirty === 0) o.dirty = Math.floor((o.memory * 3) / 4);
  const work = mkdtempSync(path.join(tmpdir(), 'vireo-bench-save-'));
  onCleanup(() => {
    killPids(qemuPids('bench-save-qemu'));
    rmSync(work, { recursive: true, force: true });
  });
  const tools = { vireo: benchVireo, virsh: benchVirsh, qemu: benchQemu };
  const samples = [];
  for (const t of o.only.split(',')) {
    if (!(t in tools)) throw new Error(`--only: unknown tool '${t}'`);
    process.stderr.write(`${t}: ${o.runs} save/restore of a ${o.memory} MiB guest with ${o.dirty} MiB dirtied...\n`);
    samples.push(...(await tools[t](o, work)));
  }
  const mibs = (bytes, ms) => (bytes / 1048576 / (ms / 1000)).toFixed(0);
  const rows = o.only.split(',').map((t) => {
    const s = samples.filter((x) => x.tool === t);
    const save = median(s.map((x) => x.saveMs));
    const restore = median(s.map((x) => x.restoreMs));
    const bytes = median(s.map((x) => x.bytes));
    return [t, `${(bytes / 1048576).toFixed(0)} MiB`, `${save.toFixed(0)} ms`, `${mibs(bytes, save)} MiB/s`, `${restore.toFixed(0)} ms`, `${mibs(bytes, restore)} MiB/s`];
  });
  console.log(table(['tool', 'image', 'save (median)', 'save rate', 'restore (median)', 'restore rate'], rows));
  if (o.json !== '') writeFileSync(o.json, JSON.stringify(samples, null, 2));
});

