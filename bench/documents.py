"""GraphQL documents the benchmarks send, as the wizard and the dashboards would."""

CREATE = """
mutation Create($input: CreatePackageInput!) {
  createPackage(input: $input) {
    __typename
    ... on PackageCreated { package { id } draft { id revision } }
    ... on UserError { code message }
  }
}
"""

# What the wizard's autosave timer asks back: the new revision and the findings to show.
AUTOSAVE = """
mutation Autosave($input: SaveDraftInput!) {
  saveDraft(input: $input) {
    __typename
    ... on DraftUpdated { changed revision savedAt errors { path code message } warnings { path code severity } }
    ... on RevisionConflict { currentRevision }
    ... on UserError { code message }
  }
}
"""

PACKAGE = """
query Package($id: ID!) {
  node(id: $id) {
    ... on Package {
      id name currentRevision
      draft { id number status revision basedOn { number } steps { step status } }
      latestPublishedVersion { id number revision }
      versions(first: 100) {
        edges { node { number status revision basedOn { number } steps { step status } package { name } } }
      }
    }
  }
}
"""

PACKAGES = """
query Packages($first: Int!, $after: String) {
  packages(first: $first, after: $after) {
    edges { cursor node { id name updatedAt draft { number revision } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
