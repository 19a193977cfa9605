// abi.mjs — the module ABI's imports and exports (module-abi.md §1.2, §3.0), and a check that a
// module uses nothing else.

import assert from 'node:assert/strict';
import { inspect } from './wasm.mjs';

// module-abi.md §3.0: the version that introduced each function, and its wasm signature.
const I = (n) => `(${Array(n).fill('i32').join(', ')}) -> i32`;
export const ABI = {
  table_id_from_name: ['10.0', I(3)],
  index_id_from_name: ['10.0', I(3)],
  datastore_table_row_count: ['10.0', I(2)],
  datastore_table_scan_bsatn: ['10.0', I(2)],
  datastore_index_scan_range_bsatn: ['10.0', I(9)],
  datastore_btree_scan_bsatn: ['10.0', I(9)],
  row_iter_bsatn_advance: ['10.0', I(3)],
  row_iter_bsatn_close: ['10.0', I(1)],
  datastore_insert_bsatn: ['10.0', I(3)],
  datastore_update_bsatn: ['10.0', I(4)],
  datastore_delete_by_index_scan_range_bsatn: ['10.0', I(9)],
  datastore_delete_by_btree_scan_bsatn: ['10.0', I(9)],
  datastore_delete_all_by_eq_bsatn: ['10.0', I(4)],
  bytes_source_read: ['10.0', I(3)],
  bytes_sink_write: ['10.0', I(3)],
  console_log: ['10.0', '(i32, i32, i32, i32, i32, i32, i32, i32) -> nil'],
  console_timer_start: ['10.0', I(2)],
  console_timer_end: ['10.0', I(1)],
  identity: ['10.0', '(i32) -> nil'],
  bytes_source_remaining_length: ['10.1', I(2)],
  get_jwt: ['10.2', I(2)],
  datastore_index_scan_point_bsatn: ['10.4', I(4)],
  datastore_delete_by_index_scan_point_bsatn: ['10.4', I(4)],
  datastore_clear: ['10.5', I(2)],
};

export function checkImportsExports(bytes) {
  const { imports, exports } = inspect(bytes);
  assert.ok(imports.length > 0, 'a module must import at least one spacetime_10.x function');
  for (const im of imports) {
    const where = `${im.module}.${im.name}`;
    assert.equal(im.kind, 'function', `${where}: only functions may be imported`);
    assert.match(im.module, /^spacetime_10\.[0-5]$/, `${where}: only spacetime_10.0..10.5 imports are allowed`);
    const abi = ABI[im.name];
    assert.ok(abi, `${where}: not a function of the module ABI`);
    assert.equal(im.module, `spacetime_${abi[0]}`, `${where}: belongs to spacetime_${abi[0]}`);
    assert.equal(im.sig, abi[1], `${where}: signature`);
  }
  const ex = Object.fromEntries(exports.map((e) => [e.name, e]));
  assert.deepEqual(Object.keys(ex).sort(), ['__call_reducer__', '__describe_module__', 'memory']);
  assert.equal(ex.memory.kind, 'memory');
  assert.equal(ex.__describe_module__.sig, '(i32) -> nil');
  assert.equal(ex.__call_reducer__.sig, '(i32, i64, i64, i64, i64, i64, i64, i64, i32, i32) -> i32');
}

