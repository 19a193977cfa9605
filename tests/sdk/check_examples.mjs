// check_examples.mjs — what the host will see of each example module, checked without a
// host: the imports (only spacetime_10.x functions, with the ABI's signatures), the exports
// (module-abi.md §1.2), and the module definition __describe_module__ writes (§5), decoded
// strictly and compared with the shapes the tests and the TypeScript client depend on.
//
//   node tests/sdk/check_examples.mjs [DIR]     DIR holds bank.wasm, chat.wasm, alltypes.wasm
//                                               (default build/examples)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ToyHost } from './lib/host.mjs';
import { typeName } from './lib/bsatn.mjs';
import { checkImportsExports } from './lib/abi.mjs';
import { test, run } from './lib/t.mjs';

const dir = process.argv[2] || 'build/examples';
const load = (name) => fs.readFileSync(path.join(dir, `${name}.wasm`));

// "name: Type" for each column of a table, in order.
function columns(def, table) {
  const t = def.tables.find((x) => x.source_name === table);
  assert.ok(t, `no table ${table}`);
  const row = def.typespace[t.product_type_ref];
  return row.elements.map((e) => `${e.name}: ${typeName(e.type)}`);
}

function reducers(def) {
  return def.reducers.map((r) => `${r.source_name}(${r.params.map((p) => `${p.name}: ${typeName(p.type)}`).join(', ')}) ${r.visibility}`);
}

function checkCommon(def) {
  for (const r of def.reducers) {
    assert.deepEqual(r.ok_return_type, { tag: 'Product', elements: [] }, `${r.source_name}: ok type is unit`);
    assert.deepEqual(r.err_return_type, { tag: 'String' }, `${r.source_name}: err type is String`);
  }
  // every table row is a Ref to a product with named elements and a Types entry (§5.3, §5.4)
  for (const t of def.tables) {
    assert.equal(def.typespace[t.product_type_ref].tag, 'Product');
    assert.ok(def.types.some((ty) => ty.ty === t.product_type_ref), `${t.source_name}: row type has a Types entry`);
    assert.equal(t.table_type, 'User');
    assert.deepEqual(t.default_values, []);
  }
  for (const ty of def.types) {
    assert.deepEqual(ty.scope, []);
    assert.equal(ty.custom_ordering, true);
  }
  assert.equal(new Set(def.types.map((t) => t.source_name)).size, def.types.length, 'type names are unique');
  assert.equal(def.case_conversion, 'None', 'names stay as written');
}

const btree = (table, col, colId) => ({ source_name: `${table}_${col}_idx_btree`, accessor_name: col, algorithm: { tag: 'BTree', columns: [colId] } });
const unique = (colId) => ({ source_name: null, unique: [colId] });
const autoInc = (colId) => ({ source_name: null, column: colId, start: null, min_value: null, max_value: null, increment: 1n });

for (const name of ['bank', 'chat', 'alltypes']) {
  test(`${name}: imports only spacetime_10.x functions, exports memory, __describe_module__, __call_reducer__`, () => {
    checkImportsExports(load(name));
  });
}

test('bank: module definition', () => {
  const { def } = new ToyHost(load('bank'));
  checkCommon(def);
  assert.deepEqual(def.sections, [0, 1, 2, 3, 9]);
  assert.deepEqual(def.types.map((t) => t.source_name), ['accounts']);
  assert.deepEqual(columns(def, 'accounts'), ['id: U32', 'balance: I64']);
  const t = def.tables[0];
  assert.equal(def.tables.length, 1);
  assert.deepEqual(t.primary_key, [0]);
  assert.deepEqual(t.indexes, [btree('accounts', 'id', 0)]);
  assert.deepEqual(t.constraints, [unique(0)]);
  assert.deepEqual(t.sequences, []);
  assert.equal(t.table_access, 'Public');
  assert.equal(t.is_event, false);
  assert.deepEqual(reducers(def), ['seed(n: U32, balance: I64) ClientCallable', 'transfer(from: U32, to: U32, amount: I64) ClientCallable']);
  assert.deepEqual(def.lifecycle, []);
  assert.deepEqual(def.schedules, []);
});

test('chat: module definition', () => {
  const { def } = new ToyHost(load('chat'));
  checkCommon(def);
  assert.deepEqual(def.sections, [0, 1, 2, 3, 7, 9]);
  assert.deepEqual(def.tables.map((t) => t.source_name), ['user', 'message']);
  assert.deepEqual(columns(def, 'user'), ['identity: Identity', 'name: Option<String>', 'online: Bool']);
  assert.deepEqual(columns(def, 'message'), ['sender: Identity', 'sent: Timestamp', 'text: String']);
  const [user, message] = def.tables;
  assert.deepEqual(user.primary_key, [0]);
  assert.deepEqual(user.indexes, [btree('user', 'identity', 0)]);
  assert.deepEqual(user.constraints, [unique(0)]);
  assert.deepEqual([user.table_access, message.table_access], ['Public', 'Public']);
  // a plain (non-unique) btree on sender: subscriptions join message.sender = user.identity
  assert.deepEqual(message.indexes, [btree('message', 'sender', 0)]);
  assert.deepEqual([message.primary_key, message.constraints, message.sequences], [[], [], []]);
  // the special types exactly as §5.2 writes them, inline
  const el = def.typespace[user.product_type_ref].elements;
  assert.deepEqual(el[0].type, { tag: 'Product', elements: [{ name: '__identity__', type: { tag: 'U256' } }] });
  assert.deepEqual(el[1].type, { tag: 'Sum', variants: [{ name: 'some', type: { tag: 'String' } }, { name: 'none', type: { tag: 'Product', elements: [] } }] });
  const sent = def.typespace[message.product_type_ref].elements[1].type;
  assert.deepEqual(sent, { tag: 'Product', elements: [{ name: '__timestamp_micros_since_unix_epoch__', type: { tag: 'I64' } }] });
  assert.deepEqual(reducers(def), [
    'set_name(name: String) ClientCallable',
    'send_message(text: String) ClientCallable',
    'client_connected() Private',
    'client_disconnected() Private',
  ]);
  assert.deepEqual(def.lifecycle, [
    { lifecycle: 'OnConnect', function_name: 'client_connected' },
    { lifecycle: 'OnDisconnect', function_name: 'client_disconnected' },
  ]);
});

