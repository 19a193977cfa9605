// behaviour.mjs — the example modules and the SDK test module run under the toy host
// (lib/host.mjs): reducers, user errors and rollback, lifecycle and scheduled reducers, every
// generated table function, and alltypes' byte-for-byte round trip of every SATS type.
//
//   node tests/sdk/behaviour.mjs EXAMPLES_DIR SDKTEST_WASM FMT_NATIVE_OUTPUT

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ToyHost } from './lib/host.mjs';
import { Writer, encodeValue, bytesEqual, hex } from './lib/bsatn.mjs';
import { test, run } from './lib/t.mjs';
import { checkImportsExports } from './lib/abi.mjs';

const [examples = 'build/examples', sdktestPath, fmtNativePath] = process.argv.slice(2);
const load = (name) => new ToyHost(fs.readFileSync(path.join(examples, `${name}.wasm`)));
const messages = (h) => h.logs.map((l) => l.message);
const le = (n, v) => { const w = new Writer(); w.bigint(v, n); return w.finish(); };
const concat = (...parts) => { const w = new Writer(); for (const p of parts) w.bytes(p); return w.finish(); };

// ---------------------------------------------------------------- bank

test('bank: seed creates missing accounts only', () => {
  const h = load('bank');
  assert.equal(h.call('seed', [3, 100n]).code, 0);
  assert.equal(h.call('transfer', [0, 1, 40n]).code, 0);
  assert.equal(h.call('seed', [5, 7n]).code, 0);
  assert.deepEqual(h.rows('accounts'), [
    { id: 0, balance: 60n }, { id: 1, balance: 140n }, { id: 2, balance: 100n }, { id: 3, balance: 7n }, { id: 4, balance: 7n },
  ]);
});

test('bank: transfer moves money and refuses bad transfers with a user error', () => {
  const h = load('bank');
  h.call('seed', [4, 100n]);
  assert.deepEqual(h.call('transfer', [1, 2, 30n]), { code: 0, error: '', trapped: false, trap: null });
  assert.equal(h.leftover, 0, 'point lookups leave no open iterator');
  const before = h.rows('accounts');
  const refused = [
    [[1, 1, 5n], 'cannot transfer to the same account'],
    [[1, 2, 0n], 'amount must be positive'],
    [[1, 2, -5n], 'amount must be positive'],
    [[9, 2, 5n], 'no account 9'],
    [[1, 9, 5n], 'no account 9'],
    [[1, 2, 71n], 'insufficient balance in account 1'],
  ];
  for (const [args, msg] of refused) {
    const r = h.call('transfer', args);
    assert.deepEqual([r.code, r.error], [1, msg], `transfer(${args})`);
  }
  assert.deepEqual(h.rows('accounts'), before);
  assert.equal(h.call('transfer', [1, 2, 70n]).code, 0);
  assert.deepEqual(h.rows('accounts').map((a) => a.balance), [100n, 0n, 200n, 100n]);
});

// ---------------------------------------------------------------- chat

test('chat: connect, set_name, send_message, disconnect', () => {
  const h = load('chat');
  const alice = new Uint8Array(32).fill(0xa1);
  const id = { __identity__: BigInt('0x' + 'a1'.repeat(32)) };
  assert.equal(h.call('client_connected', [], { sender: alice }).code, 0);
  assert.deepEqual(h.rows('user'), [{ identity: id, name: { tag: 'none', value: {} }, online: true }]);
  assert.deepEqual(h.call('set_name', [''], { sender: alice }).error, 'Names must not be empty');
  assert.deepEqual(h.call('set_name', ['x'], { sender: new Uint8Array(32) }).error, 'Cannot set name for unknown user');
  assert.equal(h.call('set_name', ['Alice'], { sender: alice }).code, 0);
  assert.deepEqual(h.call('send_message', [''], { sender: alice }).error, 'Messages must not be empty');
  assert.equal(h.call('send_message', ['Hello, world'], { sender: alice, timestamp: 1234567n }).code, 0);
  assert.deepEqual(h.rows('message'), [{ sender: id, sent: { __timestamp_micros_since_unix_epoch__: 1234567n }, text: 'Hello, world' }]);
  assert.equal(h.call('client_disconnected', [], { sender: alice }).code, 0);
  assert.deepEqual(h.rows('user'), [{ identity: id, name: { tag: 'some', value: 'Alice' }, online: false }]);
  assert.equal(h.call('client_connected', [], { sender: alice }).code, 0);
  assert.deepEqual(h.rows('user'), [{ identity: id, name: { tag: 'some', value: 'Alice' }, online: true }]);
  h.logs = [];
  assert.equal(h.call('client_disconnected', [], { sender: new Uint8Array(32).fill(2) }).code, 0);
  assert.deepEqual(h.logs.map((l) => [l.level, l.file, l.message]), [[1, 'chat.c', `Disconnect event for unknown user with identity ${'02'.repeat(32)}`]]);
});

