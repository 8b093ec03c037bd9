/**
 * Order-preserving binary encoding of values for lmdb keys (document `_id`s and index entries).
 *
 * Each value is a self-delimiting component: a type tag (ordered like BSON: empty array < null <
 * numbers < strings < objects < arrays < binary < booleans < dates) then a payload whose bytes
 * sort like the values. A tuple is the concatenation of its components, so tuples sort
 * lexicographically and any component boundary is a valid range prefix. No tag is 0xFF, so
 * `prefix + 0xFF` is an exclusive upper bound for every key that starts with `prefix`.
 *
 * Strings are CESU-8 (UTF-8 of each UTF-16 code unit, which keeps JavaScript's code-unit order that
 * mingo compares with), NUL escaped as 00 FF and terminated by 00. Variable-length payloads are cut
 * after MAX_COMPONENT bytes; a cut key is a prefix of the full one, so lookups on cut keys return a
 * superset of the matches (mingo re-checks every candidate) and unique checks compare full values.
 */
export const TAG = {
  empty: 0x08, // an empty array (MongoDB indexes it as `undefined`)
  null: 0x10, // null or missing
  number: 0x20,
  string: 0x30,
  object: 0x40,
  array: 0x50,
  binary: 0x58,
  boolean: 0x60,
  date: 0x70,
  other: 0x7e,
} as const;

/** Marker for an empty array leaf in index key extraction. */
export const EMPTY_ARRAY: unique symbol = Symbol('emptyArray');

export const MAX_COMPONENT = 200;
export const MAX_ID_BYTES = 512;
const MAX_KEY_BYTES = 1978;
const ASCII_WITHOUT_NUL = /^[\x01-\x7f]*$/;

class KeyWriter {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  number(n: number): void {
    this.ensure(8);
    if (Number.isNaN(n)) {
      this.buf.fill(0, this.pos, this.pos + 8); // NaN sorts below every number, as in MongoDB
    } else {
      this.buf.writeDoubleBE(n === 0 ? 0 : n, this.pos); // -0 and 0 are the same key
      if (this.buf[this.pos] & 0x80) for (let i = 0; i < 8; i++) this.buf[this.pos + i] ^= 0xff;
      else this.buf[this.pos] ^= 0x80;
    }
    this.pos += 8;
  }
  /** Writes a string payload (CESU-8, escaped, terminated). */
  string(s: string, limit: number): void {
    if (s.length <= limit && ASCII_WITHOUT_NUL.test(s)) {
      // the common case: CESU-8 of ASCII is its bytes, nothing to escape or cut
      this.ensure(s.length + 1);
      this.pos += this.buf.write(s, this.pos, 'latin1');
      this.buf[this.pos++] = 0;
      return;
    }
    const start = this.pos;
    for (let i = 0; i < s.length && this.pos - start < limit; i++) {
      const c = s.charCodeAt(i);
      this.ensure(3);
      if (c === 0) {
        this.buf[this.pos++] = 0x00;
        this.buf[this.pos++] = 0xff;
      } else if (c < 0x80) {
        this.buf[this.pos++] = c;
      } else if (c < 0x800) {
        this.buf[this.pos++] = 0xc0 | (c >> 6);
        this.buf[this.pos++] = 0x80 | (c & 0x3f);
      } else {
        this.buf[this.pos++] = 0xe0 | (c >> 12);
        this.buf[this.pos++] = 0x80 | ((c >> 6) & 0x3f);
        this.buf[this.pos++] = 0x80 | (c & 0x3f);
      }
    }
    this.byte(0);
  }
  bytes(b: Uint8Array, limit: number): void {
    const start = this.pos;
    for (let i = 0; i < b.length && this.pos - start < limit; i++) {
      if (b[i] === 0) {
        this.byte(0);
        this.byte(0xff);
      } else this.byte(b[i]);
    }
    this.byte(0);
  }
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

const writer = new KeyWriter();

function json(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return String(v);
  }
}

/** The tag a value is stored under (used for type-bracketed range bounds). */
export function tagOf(v: unknown): number {
  if (v === undefined || v === null) return TAG.null;
  if (v === EMPTY_ARRAY) return TAG.empty;
  switch (typeof v) {
    case 'number':
      return TAG.number;
    case 'string':
      return TAG.string;
    case 'boolean':
      return TAG.boolean;
    case 'bigint':
      return TAG.number;
  }
  if (v instanceof Date) return TAG.date;
  if (Array.isArray(v)) return TAG.array;
  if (v instanceof Uint8Array) return TAG.binary;
  if (typeof v === 'object') {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return TAG.object;
  }
  return TAG.other;
}

function writeComponent(w: KeyWriter, v: unknown, limit: number): void {
  const tag = tagOf(v);
  w.byte(tag);
  switch (tag) {
    case TAG.null:
    case TAG.empty:
      return;
    case TAG.number:
      return w.number(Number(v));
    case TAG.string:
      return w.string(v as string, limit);
    case TAG.boolean:
      return w.byte(v ? 1 : 0);
    case TAG.date:
      return w.number((v as Date).getTime());
    case TAG.binary:
      return w.bytes(v as Uint8Array, limit);
    case TAG.object:
    case TAG.array:
      return w.string(json(v), limit);
    default:
      return w.string(String(v), limit);
  }
}

