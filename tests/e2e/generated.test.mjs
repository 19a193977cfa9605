// e2e generated: the chat flow of chat.test.mjs, but on the bindings that
// `lightcone generate --lang typescript` wrote for examples/chat (run.sh puts
// them in $LIGHTCONE_GENERATED/chat/index.mjs), with the index accessors the
// reference's bindings give (conn.db.user.identity.find, conn.db.message.sender.filter);
// and, when run.sh published alltypes, a row holding every SATS type a module can
// define, inserted through the generated reducer and read back through the generated
// row type under the reference's camelCase accessors (conn.db.allTypes, row.optI32,
// params { connectionId }), while the SQL names stay the module's (all_types).
// database: chat
import { callOk, callUserError, check, connect, main, subscribe, waitFor } from './lib/common.mjs';

const dir = process.env.LIGHTCONE_GENERATED;
if (!dir) throw new Error('LIGHTCONE_GENERATED is not set (run the tests through tests/e2e/run.sh)');

async function chat() {
  const { DbConnection } = await import(`${dir}/chat/index.mjs`);
  const queries = ['SELECT * FROM user', 'SELECT * FROM message'];
  const a = await connect(DbConnection, 'chat', 'A');
  const b = await connect(DbConnection, 'chat', 'B');
  const seen = [];
  b.conn.db.user.onUpdate((_ctx, old, row) => seen.push({ op: 'update', old, row }));
  b.conn.db.message.onInsert((_ctx, row) => seen.push({ op: 'insert', row }));
  await subscribe(a, queries);
  await subscribe(b, queries);
  const me = [...a.conn.db.user.iter()].find(u => u.identity.isEqual(a.identity));
  check(me?.online === true, "A's subscription did not include A's own online user row (generated UserRow)");

  await callOk(a, 'set_name("carol")', a.conn.reducers.setName({ name: 'carol' }));
  await callOk(a, 'send_message("generated hello")', a.conn.reducers.sendMessage({ text: 'generated hello' }));
  await waitFor("B to see A's name become carol through onUpdate", () =>
    seen.find(e => e.op === 'update' && e.row.identity.isEqual(a.identity) && e.row.name === 'carol')
  );
  const msg = await waitFor("B to see A's message through onInsert", () =>
    seen.find(e => e.op === 'insert' && e.row.text === 'generated hello')
  );
  check(msg.row.sender.isEqual(a.identity), 'the message row decoded with the generated type has the wrong sender');
  check(typeof msg.row.sent?.toDate === 'function', 'the sent column did not decode as a Timestamp');
  // The generated indexes, as conn.db.<table>.<accessor>.
  await waitFor("A's cache to hold the message", () =>
    [...a.conn.db.message.sender.filter(a.identity)].some(m => m.text === 'generated hello')
  );
  check(a.conn.db.user.identity.find(a.identity)?.name === 'carol', 'conn.db.user.identity.find did not find carol');
  await callUserError(a, 'send_message("")', a.conn.reducers.sendMessage({ text: '' }), 'Messages must not be empty');
  a.conn.disconnect();
  b.conn.disconnect();
}

async function alltypes() {
  const published = (process.env.LIGHTCONE_PUBLISHED ?? '').split(' ');
  if (!published.includes('alltypes')) return;
  const { DbConnection, tables } = await import(`${dir}/alltypes/index.mjs`);
  const c = await connect(DbConnection, 'alltypes', 'T');
  // SQL and the wire keep the module's names; JavaScript has the camelCase accessors.
  await subscribe(c, ['SELECT * FROM all_types']);
  const rows = [];
  c.conn.db.allTypes.onInsert((_ctx, row) => rows.push(row));
  check(c.conn.db.all_types === c.conn.db.allTypes, 'the deprecated alias conn.db.all_types is not conn.db.allTypes');
  const args = {
    u8: 255, u16: 65535, u32: 4294967295, u64: 18446744073709551615n,
    u128: (1n << 128n) - 1n, u256: (1n << 255n) + 7n,
    i8: -128, i16: -32768, i32: -2147483648, i64: -(1n << 63n),
    i128: -(1n << 127n), i256: -(1n << 255n),
    f32: 1.5, f64: -2.25, flag: true, str: 'héllo',
    bytes: new Uint8Array([0, 1, 255]), ints: [-1, 0, 1], strings: ['a', ''],
    optI32: 42, optString: undefined,
    product: { x: 3, y: -4 },
    sum: { tag: 'rect', value: { x: 1, y: 2 } },
    enumeration: { tag: 'blue' },
    identity: c.identity,
    connectionId: new sdk.ConnectionId(0x1234n),
    timestamp: new sdk.Timestamp(1700000000123456n),
    duration: new sdk.TimeDuration(1500000n),
  };
  await callOk(c, 'insert_row(every type)', c.conn.reducers.insertRow(args));
  const row = await waitFor('the all_types row to arrive', () => rows.find(r => r.str === 'héllo'));
  for (const k of ['u8', 'u16', 'u32', 'u64', 'u128', 'u256', 'i8', 'i16', 'i32', 'i64', 'i128', 'i256', 'f32', 'f64', 'flag', 'str', 'optI32', 'optString'])
    check(row[k] === args[k], `allTypes.${k}: sent ${args[k]}, got ${row[k]}`);
  check(!('opt_i32' in row) && !('connection_id' in row), `the row has snake_case fields: ${Object.keys(row)}`);
  check(row.bytes instanceof Uint8Array && JSON.stringify([...row.bytes]) === '[0,1,255]', `allTypes.bytes: got ${row.bytes}`);
  check(JSON.stringify(row.ints) === '[-1,0,1]' && JSON.stringify(row.strings) === '["a",""]', 'arrays came back different');
  check(row.product.x === 3 && row.product.y === -4, `product: got ${JSON.stringify(row.product)}`);
  check(row.sum.tag === 'rect' && row.sum.value.y === 2, `sum: got ${JSON.stringify(row.sum)}`);
  check(row.enumeration.tag === 'blue', `enum: got ${JSON.stringify(row.enumeration)}`);
  check(row.identity.isEqual(c.identity), 'identity came back different');
  check(row.connectionId.isEqual(args.connectionId), 'connection id came back different');
  check(row.timestamp.microsSinceUnixEpoch === args.timestamp.microsSinceUnixEpoch, 'timestamp came back different');
  check(row.duration.micros === 1500000n, `duration: got ${row.duration.micros}`);
  // The primary key's index under its camelCase name, and a column renamed for SQL.
  check(c.conn.db.allTypes.id.find(row.id)?.str === 'héllo', 'conn.db.allTypes.id.find did not find the row');
  // The query builder writes SQL with the module's names (tick_log, scheduled_id).
  const q = tables.tickLog.where(r => r.scheduledId.eq(0n));
  const sql = q.toSql();
  check(sql.includes('tick_log') && sql.includes('scheduled_id') && !sql.includes('scheduledId'), `query builder SQL: ${sql}`);
  await subscribe(c, [sql]);
  c.conn.disconnect();
}

let sdk;

main('generated', async () => {
  sdk = await import('spacetimedb');
  await chat();
  await alltypes();
});