// ---------------------------------------------------------------- alltypes

class Raw { constructor(bytes) { this.bytes = bytes; } }

// Encode arguments; a Raw value is written as given (a NaN payload, -0.0).
function args(h, name, values) {
  const { def } = h.reducer(name);
  const w = new Writer();
  def.params.forEach((p, i) => (values[i] instanceof Raw ? w.bytes(values[i].bytes) : encodeValue(h.ts, p.type, values[i], w)));
  return w.finish();
}

const big = (hexStr) => BigInt('0x' + hexStr);
const VALUE_SETS = [
  [255, 65535, 4294967295, 2n ** 64n - 1n, 2n ** 128n - 1n, 2n ** 256n - 1n, -128, -32768, -(2 ** 31), -(2n ** 63n), -(2n ** 127n), -(2n ** 255n),
    new Raw(Uint8Array.of(0x01, 0x00, 0xc0, 0x7f)), new Raw(le(8, 1n << 63n)), true, 'héllo ✓ 日本', Uint8Array.of(0, 1, 2, 255),
    [1, -2, 2147483647], ['', 'a', 'ü'], { tag: 'some', value: -5 }, { tag: 'none', value: {} }, { x: -1, y: 2 },
    { tag: 'rect', value: { x: 3, y: 4 } }, { tag: 'blue', value: {} }, { __identity__: big('0123456789abcdef'.repeat(4)) },
    { __connection_id__: big('fedcba9876543210'.repeat(2)) }, { __timestamp_micros_since_unix_epoch__: -1n }, { __time_duration_micros__: 123456789n }],
  [0, 0, 0, 0n, 0n, 0n, 0, 0, 0, 0n, 0n, 0n, 1.5, Infinity, false, '', new Uint8Array(0), [], [], { tag: 'none', value: {} },
    { tag: 'some', value: '' }, { x: 0, y: 0 }, { tag: 'circle', value: 7 }, { tag: 'red', value: {} }, { __identity__: 0n },
    { __connection_id__: 0n }, { __timestamp_micros_since_unix_epoch__: 0n }, { __time_duration_micros__: -1n }],
  [1, 2, 3, 4n, 5n, 6n, 7, 8, 9, 10n, 11n, 12n, -0.25, Math.PI, true, 'x'.repeat(300), new Uint8Array(1000).fill(9), Array(100).fill(-1),
    ['label'.repeat(60)], { tag: 'some', value: 2147483647 }, { tag: 'some', value: 'x' }, { x: 2147483647, y: -2147483648 },
    { tag: 'label', value: 'a label' }, { tag: 'green', value: {} }, { __identity__: 1n }, { __connection_id__: 1n },
    { __timestamp_micros_since_unix_epoch__: 1700000000000000n }, { __time_duration_micros__: 0n }],
  [9, 9, 9, 9n, 9n, 9n, -9, -9, -9, -9n, -9n, -9n, new Raw(Uint8Array.of(0, 0, 0x80, 0xff)), new Raw(le(8, 0x7ff0000000000001n)), false,
    '\u0000nul', Uint8Array.of(0), [0], [''], { tag: 'none', value: {} }, { tag: 'none', value: {} }, { x: 1, y: 1 },
    { tag: 'empty', value: {} }, { tag: 'blue', value: {} }, { __identity__: 2n ** 255n }, { __connection_id__: 2n ** 127n },
    { __timestamp_micros_since_unix_epoch__: -(2n ** 63n) }, { __time_duration_micros__: 2n ** 63n - 1n }],
];

test('alltypes: insert_row stores exactly the bytes it received, for every SATS type', () => {
  const h = load('alltypes');
  VALUE_SETS.forEach((vals, i) => {
    const a = args(h, 'insert_row', vals);
    const r = h.call('insert_row', a);
    assert.deepEqual([r.code, r.error], [0, ''], `value set ${i}`);
    const row = h.table('all_types').rows[i];
    assert.equal(hex(row), hex(concat(le(8, BigInt(i + 1)), a)), `value set ${i}: row = id ++ arguments`);
  });
  const first = h.rows('all_types')[0];
  assert.equal(first.str, 'héllo ✓ 日本');
  assert.deepEqual(first.sum, { tag: 'rect', value: { x: 3, y: 4 } });
  assert.equal(first.u256, 2n ** 256n - 1n);
  assert.equal(first.i128, -(2n ** 127n));
  assert.deepEqual(messages(h), ['inserted row 1', 'inserted row 2', 'inserted row 3', 'inserted row 4']);
});

