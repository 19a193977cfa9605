// e2e reconnect: an anonymous client saves its identity and token,
// disconnects, reconnects with .withToken(token) (the SDK first trades it for
// a short-lived one at POST /v1/identity/websocket-token) and is the same
// identity again; an observer sees its user row go offline and back online.
// database: chat
import { DbConnection } from './bindings/chat.mjs';
import { check, connect, errText, main, subscribe, waitFor, within } from './lib/common.mjs';

function userRows(client, identity) {
  return [...client.conn.db.user.iter()].filter(u => u.identity.isEqual(identity));
}

main('reconnect', async () => {
  const observer = await connect(DbConnection, 'chat', 'observer');
  const seen = [];
  observer.conn.db.user.onInsert((_ctx, row) => seen.push({ op: 'insert', row }));
  observer.conn.db.user.onUpdate((_ctx, old, row) => seen.push({ op: 'update', old, row }));
  observer.conn.db.user.onDelete((_ctx, row) => seen.push({ op: 'delete', row }));
  await subscribe(observer, ['SELECT * FROM user']);
  const describe = () =>
    seen.map(e => `${e.op} ${e.row.identity.toHexString().slice(0, 8)} online=${e.old ? e.old.online + '->' : ''}${e.row.online}`).join('; ');

  const first = await connect(DbConnection, 'chat', 'client');
  const identity = first.identity;
  const token = first.token;
  check(typeof token === 'string' && token.length > 0, 'onConnect gave an anonymous client no token');
  check(!first.socket.url_.includes('token='), `an anonymous connect sent a token: ${first.socket.url_}`);
  await waitFor(`the observer to see the new client's user row inserted online; it saw: ${describe()}`, () =>
    seen.find(e => e.op === 'insert' && e.row.identity.isEqual(identity) && e.row.online === true)
  );

  first.conn.disconnect();
  await within('the SDK to report the disconnect', first.disconnected);
  await waitFor(`the observer to see the client's user row updated to online=false; it saw: ${describe()}`, () =>
    seen.find(e => e.op === 'update' && e.row.identity.isEqual(identity) && e.old.online === true && e.row.online === false)
  );
  check(userRows(observer, identity).length === 1 && userRows(observer, identity)[0].online === false, "the observer's cache does not show the client offline");

  const again = await connect(DbConnection, 'chat', 'reconnected client', b => b.withToken(token));
  check(
    again.identity.isEqual(identity),
    `reconnecting with the saved token gave identity ${again.identity.toHexString()}, expected ${identity.toHexString()}`
  );
  const wsToken = new URL(again.socket.url_).searchParams.get('token');
  check(wsToken && wsToken !== token, `the WebSocket URL should carry the short-lived token from /v1/identity/websocket-token: ${again.socket.url_}`);
  await waitFor(`the observer to see the client's user row updated back to online=true; it saw: ${describe()}`, () =>
    seen.find(e => e.op === 'update' && e.row.identity.isEqual(identity) && e.old.online === false && e.row.online === true)
  );
  await subscribe(again, ['SELECT * FROM user']);
  const own = userRows(again, identity);
  check(own.length === 1 && own[0].online === true, `the reconnected client sees ${own.length} user rows for itself, expected one online`);
  const inserts = seen.filter(e => e.op === 'insert' && e.row.identity.isEqual(identity)).length;
  check(inserts === 1, `the observer saw ${inserts} inserts of the client's user row, expected one (a reconnect updates it); it saw: ${describe()}`);

  // A token the server never issued must not connect.
  let refused;
  try {
    await connect(DbConnection, 'chat', 'bad-token client', b => b.withToken('not-a-token'));
  } catch (e) {
    refused = e;
  }
  check(refused, 'a client with the token "not-a-token" connected');
  check(
    /Failed to verify token/.test(errText(refused)),
    `a bad token should fail at /v1/identity/websocket-token ("Failed to verify token: ..."), got: ${errText(refused)}`
  );

  again.conn.disconnect();
  observer.conn.disconnect();
});
