// host.mjs — a toy module host for the SDK tests: runs a module under node's WebAssembly with
// the spacetime_10.x imports of module-abi.md §3 backed by in-memory tables.
//
// It follows the reference where the SDK can tell the difference: the null/bounds rule (a
// pointer 0 traps), bytes sources and sinks, row iterators that hand out whole chunks and
// answer BUFFER_TOO_SMALL, sequences filled on zero with the generated values written back
// over the row buffer, set semantics, unique constraints, update through a unique index,
// point and range scans with prefix/bound encoding, and a transaction per reducer call that
// is rolled back on a user error or a trap.  Iterators split rows into chunks of `chunkRows`
// rows so that small row counts still exercise multi-chunk iteration.  Schedules are recorded,
// not run: a test calls the scheduled reducer itself.

import { Reader, Writer, decodeModuleDef, decodeValue, encodeValue, resolve, compare, bytesEqual } from './bsatn.mjs';

export class Trap extends Error {}

const ERR = { NO_SUCH_TABLE: 4, NO_SUCH_INDEX: 5, NO_SUCH_ITER: 6, NO_SUCH_BYTES: 8, WRONG_INDEX_ALGO: 10, BUFFER_TOO_SMALL: 11, UNIQUE_ALREADY_EXISTS: 12, INDEX_NOT_UNIQUE: 14, NO_SUCH_ROW: 15, BSATN_DECODE_ERROR: 3 };

function isZero(v) { return v === 0 || v === 0n; }

export class ToyHost {
  constructor(wasmBytes, { chunkRows = 3, databaseIdentity = new Uint8Array(32).fill(0xdb) } = {}) {
    this.module = new WebAssembly.Module(wasmBytes);
    this.chunkRows = chunkRows;
    this.databaseIdentity = databaseIdentity;
    this.logs = [];
    this.handles = new Map(); // sources, sinks, iterators: id -> object
    this.nextHandle = 1;
    this.scheduled = [];
    this.importsUsed = WebAssembly.Module.imports(this.module);
    this.instance = new WebAssembly.Instance(this.module, this.makeImports());
    this.exports = this.instance.exports;
    this.defBytes = this.describe();
    this.def = decodeModuleDef(this.defBytes);
    this.ts = this.def.typespace;
    this.buildTables();
  }

  // ---------------------------------------------------------------- memory

  mem() { return new Uint8Array(this.exports.memory.buffer); }
  dv() { return new DataView(this.exports.memory.buffer); }
  slice(ptr, len) {
    if (ptr === 0) throw new Trap('null pointer');
    if (ptr + len > this.exports.memory.buffer.byteLength) throw new Trap('out of bounds');
    return this.mem().slice(ptr, ptr + len);
  }
  write(ptr, bytes) {
    if (ptr === 0) throw new Trap('null pointer');
    this.mem().set(bytes, ptr);
  }
  u32At(ptr) { this.slice(ptr, 4); return this.dv().getUint32(ptr, true); }
  setU32(ptr, v) { this.slice(ptr, 4); this.dv().setUint32(ptr, v >>> 0, true); }
  setU64(ptr, v) { this.slice(ptr, 8); this.dv().setBigUint64(ptr, BigInt(v), true); }
  str(ptr, len) { return new TextDecoder().decode(this.slice(ptr, len)); }

  newHandle(obj) { const id = this.nextHandle++; this.handles.set(id, obj); return id; }

  // ---------------------------------------------------------------- tables

  buildTables() {
    this.tables = [];
    this.indexes = [];
    for (const def of this.def.tables) {
      const rowType = resolve(this.ts, { tag: 'Ref', ref: def.product_type_ref });
      const t = { id: this.tables.length + 4096, def, name: def.source_name, rowType, rows: [], seq: new Map() };
      for (const s of def.sequences) t.seq.set(s.column, 1n);
      t.schedule = this.def.schedules.find((s) => s.table_name === def.source_name);
      this.tables.push(t);
      for (const ix of def.indexes) {
        const cols = ix.algorithm.columns;
        const unique = def.constraints.some((c) => c.unique.length === cols.length && c.unique.every((x, i) => x === cols[i]));
        this.indexes.push({ id: this.indexes.length + 8192, table: t, name: ix.source_name, cols, algo: ix.algorithm.tag, unique });
      }
    }
  }
  tableById(id) { return this.tables.find((t) => t.id === id); }
  indexById(id) { return this.indexes.find((i) => i.id === id); }
  table(name) { return this.tables.find((t) => t.name === name); }

