import Foundation

// A fake OpenRouter account behind the stand-in server: workspaces, keys, the Management API's paging and
// filtering, authentication, and a queue of faults to answer with instead.

/// A workspace of the fake account, with its keys (JSON objects, returned exactly as stored).
///
/// `@unchecked Sendable` because keys are `[String: Any]` (so that tests can plant `NSNull()`, leave fields out,
/// add unknown fields or odd numbers); the values are immutable Foundation or Swift values.
struct StandInWorkspace: @unchecked Sendable {
    var id: String
    var name: String
    var slug: String
    var description: String?
    var createdAt: String
    var updatedAt: String?
    var keys: [[String: Any]]

    init(
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
final class StandInAccount: Sendable {
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
        /// The real answer, after this extra delay.
        case delayed(Duration)
        /// Any reply at all.
        case reply(StandInReply)
        /// `fault`, but only for requests to `path` (`"/keys"` or `"/workspaces"`; `/api/v1` may be included).
        case onPath(String, Fault)

        /// This fault, limited to requests to `path` (`"/keys"` or `"/workspaces"`).
        func only(_ path: String) -> Fault { .onPath(path, self) }
    }

    /// A management key that the account accepts unless told otherwise.
    static let defaultManagementKey = "sk-or-v1-" + String(repeating: "5a17e1", count: 10) + "beef"
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
    }

    let managementKey: String
    private let state: StandInLocked<State>

