// bsatn.mjs — BSATN for the SDK tests: a reader and writer, the AlgebraicType meta-type, a
// decoder for RawModuleDef::V10 (module-abi.md §5) and a value codec driven by a typespace.
//
// Values in JS: integers up to 32 bits are Numbers, wider ones BigInts; f32/f64 Numbers;
// strings JS strings; Array<U8> a Uint8Array; other arrays JS arrays; products plain objects
// keyed by element name; sums {tag: <variant name>, value}.  Options and ScheduleAt are sums
// like any other ({tag: 'some', value} / {tag: 'none', value: {}}).

export class Reader {
  constructor(bytes) {
    this.b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    this.dv = new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    this.pos = 0;
  }
  need(n) {
    if (this.pos + n > this.b.length) throw new Error(`BSATN: need ${n} bytes at ${this.pos}, have ${this.b.length - this.pos}`);
  }
  u8() { this.need(1); return this.b[this.pos++]; }
  u16() { this.need(2); const v = this.dv.getUint16(this.pos, true); this.pos += 2; return v; }
  u32() { this.need(4); const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  bytes(n) { this.need(n); const v = this.b.slice(this.pos, this.pos + n); this.pos += n; return v; }
  bigint(n, signed) {
    const v = this.bytes(n);
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(v[i]);
    if (signed && v[n - 1] & 0x80) x -= 1n << BigInt(8 * n);
    return x;
  }
  string() { const n = this.u32(); return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(n)); }
  bool() { const v = this.u8(); if (v > 1) throw new Error('BSATN: bad bool'); return v === 1; }
  option(f) { const t = this.u8(); if (t === 0) return f(); if (t === 1) return null; throw new Error('BSATN: bad option'); }
  array(f) { const n = this.u32(); const out = []; for (let i = 0; i < n; i++) out.push(f()); return out; }
  done() { return this.pos === this.b.length; }
}

