import Foundation
import KeyAuditCore

/// What the listing looked at, so that "0 findings" can never mean "did not look".
public struct Coverage: Sendable, Equatable {
    /// How workspaces were chosen.
    public enum Mode: String, Sendable {
        /// `GET /workspaces` listed them and every one was listed.
        case allWorkspaces = "all-workspaces"
        /// Only the workspaces named with `--workspace`.
        case selectedWorkspaces = "selected-workspaces"
        /// `/workspaces` answered 403/404: only the default listing (no `workspace_id`) was read.
        case defaultListingOnly = "default-listing-only"
        /// Keys came from a file (`--from-snapshot`), not from the API.
        case file = "file"
    }

    /// How one listing went: a workspace, or the default listing when no workspace could be named.
    public struct Workspace: Sendable, Equatable {
        /// nil for the default listing without `workspace_id`.
        public var id: String?
        /// Keys in its final listing, before keys already seen in another workspace were dropped.
        public var keys: Int
        /// `GET /keys` pages in its final listing (earlier listings that shifted are not counted here).
        public var pages: Int
        /// How many times the workspace was listed (more than 1 when paging shifted).
        public var attempts: Int
        /// False when paging shifted on every attempt: this listing may miss keys.
        public var consistent: Bool

        package init(id: String?, keys: Int, pages: Int, attempts: Int, consistent: Bool) {
            self.id = id
            self.keys = keys
            self.pages = pages
            self.attempts = attempts
            self.consistent = consistent
        }
    }

    /// How the workspaces to list were chosen; `file` when the keys were not read from the API.
    public var mode: Mode
    /// `GET /keys` pages fetched in all, every workspace, relisting and end-of-listing count check included.
    public var pages: Int
    /// HTTP requests sent to the API, `/workspaces` and retries included.
    public var requests: Int
    /// Requests sent again after a 408, 429, 5xx, timeout or connection failure.
    public var retries: Int
    /// Whether disabled keys were listed (`include_disabled=true`); keyaudit always asks for them.
    public var includeDisabled: Bool
    /// What each listing found, in the order listed; empty for a key list read from a file.
    public var workspaces: [Workspace]
    /// False when a listing never settled (keys created or deleted while paging): the snapshot may miss keys.
    public var consistent: Bool
    /// Human-readable remarks (the fallback reason, the inconsistency).
    public var notes: [String]

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

    /// Reads the `coverage` member of a snapshot keyaudit wrote. A missing member (or one from an older version)
    /// reads as a file listing; a count that is present but not a whole number from 0 up (`1e300`, `-1`, `2.5`)
    /// makes the file corrupt.
    ///
    /// - Parameter origin: the file, for messages.
    package init(json: JSONValue?, origin: String) throws(KeyAuditError) {
        guard let object = json?.objectValue else {
            self.init(mode: .file)
            return
        }
        func count(_ value: JSONValue?, _ name: String) throws(KeyAuditError) -> Int {
            guard let value, !value.isNull else { return 0 }
            guard let number = value.doubleValue.flatMap(Checked.int(exactly:)), number >= 0 else {
                throw .malformedData(
                    "\(origin): coverage.\(name) is \(Escaping.oneLine(value.description, limit: 40)), not a count; the file is corrupt"
                )
            }
            return number
        }
        var workspaces: [Workspace] = []
        for item in object["workspaces_listed"]?.arrayValue ?? [] {
            guard let entry = item.objectValue else { continue }
            workspaces.append(
                Workspace(
                    id: entry["id"]?.stringValue,
                    keys: try count(entry["keys"], "workspaces_listed.keys"),
                    pages: try count(entry["pages"], "workspaces_listed.pages"),
                    attempts: try count(entry["attempts"], "workspaces_listed.attempts"),
                    consistent: entry["consistent"]?.boolValue ?? true))
        }
        self.init(
            mode: object["mode"]?.stringValue.flatMap(Mode.init(rawValue:)) ?? .file,
            pages: try count(object["pages"], "pages"),
            requests: try count(object["requests"], "requests"),
            retries: try count(object["retries"], "retries"),
            includeDisabled: object["include_disabled"]?.boolValue ?? true,
            workspaces: workspaces,
            consistent: object["consistent"]?.boolValue ?? true,
            notes: (object["notes"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}
