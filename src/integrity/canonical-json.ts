import type { HashedEventFields } from './event-hash.ts';

/**
 * RFC 8785 (JCS) canonical JSON: the ledger's one writer of it (event hashes, leaves, sealed
 * content, command fingerprints). Byte for byte what the reference `canonicalize` package
 * produces, including its refusals (test/unit/canonical-json.test.ts) — written for speed, because the verifier and
 * the sequencer canonicalise every event of the ledger: no Set of visited objects, no
 * intermediate arrays, and the lone-surrogate scan only when a string has a surrogate at all.
 *
 * JCS orders object keys by UTF-16 code units (what Array.prototype.sort does), and serialises
 * strings and numbers as ECMAScript's JSON.stringify does, so both are delegated to the engine.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0;
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}

function str(value: string): string {
  if (SURROGATE.test(value) && hasLoneSurrogate(value)) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(value);
}

// Keys repeat across millions of events; their serialised form is worth remembering.
const keyCache = new Map<string, string>();
function key(k: string): string {
  let out = keyCache.get(k);
  if (out === undefined) {
    out = str(k);
    if (keyCache.size < 10_000) keyCache.set(k, out);
  }
  return out;
}

function ser(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return str(value);
    case 'number':
      if (Number.isNaN(value)) throw new Error('NaN is not allowed');
      if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      // Depth stands in for canonicalize's cycle detection: JSON from a database has no cycles,
      // and a cycle in application data still ends in an error rather than a hang.
      if (depth > 1000) throw new Error('Circular reference detected');
      const o = value as { toJSON?: () => unknown } & Record<string, unknown>;
      if (typeof o.toJSON === 'function') return ser(o.toJSON(), depth + 1);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined || typeof item === 'symbol' ? 'null' : ser(item, depth + 1);
        }
        return out + ']';
      }
      const keys = Object.keys(o).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const item = o[k];
        if (item === undefined || typeof item === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += key(k) + ':' + ser(item, depth + 1);
      }
      return out + '}';
    }
    default:
      // Like canonicalize: what JSON.stringify makes of it (undefined for functions and symbols).
      return String(JSON.stringify(value));
  }
}

export function canonicalJson(value: unknown): string {
  return ser(value, 0);
}


/**
 * canonicalJson() of the object canonicalEvent() (event-hash.ts) builds, without building it:
 * the envelope's keys are fixed, so their JCS order is written out once here. The verifier
 * recomputes this for every event of the ledger; test/unit/canonical-json.test.ts holds the two
 * equal. The actor is typed unknown because the verifier passes it as parsed from the row.
 */
export function canonicalEventText(e: Omit<HashedEventFields, 'actor'> & { actor: unknown }): string {
  return (
    '{"actor":' +
    ser(e.actor, 1) +
    ',"causationId":' +
    (e.causationId === null ? 'null' : ser(e.causationId, 1)) +
    ',"commandId":' +
    ser(e.commandId, 1) +
    ',"correlationId":' +
    ser(e.correlationId, 1) +
    ',"data":' +
    ser(e.data, 1) +
    ',"eventId":' +
    ser(e.eventId, 1) +
    ',"occurredAt":' +
    ser(e.occurredAt, 1) +
    ',"recordedAt":' +
    ser(e.recordedAt, 1) +
    ',"revision":' +
    ser(e.revision, 1) +
    ',"schemaVersion":' +
    ser(e.schemaVersion, 1) +
    ',"streamId":' +
    ser(e.streamId, 1) +
    ',"type":' +
    ser(e.type, 1) +
    '}'
  );
}

/** canonicalJson() of a Merkle leaf's fields (merkle-log.ts), keys in JCS order. */
export function canonicalLeafText(f: { streamId: string; revision: number; globalPosition: number; eventId: string; hash: string; mac: string }): string {
  return (
    '{"eventId":' +
    ser(f.eventId, 1) +
    ',"globalPosition":' +
    ser(f.globalPosition, 1) +
    ',"hash":' +
    ser(f.hash, 1) +
    ',"mac":' +
    ser(f.mac, 1) +
    ',"revision":' +
    ser(f.revision, 1) +
    ',"streamId":' +
    ser(f.streamId, 1) +
    '}'
  );
}