export class Writer {
  constructor() { this.parts = []; this.len = 0; }
  push(a) { this.parts.push(a); this.len += a.length; }
  u8(v) { this.push(Uint8Array.of(v)); }
  u16(v) { const a = new Uint8Array(2); new DataView(a.buffer).setUint16(0, v, true); this.push(a); }
  u32(v) { const a = new Uint8Array(4); new DataView(a.buffer).setUint32(0, v >>> 0, true); this.push(a); }
  bigint(v, n) {
    let x = BigInt.asUintN(8 * n, BigInt(v));
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) { a[i] = Number(x & 0xffn); x >>= 8n; }
    this.push(a);
  }
  bytes(a) { this.push(a instanceof Uint8Array ? a : Uint8Array.from(a)); }
  string(s) { const a = new TextEncoder().encode(s); this.u32(a.length); this.push(a); }
  finish() {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// ---------------------------------------------------------------- AlgebraicType

const PRIMS = ['String', 'Bool', 'I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'I128', 'U128', 'I256', 'U256', 'F32', 'F64'];

export function readType(r) {
  const tag = r.u8();
  switch (tag) {
    case 0: return { tag: 'Ref', ref: r.u32() };
    case 1: return { tag: 'Sum', variants: r.array(() => ({ name: r.option(() => r.string()), type: readType(r) })) };
    case 2: return { tag: 'Product', elements: r.array(() => ({ name: r.option(() => r.string()), type: readType(r) })) };
    case 3: return { tag: 'Array', elem: readType(r) };
    default:
      if (tag - 4 < PRIMS.length) return { tag: PRIMS[tag - 4] };
      throw new Error(`AlgebraicType: bad tag ${tag}`);
  }
}

// A short readable form: "U32", "Array<String>", "Option<I32>", "Identity", "Ref(3)".
export function typeName(t) {
  switch (t.tag) {
    case 'Ref': return `Ref(${t.ref})`;
    case 'Array': return `Array<${typeName(t.elem)}>`;
    case 'Product': {
      const e = t.elements;
      const special = { __identity__: 'Identity', __connection_id__: 'ConnectionId', __timestamp_micros_since_unix_epoch__: 'Timestamp', __time_duration_micros__: 'TimeDuration', __uuid__: 'Uuid' };
      if (e.length === 1 && special[e[0].name]) return special[e[0].name];
      if (e.length === 0) return 'Unit';
      return `Product{${e.map((x) => `${x.name}: ${typeName(x.type)}`).join(', ')}}`;
    }
    case 'Sum': {
      const v = t.variants;
      if (v.length === 2 && v[0].name === 'some' && v[1].name === 'none') return `Option<${typeName(v[0].type)}>`;
      if (v.length === 2 && v[0].name === 'Interval' && v[1].name === 'Time') return 'ScheduleAt';
      return `Sum{${v.map((x) => `${x.name}: ${typeName(x.type)}`).join(', ')}}`;
    }
    default: return t.tag;
  }
}

// ---------------------------------------------------------------- RawModuleDef

function readTable(r) {
  const t = {};
  t.source_name = r.string();
  t.product_type_ref = r.u32();
  t.primary_key = r.array(() => r.u16());
  t.indexes = r.array(() => {
    const ix = { source_name: r.option(() => r.string()), accessor_name: r.option(() => r.string()) };
    const algo = r.u8();
    if (algo === 0) ix.algorithm = { tag: 'BTree', columns: r.array(() => r.u16()) };
    else if (algo === 1) ix.algorithm = { tag: 'Hash', columns: r.array(() => r.u16()) };
    else if (algo === 2) ix.algorithm = { tag: 'Direct', columns: [r.u16()] };
    else throw new Error(`bad index algorithm ${algo}`);
    return ix;
  });
  t.constraints = r.array(() => {
    const c = { source_name: r.option(() => r.string()) };
    const tag = r.u8();
    if (tag !== 0) throw new Error(`bad constraint ${tag}`);
    c.unique = r.array(() => r.u16());
    return c;
  });
  t.sequences = r.array(() => ({
    source_name: r.option(() => r.string()),
    column: r.u16(),
    start: r.option(() => r.bigint(16, true)),
    min_value: r.option(() => r.bigint(16, true)),
    max_value: r.option(() => r.bigint(16, true)),
    increment: r.bigint(16, true),
  }));
  t.table_type = ['System', 'User'][r.u8()];
  t.table_access = ['Public', 'Private'][r.u8()];
  t.default_values = r.array(() => ({ col_id: r.u16(), value: r.bytes(r.u32()) }));
  t.is_event = r.bool();
  return t;
}

function readReducer(r) {
  return {
    source_name: r.string(),
    params: r.array(() => ({ name: r.option(() => r.string()), type: readType(r) })),
    visibility: ['Private', 'ClientCallable'][r.u8()],
    ok_return_type: readType(r),
    err_return_type: readType(r),
  };
}

// Decode a RawModuleDef; only V10 with the sections the C SDK writes (and Procedures/Views
// being absent) is supported.  Throws on anything else or on trailing bytes.
export function decodeModuleDef(bytes) {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== 2) throw new Error(`RawModuleDef: expected V10 (tag 2), got ${version}`);
  const def = { sections: [], typespace: [], types: [], tables: [], reducers: [], schedules: [], lifecycle: [] };
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const tag = r.u8();
    def.sections.push(tag);
    switch (tag) {
      case 0: def.typespace = r.array(() => readType(r)); break;
      case 1: def.types = r.array(() => ({ scope: r.array(() => r.string()), source_name: r.string(), ty: r.u32(), custom_ordering: r.bool() })); break;
      case 2: def.tables = r.array(() => readTable(r)); break;
      case 3: def.reducers = r.array(() => readReducer(r)); break;
      case 6: def.schedules = r.array(() => ({ source_name: r.option(() => r.string()), table_name: r.string(), schedule_at_col: r.u16(), function_name: r.string() })); break;
      case 7: def.lifecycle = r.array(() => ({ lifecycle: ['Init', 'OnConnect', 'OnDisconnect'][r.u8()], function_name: r.string() })); break;
      case 9: def.case_conversion = ['None', 'SnakeCase'][r.u8()]; break;
      default: throw new Error(`RawModuleDefV10: unexpected section ${tag}`);
    }
  }
  if (!r.done()) throw new Error(`RawModuleDef: ${r.b.length - r.pos} trailing bytes`);
  return def;
}

// ---------------------------------------------------------------- values

export function resolve(ts, t) {
  while (t.tag === 'Ref') {
    if (t.ref >= ts.length) throw new Error(`Ref(${t.ref}) out of range`);
    t = ts[t.ref];
  }
  return t;
}

