// e2e bank: seed(10, 1000) then transfer(1, 2, 250) through the SDK; the
// caller and an observer see accounts 1 and 2 change to 750 and 1250 through
// onUpdate; transfer(1, 1, 5) fails with a user error and changes nothing.
// database: bank
import { DbConnection } from './bindings/bank.mjs';
import { callOk, callUserError, check, connect, main, subscribe, waitFor } from './lib/common.mjs';

function watch(client) {
  client.events = [];
  const t = client.conn.db.accounts;
  t.onInsert((_ctx, row) => client.events.push({ op: 'insert', row }));
  t.onUpdate((_ctx, old, row) => client.events.push({ op: 'update', old, row }));
  t.onDelete((_ctx, row) => client.events.push({ op: 'delete', row }));
}

function describe(client) {
  return client.events.map(e => `${e.op} ${e.row.id}: ${e.old ? e.old.balance + '->' : ''}${e.row.balance}`).join('; ');
}

function balance(client, id) {
  const row = [...client.conn.db.accounts.iter()].find(r => r.id === id);
  return row === undefined ? undefined : row.balance;
}

main('bank', async () => {
  const caller = await connect(DbConnection, 'bank', 'caller');
  watch(caller);
  await subscribe(caller, ['SELECT * FROM accounts']);
  const observer = await connect(DbConnection, 'bank', 'observer');
  watch(observer);
  await subscribe(observer, ['SELECT * FROM accounts']);

  await callOk(caller, 'seed(10, 1000)', caller.conn.reducers.seed({ n: 10, balance: 1000n }));
  for (const c of [caller, observer]) {
    await waitFor(`${c.label} to get onInsert for the 10 seeded accounts; it saw: ${describe(c)}`, () =>
      c.events.filter(e => e.op === 'insert' && e.row.balance === 1000n).length === 10
    );
  }

  await callOk(caller, 'transfer(1, 2, 250)', caller.conn.reducers.transfer({ from: 1, to: 2, amount: 250n }));
  for (const c of [caller, observer]) {
    for (const [id, before, after] of [
      [1, 1000n, 750n],
      [2, 1000n, 1250n],
    ]) {
      await waitFor(`${c.label} to get onUpdate for account ${id}: ${before} -> ${after}; it saw: ${describe(c)}`, () =>
        c.events.find(e => e.op === 'update' && e.row.id === id && e.old.balance === before && e.row.balance === after)
      );
      check(balance(c, id) === after, `${c.label}'s cache holds ${balance(c, id)} for account ${id}, expected ${after}`);
    }
    check(!c.events.some(e => e.op === 'delete'), `${c.label} saw a delete callback (an update must not read as delete+insert): ${describe(c)}`);
  }

  const before = caller.events.length;
  await callUserError(
    caller,
    'transfer(1, 1, 5)',
    caller.conn.reducers.transfer({ from: 1, to: 1, amount: 5n }),
    'cannot transfer to the same account'
  );
  check(caller.events.length === before, `the failed transfer fired callbacks: ${describe(caller)}`);
  check(balance(caller, 1) === 750n, `account 1 holds ${balance(caller, 1)} after the failed transfer, expected 750`);

  caller.conn.disconnect();
  observer.conn.disconnect();
});
