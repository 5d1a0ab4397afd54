/**
 * The user's editor, for `vireo edit` (the CLI may not spawn processes itself; this is its one
 * door to the process runner). Loaded only by edit.
 */
import { VireoError } from '../api/errors.js';
import { runAttached } from '../util/proc.js';

/** $VISUAL, else $EDITOR, else vi: the editor virsh (and most Unix tools) would pick. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const v of [env.VISUAL, env.EDITOR]) if (v !== undefined && v.trim() !== '') return v;
  return 'vi';
}

/**
 * Run the editor on `file` and wait. The editor setting is a shell command line by convention
 * (`EDITOR='emacs -nw'`), so it runs through sh; the file name is passed as an argument, never
 * put into the command text. A failed editor is an error naming it, as virsh reports it.
 */
export async function runEditor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const editor = editorCommand(env);
  let r;
  try {
    r = await runAttached('sh', ['-c', `${editor} "$@"`, 'sh', file], { env });
  } catch (e) {
    throw new VireoError('INTERNAL', `internal error: Cannot run the editor (${editor}): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r.signal !== null) throw new VireoError('INTERNAL', `internal error: Child process (${editor} ${file}) unexpected fatal signal ${r.signal}`);
  if (r.code !== 0) throw new VireoError('INTERNAL', `internal error: Child process (${editor} ${file}) unexpected exit status ${r.code ?? '?'}`);
}
