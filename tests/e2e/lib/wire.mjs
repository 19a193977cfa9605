// The v2/v3 ServerMessage wire types, declared with the SDK's public `t`
// builders in the same shape as its own client_api/types.ts (which the
// package does not export), so the tests can decode what a client really
// received: the SDK hides frames it does not turn into callbacks, and
// "this client received nothing for that call" needs the frames.
import { AlgebraicType, BinaryReader, t } from 'spacetimedb';
import zlib from 'node:zlib';

const RowSizeHint = t.enum('RowSizeHint', {
  FixedSize: t.u16(),
  RowOffsets: t.array(t.u64()),
});
const BsatnRowList = t.object('BsatnRowList', { sizeHint: RowSizeHint, rowsData: t.byteArray() });
const SingleTableRows = t.object('SingleTableRows', { table: t.string(), rows: BsatnRowList });
const QueryRows = t.object('QueryRows', { tables: t.array(SingleTableRows) });
const QuerySetId = t.object('QuerySetId', { id: t.u32() });
const PersistentTableRows = t.object('PersistentTableRows', { inserts: BsatnRowList, deletes: BsatnRowList });
const EventTableRows = t.object('EventTableRows', { events: BsatnRowList });
const TableUpdateRows = t.enum('TableUpdateRows', {
  PersistentTable: PersistentTableRows,
  EventTable: EventTableRows,
});
const TableUpdate = t.object('TableUpdate', { tableName: t.string(), rows: t.array(TableUpdateRows) });
const QuerySetUpdate = t.object('QuerySetUpdate', { querySetId: QuerySetId, tables: t.array(TableUpdate) });
const TransactionUpdate = t.object('TransactionUpdate', { querySets: t.array(QuerySetUpdate) });
const ReducerOk = t.object('ReducerOk', { retValue: t.byteArray(), transactionUpdate: TransactionUpdate });
const ReducerOutcome = t.enum('ReducerOutcome', {
  Ok: ReducerOk,
  OkEmpty: t.unit(),
  Err: t.byteArray(),
  InternalError: t.string(),
});
const ProcedureStatus = t.enum('ProcedureStatus', { Returned: t.byteArray(), InternalError: t.string() });

export const ServerMessage = t.enum('ServerMessage', {
  InitialConnection: t.object('InitialConnection', {
    identity: t.identity(),
    connectionId: t.connectionId(),
    token: t.string(),
  }),
  SubscribeApplied: t.object('SubscribeApplied', { requestId: t.u32(), querySetId: QuerySetId, rows: QueryRows }),
  UnsubscribeApplied: t.object('UnsubscribeApplied', {
    requestId: t.u32(),
    querySetId: QuerySetId,
    rows: t.option(QueryRows),
  }),
  SubscriptionError: t.object('SubscriptionError', {
    requestId: t.option(t.u32()),
    querySetId: QuerySetId,
    error: t.string(),
  }),
  TransactionUpdate,
  OneOffQueryResult: t.object('OneOffQueryResult', { requestId: t.u32(), result: t.result(QueryRows, t.string()) }),
  ReducerResult: t.object('ReducerResult', { requestId: t.u32(), timestamp: t.timestamp(), result: ReducerOutcome }),
  ProcedureResult: t.object('ProcedureResult', {
    status: ProcedureStatus,
    timestamp: t.timestamp(),
    totalHostExecutionDuration: t.timeDuration(),
    requestId: t.u32(),
  }),
});

const deserialize = AlgebraicType.makeDeserializer(ServerMessage.algebraicType);

/* The body of one server payload: strip the compression tag, decompress. */
function payloadBody(bytes) {
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case 0:
      return body;
    case 1:
      return new Uint8Array(zlib.brotliDecompressSync(body));
    case 2:
      return new Uint8Array(zlib.gunzipSync(body));
    default:
      throw new Error(`unknown compression tag ${bytes[0]}`);
  }
}

/* Decode one binary server payload into its messages ({tag, value}).  v2
 * carries exactly one message; v3 one or more back to back. */
export function decodeServerPayload(bytes, protocol) {
  const body = payloadBody(bytes);
  const reader = new BinaryReader(body);
  const out = [];
  do {
    out.push(deserialize(reader));
  } while (protocol.startsWith('v3.') && reader.remaining > 0);
  if (reader.remaining !== 0) throw new Error(`${reader.remaining} bytes left over after a ${protocol} message`);
  return out;
}

/* A one-line summary of a decoded message, for failure reports. */
export function describeMessage(m) {
  const v = m.value;
  switch (m.tag) {
    case 'TransactionUpdate':
      return `TransactionUpdate(${describeSets(v.querySets)})`;
    case 'ReducerResult': {
      const r = v.result;
      const what = r.tag === 'Ok' ? `Ok(${describeSets(r.value.transactionUpdate.querySets)})` : r.tag;
      return `ReducerResult(request ${v.requestId}, ${what})`;
    }
    case 'SubscribeApplied':
      return `SubscribeApplied(set ${v.querySetId.id}, tables ${v.rows.tables.map(x => x.table).join(',')})`;
    case 'SubscriptionError':
      return `SubscriptionError(${v.error})`;
    default:
      return m.tag;
  }
}

function describeSets(sets) {
  return sets.map(s => `set ${s.querySetId.id}: ${s.tables.map(x => x.tableName).join(',')}`).join('; ');
}
