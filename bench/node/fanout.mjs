// Opens N websocket subscribers and reports what they received over a measuring window.
// Usage: node fanout.mjs <ws-url> <graphql|plain> <token> <subscribers> <warmup-seconds> <seconds>
// graphql: graphql-transport-ws, subscribing to organisationEvents; plain: reads raw frames.
// Every frame carries a timestamp (savedAt / sentAt); latency = receive time - that timestamp.
import { createRequire } from "module";
import path from "path";
import { fileURLToPath } from "url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "tests", "node", "package.json"));
const WebSocket = require("ws");

const [url, mode, token, countText, warmupText, secondsText] = process.argv.slice(2);
const count = Number(countText), warmup = Number(warmupText) * 1000, seconds = Number(secondsText) * 1000;
const query = "subscription { organisationEvents { __typename ... on DraftSavedEvent { revision savedAt } } }";
let measuring = false, received = 0, opened = 0, origin = 0;
const latencies = [];
const worst = [];  // the worst latency in each second from ready (warm-up included): a backlog's shape

function stampOf(text) {
  const match = /"(?:savedAt|sentAt)":"([^"]+)"/.exec(text);
  return match ? Date.parse(match[1]) : null;
}

function open(index) {
  // The clients are the measuring instrument: no compression offered, no UTF-8 re-validation,
  // and a frame is only decoded when its timestamp is sampled (both sides alike).
  const socket = new WebSocket(url, mode === "graphql" ? "graphql-transport-ws" : undefined, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  socket.on("open", () => {
    if (mode === "graphql") {
      socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${token}` } }));
    } else {
      opened += 1;
    }
  });
  let acknowledged = mode !== "graphql";
  socket.on("message", (data) => {
    if (!acknowledged) {
      if (data.includes('"connection_ack"')) {
        acknowledged = true;
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
        opened += 1;
      }
      return;
    }
    if (origin === 0) return;
    if (mode === "graphql" && !data.includes("DraftSavedEvent")) return;
    if (measuring) received += 1;
    if (index % 10 === 0) {
      const stamp = stampOf(data.toString());
      if (stamp !== null) {
        const now = Date.now();
        if (measuring) latencies.push(now - stamp);
        const second = Math.floor((now - origin) / 1000);
        worst[second] = Math.max(worst[second] ?? 0, now - stamp);
      }
    }
  });
  socket.on("error", (error) => process.stderr.write(`socket ${index}: ${error.message}\n`));
  return socket;
}

const sockets = Array.from({ length: count }, (_, index) => open(index));
const started = Date.now();
while (opened < count && Date.now() - started < 60000) await new Promise((r) => setTimeout(r, 50));
origin = Date.now();
process.stdout.write(JSON.stringify({ ready: opened }) + "\n");
await new Promise((r) => setTimeout(r, warmup));
measuring = true;
const began = Date.now();
await new Promise((r) => setTimeout(r, seconds));
measuring = false;
const elapsed = (Date.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
process.stdout.write(JSON.stringify({
  subscribers: opened, deliveries: received, seconds: elapsed, perSecond: received / elapsed,
  p50: pick(0.5), p99: pick(0.99), samples: latencies.length, worstBySecond: worst,
}) + "\n");
for (const socket of sockets) socket.terminate();
process.exit(0);
