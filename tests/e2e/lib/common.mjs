// Shared helpers for the end-to-end tests: where the server is, connecting
// and subscribing with the SDK as promises, waiting for a condition with a
// clear message on timeout, and a recorder of every message each socket
// received (decoded with wire.mjs) for checks the SDK's callbacks can't make.
import { WebSocket as UndiciWebSocket } from 'undici';
import { decodeServerPayload, describeMessage } from './wire.mjs';

export const WAIT_MS = 5000; // any single expected event
const TEST_MS = 18000; // a whole test; run.sh kills at 20 s

export function serverUrl() {
  const url = process.env.LIGHTCONE_URL;
  if (!url) throw new Error('LIGHTCONE_URL is not set (run the tests through tests/e2e/run.sh)');
  return url;
}

// The SDK uses the global WebSocket when there is one (node 20 has none and
// the SDK would import undici's itself).  Installing undici's class, extended
// only to record what arrives, keeps the client the same one the SDK would
// use.  Connections are opened one at a time, so the newest socket belongs
// to the connection whose onConnect just fired.
export const sockets = [];
class RecordingWebSocket extends UndiciWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.url_ = String(url);
    this.received = []; // decoded messages, in arrival order
    this.decodeErrors = [];
    this.label = `socket ${sockets.length + 1}`;
    this.closeInfo = null; // set when the socket closes: how, and who asked
    sockets.push(this);
    this.addEventListener('close', ev => {
      this.closeInfo = `code ${ev.code}${ev.reason ? ` reason "${ev.reason}"` : ''}${ev.wasClean ? '' : ' (not clean)'}`;
    });
    this.addEventListener('message', ev => {
      if (typeof ev.data === 'string') {
        this.decodeErrors.push(`text frame: ${ev.data.slice(0, 200)}`);
        return;
      }
      try {
        for (const m of decodeServerPayload(new Uint8Array(ev.data), this.protocol)) this.received.push(m);
      } catch (e) {
        this.decodeErrors.push(String(e));
      }
    });
  }
}
globalThis.WebSocket = RecordingWebSocket;

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/* Resolve once fn() is truthy (polled), or fail saying what was awaited. */
export async function waitFor(what, fn, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/* Reject after ms with a message naming what was awaited. */
export function within(what, promise, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/* Open a connection with the module's DbConnection and resolve on onConnect
 * with {conn, identity, token, socket, disconnected}; `disconnected` resolves
 * when the SDK reports the disconnect.  `configure` may add builder options. */
export async function connect(DbConnection, dbName, label, configure = b => b) {
  let onDisconnect;
  const disconnected = new Promise(r => (onDisconnect = r));
  const before = sockets.length;
  const connected = new Promise((resolve, reject) => {
    const builder = DbConnection.builder()
      .withUri(serverUrl())
      .withDatabaseName(dbName)
      .onConnect((conn, identity, token) => resolve({ conn, identity, token }))
      .onConnectError((_ctx, err) => reject(new Error(`${label}: connect error: ${errText(err)}`)))
      .onDisconnect((_ctx, err) => {
        onDisconnect(err);
        reject(new Error(`${label}: disconnected before onConnect${err ? ': ' + errText(err) : ''}`));
      });
    configure(builder).build();
  });
  const c = await within(`${label} to connect to ${dbName}`, connected);
  check(sockets.length === before + 1, `${label}: expected one new WebSocket, saw ${sockets.length - before}`);
  c.socket = sockets[sockets.length - 1];
  c.socket.label = label;
  c.disconnected = disconnected;
  c.label = label;
  return c;
}

/* Subscribe and resolve on onApplied; reject on onError. */
export function subscribe(client, queries) {
  const applied = new Promise((resolve, reject) => {
    client.conn
      .subscriptionBuilder()
      .onApplied(ctx => resolve(ctx))
      .onError((_ctx, err) => reject(new Error(`${client.label}: subscription error: ${errText(err)}`)))
      .subscribe(queries);
  });
  return within(`${client.label}'s subscription to ${JSON.stringify(queries)} to be applied`, applied);
}

/* Await a reducer call's promise, which the SDK rejects on failure. */
export async function callOk(client, what, promise) {
  try {
    await within(`${client.label}: ${what} to return`, promise);
  } catch (e) {
    throw new Error(`${client.label}: ${what} failed: ${errText(e)}`);
  }
}

/* Await a reducer call that must fail with a user error (the SDK rejects with
 * SenderError carrying the reducer's message). */
export async function callUserError(client, what, promise, expected) {
  let err;
  try {
    await within(`${client.label}: ${what} to return`, promise);
  } catch (e) {
    err = e;
  }
  check(err !== undefined, `${client.label}: ${what} succeeded; expected the user error "${expected}"`);
  if (String(err.message).startsWith('timed out')) throw err;
  check(
    err.name === 'SenderError',
    `${client.label}: ${what}: expected a SenderError (ReducerOutcome::Err), got ${err.name}: ${err.message}`
  );
  check(
    err.message === expected,
    `${client.label}: ${what}: expected the error "${expected}", got "${err.message}"`
  );
}

export function errText(e) {
  if (e === undefined || e === null) return String(e);
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  if (e.message) return e.message;
  if (e.error) return errText(e.error);
  return String(e);
}

/* What a client's socket received, for failure reports. */
export function received(client, from = 0) {
  return client.socket.received.slice(from).map(describeMessage);
}

/* Run a test body: exit 0 on success, 1 with the reason on failure. */
export function main(name, body) {
  const timer = setTimeout(() => {
    console.error(`${name}: the whole test took longer than ${TEST_MS} ms`);
    process.exit(1);
  }, TEST_MS);
  body().then(
    () => {
      clearTimeout(timer);
      for (const s of sockets) {
        if (s.decodeErrors.length) {
          console.error(`${name}: undecodable server frames on ${s.url_}: ${s.decodeErrors.join('; ')}`);
          process.exit(1);
        }
      }
      process.exit(0);
    },
    e => {
      console.error(`${name}: ${e && e.message ? e.message : e}`);
      // What each socket saw, for the server's side of the story.
      for (const s of sockets) {
        console.error(`  ${s.label} (${s.protocol || 'no protocol'}) ${s.url_.replace(/token=[^&]*/, 'token=...')}`);
        if (s.closeInfo) console.error(`    closed: ${s.closeInfo}`);
        if (s.decodeErrors.length) console.error(`    undecodable frames: ${s.decodeErrors.join('; ')}`);
        console.error(`    received: ${s.received.map(describeMessage).join(' | ') || 'nothing'}`);
      }
      process.exit(1);
    }
  );
}
