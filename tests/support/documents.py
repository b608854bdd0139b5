"""GraphQL documents the tests send, as a client would."""

ERRORS = """
fragment Errors on UserError {
  __typename code message
  ... on ValidationFailed { issues { path code message severity } }
  ... on ChecksPending { pending { path code message severity } failing { path code message } }
  ... on RevisionConflict { expectedRevision currentRevision }
  ... on StepLocked { step blockedBy }
  ... on VersionImmutable { versionNumber }
  ... on NothingToPublish { reason }
  ... on NotFound { id }
  ... on Forbidden { requiredScope }
}
"""

DRAFT_FIELDS = """
fragment DraftFields on DraftUpdated {
  __typename changed revision savedAt
  errors { path code message }
  warnings { path code severity }
  package { id name nameIsCustom }
  version { id number status revision currentStep
            steps { step status data summary errors { path code } } }
}
"""

CREATE = (
    ERRORS
    + """
mutation Create($input: CreatePackageInput!) {
  createPackage(input: $input) {
    __typename
    ... on PackageCreated { package { id name nameIsCustom } draft { id number revision currentStep } }
    ... on UserError { ...Errors }
  }
}
"""
)

SAVE = (
    ERRORS
    + DRAFT_FIELDS
    + """
mutation Save($input: SaveDraftInput!) {
  saveDraft(input: $input) { ... on DraftUpdated { ...DraftFields } ... on UserError { ...Errors } }
}
"""
)

COMPLETE = (
    ERRORS
    + DRAFT_FIELDS
    + """
mutation Complete($input: StepActionInput!) {
  completeStep(input: $input) { ... on DraftUpdated { ...DraftFields } ... on UserError { ...Errors } }
}
"""
)

OPEN = (
    ERRORS
    + DRAFT_FIELDS
    + """
mutation Open($input: StepActionInput!) {
  openStep(input: $input) { ... on DraftUpdated { ...DraftFields } ... on UserError { ...Errors } }
}
"""
)

PUBLISH = (
    ERRORS
    + """
mutation Publish($input: PublishVersionInput!) {
  publishVersion(input: $input) {
    __typename
    ... on VersionPublished { version { id number status revision publishedAt publishedBy changelog contentHash } }
    ... on UserError { ...Errors }
  }
}
"""
)

DISCARD = (
    ERRORS
    + """
mutation Discard($input: DraftInput!) {
  discardDraft(input: $input) {
    __typename
    ... on DraftDiscarded { package { id draft { id } latestPublishedVersion { number } } }
    ... on UserError { ...Errors }
  }
}
"""
)

RESTORE = (
    ERRORS
    + DRAFT_FIELDS
    + """
mutation Restore($input: RestoreVersionInput!) {
  restoreVersion(input: $input) { ... on DraftUpdated { ...DraftFields } ... on UserError { ...Errors } }
}
"""
)

RENAME = (
    ERRORS
    + """
mutation Rename($input: RenamePackageInput!) {
  renamePackage(input: $input) {
    __typename ... on PackageUpdated { package { id name nameIsCustom } } ... on UserError { ...Errors }
  }
}
"""
)

ARCHIVE = (
    ERRORS
    + """
mutation Archive($input: PackageInput!) {
  archivePackage(input: $input) {
    __typename ... on PackageUpdated { package { id archivedAt } } ... on UserError { ...Errors }
  }
}
"""
)

UNARCHIVE = (
    ERRORS
    + """
mutation Unarchive($input: PackageInput!) {
  unarchivePackage(input: $input) {
    __typename ... on PackageUpdated { package { id archivedAt } } ... on UserError { ...Errors }
  }
}
"""
)

DELETE = (
    ERRORS
    + """
mutation Delete($input: PackageInput!) {
  deletePackage(input: $input) { __typename ... on PackageDeleted { deletedId } ... on UserError { ...Errors } }
}
"""
)

PACKAGE = """
query Package($id: ID!) {
  node(id: $id) {
    ... on Package {
      id name nameIsCustom archivedAt currentRevision
      draft { id number status revision basedOn { number } steps { step status data } }
      latestPublishedVersion { id number revision }
      versions(first: 50) { edges { cursor node { id number status revision changelog basedOn { number } } }
                            pageInfo { hasNextPage endCursor } }
    }
  }
}
"""

DIFF = """
query Diff($id: ID!, $from: Int!, $to: Int!) {
  node(id: $id) {
    ... on Package {
      diff(fromNumber: $from, toNumber: $to) { identical changes { step path kind before after } }
    }
  }
}
"""

PACKAGES = """
query Packages($first: Int, $after: String, $filter: PackageFilterInput) {
  packages(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id name updatedAt archivedAt draft { number } latestPublishedVersion { number } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

EVENTS = """
query Events($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Package { events(first: $first, after: $after) { edges { node { id cursor type payload actor } }
                                                            pageInfo { hasNextPage endCursor } } }
  }
}
"""

ORG_EVENTS = """
query OrgEvents($first: Int, $after: String) {
  events(first: $first, after: $after) { edges { node { id type packageId } } pageInfo { hasNextPage endCursor } }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { __typename id } }
"""

NODES = """
query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }
"""

VIEWER = """
query { viewer { organisation { id name } tokenName scopes } }
"""