test('alltypes: update_row replaces the row byte for byte; delete_row removes it', () => {
  const h = load('alltypes');
  h.call('insert_row', args(h, 'insert_row', VALUE_SETS[0]));
  h.call('insert_row', args(h, 'insert_row', VALUE_SETS[1]));
  const u = args(h, 'update_row', [1n, ...VALUE_SETS[2]]);
  assert.equal(h.call('update_row', u).code, 0);
  assert.equal(hex(h.table('all_types').rows.find((b) => b[0] === 1)), hex(u));
  const missing = h.call('update_row', args(h, 'update_row', [99n, ...VALUE_SETS[3]]));
  assert.deepEqual([missing.code, missing.error], [1, 'no row 99']);
  assert.equal(h.call('delete_row', [1n]).code, 0);
  assert.deepEqual(h.rows('all_types').map((r) => r.id), [2n]);
  assert.deepEqual(h.call('delete_row', [1n]).error, 'no row 1');
});

test('alltypes: init schedules a 50 ms tick; on_tick logs it', () => {
  const h = load('alltypes');
  assert.equal(h.call('init', [], { connectionId: new Uint8Array(16) }).code, 0);
  assert.deepEqual(h.rows('tick'), [{ scheduled_id: 1n, scheduled_at: { tag: 'Interval', value: { __time_duration_micros__: 50000n } } }]);
  assert.equal(h.scheduled.length, 1);
  assert.deepEqual(h.logs.map((l) => [l.level, l.file, l.message]), [[2, 'alltypes.c', 'alltypes: init, ticking every 50 ms']]);
  const row = h.table('tick').rows[0];
  for (const ts of [1000n, 2000n]) assert.equal(h.call('on_tick', row, { timestamp: ts, connectionId: new Uint8Array(16) }).code, 0);
  assert.deepEqual(h.rows('tick_log'), [
    { id: 1n, scheduled_id: 1n, at: { __timestamp_micros_since_unix_epoch__: 1000n } },
    { id: 2n, scheduled_id: 1n, at: { __timestamp_micros_since_unix_epoch__: 2000n } },
  ]);
});

// ---------------------------------------------------------------- the SDK test module

const sdk = () => new ToyHost(fs.readFileSync(sdktestPath), { chunkRows: 3 });

test('sdktest: imports and exports (printf, time, sqrt linked without WASI)', () => {
  checkImportsExports(fs.readFileSync(sdktestPath));
});

test('sdktest: tables declared in a shared header are registered once; indexes and constraints', () => {
  const { def } = sdk();
  assert.deepEqual(def.tables.map((t) => t.source_name), ['item', 'note', 'wide']);
  const [item, note, wide] = def.tables;
  const ix = (n, a, cols, acc) => ({ source_name: n, accessor_name: acc, algorithm: { tag: a, columns: cols } });
  assert.deepEqual(item.indexes, [
    ix('item_id_idx_btree', 'BTree', [0], 'id'), ix('item_code_idx_btree', 'BTree', [1], 'code'),
    ix('item_kind_idx_direct', 'Direct', [2], 'kind'), ix('item_score_idx_btree', 'BTree', [3], 'score'),
    ix('item_tag_idx_hash', 'Hash', [4], 'tag'), ix('item_x_y_idx_btree', 'BTree', [5, 6], 'at'),
    ix('item_tag_kind_idx_hash', 'Hash', [4, 2], 'tag_kind'),
  ]);
  assert.deepEqual(item.constraints.map((c) => c.unique), [[0], [1]]);
  assert.deepEqual(item.primary_key, [0]);
  assert.deepEqual([item.table_access, note.table_access, note.is_event, item.is_event], ['Private', 'Public', true, false]);
  assert.deepEqual(wide.sequences.map((s) => s.column), [0, 1, 2]);
  assert.deepEqual(wide.indexes, [ix('wide_b_idx_btree', 'BTree', [1], 'b')]);
  assert.deepEqual(def.types.map((t) => t.source_name), ['item', 'note', 'wide', 'pos']);
  assert.deepEqual(def.lifecycle, [{ lifecycle: 'Init', function_name: 'init' }]);
});

