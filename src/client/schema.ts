/**
 * `net-define --validate` / `net-create --validate`: network XML checked against libvirt's own
 * RelaxNG schema with xmllint, reported as libvirt reports it ("XML document failed to validate
 * against schema: Unable to validate doc against ..." then libxml2's reasons). The API's network
 * define takes no validate flag, so the CLI checks here, before sending the XML (the CLI may not
 * spawn processes itself; like editor.ts, this is its door to the process runner). Loaded only
 * when --validate is given.
 */
import { access } from 'node:fs/promises';
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';

export const NETWORK_SCHEMA = '/usr/share/libvirt/schemas/network.rng';

/**
 * Throws XML_INVALID with libxml2's reasons when `xml` does not validate. XML that does not even
 * parse passes: the daemon reports its syntax error, as libvirt parses before it validates.
 */
export async function validateNetworkXml(xml: string, schema = NETWORK_SCHEMA): Promise<void> {
  if (!(await access(schema).then(() => true, () => false))) {
    throw new VireoError('NO_SUPPORT', `cannot validate: the schema ${schema} is missing`, { hint: 'apt-get install libvirt0' });
  }
  let r;
  try {
    r = await run('xmllint', ['--noout', '--relaxng', schema, '-'], { input: xml, timeoutMs: 30_000 });
  } catch (e) {
    throw new VireoError('NO_SUPPORT', 'cannot validate: xmllint is not installed', { hint: 'apt-get install libxml2-utils', cause: e });
  }
  if (r.code === 0 || / parser error : /.test(r.stderr)) return;
  // xmllint prints "-:3: element foo: Relax-NG validity error : Element network has extra content: foo";
  // libvirt shows only the reason after "error : ".
  const reasons = r.stderr.split('\n')
    .map((l) => /validity error : (.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined && l !== '');
  const detail = reasons.length > 0 ? reasons : r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.endsWith('fails to validate'));
  throw new VireoError('XML_INVALID', [`XML document failed to validate against schema: Unable to validate doc against ${schema}`, ...detail].join('\n'));
}
