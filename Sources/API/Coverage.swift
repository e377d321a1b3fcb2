import Foundation
import KeyAuditCore

/// What the listing looked at, so that "0 findings" can never mean "did not look".
package struct Coverage: Sendable, Equatable {
    /// How workspaces were chosen.
    package enum Mode: String, Sendable {
        /// `GET /workspaces` listed them and every one was listed.
        case allWorkspaces = "all-workspaces"
        /// Only the workspaces named with `--workspace`.
        case selectedWorkspaces = "selected-workspaces"
        /// `/workspaces` answered 403/404: only the default listing (no `workspace_id`) was read.
        case defaultListingOnly = "default-listing-only"
        /// Keys came from a file (`--from-snapshot`), not from the API.
        case file = "file"
    }

    package struct Workspace: Sendable, Equatable {
        /// nil for the default listing without `workspace_id`.
        package var id: String?
        package var keys: Int
        package var pages: Int
        /// How many times the workspace was listed (more than 1 when paging shifted).
        package var attempts: Int
        package var consistent: Bool

        package init(id: String?, keys: Int, pages: Int, attempts: Int, consistent: Bool) {
            self.id = id
            self.keys = keys
            self.pages = pages
            self.attempts = attempts
            self.consistent = consistent
        }
    }

    package var mode: Mode
    package var pages: Int
    package var requests: Int
    package var retries: Int
    package var includeDisabled: Bool
    package var workspaces: [Workspace]
    /// False when a listing never settled (keys created or deleted while paging): the snapshot may miss keys.
    package var consistent: Bool
    /// Human-readable remarks (the fallback reason, the inconsistency).
    package var notes: [String]

    package init(
        mode: Mode, pages: Int = 0, requests: Int = 0, retries: Int = 0, includeDisabled: Bool = true,
        workspaces: [Workspace] = [], consistent: Bool = true, notes: [String] = []
    ) {
        self.mode = mode
        self.pages = pages
        self.requests = requests
        self.retries = retries
        self.includeDisabled = includeDisabled
        self.workspaces = workspaces
        self.consistent = consistent
        self.notes = notes
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("mode", .string(mode.rawValue)),
                ("pages", .number(JSONNumber(pages))),
                ("requests", .number(JSONNumber(requests))),
                ("retries", .number(JSONNumber(retries))),
                ("include_disabled", .bool(includeDisabled)),
                (
                    "workspaces_listed",
                    .array(
                        workspaces.map { workspace in
                            .object(
                                JSONObject([
                                    ("id", workspace.id.map { .string($0) } ?? .null),
                                    ("keys", .number(JSONNumber(workspace.keys))),
                                    ("pages", .number(JSONNumber(workspace.pages))),
                                    ("attempts", .number(JSONNumber(workspace.attempts))),
                                    ("consistent", .bool(workspace.consistent)),
                                ]))
                        })
                ),
                ("consistent", .bool(consistent)),
                ("notes", .array(notes.map { .string($0) })),
            ]))
    }

    package init(json: JSONValue?) {
        guard let object = json?.objectValue else {
            self.init(mode: .file)
            return
        }
        func int(_ name: String) -> Int { object[name]?.doubleValue.map { Int($0) } ?? 0 }
        self.init(
            mode: object["mode"]?.stringValue.flatMap(Mode.init(rawValue:)) ?? .file,
            pages: int("pages"),
            requests: int("requests"),
            retries: int("retries"),
            includeDisabled: object["include_disabled"]?.boolValue ?? true,
            workspaces: (object["workspaces_listed"]?.arrayValue ?? []).compactMap { item in
                guard let entry = item.objectValue else { return nil }
                return Workspace(
                    id: entry["id"]?.stringValue,
                    keys: entry["keys"]?.doubleValue.map { Int($0) } ?? 0,
                    pages: entry["pages"]?.doubleValue.map { Int($0) } ?? 0,
                    attempts: entry["attempts"]?.doubleValue.map { Int($0) } ?? 0,
                    consistent: entry["consistent"]?.boolValue ?? true)
            },
            consistent: object["consistent"]?.boolValue ?? true,
            notes: (object["notes"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}
