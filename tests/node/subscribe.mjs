// Subscribes to a package's events with a reference client from npm and prints each event
// as one JSON line; exits after `count` events, or with status 3 on a connection/operation error.
// Usage: node subscribe.mjs <ws-url> <token> <graphql-transport-ws|graphql-ws> <packageId> <count>
import WebSocket from "ws";
import { createClient } from "graphql-ws";
import { SubscriptionClient } from "subscriptions-transport-ws";

const [url, token, protocol, packageId, countText] = process.argv.slice(2);
const count = Number(countText);
const query = `subscription($id: ID!) { packageEvents(packageId: $id) {
  __typename cursor ... on DraftSavedEvent { revision trigger } } }`;
let received = 0;

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
  received += 1;
  if (received >= count) process.exit(0);
}
function fail(error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error?.reason ?? error?.code ?? error) }) + "\n");
  process.exit(3);
}
setTimeout(() => fail("timed out"), 20000);

if (protocol === "graphql-transport-ws") {
  const client = createClient({
    url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
    connectionParams: { Authorization: `Bearer ${token}` },
    on: { connected: () => process.stdout.write(JSON.stringify({ connected: true }) + "\n"), closed: (event) => {
      if (event?.code === 4403) fail("forbidden (4403)");
    } },
  });
  client.subscribe({ query, variables: { id: packageId } }, {
    next: (result) => (result.errors ? fail(result.errors[0].message) : emit(result.data.packageEvents)),
    error: fail,
    complete: () => {},
  });
} else {
  const client = new SubscriptionClient(url, {
    reconnect: false, connectionParams: { Authorization: `Bearer ${token}` },
    connectionCallback: (error) => (error ? fail(error) : process.stdout.write(JSON.stringify({ connected: true }) + "\n")),
  }, WebSocket);
  client.request({ query, variables: { id: packageId } }).subscribe({
    next: (result) => (result.errors ? fail(result.errors[0].message) : emit(result.data.packageEvents)),
    error: fail,
  });
}
