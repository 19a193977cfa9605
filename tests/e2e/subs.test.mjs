// e2e subs: subscriptions with a WHERE filter and a join, through the SDK on
// examples/chat.  A subscribes to every 'ping' (a filter) and, separately, to
// bob's messages (message JOIN user on the indexed sender/identity columns,
// WHERE user.name = 'bob'); bob and carol send 'ping', 'pong' and 'hello'.
// A's cache must hold exactly the rows either query matches.  Renaming carol
// to 'bob' and back moves her messages into and out of the join (the delta
// from the user side); unsubscribing the join drops bob's non-ping messages,
// unsubscribing the filter empties the cache, each through onDelete.
// database: chat
import { DbConnection } from './bindings/chat.mjs';
import { callOk, check, connect, errText, main, waitFor, within } from './lib/common.mjs';

// The database is shared with the other chat tests (chat.test.mjs names a
// user "bob"), so names and texts carry a per-run tag; rows are shown
// without it.
const TAG = `-${process.pid}-${Date.now() % 100000}`;
const BOB = `bob${TAG}`;
const CAROL = `carol${TAG}`;
const PING = `SELECT * FROM message WHERE text = 'ping${TAG}'`;
const BOBS = `SELECT message.* FROM message JOIN user ON message.sender = user.identity WHERE user.name = '${BOB}'`;

/* Subscribe and resolve on onApplied with the SDK's subscription handle. */
function subscribeHandle(client, queries) {
  let handle;
  const applied = new Promise((resolve, reject) => {
    handle = client.conn
      .subscriptionBuilder()
      .onApplied(() => resolve())
      .onError((_ctx, err) => reject(new Error(`${client.label}: subscription error: ${errText(err)}`)))
      .subscribe(queries);
  });
  return within(`${client.label}'s subscription to ${JSON.stringify(queries)} to be applied`, applied).then(() => handle);
}

/* Unsubscribe and resolve once the SDK reports the subscription ended. */
function unsubscribe(client, handle, what) {
  const ended = new Promise(resolve => handle.unsubscribeThen(() => resolve()));
  return within(`${client.label}'s unsubscribe from ${what} to end`, ended);
}

main('subs', async () => {
  const a = await connect(DbConnection, 'chat', 'A');
  const events = [];
  const names = new Map(); // identity hex -> label, for messages
  const who = row => names.get(row.sender.toHexString()) ?? row.sender.toHexString().slice(0, 8);
  const key = row => `${who(row)}:${row.text.replace(TAG, '')}`;
  a.conn.db.message.onInsert((_ctx, row) => events.push(`+${key(row)}`));
  a.conn.db.message.onDelete((_ctx, row) => events.push(`-${key(row)}`));
  const cache = () => [...a.conn.db.message.iter()].map(key).sort();
  const show = () => `A's cache: [${cache().join(', ')}]; A's message events: ${events.join(' ') || 'none'}`;
  /* Wait until A's cache is exactly `want` (sorted), then check the events since `from`. */
  async function expectCache(what, want, from, wantEvents) {
    want = [...want].sort();
    await waitFor(`${what}: A's cache to be [${want.join(', ')}]; ${show()}`, () => cache().join('|') === want.join('|'));
    const got = events.slice(from).sort();
    check(
      got.join(' ') === [...wantEvents].sort().join(' '),
      `${what}: A's message callbacks were [${got.join(' ')}], expected [${[...wantEvents].sort().join(' ')}]; ${show()}`
    );
    const n = a.conn.db.message.count();
    check(n === BigInt(want.length), `${what}: A's message count() is ${n}, expected ${want.length}`);
  }

  const pingSub = await subscribeHandle(a, [PING]);
  const bobSub = await subscribeHandle(a, [BOBS]);
  check(cache().length === 0, `A's cache is not empty before any message: ${show()}`);

  const b = await connect(DbConnection, 'chat', 'B');
  const c = await connect(DbConnection, 'chat', 'C');
  names.set(b.identity.toHexString(), 'bob');
  names.set(c.identity.toHexString(), 'carol');
  await callOk(b, 'set_name(bob)', b.conn.reducers.setName({ name: BOB }));
  await callOk(c, 'set_name(carol)', c.conn.reducers.setName({ name: CAROL }));
  for (const text of ['ping', 'pong', 'hello']) {
    await callOk(b, `send_message("${text}")`, b.conn.reducers.sendMessage({ text: text + TAG }));
    await callOk(c, `send_message("${text}")`, c.conn.reducers.sendMessage({ text: text + TAG }));
  }
  // bob's ping matches both queries: one row in the cache, one onInsert.
  const matching = ['bob:ping', 'bob:pong', 'bob:hello', 'carol:ping'];
  await expectCache('after the messages', matching, 0, matching.map(k => `+${k}`));

  // The join from its other side: carol's user row now matches, so her
  // messages join in (ping was already there through the filter).
  let from = events.length;
  await callOk(c, 'set_name(bob)', c.conn.reducers.setName({ name: BOB }));
  await expectCache('carol renamed to bob', [...matching, 'carol:pong', 'carol:hello'], from, ['+carol:pong', '+carol:hello']);
  from = events.length;
  await callOk(c, 'set_name(carol)', c.conn.reducers.setName({ name: CAROL }));
  await expectCache('carol renamed back', matching, from, ['-carol:pong', '-carol:hello']);

  // A message after the renames still goes only where it matches.
  from = events.length;
  await callOk(c, 'send_message("late")', c.conn.reducers.sendMessage({ text: 'late' + TAG }));
  await callOk(b, 'send_message("late")', b.conn.reducers.sendMessage({ text: 'late' + TAG }));
  await expectCache("bob's late message", [...matching, 'bob:late'], from, ['+bob:late']);

  // Dropping the join keeps what the filter still holds (both pings).
  from = events.length;
  await unsubscribe(a, bobSub, 'the join');
  check(bobSub.isEnded(), 'the join subscription is not ended after unsubscribeThen fired');
  await expectCache('unsubscribed from the join', ['bob:ping', 'carol:ping'], from, ['-bob:pong', '-bob:hello', '-bob:late']);

  // Messages after the unsubscribe: only pings arrive.
  from = events.length;
  await callOk(b, 'send_message("after")', b.conn.reducers.sendMessage({ text: 'after' + TAG }));
  await callOk(b, 'send_message("ping")', b.conn.reducers.sendMessage({ text: 'ping' + TAG }));
  await waitFor(`A to get bob's second ping; ${show()}`, () => events.length > from);
  check(
    events.slice(from).join(' ') === '+bob:ping',
    `after unsubscribing the join A got [${events.slice(from).join(' ')}], expected only +bob:ping; ${show()}`
  );
  check(cache().length === 3, `A's cache should hold three pings; ${show()}`);

  from = events.length;
  await unsubscribe(a, pingSub, 'the filter');
  await expectCache('unsubscribed from the filter', [], from, ['-bob:ping', '-bob:ping', '-carol:ping']);

  a.conn.disconnect();
  b.conn.disconnect();
  c.conn.disconnect();
});
