//! The reference automerge-repo sync server that kring-loadgen measures Kring against: a stock
//! `Repo` with the `NodeWSServerAdapter` on a `ws` server, as the automerge-repo sync server
//! sets it up (it shares a document only with peers that ask for it). In memory, no auth.
//!
//! Usage: node server.mjs <port>   — prints `listening <port>` once it accepts connections.

import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 3030);
const wss = new WebSocketServer({ port, host: "127.0.0.1", maxPayload: 1 << 20 });
const repo = new Repo({
  network: [new NodeWSServerAdapter(wss)],
  peerId: `reference-sync-server-${process.pid}`,
  // Like the automerge-repo sync server: answer requests, announce nothing unasked.
  sharePolicy: async () => false,
});
wss.on("listening", () => process.stdout.write(`listening ${port}\n`));
const stop = () => {
  repo.shutdown();
  wss.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
