/** Canonical JSON for the audit chain's hashes and signatures. Pure. */

/**
 * Deterministic JSON, close to RFC 8785 (JCS): object keys sorted by UTF-16 code units at every
 * depth, no whitespace, arrays in order, numbers and strings serialised exactly as
 * `JSON.stringify` does (which is what JCS specifies for both). It departs from JCS where
 * JavaScript values are not JSON: `undefined` object members are dropped and `undefined` array
 * items become `null` (as `JSON.stringify` does, so a value stored as JSON and read back encodes
 * the same), and `toJSON` is honoured (a `Date` becomes its ISO string).
 *
 * @throws TypeError on NaN or ±Infinity, bigint, function, symbol, or a cycle: silently turning
 *   them into `null` or dropping them would hash something other than what the caller meant.
 */
export function canonicalEncode(value: unknown): string {
  const out = encodeValue(value, '', []);
  if (out === undefined) throw new TypeError('canonicalEncode: undefined has no JSON encoding');
  return out;
}

function encodeValue(value: unknown, key: string, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalEncode: ${value} is not a JSON number`);
      // For finite numbers String() and JSON.stringify agree (shortest round-trip form, -0 as 0).
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return undefined;
    case 'object':
      return value === null ? 'null' : encodeObject(value, key, ancestors);
    default:
      throw new TypeError(`canonicalEncode: a ${typeof value} has no JSON encoding`);
  }
}

export function encodeObject(value: object, key: string, ancestors: object[]): string | undefined {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encodeValue(toJSON.call(value, key), key, ancestors);
  if (ancestors.includes(value)) throw new TypeError('canonicalEncode: cyclic structure');
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += encodeValue(value[i], String(i), ancestors) ?? 'null';
    }
    out += ']';
  } else {
    out = encodeMembers(value as Record<string, unknown>, sortKeys(Object.keys(value)), ancestors);
  }
  ancestors.pop();
  return out;
}

/**
 * Most audit strings need no escaping; for them, skipping JSON.stringify (and a regex, which
 * costs more than this loop on short strings) is a large part of verify's speed. Anything
 * JSON.stringify would escape (quote, backslash, control characters, surrogates, which are
 * escaped only when unpaired) goes to JSON.stringify itself, so the output is the same.
 */
export function encodeString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * Sorts in place by UTF-16 code units (what `<` compares, and the order JCS asks for). Objects
 * here have a handful of keys, where insertion sort beats `Array.prototype.sort`.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** `keys` must already be sorted. */
export function encodeMembers(
  obj: Record<string, unknown>,
  keys: readonly string[],
  ancestors: object[],
): string {
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = encodeValue(obj[k], k, ancestors);
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += encodeString(k);
    out += ':';
    out += v;
  }
  return `${out}}`;
}
