// GraphiQL for trainpack, served from this origin only. The token typed in the Headers tab
// ({"Authorization": "Bearer …"}) goes with every HTTP request and, as the graphql-transport-ws
// connection_init payload, with the websocket that carries subscriptions, so a subscription
// typed here streams. `#token=…` in the address pre-fills the Headers tab.
(function () {
  "use strict";

  const root = document.getElementById("graphiql");
  const endpoint = new URL(root.dataset.endpoint || "/graphql", window.location.href);
  const socketEndpoint = new URL(endpoint.href);
  socketEndpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === "authorization" && typeof value === "string") return value;
    }
    return null;
  }

  // One websocket per token: a new token in the Headers tab opens a new, authenticated socket.
  let socket = null;
  function socketFor(authorization) {
    if (socket && socket.authorization === authorization) return socket.client;
    if (socket) socket.client.dispose();
    const client = graphqlWs.createClient({
      url: socketEndpoint.href,
      lazy: true,
      retryAttempts: 3,
      // A refusal (4403 for a bad token, any 44xx) is final: retrying would only delay showing it.
      shouldRetry: (event) => !(event && typeof event.code === "number" && event.code >= 4400 && event.code < 4500),
      connectionParams: authorization ? { Authorization: authorization } : {},
    });
    socket = { authorization, client };
    return client;
  }

  // Parsed here rather than taken from GraphiQL's documentAST, which can lag the editor's text.
  function isSubscription(params) {
    const { getOperationAST, parse } = GraphiQL.GraphQL;
    try {
      const operation = getOperationAST(parse(params.query), params.operationName || undefined);
      return Boolean(operation) && operation.operation === "subscription";
    } catch {
      return false; // not a valid document: the server explains why
    }
  }

  function subscribe(params, headers) {
    const client = socketFor(authorizationOf(headers));
    return {
      subscribe(observer) {
        const dispose = client.subscribe(params, {
          next: (value) => observer.next(value),
          error: (error) => observer.error(error instanceof Error ? error : new Error(describe(error))),
          complete: () => observer.complete(),
        });
        return { unsubscribe: dispose };
      },
    };
  }

  function describe(error) {
    if (Array.isArray(error)) return error.map((item) => item.message).join("; ");
    if (error && typeof error.code === "number") return `The websocket closed (${error.code} ${error.reason || ""}).`;
    return String(error);
  }

  async function post(params, headers) {
    const response = await fetch(endpoint.href, {
      method: "POST",
      headers: {
        Accept: "application/graphql-response+json, application/json;q=0.9",
        "Content-Type": "application/json",
        ...headers,
      },
      body: JSON.stringify(params),
    });
    return response.json();
  }

  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    return isSubscription(params) ? subscribe(params, headers) : post(params, headers);
  }

  function headersFromAddress() {
    const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
    return token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : undefined;
  }

  const props = {
    fetcher,
    defaultQuery: "# trainpack: the token goes in the Headers tab below, as a Bearer token.\n{ viewer { scopes } }\n",
    defaultHeaders: JSON.stringify({ Authorization: "Bearer <token>" }, null, 2),
    isHeadersEditorEnabled: true,
  };
  const headers = headersFromAddress();
  if (headers) props.headers = headers;
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
