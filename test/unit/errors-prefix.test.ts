// Message prefixes come from one table (MESSAGE_PREFIXES): VireoError.of applies it, docs/errors.md
// lists it, and the layers converted to it (conf, qemu, host, util) spell no prefix by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, MESSAGE_PREFIXES, VireoError, type ErrorCode } from '../../src/api/errors.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('VireoError.of puts the code\'s prefix before the detail; the plain constructor keeps the message as given', () => {
  assert.equal(VireoError.of('INVALID_ARG', 'CPU 9 does not exist on this host').message, 'invalid argument: CPU 9 does not exist on this host');
  assert.equal(VireoError.of('OPERATION_INVALID', 'domain is not running').message, 'Requested operation is not valid: domain is not running');
  assert.equal(VireoError.of('XML_INVALID', 'missing <name>').message, 'missing <name>');
  const cause = new Error('low level');
  const e = VireoError.of('CONFIG_UNSUPPORTED', 'Host SMBIOS information is not available', { hint: 'h', cause });
  assert.deepEqual(e.toJSON(), { code: 'CONFIG_UNSUPPORTED', message: 'unsupported configuration: Host SMBIOS information is not available', hint: 'h' });
  assert.equal(e.cause, cause);
  assert.equal(new VireoError('INVALID_ARG', 'as given').message, 'as given');
});

test('every code has a prefix entry, and docs/errors.md lists the table as it is', () => {
  const doc = readFileSync(path.join(repo, 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const p = MESSAGE_PREFIXES[code];
    assert.equal(typeof p, 'string', code);
    assert.ok(doc.includes(`| \`${code}\` | ${p === '' ? '(none)' : `\`${p}\``} |`), `docs/errors.md lists no prefix row for ${code}`);
  }
});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/** Messages kept word for word although their wording does not follow their code's prefix. */
const VERBATIM: Record<string, number> = {
  'src/qemu/process.ts': 1, // libvirt's "internal error: process exited while connecting to monitor"
};

test('conf, qemu, host and util build their errors with VireoError.of and never spell a prefix', () => {
  const prefixes = [...new Set(Object.values(MESSAGE_PREFIXES).filter((p) => p !== ''))];
  for (const layer of ['conf', 'qemu', 'host', 'util']) {
    for (const file of sources(path.join(repo, 'src', layer))) {
      const rel = path.relative(repo, file);
      const text = readFileSync(file, 'utf8');
      const plain = text.match(/new VireoError\(/g)?.length ?? 0;
      assert.equal(plain, VERBATIM[rel] ?? 0, `${rel}: build errors with VireoError.of(code, detail)`);
      for (const m of text.matchAll(/VireoError\.of\(\s*'[A-Z_]+',\s*['"`]([^'"`]*)/g)) {
        const spelled = prefixes.find((p) => m[1]!.startsWith(p));
        assert.equal(spelled, undefined, `${rel}: '${m[1]!.slice(0, 40)}' spells the prefix '${spelled}' by hand`);
      }
    }
  }
});
