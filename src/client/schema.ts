/**
 * `net-define --validate` / `net-create --validate`: network XML checked against libvirt's
 * network.rng (util/relaxng.ts). The API's network define takes no validate flag, so the CLI
 * checks here, before sending the XML; XML that does not parse passes, for the daemon to report
 * its syntax error (libvirt parses before it validates). Loaded only when --validate is given.
 */
import { validateAgainstSchema } from '../util/relaxng.js';

export const NETWORK_SCHEMA = '/usr/share/libvirt/schemas/network.rng';

/** Throws XML_INVALID with libxml2's reasons when `xml` does not validate. */
export function validateNetworkXml(xml: string, schema = NETWORK_SCHEMA): Promise<void> {
  return validateAgainstSchema(xml, schema, { syntax: 'pass' });
}
