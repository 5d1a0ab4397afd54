// A socket this user may not use (issue 7, defect 12): both the compiled CLI (Bun's fetch) and
// the Node CLI say "Permission denied", not "Connection refused", with a hint that fits.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, runCli } from './harness.js';

describe('a permission-denied socket', () => {
  const d = new TestDaemon();
  const home = mkdtempSync(path.join(tmpdir(), 'vireo-nobody-'));
  before(async () => {
    await d.start();
    chmodSync(home, 0o777);
  });
  after(async () => {
    rmSync(home, { recursive: true, force: true });
    await d.cleanup();
  });

  const asNobody = (runtime: 'compiled' | 'node'): ReturnType<typeof runCli> =>
    runCli(['-c', d.uri, 'list'], { env: { ...process.env, HOME: home, VIREO_DEFAULT_URI: '', ...(runtime === 'node' ? { VIREO_CLI_RUNTIME: 'node' } : {}) }, asNobody: true });

  for (const runtime of ['compiled', 'node'] as const) {
    test(`${runtime}: a 0600 root-owned socket is "Permission denied", naming its mode and owner`, async () => {
      chmodSync(d.root, 0o755); // let nobody reach the socket itself
      try {
        const r = await asNobody(runtime);
        assert.deepEqual(r, {
          code: 1,
          stdout: '\n', // virsh's blank line after every command, failed ones too
          stderr: 'error: failed to connect to the hypervisor\n'
            + `error: Failed to connect socket to '${d.socket}': Permission denied\n`
            + "hint: the socket is mode 0600, owned by root:root; ask to be put in the socket's group (vireod --socket-group, --socket-mode 0660), or connect read-only with -r\n",
        });
      } finally {
        chmodSync(d.root, 0o700);
      }
    });

    test(`${runtime}: a socket behind a closed directory is "Permission denied" too`, async () => {
      const r = await asNobody(runtime);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'error: failed to connect to the hypervisor\n'
        + `error: Failed to connect socket to '${d.socket}': Permission denied\n`
        + `hint: this user may not reach ${d.socket}; ask to be put in the socket's group (vireod --socket-group, --socket-mode 0660), or connect read-only with -r\n`);
    });
  }
});