const ITEMS = [
  // code, kind, score, tag, x, y, blob size
  ['a', 1, 10n, 'red', 0, 0, 10], ['b', 2, 20n, 'blue', 0, 1, 5000], ['c', 1, 30n, 'red', 1, 0, 0],
  ['d', 3, 20n, 'green', 1, 1, 7000], ['e', 2, -5n, 'red', 0, 1, 1], ['f', 1, 20n, 'blue', 2, 2, 4095],
  ['g', 0, 40n, 'red', 0, 0, 3], ['h', 2, 15n, 'blue', 1, 0, 9000],
];

function loaded() {
  const h = sdk();
  for (const it of ITEMS) assert.equal(h.call('add_item', it).code, 0, `add_item ${it[0]}`);
  h.logs = [];
  return h;
}

// The lines `query` logs, computed from the host's rows with the host's ordering rules.
function expectQuery(h, [code, kind, lo, hi, tag, x, y]) {
  const rows = h.rows('item');
  const ids = (label, rs) => `${label}:${rs.length ? ' ' : ''}${rs.map((r) => r.id).join(',')}`;
  const sorted = (rs, k) => [...rs].sort((a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0));
  const found = rows.find((r) => r.code === code);
  const at = rows.filter((r) => r.x >= x).sort((a, b) => a.x - b.x);
  return [
    found ? `find_by_code: ${found.id} ${found.code}` : 'find_by_code: none',
    ids('filter_by_kind', rows.filter((r) => r.kind === kind)),
    ids('range_by_kind', sorted(rows.filter((r) => r.kind >= kind), 'kind')),
    ids('filter_by_score', rows.filter((r) => r.score === lo)),
    ids('range_by_score', sorted(rows.filter((r) => r.score >= lo && r.score <= hi), 'score')),
    ids('range_by_score_lo', sorted(rows.filter((r) => r.score >= lo), 'score')),
    ids('range_by_score_hi', sorted(rows.filter((r) => r.score <= hi), 'score')),
    ids('filter_by_tag', rows.filter((r) => r.tag === tag)),
    ids('filter_by_at', rows.filter((r) => r.x === x && r.y === y)),
    ids('range_by_at', at),
    ids('filter_by_tag_kind', rows.filter((r) => r.tag === tag && r.kind === kind)),
    ids('range_by_id', sorted(rows, 'id')),
    ids('iter_all', rows),
    `count: ${rows.length}`,
  ];
}

test('sdktest: insert with auto_inc write-back; unique violations reported', () => {
  const h = sdk();
  ITEMS.forEach((it, i) => {
    h.logs = [];
    assert.equal(h.call('add_item', it).code, 0);
    assert.deepEqual(messages(h), [`added: ${i + 1}`]);
  });
  const dup = h.call('add_item', ['c', 0, 0n, 'x', 0, 0, 0]);
  assert.deepEqual([dup.code, dup.error], [1, 'duplicate code c']);
  assert.equal(h.rows('item').length, ITEMS.length);
});

test('sdktest: find, filter and range through every kind of index', () => {
  const h = loaded();
  for (const q of [['c', 1, 20n, 30n, 'red', 0, 1], ['zz', 2, -5n, 15n, 'blue', 1, 0], ['h', 9, 100n, 200n, 'none', 5, 5]]) {
    h.logs = [];
    assert.equal(h.call('query', q).code, 0);
    assert.deepEqual(messages(h), expectQuery(h, q), `query ${q}`);
    assert.equal(h.leftover, 0, 'exhausted iterators hold nothing');
  }
});

test('sdktest: full scans across chunk and buffer sizes; closing an iterator early', () => {
  const h = loaded();
  let sum = 0;
  for (const [, kind, , , , , size] of ITEMS) for (let i = 0; i < size; i++) sum += (i * 7 + kind) & 255;
  assert.equal(h.call('blob_sum').code, 0);
  assert.equal(h.call('first_two').code, 0);
  assert.equal(h.leftover, 0, 'the closed iterator is gone');
  assert.deepEqual(messages(h), [`blob_sum: ${sum} rows ${ITEMS.length}`, 'first_two: ok 1 2']);
});

