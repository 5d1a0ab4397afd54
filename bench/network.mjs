#!/usr/bin/env node
/**
 * Virtual networks, side by side: the same NAT network XML and the same guest XML (the tiny test
 * guest with one virtio NIC on that network) through
 *   (a) vireo   — a private vireod (temp --root) inside a network namespace, driven by bin/vireo,
 *   (b) libvirt — a private libvirtd 9.0 inside another namespace set up the same way
 *                 (/work/shared/tools/libvirt-ref), driven by virsh.
 * Measured: net-define, net-start, net-destroy, net-undefine as whole commands, and the time from
 * `start` of the guest to its first DHCP lease (the guest prints it on its serial console, which
 * is a file for both managers). The namespaces are made here and removed at the end, with every
 * process in them; no packet leaves them (the "uplink" is a veth pair with both ends inside).
 *
 *   node bench/network.mjs [--runs 5] [--warmup 1] [--json FILE] [--only vireo,libvirt] [--build head]
 *
 * See bench/README.md ("Networks") for what each figure means.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bridgeMonitor, makeNetns, sniffer } from './netns.mjs';
import {
  GUEST_DIR, READY_LINE, Vireod, benchGuestXml, binVireoRuntime, cmdline, fmtMs, fmtRange, mainWrapper, median, must, now, onCleanup,
  parseArgs, run, table, useBuild, versionOf, waitFor, which,
} from './common.mjs';

const USAGE = `usage: node bench/network.mjs [options]   (as root)
  --runs N            measured runs per manager (default 5)
  --warmup N          unmeasured runs first (default 1)
  --memory MiB        guest memory (default 128)
  --subnet A.B.C      the network's /24 (default 192.168.150)
  --stp on|off        on (default): no <bridge> element in the network XML, so both managers
                      apply libvirt's defaults (STP on, delay 0); off: <bridge stp='off' delay='0'/>
  --only LIST         comma-separated subset of vireo,libvirt (default both)
  --libvirt-ref PATH  the private-libvirtd script (default /work/shared/tools/libvirt-ref)
  --build WHAT        head (default): build the last commit in a temp dir and measure that;
                      dist: a copy of the working tree's bin/ and dist/; in-place: the repo itself
  --json FILE         also write every sample as JSON
`;
const opts = parseArgs(process.argv.slice(2), {
  runs: 5, warmup: 1, memory: 128, subnet: '192.168.150', stp: 'on', only: 'vireo,libvirt', 'libvirt-ref': '/work/shared/tools/libvirt-ref', build: 'head', json: '',
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!['head', 'dist', 'in-place'].includes(opts.build)) throw new Error('--build: head, dist or in-place');
if (!['on', 'off'].includes(opts.stp)) throw new Error('--stp: on or off');
if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(opts.subnet)) throw new Error(`--subnet: three octets, e.g. 192.168.150 (got '${opts.subnet}')`);
const ONLY = new Set(opts.only.split(','));
const TAG = `vbnet${process.pid}`;
const NET = 'vbnet';
const BOOT_TIMEOUT = 120_000;

/** Figures of one run, in the order it takes them; the guest ones count from `start` spawned. */
const OPS = [
  ['netdefine', 'net-define'],
  ['netstart', 'net-start'],
  ['start', 'start (CLI returns)'],
  ['listening', 'start → tap port listening (bridge)'],
  ['forwarding', 'start → tap port forwarding'],
  ['ready', 'start → guest ready'],
  ['nic', 'start → guest sees its NIC'],
  ['sent', "start → guest's first DISCOVER (on its tap)"],
  ['discover', 'start → first DISCOVER through the bridge'],
  ['ping', "start → dnsmasq's ping (ARP for the address)"],
  ['offer', 'start → OFFER'],
  ['ack', 'start → ACK'],
  ['lease', 'start → lease on the console'],
  ['listed', 'start → lease in net-dhcp-leases'],
  ['leasescmd', 'net-dhcp-leases'],
  ['destroy', 'destroy (guest)'],
  ['netdestroy', 'net-destroy'],
  ['netundefine', 'net-undefine'],
];

const netXml = `<network>
  <name>${NET}</name>
  <forward mode='nat'/>${opts.stp === 'off' ? "\n  <bridge stp='off' delay='0'/>" : ''}
  <ip address='${opts.subnet}.1' netmask='255.255.255.0'>
    <dhcp><range start='${opts.subnet}.2' end='${opts.subnet}.254'/></dhcp>
  </ip>
</network>
`;