  colType(t, c) { return t.rowType.elements[c].type; }
  decodeRow(t, r) { return t.rowType.elements.map((e) => decodeValue(this.ts, e.type, r)); }
  encodeRow(t, vals) { const w = new Writer(); t.rowType.elements.forEach((e, i) => encodeValue(this.ts, e.type, vals[i], w)); return w.finish(); }
  project(t, vals, cols) { const w = new Writer(); for (const c of cols) encodeValue(this.ts, this.colType(t, c), vals[c], w); return w.finish(); }
  rowsOf(t) { return t.rows.map((b) => this.decodeRow(t, new Reader(b))); }

  // Rows of table `name` as objects keyed by column name.
  rows(name) {
    const t = this.table(name);
    return this.rowsOf(t).map((vals) => Object.fromEntries(t.rowType.elements.map((e, i) => [e.name, vals[i]])));
  }

  uniqueClash(t, vals, except) {
    for (const ix of this.indexes) {
      if (ix.table !== t || !ix.unique) continue;
      const key = this.project(t, vals, ix.cols);
      for (const b of t.rows) {
        if (b === except) continue;
        if (bytesEqual(this.project(t, this.decodeRow(t, new Reader(b)), ix.cols), key)) return true;
      }
    }
    return false;
  }

  // Decode a row, fill zero sequence columns; returns [vals, generated columns].
  prepareRow(t, bytes) {
    const r = new Reader(bytes);
    const vals = this.decodeRow(t, r);
    if (!r.done()) throw new Error('trailing bytes in row');
    const gen = [];
    for (const s of t.def.sequences) {
      if (!isZero(vals[s.column])) continue;
      const v = t.seq.get(s.column);
      t.seq.set(s.column, v + 1n);
      const ty = resolve(this.ts, this.colType(t, s.column)).tag;
      vals[s.column] = ['I8', 'U8', 'I16', 'U16', 'I32', 'U32'].includes(ty) ? Number(v) : v;
      gen.push(s.column);
    }
    return [vals, gen];
  }

  writeBack(t, vals, gen, ptr, lenPtr) {
    const out = this.project(t, vals, gen);
    this.write(ptr, out);
    this.setU32(lenPtr, out.length);
  }

  insert(t, ptr, lenPtr) {
    const given = this.slice(ptr, this.u32At(lenPtr));
    const [vals, gen] = this.prepareRow(t, given);
    const bytes = gen.length ? this.encodeRow(t, vals) : given;
    if (!t.rows.some((b) => bytesEqual(b, bytes))) {
      if (this.uniqueClash(t, vals, null)) return ERR.UNIQUE_ALREADY_EXISTS;
      t.rows.push(bytes);
      if (t.schedule) this.scheduled.push({ table: t.name, row: bytes });
    }
    this.writeBack(t, vals, gen, ptr, lenPtr);
    return 0;
  }

  update(t, ix, ptr, lenPtr) {
    if (!ix.unique) return ERR.INDEX_NOT_UNIQUE;
    const given = this.slice(ptr, this.u32At(lenPtr));
    const [vals, gen] = this.prepareRow(t, given);
    const key = this.project(t, vals, ix.cols);
    const i = t.rows.findIndex((b) => bytesEqual(this.project(t, this.decodeRow(t, new Reader(b)), ix.cols), key));
    if (i < 0) return ERR.NO_SUCH_ROW;
    if (this.uniqueClash(t, vals, t.rows[i])) return ERR.UNIQUE_ALREADY_EXISTS;
    t.rows[i] = gen.length ? this.encodeRow(t, vals) : given;
    if (t.schedule) this.scheduled.push({ table: t.name, row: t.rows[i] });
    this.writeBack(t, vals, gen, ptr, lenPtr);
    return 0;
  }

