// CLI golden tests: each test/cli-golden/NAME.in is a transcript script run against its own real
// vireod (and real QEMU, TCG); the transcript it produces must equal NAME.out byte for byte after
// the placeholders below are put in. test/cli-golden/README.md describes the format.
// VIREO_GOLDEN_UPDATE=1 rewrites the .out files from what the commands print now.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, REPO, GUEST_DIR, KERNEL, INITRD, BOOT, waitFor } from './harness.js';

const GOLDEN = path.join(REPO, 'test', 'cli-golden');
const UPDATE = process.env.VIREO_GOLDEN_UPDATE === '1';
const ONLY = process.env.VIREO_GOLDEN_ONLY;

/** One step of a script: a shell snippet that runs vireo, or a directive for the runner. */
type Step = { kind: 'sh'; text: string } | { kind: 'directive'; text: string } | { kind: 'comment'; text: string };

/**
 * A step starts at a line beginning with `$ ` (a bash snippet: the line and every following line up
 * to the next step, e.g. a heredoc), `@ ` (a runner directive) or `## ` (a comment, copied as is).
 */
export function parseScript(text: string): Step[] {
  const steps: Step[] = [];
  let cur: Step | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ') || line.startsWith('@ ') || line.startsWith('##')) {
      // Consecutive comment lines are one comment.
      if (cur?.kind === 'comment' && line.startsWith('##') && !cur.text.endsWith('\n')) {
        cur.text += '\n' + line;
        continue;
      }
      if (cur !== null) steps.push(cur);
      const kind = line.startsWith('$ ') ? 'sh' : line.startsWith('@ ') ? 'directive' : 'comment';
      cur = { kind, text: line };
      continue;
    }
    if (cur === null) {
      if (line.trim() !== '') throw new Error(`golden script: text before the first step: ${line}`);
      continue;
    }
    cur.text += '\n' + line;
  }
  if (cur !== null) steps.push(cur);
  // Blank lines between steps separate them for the reader; they are not part of any snippet.
  for (const s of steps) s.text = s.text.replace(/\n+$/, '');
  return steps;
}

interface Env {
  dir: string;
  daemon: TestDaemon;
  /** The fixed VNC port of fixtures that ask for one (@VNCPORT@), free when the script starts. */
  vncPort: number;
}

/**
 * A TCP port free on every address now, picked at random in 6000-6999: a fixed one clashed when
 * two test runs shared the machine. Printed as @VNCPORT@ (display number @VNCDISPLAY@).
 */
