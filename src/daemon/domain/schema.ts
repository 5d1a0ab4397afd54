/**
 * `define --validate`: check domain XML against libvirt's own RelaxNG schema with xmllint, and
 * report it the way libvirt does ("XML document failed to validate against schema: Unable to
 * validate doc against ..." followed by libxml2's reasons).
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../../api/errors.js';
import { run } from '../../util/proc.js';

export const DOMAIN_SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

/** Validate `xml` against domain.rng; throws XML_INVALID with libxml2's reasons when it does not. */
export async function validateDomainXml(xml: string, schema = DOMAIN_SCHEMA): Promise<void> {
  if (!(await fs.access(schema).then(() => true, () => false))) {
    throw new VireoError('NO_SUPPORT', `cannot validate: the schema ${schema} is missing`, { hint: 'apt-get install libvirt0' });
  }
  let r;
  try {
    r = await run('xmllint', ['--noout', '--relaxng', schema, '-'], { input: xml, timeoutMs: 30_000 });
  } catch (e) {
    throw new VireoError('NO_SUPPORT', 'cannot validate: xmllint is not installed', { hint: 'apt-get install libxml2-utils', cause: e });
  }
  if (r.code === 0) return;
  // xmllint prints "-:5: element vcpu: Relax-NG validity error : Extra element vcpu in interleave";
  // libvirt shows only the reason after "error : ".
  const reasons = r.stderr.split('\n')
    .map((l) => /(?:validity|parser) error : (.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined && l !== '');
  const detail = reasons.length > 0 ? reasons : r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.endsWith('fails to validate'));
  throw new VireoError('XML_INVALID', [`XML document failed to validate against schema: Unable to validate doc against ${schema}`, ...detail].join('\n'));
}