  // Rows (bytes) of ix's table matching a point key, or a prefix + bounds.
  matchPoint(ix, keyBytes) {
    const t = ix.table;
    const r = new Reader(keyBytes);
    for (const c of ix.cols) decodeValue(this.ts, this.colType(t, c), r); // must decode
    if (!r.done()) throw new Error('trailing bytes in key');
    return t.rows.filter((b) => bytesEqual(this.project(t, this.decodeRow(t, new Reader(b)), ix.cols), keyBytes));
  }

  matchRange(ix, prefix, k, start, end) {
    const t = ix.table;
    const pr = new Reader(prefix);
    const pvals = ix.cols.slice(0, k).map((c) => decodeValue(this.ts, this.colType(t, c), pr));
    const ct = this.colType(t, ix.cols[k]);
    const bound = (bytes) => {
      const r = new Reader(bytes);
      const tag = r.u8();
      if (tag === 2) return null;
      return { inclusive: tag === 0, v: decodeValue(this.ts, ct, r) };
    };
    const lo = bound(start), hi = bound(end);
    const hits = [];
    for (const b of t.rows) {
      const vals = this.decodeRow(t, new Reader(b));
      if (!pvals.every((pv, i) => compare(this.ts, this.colType(t, ix.cols[i]), vals[ix.cols[i]], pv) === 0)) continue;
      const v = vals[ix.cols[k]];
      if (lo) { const c = compare(this.ts, ct, v, lo.v); if (c < 0 || (c === 0 && !lo.inclusive)) continue; }
      if (hi) { const c = compare(this.ts, ct, v, hi.v); if (c > 0 || (c === 0 && !hi.inclusive)) continue; }
      hits.push([v, b]);
    }
    hits.sort((a, b) => compare(this.ts, ct, a[0], b[0]));
    return hits.map((h) => h[1]);
  }

  newIter(rows) {
    const chunks = [];
    for (let i = 0; i < rows.length; i += this.chunkRows) {
      const part = rows.slice(i, i + this.chunkRows);
      const w = new Writer();
      for (const p of part) w.bytes(p);
      chunks.push(w.finish());
    }
    return this.newHandle({ kind: 'iter', chunks });
  }

  deleteRows(t, victims) {
    const before = t.rows.length;
    t.rows = t.rows.filter((b) => !victims.includes(b));
    return before - t.rows.length;
  }

  // ---------------------------------------------------------------- imports

