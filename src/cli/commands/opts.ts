/** Option declarations that many commands share. */
import type { OptDef } from './types.js';

/** A boolean --NAME option. */
export const flag = (name: string, help: string): OptDef => ({ name, type: 'bool', help });
