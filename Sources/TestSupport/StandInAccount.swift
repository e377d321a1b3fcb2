import Foundation
import KeyAuditCore
import KeyAuditSampleAccount

// A fake OpenRouter account behind the stand-in server: workspaces, keys, the Management API's paging and
// filtering, authentication, and a queue of faults to answer with instead.

/// A workspace of the fake account, with its keys (JSON objects, returned exactly as stored).
///
/// `@unchecked Sendable` because keys are `[String: Any]` (so that tests can plant `NSNull()`, leave fields out,
/// add unknown fields or odd numbers); the values are immutable Foundation or Swift values.
package struct StandInWorkspace: @unchecked Sendable {
    var id: String
    var name: String
    var slug: String
    var description: String?
    var createdAt: String
    var updatedAt: String?
    var keys: [[String: Any]]

    package init(
        id: String,
        name: String? = nil,
        slug: String? = nil,
        description: String? = nil,
        createdAt: String = "2025-01-06T09:00:00Z",
        updatedAt: String? = nil,
        keys: [[String: Any]] = []
    ) {
        self.id = id
        self.name = name ?? "Workspace \(id.prefix(8))"
        self.slug = slug ?? "workspace-\(id.prefix(8).lowercased())"
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.keys = keys
    }

    var json: [String: Any] {
        [
            "id": id, "name": name, "slug": slug, "description": description ?? NSNull(), "created_at": createdAt,
            "updated_at": updatedAt ?? NSNull(),
        ]
    }
}