test('alltypes: module definition', () => {
  const { def } = new ToyHost(load('alltypes'));
  checkCommon(def);
  assert.deepEqual(def.sections, [0, 1, 2, 3, 6, 7, 9]);
  assert.deepEqual(def.tables.map((t) => t.source_name), ['all_types', 'tick', 'tick_log', 'alarm', 'alarm_log']);
  const ref = (n) => `Ref(${def.types.find((t) => t.source_name === n).ty})`;
  const cols = [
    'id: U64', 'u8: U8', 'u16: U16', 'u32: U32', 'u64: U64', 'u128: U128', 'u256: U256',
    'i8: I8', 'i16: I16', 'i32: I32', 'i64: I64', 'i128: I128', 'i256: I256', 'f32: F32', 'f64: F64',
    'flag: Bool', 'str: String', 'bytes: Array<U8>', 'ints: Array<I32>', 'strings: Array<String>',
    'opt_i32: Option<I32>', 'opt_string: Option<String>', `product: ${ref('point')}`, `sum: ${ref('shape')}`,
    `enumeration: ${ref('color')}`, 'identity: Identity', 'connection_id: ConnectionId', 'timestamp: Timestamp',
    'duration: TimeDuration',
  ];
  assert.deepEqual(columns(def, 'all_types'), cols);
  const ts = def.typespace;
  assert.equal(typeName(ts[def.types.find((t) => t.source_name === 'point').ty]), 'Product{x: I32, y: I32}');
  assert.equal(typeName(ts[def.types.find((t) => t.source_name === 'shape').ty]), `Sum{circle: I32, rect: ${ref('point')}, label: String, empty: Unit}`);
  assert.equal(typeName(ts[def.types.find((t) => t.source_name === 'color').ty]), 'Sum{red: Unit, green: Unit, blue: Unit}');
  const [all, tick, log] = def.tables;
  assert.deepEqual(all.primary_key, [0]);
  assert.deepEqual(all.indexes, [btree('all_types', 'id', 0)]);
  assert.deepEqual(all.constraints, [unique(0)]);
  assert.deepEqual(all.sequences, [autoInc(0)]);
  assert.deepEqual(columns(def, 'tick'), ['scheduled_id: U64', 'scheduled_at: ScheduleAt']);
  assert.deepEqual(ts[tick.product_type_ref].elements[1].type, {
    tag: 'Sum',
    variants: [
      { name: 'Interval', type: { tag: 'Product', elements: [{ name: '__time_duration_micros__', type: { tag: 'I64' } }] } },
      { name: 'Time', type: { tag: 'Product', elements: [{ name: '__timestamp_micros_since_unix_epoch__', type: { tag: 'I64' } }] } },
    ],
  });
  assert.deepEqual([tick.primary_key, tick.sequences], [[0], [autoInc(0)]]);
  assert.deepEqual(columns(def, 'tick_log'), ['id: U64', 'scheduled_id: U64', 'at: Timestamp']);
  assert.deepEqual(log.sequences, [autoInc(0)]);
  assert.deepEqual(def.schedules, [
    { source_name: null, table_name: 'tick', schedule_at_col: 1, function_name: 'on_tick' },
    { source_name: null, table_name: 'alarm', schedule_at_col: 1, function_name: 'on_alarm' },
  ]);
  assert.deepEqual(columns(def, 'alarm'), ['scheduled_id: U64', 'scheduled_at: ScheduleAt', 'note: String']);
  assert.deepEqual(def.lifecycle, [{ lifecycle: 'Init', function_name: 'init' }]);
  const rs = reducers(def);
  assert.deepEqual(rs.map((r) => r.split('(')[0]), ['insert_row', 'update_row', 'delete_row', 'on_tick', 'init', 'set_alarm', 'on_alarm']);
  assert.equal(rs[0], `insert_row(${cols.slice(1).join(', ')}) ClientCallable`);
  assert.equal(rs[1], `update_row(${cols.join(', ')}) ClientCallable`);
  assert.equal(rs[2], 'delete_row(id: U64) ClientCallable');
  assert.equal(rs[3], `on_tick(row: ${ref('tick')}) Private`);
  assert.equal(rs[4], 'init() Private');
});

run('sdk-examples');
