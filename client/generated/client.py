from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from .archive_package import ArchivePackage
from .async_base_client import AsyncBaseClient
from .base_model import UNSET, UnsetType
from .cancel_job import CancelJob
from .complete_step import CompleteStep
from .create_package import CreatePackage
from .delete_secret import DeleteSecret
from .diff_versions import DiffVersions
from .enums import JobStatus
from .get_job import GetJob
from .get_package import GetPackage
from .input_types import (
    CreatePackageInput,
    DeleteSecretInput,
    JobInput,
    PackageFilterInput,
    PackageInput,
    PublishVersionInput,
    RenamePackageInput,
    RestoreVersionInput,
    SaveDraftInput,
    SetSecretInput,
    StepActionInput,
)
from .job_events import JobEvents
from .list_jobs import ListJobs
from .list_packages import ListPackages
from .list_secrets import ListSecrets
from .list_versions import ListVersions
from .package_bundle import PackageBundle
from .package_event_cursors import PackageEventCursors
from .package_events import PackageEvents
from .package_jobs import PackageJobs
from .publish_version import PublishVersion
from .rename_package import RenamePackage
from .restore_version import RestoreVersion
from .save_draft import SaveDraft
from .set_secret import SetSecret
from .unarchive_package import UnarchivePackage
from .version_bundle import VersionBundle
from .version_id import VersionId
from .viewer import Viewer


def gql(q: str) -> str:
    return q