async function freeVncPort(): Promise<number> {
  for (;;) {
    const port = 6000 + Math.floor(Math.random() * 1000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer().once('error', () => resolve(false));
      srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Put placeholders in for what differs between runs and machines (see README.md). */
function normalize(text: string, env: Env): string {
  const host = hostname();
  return text
    .split(env.dir).join('@DIR@')
    .split(env.daemon.root).join('@ROOT@')
    // A guest built elsewhere (VIREO_GUEST_DIR) reads as the default one.
    .split(GUEST_DIR).join(path.join(REPO, '.cache', 'guest'))
    .split(REPO).join('@REPO@')
    .replace(new RegExp(`(port='|"port": )${env.vncPort}\\b`, 'g'), '$1@VNCPORT@')
    .replace(new RegExp(`"display": ${env.vncPort - 5900}\\b`, 'g'), '"display": @VNCDISPLAY@')
    .replace(new RegExp(`(127\\.0\\.0\\.1|localhost|\\]):${env.vncPort - 5900}\\b`, 'g'), '$1:@VNCDISPLAY@')
    .replace(/\(Time: \d+\.\d{3} ms\)/g, '(Time: @MS@ ms)')
    .replace(/^(CPU time: +)\d+\.\ds$/gm, '$1@CPUTIME@')
    .replace(/"cpuTimeNs": [1-9]\d*/g, '"cpuTimeNs": @CPUTIME_NS@')
    .replace(/"timestamp":( ?)\d{13}/g, '"timestamp":$1@EPOCH_MS@')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000/g, '@TIMESTAMP@')
    .replace(/QEMU \d+\.\d+\.\d+/g, 'QEMU @QEMU_VERSION@')
    .replace(/\bpc-(i440fx|q35)-\d+\.\d+\b/g, 'pc-$1-@QEMU_MAJOR_MINOR@')
    .replace(/vireo[0-9a-f]{6}\.xml/g, 'vireoXXXXXX.xml')
    .replace(/\[\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d vireo \d+\]/g, '[@LOGTIME@ vireo @PID@]')
    .split('\n').map((l) => (l === host ? '@HOSTNAME@' : l)).join('\n');
}

function runSnippet(snippet: string, env: Env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', snippet.replace(/^\$ /, '')], {
      cwd: env.dir,
      env: {
        PATH: `${path.join(REPO, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: env.dir,
        XDG_STATE_HOME: path.join(env.dir, '.state'),
        LANG: 'C.UTF-8',
        TZ: 'UTC',
        VIREO_DEFAULT_URI: env.daemon.uri,
        DIR: env.dir,
        GUEST_KERNEL: KERNEL,
        GUEST_INITRD: INITRD,
        GOLDEN: GOLDEN,
        TMPDIR: env.dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), BOOT);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/** The transcript of one snippet: its text, stdout as is, stderr lines marked `2> `, a non-zero exit. */
function transcript(snippet: string, r: { code: number; stdout: string; stderr: string }, env: Env): string {
  let s = snippet + '\n' + normalize(r.stdout, env);
  if (r.stdout !== '' && !r.stdout.endsWith('\n')) s += '\n\\ no newline at end of output\n';
  if (r.stderr !== '') {
    const err = normalize(r.stderr, env);
    s += err.replace(/\n$/, '').split('\n').map((l) => `2> ${l}`.trimEnd()).join('\n') + '\n';
  }
  if (r.code !== 0) s += `[exit ${r.code}]\n`;
  return s;
}

async function directive(text: string, env: Env): Promise<void> {
  const [cmd, ...rest] = text.slice(2).split(' ');
  switch (cmd) {
    case 'wait-console': {
      // @ wait-console NAME [xN] TEXT...: until the guest's console (this run's) shows TEXT N times.
      const [name, ...words] = rest;
      const times = /^x\d+$/.test(words[0] ?? '') ? Number(words.shift()!.slice(1)) : 1;
      const want = words.join(' ');
      await waitFor(async () => {
        const log = (await env.daemon.vireo(['console-log', name!])).stdout;
        return log.split(want).length - 1 >= times;
      }, BOOT, `'${want}' ${times} time(s) on ${name}'s console`);
      return;
    }
    case 'wait-state': {
      // @ wait-state NAME STATE (REASON): until domstate --reason prints that.
      const [name, ...words] = rest;
      const want = words.join(' ');
      await waitFor(async () => (await env.daemon.domstate(name!)) === want, BOOT, `${name} to be ${want}`);
      return;
    }
    default:
      throw new Error(`unknown golden directive: ${text}`);
  }
}

/** Copy test/cli-golden/fixtures into the work dir, filling in where the test guest lives. */
function installFixtures(dir: string, vncPort: number): void {
  const src = path.join(GOLDEN, 'fixtures');
  if (!existsSync(src)) return;
  for (const f of readdirSync(src)) {
    const from = path.join(src, f);
    if (f.endsWith('.xml')) {
      writeFileSync(path.join(dir, f), readFileSync(from, 'utf8').replace(/@KERNEL@/g, KERNEL).replace(/@INITRD@/g, INITRD).replace(/@DIR@/g, dir).replace(/@VNCPORT@/g, String(vncPort)));
    } else {
      copyFileSync(from, path.join(dir, f));
    }
  }
}

const scripts = readdirSync(GOLDEN).filter((f) => f.endsWith('.in')).sort()
  .filter((f) => ONLY === undefined || ONLY.split(',').includes(f.replace(/\.in$/, '')));

// Host facts come from a fixed fake /proc and /sys, so host command output is the same everywhere.
process.env.VIREO_HOST_ROOT = path.join(GOLDEN, 'hostroot');

for (const file of scripts) {
  describe(`golden ${file}`, () => {
    const daemon = new TestDaemon();
    const dir = mkdtempSync(path.join(tmpdir(), 'vireo-golden-'));
    const env: Env = { dir, daemon, vncPort: 0 };
    before(async () => {
      mkdirSync(path.join(dir, '.state'), { recursive: true });
      env.vncPort = await freeVncPort();
      installFixtures(dir, env.vncPort);
      await daemon.start();
    });
    after(async () => {
      await daemon.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test(file.replace(/\.in$/, '.out'), async () => {
      const steps = parseScript(readFileSync(path.join(GOLDEN, file), 'utf8'));
      const outFile = path.join(GOLDEN, file.replace(/\.in$/, '.out'));
      let out = '';
      for (const step of steps) {
        if (step.kind === 'comment') out += step.text + '\n';
        else if (step.kind === 'directive') {
          await directive(step.text, env);
          out += step.text + '\n';
        } else {
          out += transcript(step.text, await runSnippet(step.text, env), env);
        }
        out += '\n';
      }
      if (UPDATE) {
        writeFileSync(outFile, out);
        return;
      }
      assert.ok(existsSync(outFile), `${outFile} is missing; run with VIREO_GOLDEN_UPDATE=1 to create it`);
      const expected = readFileSync(outFile, 'utf8');
      if (out !== expected) {
        // Name the first step that differs: the whole-file diff of a long transcript is hard to read.
        const a = out.split('\n\n$ ');
        const b = expected.split('\n\n$ ');
        const i = a.findIndex((blk, k) => blk !== b[k]);
        assert.equal(`$ ${a[i] ?? ''}`, `$ ${b[i] ?? ''}`, `${file}: transcript differs from ${path.basename(outFile)} (first difference shown)`);
      }
      assert.equal(out, expected);
    });
  });
}
