/** What a handler gets: the daemon and one request, parsed and checked against its route's spec. */
import type { Query } from '../../api/query.js';
import type { RouteId } from '../../api/routes.js';
import type { Daemon } from '../../daemon/daemon.js';

export interface Call {
  daemon: Daemon;
  /** The canonical URI of this daemon. */
  uri: string;
  /** The `{ref}` path parameter, decoded (empty for routes without one). */
  ref: string;
  /** The `{vol}` path parameter (a volume's name, key or path), decoded; empty for routes without one. */
  vol: string;
  /** The body, already valid against the route's request schema ({} without one). */
  body: Record<string, unknown>;
  query: Query;
}

/** A JSON route's handler: its result is the reply body. */
export type JsonHandler = (c: Call) => unknown;

/** Handlers of some routes, by route id. */
export type HandlerTable<Id extends RouteId = RouteId> = { readonly [K in Id]: JsonHandler };

/** Body fields, typed: the schema check has run, so these only narrow what it guaranteed. */
export const field = {
  str: (b: Record<string, unknown>, k: string): string => b[k] as string,
  optStr: (b: Record<string, unknown>, k: string): string | undefined => (typeof b[k] === 'string' ? b[k] : undefined),
  bool: (b: Record<string, unknown>, k: string): boolean => b[k] === true,
};
