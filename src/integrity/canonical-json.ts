import type { HashedEventFields } from './event-hash.ts';

/**
 * RFC 8785 (JCS) canonical JSON: the ledger's one writer of it (event hashes, leaves, sealed
 * content, command fingerprints). Byte for byte what the reference `canonicalize` package
 * produces, including its refusals (test/unit/canonical-json.test.ts) — written for speed, because
 * the verifier and the sequencer canonicalise every event of the ledger: the UTF-8 goes straight
 * into one buffer kept between calls (no string per value, no rope of concatenations for the
 * hash to flatten: that flattening alone cost the verifier more than the hashing), no Set of
 * visited objects, no intermediate arrays.
 *
 * JCS orders object keys by UTF-16 code units (what Array.prototype.sort does), serialises
 * numbers as ECMAScript does (JSON.stringify, but for integers, whose digits are written here),
 * and strings as JSON.stringify does — the escapes are written out below, and a lone surrogate
 * is refused.
 */
const INITIAL_BYTES = 16 * 1024;
/** A huge value gets a buffer of its size, dropped at the next use rather than held for good. */
const RETAINED_BYTES = 256 * 1024;

const HEX_DIGIT = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

/** UTF-8 of canonical JSON, written at `at` into `buf` (grown as needed). */
export class CanonicalWriter {
  buf = Buffer.allocUnsafe(INITIAL_BYTES);
  at = 0;

  /** Starts over, keeping the buffer unless one huge value grew it. */
  reset(): this {
    if (this.buf.length > RETAINED_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
    this.at = 0;
    return this;
  }

  /** The bytes written since the last reset (valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private room(bytes: number): void {
    const need = this.at + bytes;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** Bytes given as hex, cut at the first pair that is not hex exactly as Buffer.from(hex, 'hex') cuts. */
  hex(hex: string): void {
    this.room(hex.length >>> 1);
    this.at += this.buf.write(hex, this.at, 'hex');
  }

  /** Text known to be ASCII without anything to escape (punctuation, the envelope's keys, number digits). */
  ascii(text: string): void {
    const n = text.length;
    this.room(n);
    const b = this.buf;
    let p = this.at;
    for (let i = 0; i < n; i++) b[p++] = text.charCodeAt(i);
    this.at = p;
  }

  byte(code: number): void {
    this.room(1);
    this.buf[this.at++] = code;
  }

  /** JSON.stringify(s) as UTF-8; a lone surrogate is refused, as canonicalize refuses it. */
  string(s: string): void {
    const n = s.length;
    // At most six bytes a code unit (\u001f), plus the quotes.
    this.room(n * 6 + 2);
    const b = this.buf;
    let p = this.at;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
          b[p++] = c;
          continue;
        }
        b[p++] = 0x5c;
        if (c === 0x22 || c === 0x5c) b[p++] = c;
        else if (c === 0x08) b[p++] = 0x62; // \b
        else if (c === 0x09) b[p++] = 0x74; // \t
        else if (c === 0x0a) b[p++] = 0x6e; // \n
        else if (c === 0x0c) b[p++] = 0x66; // \f
        else if (c === 0x0d) b[p++] = 0x72; // \r
        else {
          // \u00xx, lower-case hex as JSON.stringify writes it.
          b[p++] = 0x75;
          b[p++] = 0x30;
          b[p++] = 0x30;
          b[p++] = HEX_DIGIT[c >>> 4]!;
          b[p++] = HEX_DIGIT[c & 15]!;
        }
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >>> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[p++] = 0xe0 | (c >>> 12);
        b[p++] = 0x80 | ((c >>> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (d < 0xdc00 || d > 0xdfff) throw new Error('Lone surrogate is not allowed');
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[p++] = 0xf0 | (cp >>> 18);
        b[p++] = 0x80 | ((cp >>> 12) & 0x3f);
        b[p++] = 0x80 | ((cp >>> 6) & 0x3f);
        b[p++] = 0x80 | (cp & 0x3f);
        i++;
      }
    }
    b[p++] = 0x22;
    this.at = p;
  }