  makeImports() {
    const h = this;
    const v0 = {
      table_id_from_name(p, n, out) {
        const name = h.str(p, n);
        const t = h.tables.find((x) => x.name === name);
        if (!t) return ERR.NO_SUCH_TABLE;
        h.setU32(out, t.id);
        return 0;
      },
      index_id_from_name(p, n, out) {
        const name = h.str(p, n);
        const ix = h.indexes.find((x) => x.name === name);
        if (!ix) return ERR.NO_SUCH_INDEX;
        h.setU32(out, ix.id);
        return 0;
      },
      datastore_table_row_count(tid, out) {
        const t = h.tableById(tid);
        if (!t) return ERR.NO_SUCH_TABLE;
        h.setU64(out, t.rows.length);
        return 0;
      },
      datastore_table_scan_bsatn(tid, out) {
        const t = h.tableById(tid);
        if (!t) return ERR.NO_SUCH_TABLE;
        h.setU32(out, h.newIter(t.rows.slice()));
        return 0;
      },
      datastore_index_scan_range_bsatn(iid, pp, pl, k, sp, sl, ep, el, out) {
        const ix = h.indexById(iid);
        if (!ix) return ERR.NO_SUCH_INDEX;
        if (ix.algo === 'Hash') return ERR.WRONG_INDEX_ALGO;
        if (k >= ix.cols.length) return ERR.BSATN_DECODE_ERROR;
        const prefix = k > 0 ? h.slice(pp, pl) : new Uint8Array(0);
        h.setU32(out, h.newIter(h.matchRange(ix, prefix, k, h.slice(sp, sl), h.slice(ep, el))));
        return 0;
      },
      row_iter_bsatn_advance(id, buf, lenPtr) {
        const it = h.handles.get(id);
        if (!it || it.kind !== 'iter') return ERR.NO_SUCH_ITER;
        const cap = h.u32At(lenPtr);
        h.slice(buf, cap);
        let n = 0;
        while (it.chunks.length && n + it.chunks[0].length <= cap) {
          h.write(buf + n, it.chunks[0]);
          n += it.chunks.shift().length;
        }
        if (n === 0 && it.chunks.length) {
          h.setU32(lenPtr, it.chunks[0].length);
          return ERR.BUFFER_TOO_SMALL;
        }
        h.setU32(lenPtr, n);
        if (!it.chunks.length) { h.handles.delete(id); return -1; }
        return 0;
      },
      row_iter_bsatn_close(id) {
        const it = h.handles.get(id);
        if (!it || it.kind !== 'iter') return ERR.NO_SUCH_ITER;
        h.handles.delete(id);
        return 0;
      },
      datastore_insert_bsatn(tid, p, lp) {
        const t = h.tableById(tid);
        if (!t) return ERR.NO_SUCH_TABLE;
        return h.insert(t, p, lp);
      },
      datastore_update_bsatn(tid, iid, p, lp) {
        const t = h.tableById(tid), ix = h.indexById(iid);
        if (!t) return ERR.NO_SUCH_TABLE;
        if (!ix || ix.table !== t) return ERR.NO_SUCH_INDEX;
        return h.update(t, ix, p, lp);
      },
      datastore_delete_by_index_scan_range_bsatn(iid, pp, pl, k, sp, sl, ep, el, out) {
        const ix = h.indexById(iid);
        if (!ix) return ERR.NO_SUCH_INDEX;
        if (ix.algo === 'Hash') return ERR.WRONG_INDEX_ALGO;
        const prefix = k > 0 ? h.slice(pp, pl) : new Uint8Array(0);
        h.setU32(out, h.deleteRows(ix.table, h.matchRange(ix, prefix, k, h.slice(sp, sl), h.slice(ep, el))));
        return 0;
      },
      datastore_delete_all_by_eq_bsatn(tid, p, n, out) {
        const t = h.tableById(tid);
        if (!t) return ERR.NO_SUCH_TABLE;
        const r = new Reader(h.slice(p, n));
        const count = r.u32();
        const victims = [];
        for (let i = 0; i < count; i++) {
          const start = r.pos;
          h.decodeRow(t, r);
          const bytes = r.b.slice(start, r.pos);
          victims.push(...t.rows.filter((b) => bytesEqual(b, bytes)));
        }
        h.setU32(out, h.deleteRows(t, victims));
        return 0;
      },
      bytes_source_read(id, buf, lenPtr) {
        const s = h.handles.get(id);
        if (!s || s.kind !== 'source') return ERR.NO_SUCH_BYTES;
        const cap = h.u32At(lenPtr);
        h.slice(buf, cap);
        const n = Math.min(cap, s.bytes.length - s.pos);
        h.write(buf, s.bytes.slice(s.pos, s.pos + n));
        s.pos += n;
        h.setU32(lenPtr, n);
        if (s.pos === s.bytes.length) { h.handles.delete(id); return -1; }
        return 0;
      },
      bytes_sink_write(id, buf, lenPtr) {
        const s = h.handles.get(id);
        if (!s || s.kind !== 'sink') return ERR.NO_SUCH_BYTES;
        s.parts.push(h.slice(buf, h.u32At(lenPtr)));
        return 0;
      },
      console_log(level, tp, tl, fp, fl, line, mp, ml) {
        const opt = (p, l) => (p === 0 ? null : h.str(p, l));
        h.logs.push({ level, target: opt(tp, tl), file: opt(fp, fl), line: line >>> 0 === 0xffffffff ? null : line >>> 0, message: h.str(mp, ml) });
      },
      identity(out) { h.write(out, h.databaseIdentity); },
    };
    const v1 = {
      bytes_source_remaining_length(id, out) {
        const s = h.handles.get(id);
        if (!s || s.kind !== 'source') return ERR.NO_SUCH_BYTES;
        h.setU32(out, s.bytes.length - s.pos);
        return 0;
      },
    };
    const v4 = {
      datastore_index_scan_point_bsatn(iid, p, n, out) {
        const ix = h.indexById(iid);
        if (!ix) return ERR.NO_SUCH_INDEX;
        h.setU32(out, h.newIter(h.matchPoint(ix, h.slice(p, n))));
        return 0;
      },
      datastore_delete_by_index_scan_point_bsatn(iid, p, n, out) {
        const ix = h.indexById(iid);
        if (!ix) return ERR.NO_SUCH_INDEX;
        h.setU32(out, h.deleteRows(ix.table, h.matchPoint(ix, h.slice(p, n))));
        return 0;
      },
    };
    const v5 = {
      datastore_clear(tid, out) {
        const t = h.tableById(tid);
        if (!t) return ERR.NO_SUCH_TABLE;
        h.setU64(out, t.rows.length);
        t.rows = [];
        return 0;
      },
    };
    return { 'spacetime_10.0': v0, 'spacetime_10.1': v1, 'spacetime_10.4': v4, 'spacetime_10.5': v5 };
  }