    /// An account with these workspaces (the first is the default workspace) and their keys. Each workspace's
    /// keys are listed newest first by `created_at` (then by `hash`); keys added later with ``addKey(_:workspace:)``
    /// go on top.
    init(workspaces: [StandInWorkspace], managementKey: String = StandInAccount.defaultManagementKey) {
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
    convenience init(
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
    var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = newValue } }
    }

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

    func answer(_ request: StandInRequest) async -> StandInReply {
        let latency = self.latency
        if latency > .zero { try? await Task.sleep(for: latency) }
        let route = Self.route(request.path)
        guard let fault = takeFault(route: route) else { return serve(request, route: route) }
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
        case .delayed(let delay):
            try? await Task.sleep(for: delay)
            return serve(request, route: route)
        case .reply(let reply):
            return reply
        case .onPath:
            preconditionFailure("unwrapped by takeFault")
        }
    }

    /// The path after `/api/v1`.
    private static func route(_ path: String) -> String {
        path.hasPrefix("/api/v1/") ? String(path.dropFirst("/api/v1".count)) : path
    }

    private func takeFault(route: String) -> Fault? {
        state.withLock { state -> Fault? in
            for index in state.faults.indices {
                var fault = state.faults[index]
                var matches = true
                while case .onPath(let path, let inner) = fault {
                    matches = matches && Self.route(path) == route
                    fault = inner
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
        let (behaviour, workspaces) = state.withLock { ($0.workspacesEndpoint, $0.workspaces) }
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
        let start = min(offset, workspaces.count)
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

    /// `count` realistic keys in `workspace`, the same for the same arguments: `disabled` of them disabled,
    /// `created_at` spread over the year before `now`, newest first (by `created_at`, then `hash`). About a third
    /// have no `expires_at` field at all, some `null`, some a date (past or future); names include non-ASCII
    /// letters and quotes.
    static func makeKeys(count: Int, disabled: Int, workspace: String, seed: UInt64, now: Date) -> [[String: Any]] {
        var random = StandInRandom(seed: seed)
        let year = 365 * 86_400
        let users = (0..<4).map { _ in "user_" + random.base62(27) }
        let names = [
            "Production", "Staging", "CI runner", "Data pipeline", "Chat widget", "Eval harness", "Notebook",
            "Batch jobs", "Support bot", "Analytics", "Zoë's sandbox", "测试 key", "prod \"blue\"", "Nightly, EU",
        ]
        var created = (0..<count).map { _ in now.addingTimeInterval(-Double(1 + random.below(year))) }
        created = created.map { $0.addingTimeInterval(-Double(random.below(1_000_000)) / 1_000_000) }
        var disabledSet = Set<Int>()
        var order = Array(0..<count)
        for index in 0..<min(max(disabled, 0), count) {
            let pick = index + random.below(count - index)
            order.swapAt(index, pick)
            disabledSet.insert(order[index])
        }
        var keys: [[String: Any]] = []
        for index in 0..<count {
            let createdAt = created[index]
            let age = now.timeIntervalSince(createdAt)
            let used = random.below(10) < 8
            let usage = used ? random.money(upTo: random.below(4) == 0 ? 2_000 : 40) : 0
            let monthly = min(usage, random.money(upTo: 30))
            let weekly = min(monthly, random.money(upTo: 10))
            let daily = min(weekly, random.money(upTo: 2))
            let byok = random.below(5) == 0 ? random.money(upTo: 50) : 0
            var key: [String: Any] = [
                "hash": random.hex(64),
                "name": names[random.below(names.count)] + " \(index + 1)",
                "label": "sk-or-v1-" + random.hex(3) + "..." + random.hex(4),
                "disabled": disabledSet.contains(index),
                "include_byok_in_limit": random.below(4) == 0,
                "usage": usage, "usage_daily": daily, "usage_weekly": weekly, "usage_monthly": monthly,
                "byok_usage": byok, "byok_usage_daily": min(byok, daily), "byok_usage_weekly": min(byok, weekly),
                "byok_usage_monthly": min(byok, monthly),
                "created_at": timestamp(createdAt),
                "updated_at": random.below(2) == 0 ? NSNull() : timestamp(createdAt.addingTimeInterval(age * 0.5)),
                "creator_user_id": users[random.below(users.count)],
                "workspace_id": workspace,
                "last_used_at": used
                    ? timestamp(now.addingTimeInterval(-Double(random.below(Int(age) + 1)))) : NSNull(),
            ]
            if random.below(5) < 3 {
                key["limit"] = NSNull()
                key["limit_remaining"] = NSNull()
                key["limit_reset"] = NSNull()
            } else {
                let limit = [5.0, 10, 12.5, 20, 25, 50, 100, 250, 1_000][random.below(9)]
                let reset = ["daily", "weekly", "monthly", nil][random.below(4)]
                let spent = ["daily": daily, "weekly": weekly, "monthly": monthly][reset ?? ""] ?? usage
                key["limit"] = limit
                key["limit_remaining"] = max(0, ((limit - spent) * 1_000_000).rounded() / 1_000_000)
                key["limit_reset"] = reset ?? NSNull()
            }
            switch random.below(10) {
            case 0..<4: break  // absent
            case 4..<7: key["expires_at"] = NSNull()
            default: key["expires_at"] = timestamp(now.addingTimeInterval(Double(random.below(2 * year) - year)))
            }
            keys.append(key)
        }
        return newestFirst(keys)
    }

    /// `date` as the API writes it: `2025-02-19T20:52:27.363244+00:00` (UTC, microseconds).
    static func timestamp(_ date: Date) -> String {
        let micros = Int((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - second * 1_000_000
        let day = second >= 0 ? second / 86_400 : (second - 86_399) / 86_400
        let secondOfDay = second - day * 86_400
        let (year, month, dayOfMonth) = civil(fromDays: day)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))+00:00"
    }

    /// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
    private static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's `days_from_civil`.
    private static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Newest first by `created_at` (RFC 3339, any precision or offset), then by `hash`; keys without a readable
    /// `created_at` last, in their given order.
    static func newestFirst(_ keys: [[String: Any]]) -> [[String: Any]] {
        let decorated = keys.enumerated().map { index, key in
            (
                index: index, time: (key["created_at"] as? String).flatMap(seconds), hash: key["hash"] as? String ?? "",
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

    /// Seconds since 1970 for an RFC 3339 date-time, or nil.
    private static func seconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + width] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += width
            return value
        }
        func skip(_ allowed: String) -> Bool {
            guard index < bytes.count, allowed.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2), skip("Tt "),
            let hour = number(2), skip(":"), let minute = number(2), skip(":"), let second = number(2)
        else { return nil }
        var fraction = 0.0
        if skip(".") {
            var scale = 0.1
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if skip("Zz") {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), skip(":"), let minutes = number(2) else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        let whole = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Double(whole) + fraction
    }
}

/// SplitMix64: small, fast, and the same on every platform (unlike `SystemRandomNumberGenerator`).
struct StandInRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0 ..< bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[below(16)] })
    }

    mutating func base62(_ count: Int) -> String {
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String((0..<count).map { _ in digits[below(62)] })
    }

    /// Dollars with up to six decimals, in 0 ..< upTo.
    mutating func money(upTo limit: Int) -> Double {
        Double(below(limit * 1_000_000)) / 1_000_000
    }
}
