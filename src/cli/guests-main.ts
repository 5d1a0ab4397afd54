/** The vireo-guests program (bin/vireo-guests): see guests.ts. */
import { guestsMain } from './guests.js';

process.exitCode = await guestsMain(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
