import Foundation
import KeyAuditCore
import Logging

/// What one listing of the account returned: workspaces and keys as received, and the coverage.
package struct AccountListing: Sendable {
    package var workspaces: [JSONValue]
    /// De-duplicated by `hash`, in the order first received.
    package var keys: [JSONObject]
    package var coverage: Coverage
}

/// The Management API calls keyaudit makes: `GET /workspaces` and `GET /keys`, paged, retried, verified.
package struct ManagementAPIClient: Sendable {
    /// OpenRouter returns at most this many keys per page; a shorter page is the last one.
    static let pageSize = 100
    /// A page is a few tens of kilobytes; anything far larger is garbage and is not read into memory.
    static let maxBodyBytes = 8 * 1024 * 1024
    /// Relistings of a workspace whose paging shifted, after the first listing.
    static let maxRelistings = 3
    /// Guards against a server that never sends a short page: 20,000 pages is 2,000,000 keys.
    static let maxPagesPerListing = 20_000

    let transport: any HTTPTransport
    let baseURL: BaseURL
    let key: ManagementKey
    let retry: RetryPolicy
    let deadline: ContinuousClock.Instant
    let timeoutDescription: String
    let stats: FetchStats
    let logger: Logger

    package init(
        transport: any HTTPTransport, baseURL: BaseURL, key: ManagementKey, retry: RetryPolicy,
        deadline: ContinuousClock.Instant, timeoutDescription: String, stats: FetchStats, logger: Logger
    ) {
        self.transport = transport
        self.baseURL = baseURL
        self.key = key
        self.retry = retry
        self.deadline = deadline
        self.timeoutDescription = timeoutDescription
        self.stats = stats
        self.logger = logger
    }

    // MARK: - The whole account

    /// Lists every key of every workspace (or of `selected` only), disabled keys included, with at most
    /// `concurrency` requests in flight: fewer while the server answers 429 (see ``ConcurrencyWindow``).
    package func listAccount(selected: [String], concurrency: Int) async throws(KeyAuditError) -> AccountListing {
        let window = ConcurrencyWindow(ceiling: concurrency)
        var workspaces: [JSONValue] = []
        var targets: [String?]
        var mode: Coverage.Mode
        var notes: [String] = []
        if !selected.isEmpty {
            mode = .selectedWorkspaces
            targets = selected
            // Names and slugs help the report; a key that cannot list workspaces still lists keys.
            if case .listed(let all) = try await listWorkspaces(window: window) {
                workspaces = all.filter { selected.contains($0["id"]?.stringValue ?? "") }.map { .object($0) }
            }
        } else {
            switch try await listWorkspaces(window: window) {
            case .listed(let all):
                mode = .allWorkspaces
                workspaces = all.map { .object($0) }
                targets = all.compactMap { $0["id"]?.stringValue }
                if targets.isEmpty {
                    // An account with no workspace objects still has the default listing.
                    targets = [nil]
                    notes.append("/workspaces listed no workspace; the default listing was read instead")
                }
            case .unsupported(let status):
                mode = .defaultListingOnly
                targets = [nil]
                notes.append(
                    "/workspaces answered \(status); only the default workspace's listing (no workspace_id) was read")
            }
        }

        var seen = Set<String>()
        var keys: [JSONObject] = []
        var covered: [Coverage.Workspace] = []
        for target in targets {
            let listing = try await listWorkspaceSettled(target, window: window)
            covered.append(
                Coverage.Workspace(
                    id: target, keys: listing.keys.count, pages: listing.pages, attempts: listing.attempts,
                    consistent: listing.consistent))
            for key in listing.keys {
                // The same key could only appear twice if a workspace listing ignored workspace_id.
                if let hash = key["hash"]?.stringValue {
                    guard seen.insert(hash).inserted else { continue }
                }
                keys.append(key)
            }
            if !listing.consistent {
                notes.append(
                    "workspace \(target ?? "default"): the listing shifted on every one of \(listing.attempts) attempts (keys created or deleted while paging); the snapshot may miss keys"
                )
            }
        }
        if mode == .defaultListingOnly {
            // Said only now: with a key that is refused everywhere, the 403 on /keys is the one error to print.
            logger.warning(
                "/workspaces was unavailable to this key: only the default workspace was listed; keys in other workspaces are not covered (give them with --workspace ID)"
            )
        }
        let consistent = covered.allSatisfy(\.consistent)
        let coverage = Coverage(
            mode: mode, pages: await stats.pages, requests: await stats.requests, retries: await stats.retries,
            includeDisabled: true, workspaces: covered, consistent: consistent, notes: notes)
        return AccountListing(workspaces: workspaces, keys: keys, coverage: coverage)
    }

    // MARK: - Workspaces

    enum WorkspaceAnswer {
        case listed([JSONObject])
        case unsupported(Int)
    }

    func listWorkspaces(window: ConcurrencyWindow? = nil) async throws(KeyAuditError) -> WorkspaceAnswer {
        var all: [JSONObject] = []
        var offset = 0
        while true {
            let answer = try await getJSON(
                "/workspaces", query: [("offset", String(offset)), ("limit", "100")], allowStatuses: [403, 404],
                window: window)
            guard case .json(let document) = answer else {
                if case .status(let status, _) = answer { return .unsupported(status) }
                return .unsupported(404)
            }
            guard let data = document["data"]?.arrayValue else {
                throw .malformedData(
                    "GET /workspaces answered without a \"data\" array; check --base-url points at the OpenRouter API")
            }
            let page = data.compactMap(\.objectValue)
            // A server that ignores offset answers every page with the first: refused at once, not paged until
            // --timeout (total_count could be anything).
            if offset > 0, !page.isEmpty, let first = all.first?["id"], page.first?["id"] == first {
                throw .malformedData(
                    "GET /workspaces returned the same workspaces for offset 0 and offset \(offset): the server ignores offset; check --base-url"
                )
            }
            all.append(contentsOf: page)
            // A hint only (paging ends on a short page): a count that is not a whole number from 0 up is ignored.
            let total = document["total_count"]?.doubleValue.flatMap(Checked.int(exactly:)).flatMap {
                $0 >= 0 ? $0 : nil
            }
            offset += page.count
            if page.isEmpty || page.count < 100 || (total.map { offset >= $0 } ?? false) { break }
            if offset > 100_000 {
                throw .malformedData("GET /workspaces never ended (over 100,000 workspaces); the server ignores offset")
            }
        }
        return .listed(all)
    }

    // MARK: - Keys of one workspace

    struct WorkspaceListing {
        var keys: [JSONObject]
        var pages: Int
        var attempts: Int
        var consistent: Bool
    }

    /// Lists a workspace until two checks agree that nothing moved while paging, at most 1 + `maxRelistings` times.
    func listWorkspaceSettled(
        _ workspace: String?, window: ConcurrencyWindow
    ) async throws(KeyAuditError)
        -> WorkspaceListing
    {
        var attempt = 0
        var last: OnePass?
        while attempt <= Self.maxRelistings {
            attempt += 1
            let pass = try await listOnce(workspace, window: window)
            if pass.shift == nil {
                return WorkspaceListing(keys: pass.keys, pages: pass.pages, attempts: attempt, consistent: true)
            }
            logger.notice(
                "workspace \(workspace ?? "default"): \(pass.shift ?? "") while paging; listing it again (attempt \(attempt + 1))"
            )
            last = pass
        }
        let pass = last!
        logger.error(
            "workspace \(workspace ?? "default"): paging never settled after \(attempt) listings; the snapshot is marked inconsistent"
        )
        return WorkspaceListing(keys: pass.keys, pages: pass.pages, attempts: attempt, consistent: false)
    }

    struct OnePass {
        var keys: [JSONObject]
        var pages: Int
        /// Why this pass cannot be trusted, or nil.
        var shift: String?
    }

    private func keysQuery(_ workspace: String?, offset: Int) -> [(String, String)] {
        var query = [("include_disabled", "true")]
        if let workspace { query.append(("workspace_id", workspace)) }
        query.append(("offset", String(offset)))
        return query
    }

    func fetchPage(
        _ workspace: String?, offset: Int, window: ConcurrencyWindow? = nil
    ) async throws(KeyAuditError) -> [JSONObject] {
        let answer = try await getJSON(
            "/keys", query: keysQuery(workspace, offset: offset), allowStatuses: [], window: window)
        guard case .json(let document) = answer, let data = document["data"]?.arrayValue else {
            throw .malformedData(
                "GET /keys (offset \(offset)) answered without a \"data\" array; check --base-url points at the OpenRouter API"
            )
        }
        var page: [JSONObject] = []
        page.reserveCapacity(data.count)
        for item in data {
            guard let object = item.objectValue else {
                throw .malformedData(
                    "GET /keys (offset \(offset)) returned a key that is not a JSON object; the API answer is malformed"
                )
            }
            page.append(object)
        }
        await stats.recordPage(keys: page.count)
        return page
    }

    /// One listing: page 0, then the remaining pages as many at a time as the window allows, then a check that the
    /// count held.
    func listOnce(_ workspace: String?, window: ConcurrencyWindow) async throws(KeyAuditError) -> OnePass {
        let first = try await fetchPage(workspace, offset: 0, window: window)
        guard first.count >= Self.pageSize else {
            return OnePass(keys: first, pages: 1, shift: nil)
        }
        // Advance by what the server actually returns per page, should it ever return more than 100.
        let step = first.count
        let firstHashes = Set(first.compactMap { $0["hash"]?.stringValue })
        var pages: [Int: [JSONObject]] = [0: first]
        var end: Int?  // offset of the first short page
        var offsetIgnored = false
        do {
            try await withThrowingTaskGroup(of: (Int, [JSONObject]).self) { group in
                var next = step
                var running = 0
                func launch() {
                    let offset = next
                    next += step
                    running += 1
                    group.addTask { (offset, try await self.fetchPage(workspace, offset: offset, window: window)) }
                }
                // As many tasks as the ceiling; the window decides how many of them send at a time.
                for _ in 0..<window.ceiling { launch() }
                while running > 0, let (offset, page) = try await group.next() {
                    running -= 1
                    pages[offset] = page
                    if page.count < step {
                        end = min(end ?? offset, offset)
                    } else if Set(page.compactMap { $0["hash"]?.stringValue }) == firstHashes {
                        // The server answers every offset with the first page: paging would never end.
                        offsetIgnored = true
                        group.cancelAll()
                        break
                    }
                    if end == nil {
                        guard pages.count < Self.maxPagesPerListing else {
                            group.cancelAll()
                            throw KeyAuditError.malformedData(
                                "GET /keys returned more than \(Self.maxPagesPerListing) full pages without an end; the server ignores offset"
                            )
                        }
                        launch()
                    }
                }
            }
        } catch let error as KeyAuditError {
            throw error
        } catch {
            throw .apiUnavailable("listing keys failed: \(error)")
        }
        if offsetIgnored {
            throw .malformedData(
                "GET /keys returned the same keys for offset 0 and a later offset: the server ignores offset, so the listing cannot be completed; check --base-url"
            )
        }
        let last = end!
        var keys: [JSONObject] = []
        var seen = Set<String>()
        var shift: String?
        for (offset, page) in pages.sorted(by: { $0.key < $1.key }) {
            if offset > last {
                if !page.isEmpty { shift = "a page past the end was not empty" }
                continue
            }
            for key in page {
                if let hash = key["hash"]?.stringValue, !seen.insert(hash).inserted {
                    shift = "key \(hash.prefix(12)) appeared on two pages"
                    continue
                }
                keys.append(key)
            }
        }
        // A key deleted while paging shifts later pages up without a duplicate showing; the count tells.
        if shift == nil {
            let probe = try await fetchPage(workspace, offset: keys.count - 1, window: window)
            let expected = keys.last?["hash"]?.stringValue
            if probe.count != 1 || probe.first?["hash"]?.stringValue != expected {
                shift = "the number of keys changed while paging"
            }
        }
        return OnePass(keys: keys, pages: pages.count, shift: shift)
    }

    // MARK: - One key (remediation)

    /// What the API said to a change of one key.
    package enum ChangeAnswer: Sendable, Equatable {
        /// 2xx.
        case done
        /// A 4xx that concerns this key only (400, 404, 409, 422, …), or a 5xx or 429 still answered after the
        /// retries, with the API's message (redacted, one line).
        case refused(status: Int, message: String)
    }

    /// Statuses that refuse one change (or the read of one key) without saying anything about the management key
    /// or the API as a whole. 403 and a redirect are among them here, unlike for the listing: `apply` has just
    /// listed keys with this management key at this base URL, so a 403 or a redirect for one key concerns that
    /// key (a workspace it may not manage, a proxy rule), and the other actions must still be tried and recorded.
    static let refusalStatuses: Set<Int> = Set([400, 402, 403, 404, 405, 409, 410, 412, 413, 415, 422]).union(300..<400)

    /// What `GET /keys/{hash}` found.
    package enum KeyAnswer: Sendable {
        /// The key as the API has it now (the `data` object).
        case key(JSONObject)
        /// 404: the key is gone.
        case missing
        /// Still failing after the retries (5xx, 429), or a 4xx about this key: the status and the API's message.
        case failed(status: Int, message: String)
    }

    /// `GET /keys/{hash}`: the key as the API has it now, gone, or this read failing.
    package func key(hash: String) async throws(KeyAuditError) -> KeyAnswer {
        let path = try Self.keyPath(hash)
        switch try await request(
            "GET", path, query: [], body: nil, allowStatuses: Self.refusalStatuses, statusAfterRetries: true)
        {
        case .status(404, _): return .missing
        case .status(let status, let message): return .failed(status: status, message: message ?? "")
        case .json(let document):
            guard let key = document["data"]?.objectValue else {
                throw .malformedData(
                    "GET /keys/\(hash.prefix(12))… answered without a \"data\" object; check --base-url points at the OpenRouter API"
                )
            }
            // A proxy or a broken API answering with another key must not make this one look done.
            guard key["hash"]?.stringValue == hash else {
                // Only a hash is shown, and only its start: the field could hold anything, the management key
                // included, and a cut text is no longer recognised by the redaction.
                let other = key["hash"]?.stringValue ?? ""
                let shown =
                    other.utf8.count == 64 && other.allSatisfy(\.isHexDigit)
                    ? "\(other.prefix(12))…" : "not a key hash"
                return .failed(status: 200, message: "the API answered with another key (\(shown))")
            }
            return .key(key)
        }
    }

    /// One page of `GET /keys`: proves that the base URL is the Management API and the key is accepted before
    /// a 404 on `/keys/{hash}` is taken to mean that a key is gone (a wrong --base-url answers 404 everywhere).
    package func checkKeysEndpoint() async throws(KeyAuditError) {
        guard case .json(let document) = try await getJSON("/keys", query: [("offset", "0")], allowStatuses: []),
            document["data"]?.arrayValue != nil
        else {
            throw .malformedData(
                "GET /keys answered without a \"data\" array; check --base-url points at the OpenRouter API")
        }
    }

    /// `PATCH /keys/{hash}` with `body`, or `DELETE /keys/{hash}` when `body` is nil.
    package func change(hash: String, method: String, body: [UInt8]?) async throws(KeyAuditError) -> ChangeAnswer {
        let path = try Self.keyPath(hash)
        switch try await request(
            method, path, query: [], body: body, allowStatuses: Self.refusalStatuses, statusAfterRetries: true)
        {
        case .json: return .done
        case .status(let status, let message): return .refused(status: status, message: message ?? "")
        }
    }

    /// `/keys/<hash>`; a hash is hexadecimal, so nothing in it can change the path.
    static func keyPath(_ hash: String) throws(KeyAuditError) -> String {
        guard !hash.isEmpty, hash.count <= 128,
            hash.utf8.allSatisfy({
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
            })
        else {
            throw .malformedData(
                "key hash \(Escaping.oneLine(hash, limit: 80)) is not hexadecimal; the plan is malformed")
        }
        return "/keys/" + hash
    }

    // MARK: - One request, with retries

    enum Answer {
        case json(JSONValue)
        /// A status the caller allowed, with the API's message when the body had one.
        case status(Int, message: String?)
    }

    /// GET `path`, retried as the policy says, decoded as JSON. Statuses in `allowStatuses` are returned, not thrown.
    func getJSON(
        _ path: String, query: [(String, String)], allowStatuses: Set<Int>, window: ConcurrencyWindow? = nil
    ) async throws(KeyAuditError)
        -> Answer
    {
        try await request("GET", path, query: query, body: nil, allowStatuses: allowStatuses, window: window)
    }

    /// `method` on `path`, retried as the policy says, the answer decoded as JSON. Statuses in `allowStatuses`
    /// are returned, not thrown.
    ///
    /// A PATCH or DELETE is retried like a GET (after a 429, a 5xx, a timeout or a reset): both are idempotent
    /// here, since a PATCH sets absolute values and a repeated DELETE finds the key gone (the applier reads the
    /// key back either way).
    ///
    /// With `statusAfterRetries`, a request still answered 429, 408 or 5xx when the retries are spent returns that
    /// status instead of throwing: one key's change failing is that action's failure, not the apply's (a
    /// connection that cannot be made, a timeout or the deadline still throws).
    func request(
        _ method: String, _ path: String, query: [(String, String)], body: [UInt8]?, allowStatuses: Set<Int>,
        statusAfterRetries: Bool = false, window: ConcurrencyWindow? = nil
    ) async throws(KeyAuditError)
        -> Answer
    {
        let url = baseURL.url(path, query: query)
        let what = "\(method) \(path)" + (query.first(where: { $0.0 == "offset" }).map { " (offset \($0.1))" } ?? "")
        var attempt = 0
        var lastProblem = ""
        var lastStatus: (status: Int, message: String?)?
        while true {
            attempt += 1
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw .apiUnavailable(
                    "no complete answer to \(what) within --timeout \(timeoutDescription)\(lastProblem.isEmpty ? "" : " (last: \(lastProblem))"); raise --timeout or try again later"
                )
            }
            // A listing's requests wait for a slot in its window (and out any Retry-After pause) before sending.
            var slot: ConcurrencyWindow.Slot?
            if let window {
                guard let held = await window.acquire() else { throw .interrupted(signal: SIGINT) }
                slot = held
            }
            await stats.recordRequest()
            var wait: Duration?
            lastStatus = nil
            do {
                var outcome = ConcurrencyWindow.Outcome.failed
                defer { if let window, let slot { window.release(slot, outcome) } }
                var headers = [
                    ("Authorization", key.authorizationHeaderValue), ("Accept", "application/json"),
                    ("User-Agent", "keyaudit/\(KeyAuditVersion.current)"),
                ]
                if body != nil { headers.append(("Content-Type", "application/json")) }
                // `remaining` was taken before any wait for a slot: the deadline decides.
                let response = try await transport.send(
                    method: method, url: url, headers: headers, body: body,
                    timeout: min(max(deadline - ContinuousClock.now, .zero), remaining, .seconds(60)),
                    maxBodyBytes: Self.maxBodyBytes)
                outcome =
                    response.status == 429
                    ? .throttled(
                        retryAfter: RetryPolicy.retryAfter(response.headers["retry-after"]).map {
                            min($0, retry.maxRetryAfter)
                        } ?? retry.backoff(retry: attempt))
                    : .answered
                switch response.status {
                case 200..<300:
                    // A DELETE may answer with an empty body; a listing never does (its "data" check says so).
                    if response.body.isEmpty && method != "GET" { return .json(.null) }
                    return .json(try decode(response, what: what))
                case let status where allowStatuses.contains(status):
                    return .status(status, message: Self.apiMessage(response))
                case 401:
                    throw KeyAuditError.keyRejected(
                        "the API rejected the management key (401 Unauthorized): it is wrong, revoked or expired; check OPENROUTER_MANAGEMENT_KEY or --key-file"
                    )
                case 403:
                    throw KeyAuditError.keyRejected(
                        "the API refused the key (403 Forbidden): it is probably an ordinary API key, not a management key; create one under Settings > Management keys"
                    )
                case 429, 503:
                    lastProblem = "\(response.status) \(Self.reason(response.status))"
                    lastStatus = (response.status, Self.apiMessage(response))
                    wait = RetryPolicy.retryAfter(response.headers["retry-after"]) ?? retry.backoff(retry: attempt)
                    if let asked = wait, asked > retry.maxRetryAfter {
                        throw KeyAuditError.apiUnavailable(
                            "\(what) answered \(lastProblem) asking to wait \(asked); try again later")
                    }
                case 408, 500..<600:
                    lastStatus = (response.status, Self.apiMessage(response))
                    lastProblem =
                        "\(response.status) \(Self.reason(response.status))"
                        + (JSONParser.looksLikeHTML(response.body)
                            ? " with an HTML page (a proxy or load balancer answered, not the API)" : "")
                    wait = retry.backoff(retry: attempt)
                case 404:
                    throw KeyAuditError.usage(
                        "\(what) answered 404 Not Found at \(baseURL); check --base-url (expected \(BaseURL.defaultValue))"
                    )
                case 300..<400:
                    throw KeyAuditError.usage(
                        "\(what) answered \(response.status), a redirect\(response.headers["location"] == nil ? "" : " elsewhere"), which keyaudit does not follow (it would carry the management key); check --base-url (expected \(BaseURL.defaultValue))"
                    )
                default:
                    throw KeyAuditError.usage(
                        "\(what) was rejected with \(Self.statusText(response.status))\(Self.apiMessage(response).map { ": \($0)" } ?? ""); check \(path == "/keys" && query.contains { $0.0 == "workspace_id" } ? "--workspace and " : "")--base-url"
                    )
                }
            } catch let error as KeyAuditError {
                throw error
            } catch let error as TransportError {
                switch error {
                case .bodyTooLarge(let limit):
                    throw .malformedData(
                        "\(what) answered with more than \(limit / 1_048_576) MiB; that is not a page of keys, so the answer was not read; check --base-url and any proxy"
                    )
                case .timedOut:
                    lastProblem = "no answer in time"
                case .connection(let text):
                    lastProblem = "connection failed: \(text)"
                }
                wait = retry.backoff(retry: attempt)
            } catch {
                lastProblem = "\(error)"
                wait = retry.backoff(retry: attempt)
            }
            guard attempt <= retry.maxRetries else {
                if statusAfterRetries, let lastStatus { return .status(lastStatus.status, message: lastStatus.message) }
                throw .apiUnavailable(
                    "\(what) kept failing after \(attempt) attempt\(attempt == 1 ? "" : "s") (last: \(lastProblem)); the API is unavailable, try again later"
                )
            }
            let pause = wait ?? retry.backoff(retry: attempt)
            guard ContinuousClock.now + pause < deadline else {
                throw .apiUnavailable(
                    "\(what) failed (\(lastProblem)) and the next retry would pass --timeout \(timeoutDescription); raise --timeout or try again later"
                )
            }
            await stats.recordRetry()
            logger.info(
                "\(what): \(lastProblem); retrying in \(Self.describe(pause)), attempt \(attempt + 1) of \(retry.maxRetries + 1)"
            )
            do { try await Task.sleep(for: pause) } catch { throw .interrupted(signal: SIGINT) }
        }
    }

    private func decode(_ response: HTTPResponse, what: String) throws(KeyAuditError) -> JSONValue {
        if JSONParser.looksLikeHTML(response.body) {
            throw .malformedData(
                "\(what) answered \(response.status) with an HTML page instead of JSON; a proxy or captive portal may be in between, check --base-url and HTTPS_PROXY"
            )
        }
        do {
            return try JSONParser.parse(response.body)
        } catch {
            throw .malformedData("\(what) answered with malformed JSON (\(error)); the API answer cannot be trusted")
        }
    }

    /// The `error.message` of an OpenRouter error body, cleaned for a one-line message.
    static func apiMessage(_ response: HTTPResponse) -> String? {
        guard let document = try? JSONParser.parse(response.body),
            let message = document["error"]?["message"]?.stringValue
        else { return nil }
        // Redacted before it is cut: an echoed key cut in half would no longer look like a key.
        return Escaping.oneLine(Redaction.redact(message), limit: 200)
    }

    /// `0.38 s`, `12 s`: a wait as people read it.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value < 10 ? String(format: "%.2f s", value) : String(format: "%.0f s", value)
    }

    /// `400 Bad Request`; `418` alone when there is no name to add.
    static func statusText(_ status: Int) -> String {
        let name = reason(status)
        return name.hasPrefix("HTTP ") ? String(status) : "\(status) \(name)"
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP \(status)"
        }
    }
}
