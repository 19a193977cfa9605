// Module bindings for examples/chat, written by hand in plain JavaScript.
//
// This is what `spacetime generate --lang typescript` (2.8.x) would emit as
// module_bindings/index.ts for chat.wasm, with the per-table and per-reducer
// files folded in and the TypeScript-only types dropped: the same calls into
// the SDK's public API (schema, table, t, reducers, reducerSchema,
// DbConnectionBuilder, DbConnectionImpl, ...), so the SDK sees exactly the
// remote-module description it would get from generated code.  The CLI issue
// will generate these; until then the end-to-end tests need them by hand.
//
// The C module declares CaseConversionPolicy None, so canonical names equal
// the C names: tables `user` and `message`, reducers `set_name` and
// `send_message`.  Every column name is already one word, so no column needs
// a `.name("...")` rename.
import {
  DbConnectionBuilder as __DbConnectionBuilder,
  DbConnectionImpl as __DbConnectionImpl,
  SubscriptionBuilderImpl as __SubscriptionBuilderImpl,
  convertToAccessorMap as __convertToAccessorMap,
  makeQueryBuilder as __makeQueryBuilder,
  procedures as __procedures,
  reducerSchema as __reducerSchema,
  reducers as __reducers,
  schema as __schema,
  t as __t,
  table as __table,
} from 'spacetimedb';

// user_table.ts
const UserRow = __t.row({
  identity: __t.identity().primaryKey(),
  name: __t.option(__t.string()),
  online: __t.bool(),
});

// message_table.ts
const MessageRow = __t.row({
  sender: __t.identity(),
  sent: __t.timestamp(),
  text: __t.string(),
});

// set_name_reducer.ts, send_message_reducer.ts
const SetNameReducer = { name: __t.string() };
const SendMessageReducer = { text: __t.string() };

const tablesSchema = __schema({
  user: __table(
    {
      name: 'user',
      indexes: [
        { accessor: 'identity', name: 'user_identity_idx_btree', algorithm: 'btree', columns: ['identity'] },
      ],
      constraints: [{ name: 'user_identity_key', constraint: 'unique', columns: ['identity'] }],
    },
    UserRow
  ),
  message: __table(
    {
      name: 'message',
      indexes: [{ accessor: 'sender', name: 'message_sender_idx_btree', algorithm: 'btree', columns: ['sender'] }],
      constraints: [],
    },
    MessageRow
  ),
});

const reducersSchema = __reducers(
  __reducerSchema('send_message', SendMessageReducer),
  __reducerSchema('set_name', SetNameReducer)
);

const proceduresSchema = __procedures();

const REMOTE_MODULE = {
  versionInfo: {
    cliVersion: '2.8.3',
  },
  tables: tablesSchema.schemaType.tables,
  reducers: reducersSchema.reducersType.reducers,
  ...proceduresSchema,
};

export const tables = __makeQueryBuilder(tablesSchema.schemaType);
export const reducers = __convertToAccessorMap(reducersSchema.reducersType.reducers);
export const procedures = __convertToAccessorMap(proceduresSchema.procedures);

export class SubscriptionBuilder extends __SubscriptionBuilderImpl {}

export class DbConnectionBuilder extends __DbConnectionBuilder {}

export class DbConnection extends __DbConnectionImpl {
  static builder = () => {
    return new DbConnectionBuilder(REMOTE_MODULE, config => new DbConnection(config));
  };

  subscriptionBuilder = () => {
    return new SubscriptionBuilder(this);
  };
}
