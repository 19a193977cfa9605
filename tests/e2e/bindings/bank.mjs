// Module bindings for examples/bank, written by hand in plain JavaScript.
//
// What `spacetime generate --lang typescript` (2.8.x) would emit as
// module_bindings/index.ts for bank.wasm (see chat.mjs for why by hand).
// Canonical names equal the C names: table `accounts`, reducers `seed` and
// `transfer`.
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

// accounts_table.ts
const AccountsRow = __t.row({
  id: __t.u32().primaryKey(),
  balance: __t.i64(),
});

// seed_reducer.ts, transfer_reducer.ts
const SeedReducer = { n: __t.u32(), balance: __t.i64() };
const TransferReducer = { from: __t.u32(), to: __t.u32(), amount: __t.i64() };

const tablesSchema = __schema({
  accounts: __table(
    {
      name: 'accounts',
      indexes: [{ accessor: 'id', name: 'accounts_id_idx_btree', algorithm: 'btree', columns: ['id'] }],
      constraints: [{ name: 'accounts_id_key', constraint: 'unique', columns: ['id'] }],
    },
    AccountsRow
  ),
});

const reducersSchema = __reducers(
  __reducerSchema('seed', SeedReducer),
  __reducerSchema('transfer', TransferReducer)
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
