"""The trainpack SDK: typed GraphQL operations generated from ``schema.graphql`` and the
documents in ``client/documents``, plus the connection settings, event following and the
declarative ``apply`` built on them. It speaks to a server only over HTTP and websockets."""
