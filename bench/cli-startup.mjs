// One-shot CLI start-up: `vireo list --all` and `vireo domstate` (what scripts call in loops)
// against `node -e 0` and virsh, with where the Node CLI's time goes. See bench/README.md.
//
//   node bench/cli-startup.mjs [--runs 20] [--build head|dist|in-place] [--json FILE]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  BUILD, VIREO_BIN, VIREO_COMPILED, Vireod, binVireoRuntime, fmtMs, fmtRange, mainWrapper, median, now, onCleanup,
  parseArgs, run, table, useBuild, versionOf, which,
} from './common.mjs';

const HELP = `node bench/cli-startup.mjs [--runs N] [--build head|dist|in-place] [--json FILE]
  --runs N     samples per command (default 20, plus 2 warm-ups)
  --build      what to measure (default head: the last commit, built in a temp dir)
  --json FILE  write every sample`;

/** Time one whole process, spawn to exit, in ms. */
function timeOnce(cmd, args, env) {
  const t = now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const dt = now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return dt;
}

await mainWrapper(async () => {
  const o = parseArgs(process.argv.slice(2), { runs: 20, build: 'head', json: '' });
  if (o.help) return void console.log(HELP);
  console.log(`measuring ${await useBuild(o.build)}`);
  const d = new Vireod();
  await d.start();
  const name = 'startup1';
  const xml = path.join(d.root, 'startup1.xml');
  writeFileSync(xml, `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os></domain>\n`);
  await d.mustCli(['define', xml]);
  const env = { ...process.env, VIREO_DEFAULT_URI: d.uri };

  const contenders = [['node -e 0', process.execPath, ['-e', '0'], env]];
  const vireo = (label, bin, extraEnv) => {
    const e = { ...env, ...extraEnv };
    contenders.push([`${label} --version`, bin, ['--version'], e]);
    contenders.push([`${label} list --all`, bin, ['list', '--all'], e]);
    contenders.push([`${label} domstate ${name}`, bin, ['domstate', name], e]);
  };
  vireo('vireo (Node)', VIREO_BIN, { VIREO_CLI_RUNTIME: 'node' });
  const compiled = spawnSync(VIREO_COMPILED, ['--version']).status === 0;
  if (compiled) vireo('vireo (compiled)', VIREO_COMPILED, {});
  const picked = await binVireoRuntime();
  contenders.push([`bin/vireo list --all (runs ${picked})`, VIREO_BIN, ['list', '--all'], env]);

  const virsh = which('virsh');
  if (virsh !== undefined) {
    contenders.push(['virsh -c test:///default list --all', virsh, ['-c', 'test:///default', 'list', '--all'], env]);
    contenders.push(['virsh -c test:///default domstate test', virsh, ['-c', 'test:///default', 'domstate', 'test'], env]);
    // qemu:///system only when a libvirtd answers; the domain is defined for this run and removed after.
    if ((await run(virsh, ['-c', 'qemu:///system', 'uri'], { timeoutMs: 60_000 })).code === 0) {
      const lname = `vireo-startup-${process.pid}`;
      const lxml = path.join(d.root, 'libvirt.xml');
      writeFileSync(lxml, `<domain type='qemu'><name>${lname}</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os></domain>\n`);
      if ((await run(virsh, ['-c', 'qemu:///system', 'define', lxml])).code === 0) {
        onCleanup(() => void spawnSync(virsh, ['-c', 'qemu:///system', 'undefine', lname]));
        contenders.push(['virsh -c qemu:///system list --all', virsh, ['-c', 'qemu:///system', 'list', '--all'], env]);
        contenders.push([`virsh -c qemu:///system domstate`, virsh, ['-c', 'qemu:///system', 'domstate', lname], env]);
      }
    }
  }

  const samples = new Map(contenders.map(([label]) => [label, []]));
  for (let i = 0; i < o.runs + 2; i++) {
    // Rotate the order so that the machine's drifting load spreads over every contender.
    for (let k = 0; k < contenders.length; k++) {
      const [label, cmd, args, e] = contenders[(k + i) % contenders.length];
      const dt = timeOnce(cmd, args, e);
      if (i >= 2) samples.get(label).push(dt);
    }
  }

  // Where the Node CLI's time goes: loading its modules, in a fresh Node, without running anything.
  const load = [];
  const main = path.join(BUILD, 'dist', 'src', 'cli', 'main.js');
  const client = path.join(BUILD, 'dist', 'src', 'client', 'client.js');
  const script = `const t0 = performance.now(); await import(${JSON.stringify(main)}); const t1 = performance.now();
    await import(${JSON.stringify(client)}); await import('node:http'); const t2 = performance.now();
    console.log(JSON.stringify({ cli: t1 - t0, client: t2 - t1 }));`;
  for (let i = 0; i < o.runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    load.push(JSON.parse(r.stdout));
  }
  const node0 = median(samples.get('node -e 0'));
  const rows = contenders.map(([label]) => {
    const xs = samples.get(label);
    const diff = median(xs) - node0;
    return [label, fmtMs(median(xs)), fmtRange(xs), label === 'node -e 0' ? '' : `${diff >= 0 ? '+' : '−'}${fmtMs(Math.abs(diff))}`];
  });
  console.log(`\n${o.runs} samples each (medians; Node ${process.version}; virsh ${virsh === undefined ? 'not installed' : versionOf(virsh, ['--version'])})\n`);
  console.log(table(['command', 'median', 'min–max', 'vs node -e 0'], rows));
  console.log(`\nNode CLI, in a fresh Node: importing the CLI's modules ${fmtMs(median(load.map((x) => x.cli)))}, `
    + `then the client and node:http ${fmtMs(median(load.map((x) => x.client)))}.`);
  if (o.json !== '') writeFileSync(o.json, JSON.stringify({ samples: Object.fromEntries(samples), load }, null, 1));
});
