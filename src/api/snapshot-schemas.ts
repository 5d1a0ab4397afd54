/** Wire schemas of snapshots (merged into wire-schemas.ts's SCHEMAS). */
import type { JsonSchema } from './schema.js';

const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const str = (description: string): JsonSchema => ({ type: 'string', description });
const int = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[]): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });

export const SNAPSHOT_SCHEMAS: Record<string, JsonSchema> = {
  SnapshotSummary: obj({
    name: str('the snapshot'),
    parent: str("the parent snapshot's name; absent for a root"),
    creationTime: int('when it was taken, seconds since the epoch'),
    state: str("the guest's state then: running, paused, shutoff, disk-snapshot..."),
    location: { type: 'string', enum: ['internal', 'external'], description: 'inside the qcow2 images, or in overlay files' },
    current: bool('whether it is the current snapshot'),
    children: int('how many direct children it has'),
    descendants: int('how many snapshots descend from it'),
  }, ['name', 'creationTime', 'state', 'location', 'current', 'children', 'descendants']),
  SnapshotCreateRequest: obj({ xml: str('domainsnapshot XML; an empty <domainsnapshot/> takes defaults (the name is the epoch seconds)') }, ['xml']),
  SnapshotName: obj({ name: str('the snapshot') }, ['name']),
  SnapshotDeleteRequest: obj({
    name: str('the snapshot'),
    children: bool('its descendants too'),
    childrenOnly: bool('only its descendants'),
    metadata: bool("only vireo's record; the images keep the snapshot data"),
  }, ['name']),
};