/** Encodes a tuple of index values (cut to MAX_COMPONENT bytes each), without the trailing id. */
export function encodeTuple(values: readonly unknown[]): Buffer {
  for (const v of values) writeComponent(writer, v, MAX_COMPONENT);
  return writer.take();
}

/** Encodes a single value in full (no cutting), for exact comparisons in memory. */
export function encodeFull(v: unknown): Buffer {
  writeComponent(writer, v, Number.MAX_SAFE_INTEGER);
  return writer.take();
}

/** Encodes a document `_id` as its primary key; never cut, so it is bounded instead. */
export function encodeId(id: unknown): Buffer {
  writeComponent(writer, id, Number.MAX_SAFE_INTEGER);
  const key = writer.take();
  if (key.length > MAX_ID_BYTES) throw new RangeError(`_id is too long for the embedded engine (${key.length} bytes encoded, max ${MAX_ID_BYTES})`);
  return key;
}

/** The full index entry key: tuple then id (entries of equal tuples stay distinct). */
export function entryKey(tuple: Buffer, idKey: Buffer): Buffer {
  const key = Buffer.concat([tuple, idKey]);
  if (key.length > MAX_KEY_BYTES) throw new RangeError(`index key too large (${key.length} bytes)`);
  return key;
}

export function concat(prefix: Buffer, ...parts: (Buffer | number[])[]): Buffer {
  return Buffer.concat([prefix, ...parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))]);
}

/** Exclusive upper bound of every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  return concat(prefix, [0xff]);
}

/** Whether a value component may be cut (then range bounds must be inclusive). */
export function mayBeCut(v: unknown): boolean {
  const t = tagOf(v);
  return t === TAG.string || t === TAG.object || t === TAG.array || t === TAG.binary || t === TAG.other;
}

export const keyString = (b: Buffer): string => b.toString('latin1');
export const keyBuffer = (s: string): Buffer => Buffer.from(s, 'latin1');

/**
 * Decodes the component starting at `pos`: its value and where the next one starts, or undefined
 * when the value cannot be told exactly from the key (a string that may have been cut, objects,
 * arrays, binary, other; 0, which may be -0; numbers beyond 2^53, which may be bigints). `null`
 * stands for null or missing, which keys do not tell apart.
 */
export function decodeComponent(buf: Buffer, pos: number): { value: unknown; end: number } | undefined {
  const tag = buf[pos];
  switch (tag) {
    case TAG.null:
      return { value: null, end: pos + 1 };
    case TAG.number:
    case TAG.date: {
      if (pos + 9 > buf.length) return undefined;
      const b = Buffer.from(buf.subarray(pos + 1, pos + 9));
      if (b[0] & 0x80) b[0] ^= 0x80;
      else for (let i = 0; i < 8; i++) b[i] ^= 0xff;
      const n = b.readDoubleBE(0);
      if (tag === TAG.date) return { value: new Date(n), end: pos + 9 };
      // a bigint is keyed as the nearest number, and -0 as 0: those the key cannot tell
      if (n === 0 || !(Math.abs(n) <= Number.MAX_SAFE_INTEGER) && !Number.isNaN(n)) return undefined;
      return { value: n, end: pos + 9 };
    }
    case TAG.boolean:
      return pos + 2 <= buf.length ? { value: buf[pos + 1] === 1, end: pos + 2 } : undefined;
    case TAG.string: {
      const units: number[] = [];
      let i = pos + 1;
      while (i < buf.length) {
        const b = buf[i];
        if (b === 0x00) {
          if (buf[i + 1] === 0xff) {
            units.push(0);
            i += 2;
            continue;
          }
          // a payload of MAX_COMPONENT bytes or more may have been cut
          return i - (pos + 1) >= MAX_COMPONENT ? undefined : { value: String.fromCharCode(...units), end: i + 1 };
        }
        if (b < 0x80) (units.push(b), (i += 1));
        else if (b < 0xe0) (units.push(((b & 0x1f) << 6) | (buf[i + 1] & 0x3f)), (i += 2));
        else (units.push(((b & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6) | (buf[i + 2] & 0x3f)), (i += 3));
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Where the component starting at `pos` ends (any tag; cut payloads end at their terminator too). */
export function componentEnd(buf: Buffer, pos: number): number {
  switch (buf[pos]) {
    case TAG.null:
    case TAG.empty:
      return pos + 1;
    case TAG.number:
    case TAG.date:
      return pos + 9;
    case TAG.boolean:
      return pos + 2;
  }
  let i = pos + 1;
  while (i < buf.length) {
    if (buf[i] === 0x00) {
      if (buf[i + 1] === 0xff) i += 2;
      else return i + 1;
    } else i++;
  }
  return buf.length;
}