/// The fake account. All state is behind a lock; every knob can be changed at any time, also while a client is
/// paging (from `onPageServed`, say).
package final class StandInAccount: Sendable {
    /// How `/workspaces` answers.
    enum WorkspacesBehaviour: Sendable, Equatable {
        case normal
        /// An OpenRouter error body with that status (404: an account without workspaces support; 403: a key that
        /// may not list workspaces).
        case status(Int)
    }

    /// One faulty answer, taken from ``StandInAccount/faults`` by the first request it matches.
    indirect enum Fault: Sendable {
        /// An OpenRouter error body with that status; `retryAfter` adds `Retry-After: <seconds>`.
        case status(Int, retryAfter: Int? = nil)
        /// A load balancer's HTML error page with that status.
        case html(Int)
        /// Never answered (the client must time out).
        case hang
        /// 200 with `content-type: application/json` and a truncated JSON body.
        case malformedJSON
        /// 200 with that many bytes of garbage, streamed, with a `content-length`.
        case garbage(bytes: Int)
        /// 200 with that many bytes of garbage, streamed with `transfer-encoding: chunked` (no `content-length`).
        case garbageChunked(bytes: Int)
        /// The real answer's head and the first half of its body, then a connection reset.
        case resetMidBody
        /// The real answer's head at once, then its body one byte every `interval` (a slow-loris server).
        case drip(interval: Duration)
        /// The real answer's head and the first half of its body, then nothing: the connection stays open.
        case stallMidBody
        /// The real answer, after this extra delay.
        case delayed(Duration)
        /// Any reply at all.
        case reply(StandInReply)
        /// `fault`, but only for requests to `path` (`"/keys"` or `"/workspaces"`; `/api/v1` may be included).
        case onPath(String, Fault)
        /// `fault`, but only for requests with this method (`"PATCH"`, `"DELETE"`).
        case onMethod(String, Fault)

        /// This fault, limited to requests to `path` (`"/keys"` or `"/workspaces"`).
        func only(_ path: String) -> Fault { .onPath(path, self) }

        /// This fault, limited to requests with `method`.
        func onlyMethod(_ method: String) -> Fault { .onMethod(method, self) }
    }

    /// A management key that the account accepts unless told otherwise.
    package static let defaultManagementKey = "sk-or-v1-" + String(repeating: "5a17e1", count: 10) + "beef"
    /// An ordinary (inference) key: the account answers 403.
    static let ordinaryKey = "sk-or-v1-ordinary"
    /// Keys per `/keys` page.
    static let pageSize = 100
    /// A fixed "now" for deterministic fixtures: 2026-01-15T12:00:00Z.
    static let referenceNow = Date(timeIntervalSince1970: 1_768_478_400)

    private struct Entry {
        var workspace: String
        var fields: [String: Any]
    }

    private struct State {
        var workspaces: [StandInWorkspace]
        var keys: [Entry]
        var workspacesEndpoint = WorkspacesBehaviour.normal
        var faults: [Fault] = []
        var ignoreOffset = false
        var onPageServed: (@Sendable (_ offset: Int, _ workspace: String?) -> Void)?
        var latency = Duration.zero
        var clock: Date?
        var rateLimit: RateLimit?
        var throttled = 0
    }

    /// A token bucket of `rate` requests a second holding at most one second's worth (the shape of
    /// `../shared/bench/mock_openrouter.py --rate-limit`): full at the start, refilled continuously.
    private struct RateLimit {
        var rate: Double
        var tokens: Double
        var refilled: ContinuousClock.Instant

        /// nil when the request may be served, else the whole seconds until a token is free (at least 1).
        mutating func admit(now: ContinuousClock.Instant) -> Int? {
            tokens = min(rate, tokens + Checked.seconds(now - refilled) * rate)
            refilled = now
            if tokens >= 1 {
                tokens -= 1
                return nil
            }
            return max(1, Checked.clampedInt(((1 - tokens) / rate).rounded(.up), to: 1...3_600))
        }
    }

    let managementKey: String
    private let state: StandInLocked<State>

    /// An account with these workspaces (the first is the default workspace) and their keys. Each workspace's
    /// keys are listed newest first by `created_at` (then by `hash`); keys added later with ``addKey(_:workspace:)``
    /// go on top.
    package init(workspaces: [StandInWorkspace], managementKey: String = StandInAccount.defaultManagementKey) {
        precondition(!workspaces.isEmpty, "an account has at least its default workspace")
        self.managementKey = managementKey
        var entries: [Entry] = []
        for workspace in workspaces {
            entries += Self.newestFirst(workspace.keys).map { Entry(workspace: workspace.id, fields: $0) }
        }
        var bare = workspaces
        for index in bare.indices { bare[index].keys = [] }
        self.state = StandInLocked(State(workspaces: bare, keys: entries))
    }

    /// An account with these workspace ids (the first is the default), each holding `keysPerWorkspace` generated
    /// keys of which `disabledPerWorkspace` are disabled.
    package convenience init(
        workspaces: [String],
        keysPerWorkspace: Int,
        disabledPerWorkspace: Int = 0,
        managementKey: String = StandInAccount.defaultManagementKey,
        seed: UInt64 = 1,
        now: Date = StandInAccount.referenceNow
    ) {
        let built = workspaces.enumerated().map { index, id in
            StandInWorkspace(
                id: id,
                name: index == 0 ? "Default Workspace" : "Workspace \(index + 1)",
                slug: index == 0 ? "default" : "workspace-\(index + 1)",
                keys: Self.makeKeys(
                    count: keysPerWorkspace,
                    disabled: disabledPerWorkspace,
                    workspace: id,
                    seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15,
                    now: now
                )
            )
        }
        self.init(workspaces: built, managementKey: managementKey)
    }

    // MARK: - Knobs

    var workspacesEndpoint: WorkspacesBehaviour {
        get { state.withLock { $0.workspacesEndpoint } }
        set { state.withLock { $0.workspacesEndpoint = newValue } }
    }

    /// Faults still to be served. A request takes the first fault that matches its path (a fault without a path
    /// matches every request, before authentication is checked) and is answered with it instead.
    var faults: [Fault] {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }

    /// When true, every `/keys` page is the first page (the first 100 keys), whatever the offset.
    var ignoreOffset: Bool {
        get { state.withLock { $0.ignoreOffset } }
        set { state.withLock { $0.ignoreOffset = newValue } }
    }

    /// Called after each `/keys` page is built and before it is sent, with the request's offset and
    /// `workspace_id` (nil when absent). It may change the account (the change shows from the next page on).
    var onPageServed: (@Sendable (_ offset: Int, _ workspace: String?) -> Void)? {
        get { state.withLock { $0.onPageServed } }
        set { state.withLock { $0.onPageServed = newValue } }
    }

    /// Waited before every answer (faults included).
    package var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = newValue } }
    }

    /// Requests a second the account admits (nil: no limit); a request beyond it is answered at once, before any
    /// latency, with 429 and `Retry-After` in whole seconds until a token is free (at least 1). Setting it fills
    /// the bucket.
    package var rateLimit: Double? {
        get { state.withLock { $0.rateLimit?.rate } }
        set {
            state.withLock { state in
                state.rateLimit = newValue.map { RateLimit(rate: $0, tokens: $0, refilled: .now) }
            }
        }
    }

    /// Requests answered 429 by ``rateLimit``.
    package var throttled: Int { state.withLock { $0.throttled } }

    // MARK: - Keys

    /// Adds `key` at the top of `workspace`'s listing (the newest key), stored exactly as given.
    func addKey(_ key: [String: Any], workspace: String) {
        state.withLock { $0.keys.insert(Entry(workspace: workspace, fields: key), at: 0) }
    }

    /// Removes every key whose `hash` is `hash`.
    func removeKey(hash: String) {
        state.withLock { $0.keys.removeAll { ($0.fields["hash"] as? String) == hash } }
    }

    /// Replaces every key whose `hash` is `hash` with `change(key)`; the key keeps its place in the listing.
    func updateKey(hash: String, _ change: ([String: Any]) -> [String: Any]) {
        state.withLock { state in
            for index in state.keys.indices where (state.keys[index].fields["hash"] as? String) == hash {
                state.keys[index].fields = change(state.keys[index].fields)
            }
        }
    }

    /// The keys of `workspace` (all workspaces when nil) in listing order, disabled ones included.
    func keys(workspace: String? = nil) -> [[String: Any]] {
        state.withLock { state in
            state.keys.filter { workspace == nil || $0.workspace == workspace }.map(\.fields)
        }
    }

    /// The workspaces, the default one first.
    var workspaces: [StandInWorkspace] {
        state.withLock { state in
            state.workspaces.map { workspace in
                var copy = workspace
                copy.keys = state.keys.filter { $0.workspace == workspace.id }.map(\.fields)
                return copy
            }
        }
    }

    // MARK: - Answering

    /// Pass to ``StandInServer/start(_:)``.
    var handler: @Sendable (StandInRequest) async -> StandInReply {
        { request in await self.answer(request) }
    }

    package func answer(_ request: StandInRequest) async -> StandInReply {
        let limited = state.withLock { state -> Int? in
            guard let wait = state.rateLimit?.admit(now: .now) else { return nil }
            state.throttled += 1
            return wait
        }
        if let limited {
            return .error(status: 429, message: Self.message(429), headers: [("retry-after", String(limited))])
        }
        let latency = self.latency
        if latency > .zero { try? await Task.sleep(for: latency) }
        let route = Self.route(request.path)
        guard let fault = takeFault(route: route, method: request.method) else { return serve(request, route: route) }
        switch fault {
        case .status(let status, let retryAfter):
            return .error(
                status: status,
                message: Self.message(status),
                headers: retryAfter.map { [("retry-after", String($0))] } ?? []
            )
        case .html(let status):
            return .html(status: status)
        case .hang:
            return .hang
        case .malformedJSON:
            return .respond(
                status: 200,
                headers: [("content-type", "application/json")],
                body: Array(#"{"data": [{"hash": "3f1c0a9e7d", "name": "Produc"#.utf8)
            )
        case .garbage(let bytes):
            return .garbage(bytes: bytes)
        case .garbageChunked(let bytes):
            return .garbageChunked(bytes: bytes)
        case .resetMidBody:
            let real = serve(request, route: route, notify: false)
            guard case .respond(let status, _, let body, _) = real else { return real }
            return .resetMidBody(status: status, partialBody: Array(body.prefix(max(1, body.count / 2))))
        case .drip(let interval):
            let real = serve(request, route: route, notify: false)
            guard case .respond(let status, let headers, let body, _) = real else { return real }
            return .drip(status: status, headers: headers, body: body, interval: interval)
        case .stallMidBody:
            let real = serve(request, route: route, notify: false)
            guard case .respond(let status, _, let body, _) = real else { return real }
            return .stallMidBody(status: status, partialBody: Array(body.prefix(max(1, body.count / 2))))
        case .delayed(let delay):
            try? await Task.sleep(for: delay)
            return serve(request, route: route)
        case .reply(let reply):
            return reply
        case .onPath, .onMethod:
            preconditionFailure("unwrapped by takeFault")
        }
    }

    /// The path after `/api/v1`.
    private static func route(_ path: String) -> String {
        path.hasPrefix("/api/v1/") ? String(path.dropFirst("/api/v1".count)) : path
    }

    private func takeFault(route: String, method: String) -> Fault? {
        state.withLock { state -> Fault? in
            for index in state.faults.indices {
                var fault = state.faults[index]
                var matches = true
                while true {
                    if case .onPath(let path, let inner) = fault {
                        matches = matches && Self.route(path) == route
                        fault = inner
                    } else if case .onMethod(let wanted, let inner) = fault {
                        matches = matches && wanted == method
                        fault = inner
                    } else {
                        break
                    }
                }
                if matches {
                    state.faults.remove(at: index)
                    return fault
                }
            }
            return nil
        }
    }

    private func serve(_ request: StandInRequest, route: String, notify: Bool = true) -> StandInReply {
        let authorization = request.headers["authorization"] ?? ""
        guard authorization.lowercased().hasPrefix("bearer ") else {
            return .error(status: 401, message: "No auth credentials found")
        }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        if token == Self.ordinaryKey && token != managementKey {
            return .error(status: 403, message: "Only management keys can perform this operation")
        }
        guard token == managementKey else { return .error(status: 401, message: "User not found.") }

        if route.hasPrefix("/keys/") {
            return oneKey(String(route.dropFirst("/keys/".count)), request: request)
        }
        switch route {
        case "/keys":
            guard request.method == "GET" else { return .error(status: 405, message: "Method Not Allowed") }
            return listKeys(request.query, notify: notify)
        case "/workspaces":
            guard request.method == "GET" else { return .error(status: 405, message: "Method Not Allowed") }
            return listWorkspaces(request.query)
        default:
            return .error(status: 404, message: "Not Found")
        }
    }

    /// `GET`, `PATCH` and `DELETE /keys/{hash}`, as the Management API answers them: `{"data": key}`,
    /// `{"data": key}` after the change (only `name`, `disabled`, `limit`, `limit_reset` and
    /// `include_byok_in_limit` may be changed; `updated_at` moves to the account's clock), `{"deleted": true}`;
    /// 404 for a key the account does not have.
    private func oneKey(_ hash: String, request: StandInRequest) -> StandInReply {
        switch request.method {
        case "GET":
            guard let key = keys().first(where: { ($0["hash"] as? String) == hash }) else {
                return .error(status: 404, message: "Key not found")
            }
            return .json(["data": key])
        case "DELETE":
            guard keys().contains(where: { ($0["hash"] as? String) == hash }) else {
                return .error(status: 404, message: "Key not found")
            }
            removeKey(hash: hash)
            return .json(["deleted": true])
        case "PATCH":
            guard let document = try? JSONParser.parse(request.body), let object = document.objectValue else {
                return .error(status: 400, message: "Invalid JSON body")
            }
            let allowed: Set<String> = ["name", "disabled", "limit", "limit_reset", "include_byok_in_limit"]
            guard !object.isEmpty, Set(object.keys).isSubset(of: allowed) else {
                return .error(status: 400, message: "Invalid fields: \(Set(object.keys).subtracting(allowed).sorted())")
            }
            guard keys().contains(where: { ($0["hash"] as? String) == hash }) else {
                return .error(status: 404, message: "Key not found")
            }
            var changes: [String: Any] = [:]
            for (field, value) in zip(object.keys, object.values) {
                switch (field, value) {
                case ("disabled", .bool), ("include_byok_in_limit", .bool), ("limit", .number), ("limit", .null),
                    ("limit_reset", .null), ("name", .string):
                    changes[field] = Self.any(value)
                case ("limit_reset", .string(let reset)) where ["daily", "weekly", "monthly"].contains(reset):
                    changes[field] = reset
                default:
                    return .error(status: 400, message: "Invalid value for \(field)")
                }
            }
            let stamp = Self.timestamp(clock)
            updateKey(hash: hash) { key in
                var key = key
                for (field, value) in changes { key[field] = value }
                if let limit = changes["limit"] {
                    // The API recomputes what is left of a new limit.
                    key["limit_remaining"] =
                        (limit as? StandInRawJSON).flatMap { Double($0.text) }.map {
                            StandInRawJSON(String(max(0, $0)))
                        }
                        ?? NSNull()
                }
                key["updated_at"] = stamp
                return key
            }
            let updated = keys().first { ($0["hash"] as? String) == hash } ?? [:]
            return .json(["data": updated])
        default:
            return .error(status: 405, message: "Method Not Allowed")
        }
    }

    /// The account's clock, for `updated_at` after a PATCH (the real clock unless a test pins it).
    package var clock: Date {
        get { state.withLock { $0.clock ?? Date() } }
        set { state.withLock { $0.clock = newValue } }
    }

    private func listKeys(_ query: [String: String], notify: Bool) -> StandInReply {
        var offset = 0
        if let text = query["offset"] {
            guard let value = Int(text), value >= 0 else { return .error(status: 400, message: "Invalid offset") }
            offset = value
        }
        var includeDisabled = false
        switch query["include_disabled"] {
        case nil, "false": includeDisabled = false
        case "true": includeDisabled = true
        default: return .error(status: 400, message: "Invalid include_disabled: expected true or false")
        }
        let requested = query["workspace_id"]
        let built = state.withLock { state -> (page: [[String: Any]], callback: (@Sendable (Int, String?) -> Void)?)? in
            let workspace = requested ?? state.workspaces[0].id
            guard state.workspaces.contains(where: { $0.id == workspace }) else { return nil }
            let listed = state.keys.filter { entry in
                entry.workspace == workspace && (includeDisabled || (entry.fields["disabled"] as? Bool) != true)
            }
            let start = state.ignoreOffset ? 0 : min(offset, listed.count)
            let end = min(start + Self.pageSize, listed.count)
            return (listed[start..<end].map(\.fields), state.onPageServed)
        }
        guard let built else { return .error(status: 400, message: "Invalid workspace_id") }
        let reply = StandInReply.json(["data": built.page])
        if notify { built.callback?(offset, requested) }
        return reply
    }

    private func listWorkspaces(_ query: [String: String]) -> StandInReply {
        let (behaviour, workspaces, ignoreOffset) = state.withLock {
            ($0.workspacesEndpoint, $0.workspaces, $0.ignoreOffset)
        }
        if case .status(let status) = behaviour { return .error(status: status, message: Self.message(status)) }
        var offset = 0
        if let text = query["offset"] {
            guard let value = Int(text), value >= 0 else { return .error(status: 400, message: "Invalid offset") }
            offset = value
        }
        var limit = 50
        if let text = query["limit"] {
            guard let value = Int(text), (1...100).contains(value) else {
                return .error(status: 400, message: "Invalid limit: expected 1 to 100")
            }
            limit = value
        }
        let start = ignoreOffset ? 0 : min(offset, workspaces.count)
        let end = min(start + limit, workspaces.count)
        return .json(["data": workspaces[start..<end].map(\.json), "total_count": workspaces.count])
    }

    private static func message(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "User not found."
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 429: "Rate limit exceeded"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error \(status)"
        }
    }

    // MARK: - Generated keys

    /// `count` realistic keys in `workspace` from the project's one generator (``AccountGenerator``), the same
    /// for the same arguments: `disabled` of them disabled, `created_at` spread over the year before `now`, newest
    /// first (by `created_at`, then `hash`). Some have no `expires_at` field at all, some `null`, some a date
    /// (past or future); names include non-ASCII letters and quotes. Numbers keep the generator's exact text.
    package static func makeKeys(
        count: Int, disabled: Int, workspace: String, seed: UInt64, now: Date
    ) -> [[String: Any]] {
        var options = AccountGenerator.Options(
            count: count, workspaces: [workspace], disabled: disabled, seed: seed, now: now.timeIntervalSince1970)
        options.createdWithinDays = 365
        return newestFirst(AccountGenerator.keys(options).map(Self.dictionary))
    }

    /// A generated key as the loosely typed dictionary the stand-in serves (numbers verbatim).
    static func dictionary(_ object: JSONObject) -> [String: Any] {
        var result: [String: Any] = [:]
        for (name, value) in zip(object.keys, object.values) { result[name] = any(value) }
        return result
    }

    private static func any(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .number(let number): return StandInRawJSON(number.text)
        case .string(let text): return text
        case .array(let items): return items.map(any)
        case .object(let object): return dictionary(object)
        }
    }

    /// `date` as the API writes it: `2025-02-19T20:52:27.363244+00:00` (UTC, microseconds).
    static func timestamp(_ date: Date) -> String { KeyFactory.timestamp(date.timeIntervalSince1970, 1) }

    /// Newest first by `created_at` (RFC 3339, any precision or offset), then by `hash`; keys without a readable
    /// `created_at` last, in their given order.
    static func newestFirst(_ keys: [[String: Any]]) -> [[String: Any]] {
        let decorated = keys.enumerated().map { index, key in
            (
                index: index, time: (key["created_at"] as? String).flatMap(Timestamp.parse),
                hash: key["hash"] as? String ?? "",
                key: key
            )
        }
        return decorated.sorted { left, right in
            switch (left.time, right.time) {
            case (let l?, let r?) where l != r: return l > r
            case (_?, nil): return true
            case (nil, _?): return false
            case (_?, _?) where left.hash != right.hash: return left.hash < right.hash
            default: return left.index < right.index
            }
        }.map(\.key)
    }
}
