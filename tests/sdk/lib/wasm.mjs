// wasm.mjs — just enough of the wasm binary format to list a module's imports and exports
// with their function signatures (node's WebAssembly.Module.imports() gives no types).

function leb(b, p) {
  let v = 0, shift = 0, byte;
  do {
    byte = b[p.i++];
    v |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return v >>> 0;
}

const VALTYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

function name(b, p) {
  const n = leb(b, p);
  const s = new TextDecoder().decode(b.subarray(p.i, p.i + n));
  p.i += n;
  return s;
}

// Returns {imports: [{module, name, kind, sig}], exports: [{name, kind, sig}]}, where sig is
// "(i32, i64) -> i32" for functions.
export function inspect(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error('not a wasm module');
  const types = [], funcs = [], imports = [], exports = [];
  let p = { i: 8 };
  while (p.i < b.length) {
    const id = b[p.i++];
    const size = leb(b, p);
    const end = p.i + size;
    if (id === 1) {
      for (let n = leb(b, p); n > 0; n--) {
        if (b[p.i++] !== 0x60) throw new Error('bad func type');
        const params = [], results = [];
        for (let k = leb(b, p); k > 0; k--) params.push(VALTYPES[b[p.i++]]);
        for (let k = leb(b, p); k > 0; k--) results.push(VALTYPES[b[p.i++]]);
        types.push(`(${params.join(', ')}) -> ${results.length ? results.join(', ') : 'nil'}`);
      }
    } else if (id === 2) {
      for (let n = leb(b, p); n > 0; n--) {
        const module = name(b, p), field = name(b, p), kind = b[p.i++];
        if (kind === 0) {
          const sig = types[leb(b, p)];
          funcs.push(sig);
          imports.push({ module, name: field, kind: 'function', sig });
        } else {
          imports.push({ module, name: field, kind: ['function', 'table', 'memory', 'global'][kind] });
          p.i = end; // the SDK never imports these; stop parsing this section
          break;
        }
      }
    } else if (id === 3) {
      for (let n = leb(b, p); n > 0; n--) funcs.push(types[leb(b, p)]);
    } else if (id === 7) {
      for (let n = leb(b, p); n > 0; n--) {
        const field = name(b, p), kind = b[p.i++], index = leb(b, p);
        const e = { name: field, kind: ['function', 'table', 'memory', 'global'][kind] };
        if (kind === 0) e.sig = funcs[index];
        exports.push(e);
      }
    }
    p.i = end;
  }
  return { imports, exports };
}
