// Runs the GraphQL-over-HTTP server audit of the `graphql-http` package against a URL and prints
// one JSON object: {"results": [{id, name, status, reason?, responseStatus?, contentType?}]}.
// Every request of the audit carries the token, since the service answers nothing without one.
// Usage: node http_audit.mjs <http-url> <token>
import { auditServer } from "graphql-http";

const [url, token] = process.argv.slice(2);

function withToken(input, init = {}) {
  const headers = new Headers(init.headers ?? {});
  headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: withToken });
const report = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    entry.reason = result.reason;
    entry.responseStatus = result.response.status;
    entry.contentType = result.response.headers.get("content-type");
    entry.body = (await result.response.text().catch(() => "")).slice(0, 500);
  }
  report.push(entry);
}
process.stdout.write(JSON.stringify({ results: report }) + "\n");
