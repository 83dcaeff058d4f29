import type pg from 'pg';

/**
 * Bulk insert with COPY … FROM STDIN (text format) on a client the caller holds, inside its
 * transaction: the cheapest way into PostgreSQL for an append-only table written by the thousand
 * rows (no array literals to build in Node and parse again in PostgreSQL, no INSERT plan). pg has
 * no COPY helper of its own; this is its submittable-query interface (what pg-copy-streams uses),
 * with the whole payload sent as one CopyData message.
 *
 * Values: null/undefined → NULL; strings as they are; numbers, bigints and booleans in
 * PostgreSQL's text input form; Dates as ISO 8601; anything else as JSON (json/jsonb columns).
 */
export async function copyRows(tx: pg.ClientBase, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<number> {
  if (rows.length === 0) return 0;
  let text = '';
  for (const row of rows) {
    if (row.length !== columns.length) throw new TypeError(`copyRows into ${table}: a row has ${row.length} values for ${columns.length} columns`);
    for (let i = 0; i < row.length; i++) {
      if (i > 0) text += '\t';
      text += copyValue(row[i]);
    }
    text += '\n';
  }
  const query = new CopyIn(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, Buffer.from(text, 'utf8'));
  await tx.query(query as unknown as pg.QueryConfig);
  return query.result;
}

// Backslash, newline, carriage return and tab are the text format's delimiters and escapes.
const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (typeof value) {
    case 'string':
      return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`copyRows: ${value} is not a number PostgreSQL stores`);
      return String(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    default:
      return copyValue(value instanceof Date ? value.toISOString() : JSON.stringify(value));
  }
}

/**
 * The submittable pg runs in its query queue: sends the COPY, answers PostgreSQL's CopyInResponse
 * with the payload and CopyDone, and settles on ReadyForQuery (or on the error, after which pg
 * hands the ReadyForQuery to no query).
 */
class CopyIn {
  result = 0;
  /** pg calls back through this when the query is given no callback of its own. */
  callback: ((error: Error | null) => void) | undefined;
  readonly #settled: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor(
    readonly text: string,
    private readonly payload: Buffer,
  ) {
    this.#settled = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  // tx.query(submittable) returns the submittable; awaiting it awaits the COPY.
  then<T, E>(onfulfilled: (value: void) => T, onrejected?: (reason: unknown) => E): Promise<T | E> {
    return this.#settled.then(onfulfilled, onrejected);
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.payload);
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? '');
    if (match) this.result = Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.callback?.(null);
    this.#resolve();
  }

  handleError(error: Error): void {
    this.callback?.(error);
    this.#reject(error);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}