  // ---------------------------------------------------------------- exports

  describe() {
    const sink = this.newHandle({ kind: 'sink', parts: [] });
    this.exports.__describe_module__(sink);
    const w = new Writer();
    for (const p of this.handles.get(sink).parts) w.bytes(p);
    this.handles.clear();
    return w.finish();
  }

  reducer(name) {
    const id = this.def.reducers.findIndex((r) => r.source_name === name);
    if (id < 0) throw new Error(`no reducer ${name}`);
    return { id, def: this.def.reducers[id] };
  }

  // Encode arguments given as an array of JS values in parameter order.
  encodeArgs(name, values) {
    const { def } = this.reducer(name);
    const w = new Writer();
    def.params.forEach((p, i) => encodeValue(this.ts, p.type, values[i], w));
    return w.finish();
  }

  // Call a reducer with BSATN args (a Uint8Array) or JS values (an array).  Returns
  // {code, error, trapped}; the "transaction" is rolled back unless code is 0.
  call(name, args = [], { sender = new Uint8Array(32).fill(7), connectionId = new Uint8Array(16).fill(9), timestamp = 1700000000000000n } = {}) {
    const { id } = this.reducer(name);
    const bytes = args instanceof Uint8Array ? args : this.encodeArgs(name, args);
    const saved = this.tables.map((t) => t.rows.slice());
    const src = bytes.length ? this.newHandle({ kind: 'source', bytes, pos: 0 }) : 0;
    const sink = this.newHandle({ kind: 'sink', parts: [] });
    const words = (b, n) => Array.from({ length: n }, (_, i) => new DataView(b.buffer, b.byteOffset).getBigUint64(8 * i, true));
    let code, trapped = false, trap = null;
    try {
      code = this.exports.__call_reducer__(id, ...words(sender, 4), ...words(connectionId, 2), BigInt(timestamp), src, sink);
    } catch (e) {
      trapped = true;
      trap = e;
      code = null;
    }
    const w = new Writer();
    for (const p of this.handles.get(sink).parts) w.bytes(p);
    const error = new TextDecoder().decode(w.finish());
    this.leftover = [...this.handles.values()].filter((x) => x.kind === 'iter').length;
    this.handles.clear();
    if (code !== 0) this.tables.forEach((t, i) => { t.rows = saved[i]; });
    return { code, error, trapped, trap };
  }
}
