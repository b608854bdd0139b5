// The live-delivery peer: the reference graphql-ws server (graphql-ws + ws) with an in-memory
// pub/sub, serving the same subscription shape as trainpack's organisationEvents.
// Usage: node live_peer.mjs <port>
//   ws://127.0.0.1:<port>/graphql   graphql-transport-ws; connection_init must carry an Authorization
//   POST /publish                   body {"revision": n, "savedAt": iso}: one event to every subscriber
//   GET /healthz                    {"liveSubscriptions": n}
import { createRequire } from "module";
import http from "http";
import path from "path";
import { fileURLToPath } from "url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "tests", "node", "package.json"));
const { WebSocketServer } = require("ws");
const { useServer } = require("graphql-ws/use/ws");
const { buildSchema } = require("graphql");

const schema = buildSchema(`
  type DraftSavedEvent { revision: Int! savedAt: String! }
  union OrganisationEvent = DraftSavedEvent
  type Query { ok: Boolean }
  type Subscription { organisationEvents: OrganisationEvent! }
`);

// The in-memory pub/sub: one queue per subscriber, woken when an event is published.
const subscribers = new Set();
function subscribe() {
  const queue = [];
  let wake = null;
  const subscriber = { push(event) { queue.push(event); if (wake) { wake(); wake = null; } } };
  subscribers.add(subscriber);
  return {
    [Symbol.asyncIterator]() { return this; },
    async next() {
      while (queue.length === 0) await new Promise((resolve) => { wake = resolve; });
      return { value: { organisationEvents: queue.shift() }, done: false };
    },
    async return() { subscribers.delete(subscriber); return { value: undefined, done: true }; },
  };
}

const roots = {
  organisationEvents: () => subscribe(),
};
schema.getType("OrganisationEvent").resolveType = () => "DraftSavedEvent";

const server = http.createServer((request, response) => {
  if (request.method === "POST" && request.url === "/publish") {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const event = { __typename: "DraftSavedEvent", ...JSON.parse(Buffer.concat(chunks).toString()) };
      for (const subscriber of subscribers) subscriber.push(event);
      response.writeHead(204).end();
    });
    return;
  }
  if (request.url === "/healthz") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "ok", liveSubscriptions: subscribers.size }));
    return;
  }
  response.writeHead(404).end();
});

const sockets = new WebSocketServer({ server, path: "/graphql" });
useServer(
  {
    schema,
    roots: { subscription: roots },
    onConnect: (context) => Boolean(context.connectionParams?.Authorization),
  },
  sockets,
);
server.listen(Number(process.argv[2]), "127.0.0.1");