/** A new MAC every run: each run measures a client dnsmasq has never seen (a first lease). */
const macOf = (i) => `52:54:00:be:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

function guestXml(name, dir, serial, mac) {
  return benchGuestXml(name, dir, opts.memory, `<serial type='file'><source path='${serial}'/><target port='0'/></serial>
    <interface type='network'><mac address='${mac}'/><source network='${NET}'/><model type='virtio'/></interface>`);
}

// ---------------------------------------------------------------------------------------------
// Contenders

async function vireoTool(work) {
  const ns = `${TAG}-v`;
  await makeNetns(ns);
  const root = path.join(work, 'vireo-root');
  mkdirSync(root);
  const d = new Vireod(root, { netns: ns });
  await d.start();
  return { key: 'vireo', label: 'vireo (bin/vireo against vireod in a netns)', ns, cli: (args) => d.cli(args), monitor: bridgeMonitor(ns), daemon: d };
}

async function libvirtTool(work) {
  const ref = opts['libvirt-ref'];
  if (!existsSync(ref)) return `${ref} missing`;
  for (const b of ['libvirtd', 'virsh', 'dnsmasq']) {
    if (which(b) === undefined && !existsSync(`/usr/sbin/${b}`)) return `${b} not installed (apt-get install -y libvirt-daemon-system libvirt-clients dnsmasq-base)`;
  }
  const ns = `${TAG}-l`;
  await makeNetns(ns);
  const dir = path.join(work, 'libvirt');
  mkdirSync(dir);
  onCleanup(async () => {
    const r = await run(ref, ['stop', dir], { timeoutMs: 60_000 });
    if (r.code !== 0) process.stderr.write(`cleanup: libvirt-ref stop: ${r.stderr.trim()}\n`);
  });
  const r = await run(ref, ['start', dir, ns], { timeoutMs: 120_000 });
  if (r.code !== 0) return `libvirt-ref start: ${(r.stderr || r.stdout).trim()}`;
  const uri = r.stdout.trim().split('\n').pop();
  const virsh = which('virsh') ?? '/usr/bin/virsh';
  const cli = (args) => run(virsh, ['-c', uri, ...args]);
  const version = (await cli(['version'])).stdout.match(/Using library: (.*)/)?.[1];
  return { key: 'libvirt', label: `virsh against a private libvirtd in a netns (${version ?? '?'})`, ns, cli, monitor: bridgeMonitor(ns) };
}

/** Undo what a run left (guest, network); every step may fail because it never happened. */
async function tidy(t, guest) {
  if (guest !== undefined) {
    await t.cli(['destroy', guest]);
    await t.cli(['undefine', guest]);
  }
  await t.cli(['net-destroy', NET]);
  await t.cli(['net-undefine', NET]);
}

// ---------------------------------------------------------------------------------------------
// How each manager set the network up: STP and forward delay of its bridge, and its dnsmasq
// configuration (read through /proc/PID/root: libvirt's lives in its daemon's mount namespace).

async function networkConfig(t) {
  const link = JSON.parse((await must('ip', ['-d', '-j', '-n', t.ns, 'link', 'show', 'dev', 'virbr0'])).stdout)[0];
  const info = link?.linkinfo?.info_data ?? {};
  let conf = [];
  let cmd = [];
  for (const pid of (await run('ip', ['netns', 'pids', t.ns])).stdout.split('\n').filter((p) => p !== '')) {
    const argv = cmdline(pid);
    if (argv === undefined || path.basename(argv[0] ?? '') !== 'dnsmasq') continue;
    const file = argv.find((a) => a.startsWith('--conf-file='))?.slice('--conf-file='.length);
    if (file === undefined) continue;
    cmd = argv.slice(1).filter((a) => !a.startsWith('--conf-file='));
    try {
      conf = readFileSync(`/proc/${pid}/root${file}`, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      break;
    } catch {
      // that process is gone (dnsmasq's parent exits once the daemon runs): try the next one
    }
  }
  return { stp: info.stp_state, forwardDelayS: info.forward_delay === undefined ? undefined : info.forward_delay / 100, dnsmasqConf: conf, dnsmasqArgs: cmd };
}

// ---------------------------------------------------------------------------------------------
// One run through a manager

async function managerRun(t, work, i, rec) {
  const name = `${TAG}-${i}`;
  const mac = macOf(i);
  const serial = path.join(work, `${t.key}-${i}.serial`);
  const xml = path.join(work, `${t.key}-${i}.xml`);
  const nxml = path.join(work, `${t.key}-net.xml`);
  writeFileSync(nxml, netXml);
  writeFileSync(xml, guestXml(name, work, serial, mac));
  const cmd = async (args, op) => {
    const r = await t.cli(args);
    if (r.code !== 0) throw new Error(`${t.key} ${args.join(' ')} -> exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    if (op !== undefined) rec[op] = r.ms;
    return r;
  };
  let guest;
  let sn;
  try {
    await cmd(['net-define', nxml], 'netdefine');
    await cmd(['net-start', NET], 'netstart');
    t.config ??= await networkConfig(t);
    await cmd(['define', xml]);
    guest = name;

    sn = await sniffer(t.ns, 'virbr0', mac, opts.subnet);
    const live = t.monitor.live;
    const t0 = now();
    t.monitor.reset(t0);
    if (sn !== undefined) sn.since = t0;
    await cmd(['start', name], 'start');
    // Whole lines only: the serial port writes the file a few bytes at a time.
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const lines = [
      ['nic', new RegExp(`vireo-guest: eth0 added ${mac}\r?\n`)],
      ['ready', new RegExp(`${esc(READY_LINE)}\r?\n`)],
      ['nolease', /vireo-guest: eth0 no lease\r?\n/],
      ['lease', new RegExp(`vireo-guest: eth0 ${mac} (\\S+) via \\S+\r?\n`)],
    ];
    let text = '';
    await waitFor(() => {
      try {
        text = readFileSync(serial, 'latin1');
      } catch {
        return false;
      }
      const at = now() - t0;
      for (const [k, re] of lines) if (rec[k] === undefined && re.test(text)) rec[k] = at;
      return rec.lease !== undefined;
    }, BOOT_TIMEOUT, `${t.key}: the guest's lease line in ${serial}`);
    const ip = lines[3][1].exec(text)?.[1];
    // The manager's own view: net-dhcp-leases lists the MAC (libvirt's lease helper runs
    // asynchronously, so it may take a few more polls).
    for (;;) {
      const r = await cmd(['net-dhcp-leases', NET]);
      rec.leasescmd ??= r.ms;
      if (r.stdout.includes(mac)) break;
      if (now() - t0 > BOOT_TIMEOUT) throw new Error(`${t.key}: net-dhcp-leases never listed ${mac}`);
    }
    rec.listed = now() - t0;
    if (live) {
      for (const s of ['listening', 'forwarding']) if (t.monitor.states[s] !== undefined) rec[s] = t.monitor.states[s];
    }
    if (sn !== undefined) {
      await sn.stop();
      Object.assign(rec, sn.at);
      if (sn.held !== undefined) rec.held = sn.held;
    }
    rec.address = ip;
    rec.secondRound = rec.nolease !== undefined && rec.nolease < rec.lease;

    await cmd(['destroy', name], 'destroy');
    await cmd(['undefine', name]);
    guest = undefined;
    await cmd(['net-destroy', NET], 'netdestroy');
    await cmd(['net-undefine', NET], 'netundefine');
    // net-destroy removed the bridge and its dnsmasq.
    if ((await run('ip', ['-n', t.ns, 'link', 'show', 'dev', 'virbr0'])).code === 0) throw new Error(`${t.key}: virbr0 still there after net-destroy`);
  } catch (e) {
    await tidy(t, guest);
    throw e;
  } finally {
    await sn?.stop();
    rmSync(serial, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root: it creates network namespaces');
  for (const f of ['vmlinux', 'initrd.img']) {
    if (!existsSync(path.join(GUEST_DIR, f))) throw new Error(`${GUEST_DIR}/${f} missing: run scripts/build-guest.sh first`);
  }
  const started = new Date();
  const work = mkdtempSync(path.join(tmpdir(), 'vireo-bench-net-'));
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  // dnsmasq (vireo's runs as nobody) reads its files under here.
  chmodSync(work, 0o755);
  for (const f of ['vmlinux', 'initrd.img']) copyFileSync(path.join(GUEST_DIR, f), path.join(work, f));

  const build = ONLY.has('vireo') ? await useBuild(opts.build) : 'n/a';
  const tools = [];
  if (ONLY.has('vireo')) tools.push(await vireoTool(work));
  if (ONLY.has('libvirt')) {
    const l = await libvirtTool(work);
    if (typeof l === 'string') console.log(`libvirt: not available (${l})`);
    else tools.push(l);
  }
  if (tools.length === 0) throw new Error('nothing to measure');
  const binRuntime = ONLY.has('vireo') ? await binVireoRuntime() : 'n/a';

  console.log(`vireo: ${build}${binRuntime === 'n/a' ? '' : `; bin/vireo runs the ${binRuntime} CLI`}`);
  console.log(`network bench: ${opts.runs} runs (+${opts.warmup} warm-up), NAT network ${opts.subnet}.0/24 (STP ${opts.stp}), ${opts.memory} MiB TCG guest, one virtio NIC, serial to file`);
  for (const t of tools) console.log(`${t.key}: ${t.label}, namespace ${t.ns}`);

  const samples = Object.fromEntries(tools.map((t) => [t.key, {}]));
  const extra = Object.fromEntries(tools.map((t) => [t.key, []]));
  const loads = [];
  const failures = [];
  const total = opts.warmup + opts.runs;
  for (let i = 0; i < total; i++) {
    const warm = i < opts.warmup;
    loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
    const order = tools.map((_, k) => tools[(k + i) % tools.length]);
    for (const t of order) {
      const label = `${warm ? 'warm-up' : `run ${i - opts.warmup + 1}/${opts.runs}`} ${t.key}`;
      process.stderr.write(`${label} ... `);
      const rec = {};
      try {
        await managerRun(t, work, i, rec);
        process.stderr.write(`lease after ${fmtMs(rec.lease)}${rec.secondRound ? ' (second DHCP round)' : ''}\n`);
      } catch (e) {
        process.stderr.write(`FAILED\n  ${e.message}\n`);
        failures.push(`${label}: ${e.message}`);
      }
      if (warm) continue;
      const { address, secondRound, nolease, held, ...figures } = rec;
      extra[t.key].push({ run: i - opts.warmup + 1, address, secondRound, nolease, held });
      for (const [k, v] of Object.entries(figures)) (samples[t.key][k] ??= []).push(v);
    }
  }
  loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));

  report({ started, tools, samples, extra, failures, loads });
  if (opts.json) {
    const config = Object.fromEntries(tools.map((t) => [t.key, t.config]));
    writeFileSync(opts.json, JSON.stringify({ date: started.toISOString(), build, binRuntime, opts, netXml, loadavg: loads, config, samples, extra, failures }, null, 2) + '\n');
    console.log(`\nraw samples written to ${opts.json}`);
  }
}