  number(v: number): void {
    if (Number.isNaN(v)) throw new Error('NaN is not allowed');
    if (!Number.isFinite(v)) throw new Error('Infinity is not allowed');
    if (!Number.isSafeInteger(v)) {
      this.ascii(JSON.stringify(v));
      return;
    }
    // An integer's ECMAScript form is its digits (−0 is "0"), written without a string.
    if (v < 0) {
      this.byte(0x2d);
      v = -v;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    const b = this.buf;
    for (let p = this.at + digits - 1; p >= this.at; p--) {
      b[p] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.at += digits;
  }

  /** new Date(ms).toISOString() as a JSON string: written out for years 0000–9999, else through Date (which throws for a time that is none). */
  isoTime(ms: number): void {
    if (!(Number.isInteger(ms) && ms >= 0 && ms < MS_YEAR_10000)) {
      this.string(new Date(ms).toISOString());
      return;
    }
    const days = Math.floor(ms / 86_400_000);
    let rest = ms - days * 86_400_000;
    // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted), eras of 400 years.
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const hour = Math.floor(rest / 3_600_000);
    rest -= hour * 3_600_000;
    const minute = Math.floor(rest / 60_000);
    rest -= minute * 60_000;
    const second = Math.floor(rest / 1000);
    const milli = rest - second * 1000;
    this.room(26);
    const b = this.buf;
    let p = this.at;
    b[p++] = 0x22;
    p = digits(b, p, year, 4);
    b[p++] = 0x2d;
    p = digits(b, p, month, 2);
    b[p++] = 0x2d;
    p = digits(b, p, day, 2);
    b[p++] = 0x54; // T
    p = digits(b, p, hour, 2);
    b[p++] = 0x3a;
    p = digits(b, p, minute, 2);
    b[p++] = 0x3a;
    p = digits(b, p, second, 2);
    b[p++] = 0x2e;
    p = digits(b, p, milli, 3);
    b[p++] = 0x5a; // Z
    b[p++] = 0x22;
    this.at = p;
  }

  value(value: unknown, depth: number): void {
    if (value === null) {
      this.ascii('null');
      return;
    }
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.number(value);
        return;
      case 'boolean':
        this.ascii(value ? 'true' : 'false');
        return;
      case 'object': {
        // Depth stands in for canonicalize's cycle detection: JSON from a database has no cycles,
        // and a cycle in application data still ends in an error rather than a hang.
        if (depth > 1000) throw new Error('Circular reference detected');
        const o = value as { toJSON?: () => unknown } & Record<string, unknown>;
        if (typeof o.toJSON === 'function') {
          this.value(o.toJSON(), depth + 1);
          return;
        }
        if (Array.isArray(value)) {
          this.byte(0x5b);
          for (let i = 0; i < value.length; i++) {
            if (i > 0) this.byte(0x2c);
            const item: unknown = value[i];
            if (item === undefined || typeof item === 'symbol') this.ascii('null');
            else this.value(item, depth + 1);
          }
          this.byte(0x5d);
          return;
        }
        const keys = sortCodeUnits(Object.keys(o));
        this.byte(0x7b);
        let first = true;
        for (const k of keys) {
          const item = o[k];
          if (item === undefined || typeof item === 'symbol') continue;
          if (!first) this.byte(0x2c);
          first = false;
          this.string(k);
          this.byte(0x3a);
          this.value(item, depth + 1);
        }
        this.byte(0x7d);
        return;
      }
      default:
        // Like canonicalize: what JSON.stringify makes of it (undefined for functions and symbols).
        this.ascii(String(JSON.stringify(value)));
    }
  }
}

/**
 * `keys` sorted in place by UTF-16 code units — the order `Array.prototype.sort()` gives strings
 * (`<` on strings compares code units) — by insertion for an object's usual few keys. `sort()`
 * copied the keys into a fresh work array on every call: a third of the verifier's main-thread
 * allocation (a sampling heap profile of `gongwen verify`), for payloads of 2–17 keys.
 */
function sortCodeUnits(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

const MS_YEAR_10000 = Date.UTC(10000, 0, 1);

/** `value` as `width` decimal digits at `p`; returns the position after them. */
function digits(b: Buffer, p: number, value: number, width: number): number {
  for (let i = width - 1; i >= 0; i--) {
    b[p + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return p + width;
}

const shared = new CanonicalWriter();
let sharedBusy = false;

/**
 * Runs `write` on the writer kept between calls (a fresh one when a toJSON() inside a value being
 * written asks for canonical JSON itself); what `use` returns must not keep the writer's bytes.
 */
export function withCanonicalWriter<T>(write: (w: CanonicalWriter) => void, use: (bytes: Buffer) => T): T {
  if (sharedBusy) {
    const own = new CanonicalWriter();
    write(own);
    return use(own.bytes());
  }
  sharedBusy = true;
  try {
    write(shared.reset());
    return use(shared.bytes());
  } finally {
    sharedBusy = false;
  }
}

const utf8 = (bytes: Buffer) => bytes.toString('utf8');

export function canonicalJson(value: unknown): string {
  return withCanonicalWriter((w) => w.value(value, 0), utf8);
}

/** The hashed fields as the writers meet them: the verifier has the times as epoch milliseconds and the actor as parsed. */
export type CanonicalEventFields = Omit<HashedEventFields, 'actor' | 'occurredAt' | 'recordedAt'> & {
  actor: unknown;
  /** An ISO 8601 text, or epoch milliseconds standing for new Date(ms).toISOString(). */
  occurredAt: string | number;
  recordedAt: string | number;
};

const time = (w: CanonicalWriter, t: string | number) => (typeof t === 'number' ? w.isoTime(t) : w.string(t));

/**
 * canonicalJson() of the object canonicalEvent() (event-hash.ts) builds, without building it:
 * the envelope's keys are fixed, so their JCS order is written out once here. The verifier
 * recomputes this for every event of the ledger; test/unit/canonical-json.test.ts holds the two
 * equal.
 */
export function writeCanonicalEvent(w: CanonicalWriter, e: CanonicalEventFields): void {
  w.ascii('{"actor":');
  w.value(e.actor, 1);
  w.ascii(',"causationId":');
  if (e.causationId === null) w.ascii('null');
  else w.value(e.causationId, 1);
  w.ascii(',"commandId":');
  w.value(e.commandId, 1);
  w.ascii(',"correlationId":');
  w.value(e.correlationId, 1);
  w.ascii(',"data":');
  w.value(e.data, 1);
  w.ascii(',"eventId":');
  w.value(e.eventId, 1);
  w.ascii(',"occurredAt":');
  time(w, e.occurredAt);
  w.ascii(',"recordedAt":');
  time(w, e.recordedAt);
  w.ascii(',"revision":');
  w.value(e.revision, 1);
  w.ascii(',"schemaVersion":');
  w.value(e.schemaVersion, 1);
  w.ascii(',"streamId":');
  w.value(e.streamId, 1);
  w.ascii(',"type":');
  w.value(e.type, 1);
  w.byte(0x7d);
}

export function canonicalEventText(e: CanonicalEventFields): string {
  return withCanonicalWriter((w) => writeCanonicalEvent(w, e), utf8);
}

/** canonicalJson() of a Merkle leaf's fields (merkle-log.ts), keys in JCS order. */
export function writeCanonicalLeaf(w: CanonicalWriter, f: { streamId: string; revision: number; globalPosition: number; eventId: string; hash: string; mac: string }): void {
  w.ascii('{"eventId":');
  w.value(f.eventId, 1);
  w.ascii(',"globalPosition":');
  w.value(f.globalPosition, 1);
  w.ascii(',"hash":');
  w.value(f.hash, 1);
  w.ascii(',"mac":');
  w.value(f.mac, 1);
  w.ascii(',"revision":');
  w.value(f.revision, 1);
  w.ascii(',"streamId":');
  w.value(f.streamId, 1);
  w.byte(0x7d);
}

export function canonicalLeafText(f: Parameters<typeof writeCanonicalLeaf>[1]): string {
  return withCanonicalWriter((w) => writeCanonicalLeaf(w, f), utf8);
}