test('sdktest: update through a unique column and through the primary key', () => {
  const h = loaded();
  assert.equal(h.call('set_score', ['d', 99n]).code, 0);
  assert.equal(h.rows('item').find((r) => r.code === 'd').score, 99n);
  assert.equal(h.call('recode', [1, 'b']).code, 0); // clashes with item 2
  assert.equal(h.call('recode', [1000, 'new']).code, 0); // no such row
  assert.equal(h.call('recode', [1, 'a2']).code, 0);
  assert.deepEqual(messages(h), ['set_score: 0', 'recode: 12', 'recode: 15', 'recode: 0']);
  assert.deepEqual(h.rows('item').map((r) => r.code), ['a2', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
});

test('sdktest: delete a row, delete by unique, direct and multi-column indexes, clear', () => {
  const h = loaded();
  h.call('remove_code', ['c']);
  h.call('delete_by', ['a', 2, 0, 0]); // a; b, e, h (kind 2); g (0,0)
  assert.deepEqual(h.rows('item').map((r) => r.code), ['d', 'f']);
  h.call('clear_items');
  assert.deepEqual(messages(h), ['remove_code: 1 0', 'delete_by: 1 3 1', 'clear: 2 0']);
});

test('sdktest: a user error rolls back what the reducer wrote', () => {
  const h = loaded();
  const r = h.call('add_then_fail', ['zz']);
  assert.deepEqual([r.code, r.error], [1, 'failed after inserting zz (id 9)']);
  assert.equal(h.rows('item').length, ITEMS.length);
});

test('sdktest: auto_inc columns of several widths are filled only when zero', () => {
  const h = sdk();
  h.call('add_wide', [0, 0n, 0n]);
  h.call('add_wide', [5, 0n, 0n]);
  h.call('add_wide', [0, 2n, 9n]); // b = 2 is taken: no write-back
  assert.deepEqual(messages(h), ['add_wide: 0 1 1 0 1', 'add_wide: 0 5 2 0 2', 'add_wide: 12 0 2 0 9']);
  assert.deepEqual(h.rows('wide'), [{ a: 1, b: 1n, c: 1n }, { a: 5, b: 2n, c: 2n }]);
});

test('sdktest: lc_format prints what the C library prints', () => {
  const h = sdk();
  assert.equal(h.call('fmt_cases').code, 0);
  const native = fs.readFileSync(fmtNativePath, 'utf8').trimEnd().split('\n');
  const got = messages(h);
  assert.deepEqual(got.slice(0, native.length), native);
  assert.deepEqual(got.slice(native.length), ['trunc: 9 trunc', 'lc_fmt: 7 arena-7']);
});

test('sdktest: printf and time() go through the SDK, not WASI', () => {
  const h = sdk();
  assert.equal(h.call('stdio', [], { timestamp: 1700000000123456n }).code, 0);
  assert.deepEqual(h.logs.map((l) => [l.level, l.target, l.message]), [
    [2, 'wasi', 'printf line 1'], [2, 'wasi', 'two lines'], [2, 'wasi', 'in one call'], [1, 'wasi', 'to stderr'], [2, 'wasi', 'time 1700000000'],
  ]);
});

test('sdktest: caller, database identity, connection id, timestamp, log file and line', () => {
  const h = sdk();
  h.call('context', [], { sender: Uint8Array.from({ length: 32 }, (_, i) => i), timestamp: 42n });
  h.call('context', [], { connectionId: new Uint8Array(16) });
  const m = messages(h);
  const be = Array.from({ length: 32 }, (_, i) => (31 - i).toString(16).padStart(2, '0')).join('');
  assert.deepEqual(m.slice(0, 5), [`sender ${be}`, `database ${'db'.repeat(32)}`, 'connection 1 0909', 'timestamp 42', 'reducer context']);
  assert.equal(m[7], 'connection 0 0000');
  assert.ok(h.logs.every((l) => l.file === 'misc.c' && l.line > 0 && l.target === null));
});

test('sdktest: arguments larger than the stack buffers, arrays of structs', () => {
  const h = sdk();
  const points = Array.from({ length: 50 }, (_, i) => ({ x: i, y: -2 * i }));
  assert.equal(h.call('big_args', ['a'.repeat(400), 'b'.repeat(3), points, ['x', 'yy', 'zzz']]).code, 0);
  assert.deepEqual(messages(h), ['big_args: 400 3 50 1225 -2450 3 6']);
});

test('sdktest: lc_panic logs at level Panic and traps; a bad reducer id traps', () => {
  const h = loaded();
  const r = h.call('panic', ['boom']);
  assert.equal(r.trapped, true);
  assert.deepEqual(h.logs.map((l) => [l.level, l.file, l.message]), [[101, 'misc.c', 'panic: boom']]);
  assert.throws(() => h.exports.__call_reducer__(999, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0, 1));
  assert.equal(h.call('math', [2.0]).code, 0, 'the instance keeps working in this host');
  assert.equal(h.logs.at(-1).message, 'math: 1.414214 5.000000');
});

test('sdktest: init is registered as a lifecycle reducer and callable by the host', () => {
  const h = sdk();
  assert.equal(h.call('init', [], { connectionId: new Uint8Array(16) }).code, 0);
  assert.deepEqual(messages(h), ['init: init']);
});

run('sdk-behaviour');
