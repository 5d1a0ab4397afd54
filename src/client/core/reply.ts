/** A daemon's reply, read the same way by every transport. */
import { VireoError, type ErrorBody } from '../../api/errors.js';

/** The JSON value of a reply with `status` and body `text`; an error reply throws the VireoError it carries. */
export function readReply<T>(status: number, text: string): T {
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new VireoError('PROTOCOL', `vireod sent a reply that is not JSON (HTTP ${status})`);
  }
  if (status >= 400) {
    const err = (parsed as { error?: ErrorBody } | undefined)?.error;
    throw err === undefined ? new VireoError('PROTOCOL', `vireod answered HTTP ${status} without an error body`) : VireoError.fromBody(err);
  }
  return parsed as T;
}