function report({ started, tools, samples, extra, failures, loads }) {
  const keys = tools.map((t) => t.key);
  const both = keys.length === 2;
  const med = (k, op) => median(samples[k]?.[op] ?? []);
  console.log(`\n== Networks, whole commands and guest start → lease, median of ${opts.runs} (${started.toISOString().slice(0, 10)}) ==`);
  const header = ['operation', ...keys, ...(both ? ['vireo/libvirt'] : []), ...keys.map((k) => `${k} min–max`)];
  const rows = OPS.map(([op, label]) => [
    label,
    ...keys.map((k) => fmtMs(med(k, op))),
    ...(both ? [Number.isFinite(med('vireo', op) / med('libvirt', op)) ? `${(med('vireo', op) / med('libvirt', op)).toFixed(2)}×` : '—'] : []),
    ...keys.map((k) => fmtRange(samples[k]?.[op] ?? [])),
  ]);
  console.log(table(header, rows));
  for (const k of keys) {
    const held = extra[k].map((e) => e.held ?? '?');
    console.log(`${k}: DISCOVERs the bridge dropped before one got through, per run: ${held.join(', ')}`);
  }
  for (const k of keys) {
    const second = extra[k].filter((e) => e.secondRound).map((e) => e.run);
    if (second.length > 0) console.log(`${k}: the guest's first 3 DHCP discovers went unanswered in run(s) ${second.join(', ')} (lease in the second round)`);
  }

  console.log('\n== How each manager set the network up ==');
  for (const t of tools) {
    const c = t.config;
    if (c === undefined) continue;
    const noPing = c.dnsmasqConf.includes('no-ping') || c.dnsmasqArgs.includes('--no-ping');
    console.log(`${t.key}: bridge stp_state ${c.stp}, forward_delay ${c.forwardDelayS} s; dnsmasq ${noPing ? 'with' : 'without'} no-ping; extra dnsmasq args: ${c.dnsmasqArgs.join(' ') || 'none'}`);
  }
  if (both && tools.every((t) => t.config !== undefined)) {
    // Paths differ by design; compare the options themselves.
    const norm = (l) => l.replace(/=\/\S*/, '=<path>');
    const [a, b] = tools.map((t) => new Set(t.config.dnsmasqConf.map(norm)));
    const onlyA = [...a].filter((l) => !b.has(l));
    const onlyB = [...b].filter((l) => !a.has(l));
    console.log(`dnsmasq options only in ${keys[0]}'s: ${onlyA.join(', ') || 'none'}`);
    console.log(`dnsmasq options only in ${keys[1]}'s: ${onlyB.join(', ') || 'none'}`);
  }

  if (failures.length > 0) {
    console.log(`\n== Failures (${failures.length}) ==`);
    for (const f of failures) console.log(`- ${f}`);
  }
  const qemuV = versionOf(which('qemu-system-x86_64') ?? 'qemu-system-x86_64', ['--version']);
  const dnsmasqV = versionOf(which('dnsmasq') ?? '/usr/sbin/dnsmasq', ['--version']);
  console.log(`\nnode ${process.version}; ${qemuV ?? 'qemu ?'}; ${dnsmasqV ?? 'dnsmasq ?'}; load average before each run: ${loads.join(' | ')}; the machine is shared: figures are noisy`);
}

void mainWrapper(main);
