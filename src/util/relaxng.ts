/**
 * XML checked against one of libvirt's RelaxNG schemas with xmllint, reported as libvirt reports
 * it: "XML document failed to validate against schema: Unable to validate doc against SCHEMA",
 * then libxml2's reasons (only the part after "error : ", as libvirt shows them).
 */
import { access } from 'node:fs/promises';
import { VireoError } from '../api/errors.js';
import { run } from './proc.js';

/**
 * Throws XML_INVALID with the reasons when `xml` does not validate against `schema`.
 * `syntax: 'pass'` lets XML that does not even parse through (a later parse reports it, as
 * libvirt parses before it validates); 'report' counts parser errors among the reasons.
 */
export async function validateAgainstSchema(xml: string, schema: string, opts: { syntax: 'pass' | 'report' }): Promise<void> {
  if (!(await access(schema).then(() => true, () => false))) {
    throw VireoError.of('NO_SUPPORT', `cannot validate: the schema ${schema} is missing`, { hint: 'apt-get install libvirt0' });
  }
  let r;
  try {
    r = await run('xmllint', ['--noout', '--relaxng', schema, '-'], { input: xml, timeoutMs: 30_000 });
  } catch (e) {
    throw VireoError.of('NO_SUPPORT', 'cannot validate: xmllint is not installed', { hint: 'apt-get install libxml2-utils', cause: e });
  }
  if (r.code === 0 || (opts.syntax === 'pass' && / parser error : /.test(r.stderr))) return;
  // xmllint prints "-:5: element vcpu: Relax-NG validity error : Extra element vcpu in interleave".
  const pattern = opts.syntax === 'report' ? /(?:validity|parser) error : (.*)$/ : /validity error : (.*)$/;
  const reasons = r.stderr.split('\n')
    .map((l) => pattern.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined && l !== '');
  const detail = reasons.length > 0 ? reasons : r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.endsWith('fails to validate'));
  throw VireoError.of('XML_INVALID', [`XML document failed to validate against schema: Unable to validate doc against ${schema}`, ...detail].join('\n'));
}