class GraphQLClient(AsyncBaseClient):
    async def package_bundle(self, id: str, **kwargs: Any) -> PackageBundle:
        query = gql("""
            query PackageBundle($id: ID!) {
              node(id: $id) {
                __typename
                ... on Package {
                  latestPublishedVersion {
                    number
                    bundle {
                      sha256
                      sizeBytes
                      downloadUrl
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=query, operation_name="PackageBundle", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return PackageBundle.model_validate(data)

    async def version_bundle(
        self, id: str, number: int, **kwargs: Any
    ) -> VersionBundle:
        query = gql("""
            query VersionBundle($id: ID!, $number: Int!) {
              node(id: $id) {
                __typename
                ... on Package {
                  version(number: $number) {
                    number
                    bundle {
                      sha256
                      sizeBytes
                      downloadUrl
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "number": number}
        response = await self.execute(
            query=query, operation_name="VersionBundle", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return VersionBundle.model_validate(data)

    async def save_draft(self, input: SaveDraftInput, **kwargs: Any) -> SaveDraft:
        query = gql("""
            mutation SaveDraft($input: SaveDraftInput!) {
              saveDraft(input: $input) {
                __typename
                ... on DraftUpdated {
                  ...DraftUpdatedFields
                }
                ...UserErrorFields
              }
            }

            fragment DraftUpdatedFields on DraftUpdated {
              changed
              revision
              savedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
              version {
                ...VersionFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="SaveDraft", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SaveDraft.model_validate(data)

    async def complete_step(
        self, input: StepActionInput, **kwargs: Any
    ) -> CompleteStep:
        query = gql("""
            mutation CompleteStep($input: StepActionInput!) {
              completeStep(input: $input) {
                __typename
                ... on DraftUpdated {
                  ...DraftUpdatedFields
                }
                ...UserErrorFields
              }
            }

            fragment DraftUpdatedFields on DraftUpdated {
              changed
              revision
              savedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
              version {
                ...VersionFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CompleteStep", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CompleteStep.model_validate(data)

    async def publish_version(
        self, input: PublishVersionInput, **kwargs: Any
    ) -> PublishVersion:
        query = gql("""
            mutation PublishVersion($input: PublishVersionInput!) {
              publishVersion(input: $input) {
                __typename
                ... on VersionPublished {
                  version {
                    ...VersionFields
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="PublishVersion", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return PublishVersion.model_validate(data)

    async def package_events(
        self,
        package_id: str,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> AsyncIterator[PackageEvents]:
        query = gql("""
            subscription PackageEvents($packageId: ID!, $after: String) {
              packageEvents(packageId: $packageId, after: $after) {
                __typename
                cursor
                at
                packageId
                ... on JobEvent {
                  jobId
                  kind
                  status
                  progress
                  message
                  attempts
                  errorCode
                  finished
                }
                ... on StepStatusChangedEvent {
                  step
                  fromStatus
                  toStatus
                  errorCount
                }
                ... on VersionPublishedEvent {
                  number
                }
              }
            }
            """)
        variables: dict[str, object] = {"packageId": package_id, "after": after}
        async for data in self.execute_ws(
            query=query, operation_name="PackageEvents", variables=variables, **kwargs
        ):
            yield PackageEvents.model_validate(data)

    async def job_events(
        self, job_id: str, after: Union[Optional[str], UnsetType] = UNSET, **kwargs: Any
    ) -> AsyncIterator[JobEvents]:
        query = gql("""
            subscription JobEvents($jobId: ID!, $after: String) {
              jobEvents(jobId: $jobId, after: $after) {
                cursor
                at
                jobId
                kind
                status
                progress
                message
                attempts
                errorCode
                finished
              }
            }
            """)
        variables: dict[str, object] = {"jobId": job_id, "after": after}
        async for data in self.execute_ws(
            query=query, operation_name="JobEvents", variables=variables, **kwargs
        ):
            yield JobEvents.model_validate(data)

    async def package_event_cursors(
        self,
        id: str,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> PackageEventCursors:
        query = gql("""
            query PackageEventCursors($id: ID!, $first: Int, $after: String) {
              node(id: $id) {
                __typename
                ... on Package {
                  events(first: $first, after: $after) {
                    pageInfo {
                      hasNextPage
                      endCursor
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "first": first, "after": after}
        response = await self.execute(
            query=query,
            operation_name="PackageEventCursors",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return PackageEventCursors.model_validate(data)

    async def list_jobs(
        self,
        first: Union[Optional[int], UnsetType] = UNSET,
        status: Union[Optional[list[JobStatus]], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ListJobs:
        query = gql("""
            query ListJobs($first: Int, $status: [JobStatus!]) {
              jobs(first: $first, status: $status) {
                edges {
                  node {
                    ...JobFields
                  }
                }
              }
            }

            fragment JobFields on Job {
              id
              kind
              status
              progress
              message
              attempts
              cancelRequested
              createdAt
              finishedAt
              packageId
              error {
                code
                message
              }
            }
            """)
        variables: dict[str, object] = {"first": first, "status": status}
        response = await self.execute(
            query=query, operation_name="ListJobs", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListJobs.model_validate(data)

    async def package_jobs(
        self,
        id: str,
        first: Union[Optional[int], UnsetType] = UNSET,
        status: Union[Optional[list[JobStatus]], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> PackageJobs:
        query = gql("""
            query PackageJobs($id: ID!, $first: Int, $status: [JobStatus!]) {
              node(id: $id) {
                __typename
                ... on Package {
                  jobs(first: $first, status: $status) {
                    edges {
                      node {
                        ...JobFields
                      }
                    }
                  }
                }
              }
            }

            fragment JobFields on Job {
              id
              kind
              status
              progress
              message
              attempts
              cancelRequested
              createdAt
              finishedAt
              packageId
              error {
                code
                message
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "first": first, "status": status}
        response = await self.execute(
            query=query, operation_name="PackageJobs", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return PackageJobs.model_validate(data)

    async def get_job(self, id: str, **kwargs: Any) -> GetJob:
        query = gql("""
            query GetJob($id: ID!) {
              node(id: $id) {
                __typename
                ... on Job {
                  ...JobFields
                }
              }
            }

            fragment JobFields on Job {
              id
              kind
              status
              progress
              message
              attempts
              cancelRequested
              createdAt
              finishedAt
              packageId
              error {
                code
                message
              }
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=query, operation_name="GetJob", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetJob.model_validate(data)

    async def cancel_job(self, input: JobInput, **kwargs: Any) -> CancelJob:
        query = gql("""
            mutation CancelJob($input: JobInput!) {
              cancelJob(input: $input) {
                __typename
                ... on JobUpdated {
                  job {
                    ...JobFields
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment JobFields on Job {
              id
              kind
              status
              progress
              message
              attempts
              cancelRequested
              createdAt
              finishedAt
              packageId
              error {
                code
                message
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CancelJob", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CancelJob.model_validate(data)

    async def list_packages(
        self,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        filter_: Union[Optional[PackageFilterInput], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ListPackages:
        query = gql("""
            query ListPackages($first: Int, $after: String, $filter: PackageFilterInput) {
              packages(first: $first, after: $after, filter: $filter) {
                pageInfo {
                  hasNextPage
                  endCursor
                }
                edges {
                  node {
                    ...PackageSummary
                  }
                }
              }
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }
            """)
        variables: dict[str, object] = {
            "first": first,
            "after": after,
            "filter": filter_,
        }
        response = await self.execute(
            query=query, operation_name="ListPackages", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListPackages.model_validate(data)

    async def get_package(self, id: str, **kwargs: Any) -> GetPackage:
        query = gql("""
            query GetPackage($id: ID!) {
              node(id: $id) {
                __typename
                ... on Package {
                  ...PackageDetail
                }
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment PackageDetail on Package {
              ...PackageSummary
              draft {
                ...VersionFields
              }
              latestPublishedVersion {
                ...VersionFields
              }
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=query, operation_name="GetPackage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetPackage.model_validate(data)

    async def create_package(
        self, input: CreatePackageInput, **kwargs: Any
    ) -> CreatePackage:
        query = gql("""
            mutation CreatePackage($input: CreatePackageInput!) {
              createPackage(input: $input) {
                __typename
                ... on PackageCreated {
                  package {
                    ...PackageDetail
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment PackageDetail on Package {
              ...PackageSummary
              draft {
                ...VersionFields
              }
              latestPublishedVersion {
                ...VersionFields
              }
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="CreatePackage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreatePackage.model_validate(data)

    async def rename_package(
        self, input: RenamePackageInput, **kwargs: Any
    ) -> RenamePackage:
        query = gql("""
            mutation RenamePackage($input: RenamePackageInput!) {
              renamePackage(input: $input) {
                __typename
                ... on PackageUpdated {
                  package {
                    ...PackageSummary
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="RenamePackage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return RenamePackage.model_validate(data)

    async def archive_package(
        self, input: PackageInput, **kwargs: Any
    ) -> ArchivePackage:
        query = gql("""
            mutation ArchivePackage($input: PackageInput!) {
              archivePackage(input: $input) {
                __typename
                ... on PackageUpdated {
                  package {
                    ...PackageSummary
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="ArchivePackage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ArchivePackage.model_validate(data)

    async def unarchive_package(
        self, input: PackageInput, **kwargs: Any
    ) -> UnarchivePackage:
        query = gql("""
            mutation UnarchivePackage($input: PackageInput!) {
              unarchivePackage(input: $input) {
                __typename
                ... on PackageUpdated {
                  package {
                    ...PackageSummary
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment PackageSummary on Package {
              id
              name
              nameIsCustom
              description
              updatedAt
              archivedAt
              currentRevision
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="UnarchivePackage",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return UnarchivePackage.model_validate(data)

    async def list_secrets(self, **kwargs: Any) -> ListSecrets:
        query = gql("""
            query ListSecrets {
              secrets {
                name
                lastFour
                createdAt
                createdBy
                updatedAt
                updatedBy
              }
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="ListSecrets", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListSecrets.model_validate(data)

    async def set_secret(self, input: SetSecretInput, **kwargs: Any) -> SetSecret:
        query = gql("""
            mutation SetSecret($input: SetSecretInput!) {
              setSecret(input: $input) {
                __typename
                ... on SecretSet {
                  created
                  secret {
                    name
                    lastFour
                    updatedAt
                  }
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="SetSecret", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SetSecret.model_validate(data)

    async def delete_secret(
        self, input: DeleteSecretInput, **kwargs: Any
    ) -> DeleteSecret:
        query = gql("""
            mutation DeleteSecret($input: DeleteSecretInput!) {
              deleteSecret(input: $input) {
                __typename
                ... on SecretDeleted {
                  name
                }
                ...UserErrorFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="DeleteSecret", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return DeleteSecret.model_validate(data)

    async def list_versions(
        self,
        id: str,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ListVersions:
        query = gql("""
            query ListVersions($id: ID!, $first: Int, $after: String) {
              node(id: $id) {
                __typename
                ... on Package {
                  versions(first: $first, after: $after) {
                    pageInfo {
                      hasNextPage
                      endCursor
                    }
                    edges {
                      node {
                        id
                        number
                        status
                        revision
                        contentHash
                        publishedAt
                        publishedBy
                        changelog
                      }
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "first": first, "after": after}
        response = await self.execute(
            query=query, operation_name="ListVersions", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListVersions.model_validate(data)

    async def diff_versions(
        self, id: str, from_number: int, to_number: int, **kwargs: Any
    ) -> DiffVersions:
        query = gql("""
            query DiffVersions($id: ID!, $fromNumber: Int!, $toNumber: Int!) {
              node(id: $id) {
                __typename
                ... on Package {
                  diff(fromNumber: $fromNumber, toNumber: $toNumber) {
                    identical
                    changes {
                      step
                      path
                      kind
                      before
                      after
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {
            "id": id,
            "fromNumber": from_number,
            "toNumber": to_number,
        }
        response = await self.execute(
            query=query, operation_name="DiffVersions", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return DiffVersions.model_validate(data)

    async def version_id(self, id: str, number: int, **kwargs: Any) -> VersionId:
        query = gql("""
            query VersionId($id: ID!, $number: Int!) {
              node(id: $id) {
                __typename
                ... on Package {
                  version(number: $number) {
                    id
                    status
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "number": number}
        response = await self.execute(
            query=query, operation_name="VersionId", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return VersionId.model_validate(data)

    async def restore_version(
        self, input: RestoreVersionInput, **kwargs: Any
    ) -> RestoreVersion:
        query = gql("""
            mutation RestoreVersion($input: RestoreVersionInput!) {
              restoreVersion(input: $input) {
                __typename
                ... on DraftUpdated {
                  ...DraftUpdatedFields
                }
                ...UserErrorFields
              }
            }

            fragment DraftUpdatedFields on DraftUpdated {
              changed
              revision
              savedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
              version {
                ...VersionFields
              }
            }

            fragment IssueFields on Issue {
              path
              code
              message
              severity
            }

            fragment StepFields on StepView {
              step
              status
              data
              summary
              completedAt
              errors {
                ...IssueFields
              }
              warnings {
                ...IssueFields
              }
            }

            fragment UserErrorFields on UserError {
              __typename
              code
              message
              ... on ValidationFailed {
                issues {
                  ...IssueFields
                }
              }
              ... on RevisionConflict {
                expectedRevision
                currentRevision
              }
              ... on StepLocked {
                step
                blockedBy
              }
            }

            fragment VersionFields on Version {
              id
              number
              status
              revision
              currentStep
              contentHash
              savedAt
              publishedAt
              changelog
              steps {
                ...StepFields
              }
              progress {
                completed
                total
                nextAction
                nextStep
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="RestoreVersion", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return RestoreVersion.model_validate(data)

    async def viewer(self, **kwargs: Any) -> Viewer:
        query = gql("""
            query Viewer {
              viewer {
                organisation {
                  name
                }
                tokenName
                scopes
              }
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="Viewer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Viewer.model_validate(data)
