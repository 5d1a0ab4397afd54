/** Minimal leveled logger writing single lines to stderr (the daemon's log when redirected). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// VIREO_LOG_LEVEL can be any string: one that is not a level means the default.
const level = process.env.VIREO_LOG_LEVEL ?? 'info';
const threshold: number = Object.hasOwn(ORDER, level) ? ORDER[level as LogLevel] : ORDER.info;

export interface Logger {
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

/** A logger whose lines are tagged with `scope` (e.g. a domain name or module). */
export function logger(scope: string): Logger {
  const emit = (level: LogLevel, msg: string, extra?: Record<string, unknown>): void => {
    if (ORDER[level] < threshold) return;
    const tail = extra === undefined ? '' : ' ' + JSON.stringify(extra);
    process.stderr.write(`${new Date().toISOString()} ${level} [${scope}] ${msg}${tail}\n`);
  };
  return {
    debug: (m, e) => emit('debug', m, e),
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
  };
}
