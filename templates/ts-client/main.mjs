// A TypeScript-SDK client for {{name}}, made by `lightcone init --client typescript`.
//
// Connects, subscribes to the person table, calls the `add` reducer and prints
// the row when it arrives; then exits.  The bindings in module_bindings/ come
// from `npm run generate` (lightcone generate --lang typescript).  As with
// `spacetime generate`, accessors are camelCase while the database keeps its
// names: a table my_table is conn.db.myTable, a column created_at is
// row.createdAt, a reducer add_person is conn.reducers.addPerson({ ... }).
//
//   LIGHTCONE_URL (default http://127.0.0.1:3000), LIGHTCONE_DB (default {{name}})
import { WebSocket } from 'undici';
import { DbConnection } from './module_bindings/index.mjs';

// node 20 has no global WebSocket; the SDK uses undici's.
globalThis.WebSocket ??= WebSocket;

const url = process.env.LIGHTCONE_URL ?? 'http://127.0.0.1:3000';
const db = process.env.LIGHTCONE_DB ?? '{{name}}';
const name = process.argv[2] ?? `client-${process.pid}`;

const timer = setTimeout(() => {
  console.error('timed out');
  process.exit(1);
}, 15000);

DbConnection.builder()
  .withUri(url)
  .withDatabaseName(db)
  .onConnect((conn, identity) => {
    console.log(`connected as ${identity.toHexString()}`);
    conn.db.person.onInsert((_ctx, row) => {
      console.log(`inserted person ${row.id}: ${row.name}`);
      if (row.name === name) {
        clearTimeout(timer);
        conn.disconnect();
        process.exit(0);
      }
    });
    conn
      .subscriptionBuilder()
      .onApplied(() => {
        console.log(`subscribed; ${[...conn.db.person.iter()].length} people so far`);
        conn.reducers.add({ name });
      })
      .onError((_ctx, err) => {
        console.error(`subscription failed: ${err}`);
        process.exit(1);
      })
      .subscribe(['SELECT * FROM person']);
  })
  .onConnectError((_ctx, err) => {
    console.error(`cannot connect: ${err}`);
    process.exit(1);
  })
  .build();
