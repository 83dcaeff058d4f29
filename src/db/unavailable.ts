/**
 * Whether an error means the database could not be reached or went away mid-request (restart,
 * crash, network), rather than that the request itself was wrong: the caller may retry the same
 * request (commands carry their commandId, so a retry never applies one twice).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up); class 08: connection exceptions.
      if (/^(57P0[123]|08...)$/.test(code)) return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
    }
    if (typeof message === 'string' && unavailableMessages.some((m) => message.includes(m))) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}

// What node-postgres and its pool say when the connection is gone (these errors carry no code).
const unavailableMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'the database system is',
];
