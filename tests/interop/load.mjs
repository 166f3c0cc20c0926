// Loads Kring documents with the official automerge-repo JavaScript client, for
// tests/tests/interop.rs: proves a stock client can sync with the server and is refused
// documents it may not read.
//
// Usage: node load.mjs <ws-url-with-token> <automerge-url> [<forbidden-automerge-url>]
//
// Prints one line of JSON to stdout and exits 0:
//   {"doc": <the document's contents>, "forbidden": "unavailable" | "loaded" | "timeout" | null}
// `forbidden` is null when no forbidden url was given, "timeout" when the server answered
// neither with the document nor with `doc-unavailable` within FORBIDDEN_TIMEOUT_MS.
// Any other failure (no `peer` answer to `join`, the document not loading) goes to stderr
// with a non-zero exit. Set KRING_INTEROP_DEBUG=1 to log every decoded frame to stderr.
//
// With KRING_INTEROP_UNTIL_TITLE=<title> it follows the document instead: once loaded it
// prints {"loaded": true} (the test then starts writing), and when the document's title reads
// <title> it prints {"doc": …, "forbidden": null, "syncs": <sync messages received>}.

import { Repo, cbor, parseAutomergeUrl } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const PEER_TIMEOUT_MS = 5000;
const LOAD_TIMEOUT_MS = 10000;
const FORBIDDEN_TIMEOUT_MS = 5000;
const WATCHDOG_MS = 25000;
const DEBUG = Boolean(process.env.KRING_INTEROP_DEBUG);
const UNTIL_TITLE = process.env.KRING_INTEROP_UNTIL_TITLE;
const FOLLOW_TIMEOUT_MS = 15000;

function fail(message) {
  process.stderr.write(`load.mjs: ${message}\n`);
  process.exit(1);
}

process.on("uncaughtException", e => fail(`uncaught: ${e?.stack ?? e}`));
process.on("unhandledRejection", e => fail(`unhandled rejection: ${e?.stack ?? e}`));
// Never hang, whatever the client does.
setTimeout(() => fail(`still running after ${WATCHDOG_MS} ms`), WATCHDOG_MS).unref();

const [wsUrl, docUrl, forbiddenUrl] = process.argv.slice(2);
if (!wsUrl || !docUrl) {
  fail("usage: node load.mjs <ws-url-with-token> <automerge-url> [<forbidden-automerge-url>]");
}

/** Frames as the client sends and receives them, for the debug log: bytes as their length. */
function describe(message) {
  return JSON.stringify(message, (_, v) =>
    v instanceof Uint8Array ? `<${v.byteLength} bytes>` : v,
  );
}

const adapter = new WebSocketClientAdapter(wsUrl);
let syncs = 0;
{
  const receive = adapter.receiveMessage.bind(adapter);
  adapter.receiveMessage = bytes => {
    try {
      if (cbor.decode(new Uint8Array(bytes))?.type === "sync") syncs += 1;
    } catch {
      // Counted only; the client itself reports what it cannot decode.
    }
    return receive(bytes);
  };
}
if (DEBUG) {
  const send = adapter.send.bind(adapter);
  adapter.send = message => {
    process.stderr.write(`send ${describe(message)}\n`);
    return send(message);
  };
  const receive = adapter.receiveMessage.bind(adapter);
  adapter.receiveMessage = bytes => {
    let decoded;
    try {
      decoded = describe(cbor.decode(new Uint8Array(bytes)));
    } catch (e) {
      decoded = `undecodable (${e}): ${Buffer.from(bytes).toString("hex")}`;
    }
    process.stderr.write(`recv ${decoded}\n`);
    return receive(bytes);
  };
}

// Only the documents this script asks for are shared with the server: it requests them,
// and nothing else is announced.
const wanted = new Set();
const repo = new Repo({
  network: [adapter],
  isEphemeral: true,
  sharePolicy: async (_peerId, documentId) => documentId !== undefined && wanted.has(documentId),
});

function timeout(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function race(promise, ms, what) {
  const t = timeout(ms, what);
  try {
    return await Promise.race([promise, t.promise]);
  } finally {
    t.cancel();
  }
}

async function find(url, ms) {
  wanted.add(parseAutomergeUrl(url).documentId);
  return repo.find(url, { signal: AbortSignal.timeout(ms) });
}

async function main() {
  // Wait for the server's `peer` answer, so a failed handshake is told apart from a
  // document that is unavailable (the adapter gives up waiting for it after one second).
  const peer = new Promise(resolve => repo.networkSubsystem.once("peer", resolve));
  const joined = await race(peer, PEER_TIMEOUT_MS, "the server's `peer` answer to `join`");
  if (DEBUG) process.stderr.write(`peer ${describe(joined)}\n`);

  let handle;
  try {
    handle = await find(docUrl, LOAD_TIMEOUT_MS);
  } catch (e) {
    throw new Error(`loading ${docUrl}: ${e?.message ?? e}`);
  }
  if (UNTIL_TITLE !== undefined) {
    process.stdout.write(`${JSON.stringify({ loaded: true })}\n`);
    const reached = new Promise(resolve => {
      const check = () => {
        if (String(handle.doc()?.title) === UNTIL_TITLE) resolve();
      };
      handle.on("change", check);
      check();
    });
    await race(reached, FOLLOW_TIMEOUT_MS, `the title to read ${UNTIL_TITLE}`);
    const doc = JSON.parse(JSON.stringify(handle.doc()));
    process.stdout.write(`${JSON.stringify({ doc, forbidden: null, syncs })}\n`);
    return;
  }
  const doc = JSON.parse(JSON.stringify(handle.doc()));

  let forbidden = null;
  if (forbiddenUrl) {
    try {
      await find(forbiddenUrl, FORBIDDEN_TIMEOUT_MS);
      forbidden = "loaded";
    } catch (e) {
      const message = String(e?.message ?? e);
      if (/unavailable/i.test(message)) {
        forbidden = "unavailable";
      } else if (e?.name === "AbortError" || e?.name === "TimeoutError" || /abort/i.test(message)) {
        forbidden = "timeout";
      } else {
        throw new Error(`loading forbidden ${forbiddenUrl}: ${message}`);
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ doc, forbidden })}\n`);
}

try {
  await main();
} catch (e) {
  fail(e?.message ?? String(e));
}
try {
  await race(repo.shutdown(), 2000, "the repo to shut down");
} catch (e) {
  process.stderr.write(`load.mjs: ${e?.message ?? e} (exiting anyway)\n`);
}
process.exit(0);
