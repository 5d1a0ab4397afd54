/** `define --validate`: domain XML checked against libvirt's domain.rng (util/relaxng.ts). */
import { validateAgainstSchema } from '../../util/relaxng.js';

export const DOMAIN_SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

/** Validate `xml` against domain.rng; throws XML_INVALID with libxml2's reasons when it does not. */
export function validateDomainXml(xml: string, schema = DOMAIN_SCHEMA): Promise<void> {
  return validateAgainstSchema(xml, schema, { syntax: 'report' });
}