const INT = { I8: [1, true], U8: [1, false], I16: [2, true], U16: [2, false], I32: [4, true], U32: [4, false], I64: [8, true], U64: [8, false], I128: [16, true], U128: [16, false], I256: [32, true], U256: [32, false] };

export function decodeValue(ts, t, r) {
  t = resolve(ts, t);
  if (INT[t.tag]) {
    const [n, signed] = INT[t.tag];
    const v = r.bigint(n, signed);
    return n <= 4 ? Number(v) : v;
  }
  switch (t.tag) {
    case 'Bool': return r.bool();
    case 'F32': { const b = r.bytes(4); return new DataView(b.buffer).getFloat32(0, true); }
    case 'F64': { const b = r.bytes(8); return new DataView(b.buffer).getFloat64(0, true); }
    case 'String': return r.string();
    case 'Array':
      if (resolve(ts, t.elem).tag === 'U8') return r.bytes(r.u32());
      return r.array(() => decodeValue(ts, t.elem, r));
    case 'Product': {
      const o = {};
      for (const e of t.elements) o[e.name] = decodeValue(ts, e.type, r);
      return o;
    }
    case 'Sum': {
      const tag = r.u8();
      if (tag >= t.variants.length) throw new Error(`sum tag ${tag} out of range`);
      return { tag: t.variants[tag].name, value: decodeValue(ts, t.variants[tag].type, r) };
    }
    default: throw new Error(`cannot decode ${t.tag}`);
  }
}

export function encodeValue(ts, t, v, w) {
  t = resolve(ts, t);
  if (INT[t.tag]) { w.bigint(v, INT[t.tag][0]); return; }
  switch (t.tag) {
    case 'Bool': w.u8(v ? 1 : 0); return;
    case 'F32': { const a = new Uint8Array(4); new DataView(a.buffer).setFloat32(0, v, true); w.bytes(a); return; }
    case 'F64': { const a = new Uint8Array(8); new DataView(a.buffer).setFloat64(0, v, true); w.bytes(a); return; }
    case 'String': w.string(v); return;
    case 'Array':
      if (v instanceof Uint8Array) { w.u32(v.length); w.bytes(v); return; }
      w.u32(v.length);
      for (const x of v) encodeValue(ts, t.elem, x, w);
      return;
    case 'Product':
      for (const e of t.elements) encodeValue(ts, e.type, v[e.name], w);
      return;
    case 'Sum': {
      const i = t.variants.findIndex((x) => x.name === v.tag);
      if (i < 0) throw new Error(`no variant ${v.tag}`);
      w.u8(i);
      encodeValue(ts, t.variants[i].type, v.value ?? {}, w);
      return;
    }
    default: throw new Error(`cannot encode ${t.tag}`);
  }
}

export function encode(ts, t, v) { const w = new Writer(); encodeValue(ts, t, v, w); return w.finish(); }
export function decode(ts, t, bytes) { const r = new Reader(bytes); const v = decodeValue(ts, t, r); if (!r.done()) throw new Error('trailing bytes'); return v; }

// Order of values (module-abi.md §3.7): numbers numerically, strings by UTF-8 bytes, products
// and arrays lexicographically, sums by tag then payload.
export function compare(ts, t, a, b) {
  t = resolve(ts, t);
  if (INT[t.tag] || t.tag === 'F32' || t.tag === 'F64' || t.tag === 'Bool') return a < b ? -1 : a > b ? 1 : 0;
  switch (t.tag) {
    case 'String': return bytesCompare(new TextEncoder().encode(a), new TextEncoder().encode(b));
    case 'Array': {
      if (a instanceof Uint8Array) return bytesCompare(a, b);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const c = compare(ts, t.elem, a[i], b[i]);
        if (c) return c;
      }
      return a.length - b.length;
    }
    case 'Product':
      for (const e of t.elements) {
        const c = compare(ts, e.type, a[e.name], b[e.name]);
        if (c) return c;
      }
      return 0;
    case 'Sum': {
      const ia = t.variants.findIndex((x) => x.name === a.tag), ib = t.variants.findIndex((x) => x.name === b.tag);
      if (ia !== ib) return ia - ib;
      return compare(ts, t.variants[ia].type, a.value, b.value);
    }
    default: throw new Error(`cannot compare ${t.tag}`);
  }
}

export function bytesCompare(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function bytesEqual(a, b) { return a.length === b.length && bytesCompare(a, b) === 0; }
export function hex(a) { return Buffer.from(a).toString('hex'); }
