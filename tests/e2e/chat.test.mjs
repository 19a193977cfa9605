// e2e chat: two SDK clients on examples/chat set names and send messages;
// each sees the other's rows through the insert/update callbacks; an empty
// message comes back to its sender as a user error and reaches no one else.
// database: chat
import { DbConnection } from './bindings/chat.mjs';
import { callOk, callUserError, check, connect, main, received, subscribe, waitFor } from './lib/common.mjs';

/* Record every row callback on a client's user and message tables. */
function watch(client) {
  const ev = [];
  client.events = ev;
  const db = client.conn.db;
  db.user.onInsert((_ctx, row) => ev.push({ table: 'user', op: 'insert', row }));
  db.user.onUpdate((_ctx, old, row) => ev.push({ table: 'user', op: 'update', old, row }));
  db.user.onDelete((_ctx, row) => ev.push({ table: 'user', op: 'delete', row }));
  db.message.onInsert((_ctx, row) => ev.push({ table: 'message', op: 'insert', row }));
  db.message.onDelete((_ctx, row) => ev.push({ table: 'message', op: 'delete', row }));
}

/* The update event that gave identity `who` the name `name`. */
function nameUpdate(client, who, name) {
  return client.events.find(
    e =>
      e.table === 'user' &&
      e.op === 'update' &&
      e.row.identity.isEqual(who.identity) &&
      e.row.name === name &&
      e.old.name === undefined
  );
}

function messageInsert(client, from, text) {
  return client.events.find(
    e => e.table === 'message' && e.op === 'insert' && e.row.text === text && e.row.sender.isEqual(from.identity)
  );
}

function cachedUser(client, who) {
  return [...client.conn.db.user.iter()].find(u => u.identity.isEqual(who.identity));
}

function describeEvents(client) {
  return client.events
    .map(e => `${e.table} ${e.op} ${e.table === 'user' ? `${e.row.identity.toHexString().slice(0, 8)} name=${e.row.name}` : JSON.stringify(e.row.text)}`)
    .join('; ');
}

main('chat', async () => {
  const queries = ['SELECT * FROM user', 'SELECT * FROM message'];
  const a = await connect(DbConnection, 'chat', 'A');
  watch(a);
  await subscribe(a, queries);
  const b = await connect(DbConnection, 'chat', 'B');
  watch(b);
  await subscribe(b, queries);
  check(!a.identity.isEqual(b.identity), 'A and B were given the same identity');

  // Each client's own row is there (client_connected ran before InitialConnection).
  check(cachedUser(b, b)?.online === true, `B's subscription did not include B's own online user row; B saw: ${describeEvents(b)}`);
  await waitFor(`A to see B's user row arrive (B connected after A subscribed); A saw: ${describeEvents(a)}`, () =>
    a.events.find(e => e.table === 'user' && e.op === 'insert' && e.row.identity.isEqual(b.identity))
  );

  await callOk(a, 'set_name("alice")', a.conn.reducers.setName({ name: 'alice' }));
  await callOk(b, 'set_name("bob")', b.conn.reducers.setName({ name: 'bob' }));
  await callOk(a, 'send_message("hello from alice")', a.conn.reducers.sendMessage({ text: 'hello from alice' }));
  await callOk(b, 'send_message("hi from bob")', b.conn.reducers.sendMessage({ text: 'hi from bob' }));

  for (const [me, other, name] of [
    [a, b, 'bob'],
    [b, a, 'alice'],
    [a, a, 'alice'],
    [b, b, 'bob'],
  ]) {
    await waitFor(`${me.label} to get onUpdate for ${other.label}'s user row getting the name "${name}"; ${me.label} saw: ${describeEvents(me)}`, () =>
      nameUpdate(me, other, name)
    );
    check(cachedUser(me, other)?.name === name, `${me.label}'s cache does not hold ${other.label}'s name "${name}"`);
  }
  for (const me of [a, b]) {
    for (const [from, text] of [
      [a, 'hello from alice'],
      [b, 'hi from bob'],
    ]) {
      await waitFor(`${me.label} to get onInsert for ${from.label}'s message "${text}"; ${me.label} saw: ${describeEvents(me)}`, () =>
        messageInsert(me, from, text)
      );
    }
  }

  // A user error goes to its caller only.  "after the error" then marks the
  // point by which anything B was sent for the failed call has arrived.
  const bEvents = b.events.length;
  const bMessages = b.socket.received.length;
  await callUserError(a, 'send_message("")', a.conn.reducers.sendMessage({ text: '' }), 'Messages must not be empty');
  await callUserError(b, 'set_name("")', b.conn.reducers.setName({ name: '' }), 'Names must not be empty');
  const bMessagesAfterOwnError = b.socket.received.length;
  await callOk(a, 'send_message("after the error")', a.conn.reducers.sendMessage({ text: 'after the error' }));
  await waitFor(`B to get onInsert for A's message "after the error"; B saw: ${describeEvents(b)}`, () =>
    messageInsert(b, a, 'after the error')
  );
  const newEvents = b.events.slice(bEvents);
  check(
    newEvents.length === 1,
    `B's callbacks fired ${newEvents.length} times around A's failed call, expected only the insert of "after the error": ${describeEvents({ events: newEvents })}`
  );
  const got = received(b, bMessages);
  check(
    bMessagesAfterOwnError === bMessages + 1 && got.length === 2,
    `for A's failed send_message(""), its own failed set_name("") and A's next message B should receive exactly its ReducerResult and one TransactionUpdate; it received: ${got.join(' | ')}`
  );
  const [own, next] = b.socket.received.slice(bMessages);
  check(own.tag === 'ReducerResult' && own.value.result.tag === 'Err', `B's own failed call was answered with ${got[0]}`);
  check(next.tag === 'TransactionUpdate', `B received ${got[1]} for A's message, expected a TransactionUpdate`);
  check(
    ![...b.conn.db.message.iter()].some(m => m.text === '') && ![...a.conn.db.message.iter()].some(m => m.text === ''),
    'an empty message is in a client cache'
  );

  a.conn.disconnect();
  b.conn.disconnect();
});
