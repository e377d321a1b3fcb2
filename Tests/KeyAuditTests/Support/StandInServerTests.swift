import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import KeyAuditTestSupport

// Tests of the stand-in Management API itself, through a raw HTTP/1.1 client over NIO (so that resets, hangs and
// streamed garbage are seen byte for byte, and nothing blocks a Swift concurrency thread). 127.0.0.1 only.

@Suite("Stand-in Management API", .timeLimit(.minutes(3)))
struct StandInServerTests {
    static let workspaceA = "6f1c2a52-8a0e-4a71-9d3c-0b7f4e2d9a11"
    static let workspaceB = "b3d5e7f9-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
    static let token = StandInAccount.defaultManagementKey

    // MARK: - Paging and filtering

    @Test func pagesOf100NewestFirstThenAnEmptyPage() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 257)
        try await StandInServer.with(account.handler) { server in
            var hashes: [String] = []
            var sizes: [Int] = []
            var offset = 0
            while true {
                let page = try await Self.keys(server, offset: offset, includeDisabled: true)
                sizes.append(page.count)
                hashes += page.map { $0["hash"] as! String }
                if page.isEmpty { break }
                offset += page.count
            }
            #expect(sizes == [100, 100, 57, 0])
            #expect(offset == 257)
            #expect(Set(hashes).count == 257)
            #expect(hashes == account.keys().map { $0["hash"] as! String })
            let created = account.keys().map { $0["created_at"] as! String }
            #expect(created == created.sorted(by: >), "newest first")
            let requests = server.requests
            #expect(requests.count == 4)
            #expect(requests.map { $0.query["offset"] } == ["0", "100", "200", "257"])
            #expect(requests.allSatisfy { $0.path == "/api/v1/keys" && $0.method == "GET" })
            #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer \(Self.token)" })
        }
    }

    @Test func disabledKeysOnlyWithIncludeDisabledTrue() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 230, disabledPerWorkspace: 17)
        try await StandInServer.with(account.handler) { server in
            func all(_ includeDisabled: Bool?) async throws -> [[String: Any]] {
                var keys: [[String: Any]] = []
                while true {
                    let page = try await Self.keys(server, offset: keys.count, includeDisabled: includeDisabled)
                    if page.isEmpty { return keys }
                    keys += page
                }
            }
            let everything = try await all(true)
            let absent = try await all(nil)
            let explicitFalse = try await all(false)
            #expect(everything.count == 230)
            #expect(everything.filter { $0["disabled"] as? Bool == true }.count == 17)
            #expect(absent.count == 213)
            #expect(absent.allSatisfy { $0["disabled"] as? Bool == false })
            #expect(explicitFalse.map { $0["hash"] as! String } == absent.map { $0["hash"] as! String })

            let bad = try await Self.get(server, "/keys?include_disabled=yes")
            #expect(bad.status == 400)
        }
    }

    @Test func workspaceFiltering() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA, Self.workspaceB], keysPerWorkspace: 30)
        try await StandInServer.with(account.handler) { server in
            let defaultPage = try await Self.keys(server, offset: 0, includeDisabled: true)
            let pageA = try await Self.keys(server, offset: 0, includeDisabled: true, workspace: Self.workspaceA)
            let pageB = try await Self.keys(server, offset: 0, includeDisabled: true, workspace: Self.workspaceB)
            #expect(defaultPage.count == 30 && pageA.count == 30 && pageB.count == 30)
            #expect(defaultPage.allSatisfy { $0["workspace_id"] as? String == Self.workspaceA })
            #expect(pageB.allSatisfy { $0["workspace_id"] as? String == Self.workspaceB })
            #expect(defaultPage.map { $0["hash"] as! String } == pageA.map { $0["hash"] as! String })
            #expect(Set(pageA.map { $0["hash"] as! String }).isDisjoint(with: pageB.map { $0["hash"] as! String }))

            let unknown = try await Self.get(server, "/keys?workspace_id=00000000-0000-0000-0000-000000000000")
            #expect(unknown.status == 400)
            #expect(Self.errorCode(unknown) == 400)
        }
    }

    @Test func workspacesEndpoint() async throws {
        let ids = (0..<7).map { String(format: "00000000-0000-4000-8000-%012d", $0) }
        let account = StandInAccount(workspaces: ids.map { StandInWorkspace(id: $0) })
        try await StandInServer.with(account.handler) { server in
            let first = try Self.object(try await Self.get(server, "/workspaces?offset=0&limit=5"))
            #expect(first["total_count"] as? Int == 7)
            let data = try #require(first["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as! String } == Array(ids.prefix(5)))
            #expect(Set(data[0].keys) == ["id", "name", "slug", "description", "created_at", "updated_at"])
            let rest = try Self.object(try await Self.get(server, "/workspaces?offset=5&limit=5"))
            #expect((rest["data"] as? [[String: Any]])?.map { $0["id"] as! String } == Array(ids.suffix(2)))
            #expect(try await Self.get(server, "/workspaces?limit=101").status == 400)

            account.workspacesEndpoint = .status(404)
            let missing = try await Self.get(server, "/workspaces")
            #expect(missing.status == 404 && Self.errorCode(missing) == 404)
            account.workspacesEndpoint = .status(403)
            #expect(try await Self.get(server, "/workspaces").status == 403)
            account.workspacesEndpoint = .normal
            #expect(try await Self.get(server, "/workspaces").status == 200)
        }
    }

    // MARK: - Authentication and errors

    @Test func authenticationAndUnknownPaths() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 3)
        try await StandInServer.with(account.handler) { server in
            let missing = try await Self.get(server, "/keys", token: nil)
            #expect(missing.status == 401)
            let body = try Self.object(missing)
            #expect(Self.errorCode(missing) == 401)
            #expect((body["error"] as? [String: Any])?["message"] is String)
            #expect(body["user_id"] is NSNull)
            #expect(missing.headers["content-type"] == "application/json")

            #expect(try await Self.get(server, "/keys", token: "sk-or-v1-wrong").status == 401)
            let ordinary = try await Self.get(server, "/keys", token: StandInAccount.ordinaryKey)
            #expect(ordinary.status == 403 && Self.errorCode(ordinary) == 403)
            let unknown = try await Self.get(server, "/credits")
            #expect(unknown.status == 404 && Self.errorCode(unknown) == 404)
            #expect(try await Self.get(server, "/keys").status == 200)
        }
    }

    // MARK: - Faults

    @Test func faultQueueIsAnsweredInOrder() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 5)
        account.faults = [
            .status(429, retryAfter: 1), .status(500).only("/workspaces"), .html(502), .malformedJSON,
            .status(503, retryAfter: 7),
        ]
        try await StandInServer.with(account.handler) { server in
            let limited = try await Self.get(server, "/keys")
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] == "1")
            #expect(Self.errorCode(limited) == 429)

            let html = try await Self.get(server, "/keys")
            #expect(html.status == 502)
            #expect(html.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(String(decoding: html.body, as: UTF8.self).contains("<title>502 Bad Gateway</title>"))

            let malformed = try await Self.get(server, "/keys")
            #expect(malformed.status == 200)
            #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(malformed.body)) }

            let unavailable = try await Self.get(server, "/keys")
            #expect(unavailable.status == 503 && unavailable.headers["retry-after"] == "7")

            #expect(try await Self.get(server, "/keys").status == 200)
            #expect(try await Self.get(server, "/workspaces").status == 500, "the fault kept for /workspaces")
            #expect(try await Self.get(server, "/workspaces").status == 200)
            #expect(account.faults.isEmpty)
        }
    }

    @Test func hungRequestDoesNotBlockOthersAndStopReturns() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 5)
        account.faults = [.hang.only("/workspaces")]
        let server = try await StandInServer.start(account.handler)
        try await StandInTestConnection.open(port: server.port) { hung in
            try await hung.send("/api/v1/workspaces", token: Self.token)
            try await Self.eventually { server.requests.contains { $0.path == "/api/v1/workspaces" } }
            #expect(account.faults.isEmpty, "the hang was taken")

            // Other connections, several at once, are answered while the hung one waits.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await Self.get(server, "/keys").status ?? -1 } }
                for try await status in group { #expect(status == 200) }
            }

            try await Self.withTimeout(seconds: 30) { try await server.stop() }
            let afterStop = try await Self.withTimeout(seconds: 30) { try await hung.readResponse() }
            #expect(afterStop.status == nil, "never answered")
            #expect(afterStop.ending != nil, "connection closed by stop()")
        }
        try await server.stop()  // a second stop does nothing
    }

    @Test func fiftyMegabytesOfGarbageStream() async throws {
        let size = 50 * 1024 * 1024
        let garbage: @Sendable (StandInRequest) async -> StandInReply = { request in
            request.query["chunked"] == nil ? .garbage(bytes: size) : .garbageChunked(bytes: size)
        }
        try await StandInServer.with(garbage) { server in
            try await StandInTestConnection.open(port: server.port) { connection in
                try await connection.send("/api/v1/keys", token: Self.token)
                let response = try await Self.withTimeout(seconds: 120) {
                    try await connection.readResponse(keepBodyBytes: 64 * 1024)
                }
                #expect(response.status == 200)
                #expect(response.headers["content-length"] == String(size))
                #expect(response.bodyCount == size)
                #expect(response.complete)
                #expect(response.body.first == UInt8(ascii: "<"))
                #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(response.body)) }
                // Keep-alive: the same connection answers again afterwards, now without a content-length.
                try await connection.send("/api/v1/keys?chunked", token: Self.token)
                let chunked = try await Self.withTimeout(seconds: 120) {
                    try await connection.readResponse(keepBodyBytes: 16)
                }
                #expect(chunked.status == 200)
                #expect(chunked.headers["content-length"] == nil)
                #expect(chunked.headers["transfer-encoding"] == "chunked")
                #expect(chunked.complete && chunked.bodyCount == size)
                #expect(chunked.body.count == 16 && chunked.body.first == UInt8(ascii: "<"))
            }
            #expect(Set(server.requests.map(\.connection)).count == 1)
        }
    }

    @Test func resetMidBodyClosesTheConnection() async throws {
        let partial = Array(#"{"data": [{"hash": "ab"#.utf8)
        let reset: @Sendable (StandInRequest) async -> StandInReply = { _ in
            .resetMidBody(status: 200, partialBody: partial)
        }
        try await StandInServer.with(reset) { server in
            try await StandInTestConnection.open(port: server.port) { connection in
                try await connection.send("/api/v1/keys", token: Self.token)
                let response = try await Self.withTimeout(seconds: 30) { try await connection.readResponse() }
                #expect(response.status == 200)
                let declared = try #require(response.headers["content-length"].flatMap { Int($0) })
                #expect(declared > partial.count)
                #expect(!response.complete)
                #expect(response.body == partial)
                #expect(response.ending != nil)
            }
        }

        // Through the account: half of the real page, then the reset.
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 10)
        account.faults = [.resetMidBody]
        try await StandInServer.with(account.handler) { server in
            try await StandInTestConnection.open(port: server.port) { connection in
                try await connection.send("/api/v1/keys", token: Self.token)
                let response = try await Self.withTimeout(seconds: 30) { try await connection.readResponse() }
                #expect(response.status == 200 && !response.complete)
                #expect(response.body.starts(with: Array(#"{"data":["#.utf8)))
            }
            #expect(try await Self.keys(server, offset: 0, includeDisabled: true).count == 10)
        }
    }

    @Test func delayedReplyAndLatencyStillAnswer() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 2)
        account.latency = .milliseconds(20)
        account.faults = [.delayed(.milliseconds(50))]
        try await StandInServer.with(account.handler) { server in
            let page = try await Self.keys(server, offset: 0, includeDisabled: true)
            #expect(page.count == 2)
        }
        let teapot: @Sendable (StandInRequest) async -> StandInReply = { _ in
            .respond(status: 418, headers: [("x-test", "yes")], body: Array("tea".utf8), delay: .milliseconds(30))
        }
        let custom = try await StandInServer.with(teapot) { server in try await Self.get(server, "/anything") }
        #expect(custom.status == 418 && custom.headers["x-test"] == "yes" && custom.body == Array("tea".utf8))
    }

    @Test func aServerThatIsNeverStoppedIsClosedWhenReleased() async throws {
        var server: StandInServer? = try await StandInServer.start { _ in .hang }
        let port = try #require(server?.port)
        try await StandInTestConnection.open(port: port) { connection in
            try await connection.send("/api/v1/keys", token: nil)
            server = nil
            let response = try await Self.withTimeout(seconds: 30) { try await connection.readResponse() }
            #expect(response.status == nil && response.ending != nil)
        }
    }

    // MARK: - Account behaviour

    @Test func keysAddedDuringPagingShiftLaterPages() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 150)
        let before = account.keys().map { $0["hash"] as! String }
        var newKey = StandInAccount.makeKeys(
            count: 1, disabled: 0, workspace: Self.workspaceA, seed: 999, now: StandInAccount.referenceNow)[0]
        newKey["created_at"] = StandInAccount.timestamp(StandInAccount.referenceNow)
        let added = newKey["hash"] as! String
        let addedKey = StandInLocked(Optional(newKey))
        account.onPageServed = { offset, workspace in
            #expect(workspace == nil)
            if offset == 0, let key = addedKey.withLock({ $0.take() }) {
                account.addKey(key, workspace: Self.workspaceA)
            }
        }
        try await StandInServer.with(account.handler) { server in
            let first = try await Self.keys(server, offset: 0, includeDisabled: true)
            let second = try await Self.keys(server, offset: 100, includeDisabled: true)
            #expect(first.map { $0["hash"] as! String } == Array(before[0..<100]))
            // The new key went on top, so the second page starts with the first page's last key again.
            #expect(second.count == 51)
            #expect(second.first?["hash"] as? String == before[99])
            #expect(account.keys().first?["hash"] as? String == added)
        }
    }

    @Test func ignoreOffsetRemoveAndUpdate() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 120)
        let hashes = account.keys().map { $0["hash"] as! String }
        try await StandInServer.with(account.handler) { server in
            account.ignoreOffset = true
            let again = try await Self.keys(server, offset: 100, includeDisabled: true)
            #expect(again.map { $0["hash"] as! String } == Array(hashes.prefix(100)))
            account.ignoreOffset = false

            account.removeKey(hash: hashes[100])
            account.updateKey(hash: hashes[101]) { key in
                var key = key
                key["name"] = "renamed"
                key["limit"] = StandInRawJSON("1.50")
                return key
            }
            let reply = try await Self.get(server, "/keys?offset=100&include_disabled=true")
            let page = try #require(try Self.object(reply)["data"] as? [[String: Any]])
            #expect(page.count == 19)
            #expect(page.first?["hash"] as? String == hashes[101])
            #expect(page.first?["name"] as? String == "renamed")
            #expect(String(decoding: reply.body, as: UTF8.self).contains(#""limit":1.50"#))
        }
    }

    @Test func plantedKeysAreReturnedExactlyAsStored() async throws {
        let planted: [String: Any] = [
            "hash": String(repeating: "ab", count: 32), "name": "planted", "disabled": false,
            "limit": NSNull(), "usage": StandInRawJSON("1e-7"), "usage_daily": 0.1, "surprise": ["nested": true],
            "created_at": "2025-06-01T00:00:00Z", "last_used_at": NSNull(),
        ]
        let older: [String: Any] = [
            "hash": String(repeating: "cd", count: 32), "name": "older", "disabled": false,
            "created_at": "2025-05-31T23:59:59.999999+00:00",
        ]
        let account = StandInAccount(
            workspaces: [StandInWorkspace(id: Self.workspaceA, keys: [older, planted])],
            managementKey: "sk-or-v1-custom"
        )
        try await StandInServer.with(account.handler) { server in
            let reply = try await Self.get(server, "/keys", token: "sk-or-v1-custom")
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(text.contains(#""usage":1e-7"#))
            #expect(text.contains(#""limit":null"#))
            #expect(text.contains(#""surprise":{"nested":true}"#))
            let page = try #require(try Self.object(reply)["data"] as? [[String: Any]])
            #expect(page.map { $0["name"] as? String } == ["planted", "older"])
            #expect(page[0]["expires_at"] == nil, "absent stays absent")
            #expect(page[0]["last_used_at"] is NSNull)
            #expect(Set(page[1].keys) == ["hash", "name", "disabled", "created_at"])
        }
    }

    @Test func generatedKeysAreDeterministicAndRealistic() throws {
        let now = StandInAccount.referenceNow
        let one = StandInAccount.makeKeys(count: 300, disabled: 25, workspace: Self.workspaceB, seed: 42, now: now)
        let two = StandInAccount.makeKeys(count: 300, disabled: 25, workspace: Self.workspaceB, seed: 42, now: now)
        let other = StandInAccount.makeKeys(count: 300, disabled: 25, workspace: Self.workspaceB, seed: 43, now: now)
        #expect(StandInJSON.encode(one) == StandInJSON.encode(two))
        #expect(StandInJSON.encode(one) != StandInJSON.encode(other))
        #expect(one.filter { $0["disabled"] as? Bool == true }.count == 25)
        let hashes = one.map { $0["hash"] as! String }
        #expect(Set(hashes).count == 300)
        #expect(hashes.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
        let labels = one.map { $0["label"] as! String }
        #expect(labels.allSatisfy { $0.hasPrefix("sk-or-v1-") && $0.contains("...") })
        let created = one.map { $0["created_at"] as! String }
        #expect(created == created.sorted(by: >))
        let yearAgo = StandInAccount.timestamp(now.addingTimeInterval(-366 * 86_400))
        #expect(created.allSatisfy { $0 < StandInAccount.timestamp(now) && $0 > yearAgo })
        #expect(one.contains { $0["expires_at"] == nil } && one.contains { $0["expires_at"] is NSNull })
        // Numbers keep the generator's exact text (StandInRawJSON), as the API's own lexemes would be kept.
        func number(_ key: [String: Any], _ field: String) -> Double? {
            (key[field] as? StandInRawJSON).flatMap { Double($0.text) }
        }
        #expect(one.contains { $0["limit"] is NSNull } && one.contains { number($0, "limit") != nil })
        let always: Set<String> = [
            "hash", "name", "label", "disabled", "limit", "limit_remaining", "limit_reset", "include_byok_in_limit",
            "usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage", "byok_usage_daily",
            "byok_usage_weekly", "byok_usage_monthly", "created_at", "updated_at", "creator_user_id", "workspace_id",
        ]
        // expires_at and last_used_at (a newer field) are absent on some keys, as older API versions send them.
        #expect(one.allSatisfy { Set($0.keys).subtracting(["expires_at", "last_used_at"]) == always })
        #expect(one.contains { $0["last_used_at"] == nil } && one.contains { $0["last_used_at"] is String })
        #expect(one.allSatisfy { $0["workspace_id"] as? String == Self.workspaceB })
        #expect(one.allSatisfy { (number($0, "usage_daily") ?? .nan) <= (number($0, "usage_weekly") ?? .nan) })
        #expect(one.allSatisfy { (number($0, "usage_monthly") ?? .nan) <= (number($0, "usage") ?? .nan) })
        #expect(
            StandInAccount.timestamp(Date(timeIntervalSince1970: 1_739_998_347.363244)).hasPrefix(
                "2025-02-19T20:52:27.36"))
        #expect(
            StandInAccount.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000000+00:00")
        #expect(StandInAccount.timestamp(Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500000+00:00")
        // Ordering reads created_at as a time, whatever its precision or offset.
        let mixed = StandInAccount.newestFirst([
            ["hash": "a", "created_at": "2025-06-01T00:00:00Z"],
            ["hash": "b", "created_at": "2025-06-01T01:30:00.5+02:00"],
            ["hash": "c"],
            ["hash": "d", "created_at": "2025-05-31T23:59:59.999999+00:00"],
            ["hash": "e", "created_at": "2025-06-01T00:00:00.000+00:00"],
        ])
        #expect(mixed.map { $0["hash"] as! String } == ["a", "e", "d", "b", "c"])
    }

    @Test func concurrentKeepAliveConnections() async throws {
        let account = StandInAccount(workspaces: [Self.workspaceA], keysPerWorkspace: 1_000)
        try await StandInServer.with(account.handler) { server in
            // Four connections, each fetching several pages over keep-alive, all at once.
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        try await StandInTestConnection.open(port: server.port) { connection in
                            var total = 0
                            for page in stride(from: lane, to: 10, by: 4) {
                                try await connection.send(
                                    "/api/v1/keys?offset=\(page * 100)&include_disabled=true", token: Self.token)
                                let response = try await Self.withTimeout(seconds: 60) {
                                    try await connection.readResponse()
                                }
                                total += (try Self.object(response)["data"] as? [Any])?.count ?? -1_000
                            }
                            return total
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(counts == 1_000)
            let byConnection = Dictionary(grouping: server.requests, by: \.connection)
            #expect(byConnection.count == 4)
            #expect(byConnection.values.map(\.count).sorted() == [2, 2, 3, 3])
        }
    }

    // MARK: - Helpers

    static func keys(
        _ server: StandInServer,
        offset: Int,
        includeDisabled: Bool?,
        workspace: String? = nil
    ) async throws -> [[String: Any]] {
        var path = "/keys?offset=\(offset)"
        if let includeDisabled { path += "&include_disabled=\(includeDisabled)" }
        if let workspace { path += "&workspace_id=\(workspace)" }
        let response = try await get(server, path)
        try #require(response.status == 200)
        return try #require(try object(response)["data"] as? [[String: Any]])
    }

    /// One GET of `baseURL + path` on a new connection.
    static func get(_ server: StandInServer, _ path: String, token: String? = token) async throws -> StandInTestResponse
    {
        try await StandInTestConnection.open(port: server.port) { connection in
            try await connection.send("/api/v1" + path, token: token)
            return try await withTimeout(seconds: 60) { try await connection.readResponse() }
        }
    }

    static func object(_ response: StandInTestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func errorCode(_ response: StandInTestResponse) -> Int? {
        ((try? object(response))?["error"] as? [String: Any])?["code"] as? Int
    }

    static func eventually(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<3_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not met within 30 s")
    }

    static func withTimeout<T: Sendable>(
        seconds: Int, _ body: @escaping @Sendable () async throws -> T
    )
        async throws -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else {
                throw TimedOut(seconds: seconds)
            }
            return value
        }
    }

    struct TimedOut: Error { var seconds: Int }
}

/// One HTTP/1.1 answer as read off the wire.
struct StandInTestResponse: Sendable {
    var status: Int?
    var headers: [String: String] = [:]
    /// The body's first bytes (all of them unless the read was told to keep fewer).
    var body: [UInt8] = []
    var bodyCount = 0
    /// The whole body (per content-length) arrived.
    var complete = false
    /// How the connection ended, if it did: "eof" or the error.
    var ending: String?
}

/// A minimal HTTP/1.1 client over a raw TCP connection (content-length bodies only), for testing the stand-in.
/// `@unchecked Sendable`: each instance is used by one task at a time.
final class StandInTestConnection: @unchecked Sendable {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending: [UInt8] = []
    private var ending: String?

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>)
    {
        self.outbound = outbound
        self.iterator = inbound.makeAsyncIterator()
    }

    /// Connects to 127.0.0.1:`port`, runs `body` with the connection and closes it.
    static func open<Result: Sendable>(
        port: Int,
        _ body: (StandInTestConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(StandInTestConnection(inbound: inbound, outbound: outbound))
        }
    }

    func send(_ target: String, token: String?) async throws {
        var text = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        if let token { text += "Authorization: Bearer \(token)\r\n" }
        text += "\r\n"
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads one answer (content-length or chunked body); a connection that ends first gives a response with
    /// `ending` set and `complete` false.
    func readResponse(keepBodyBytes: Int = .max) async throws -> StandInTestResponse {
        var response = StandInTestResponse()
        guard let headText = await line(until: [13, 10, 13, 10]) else {
            response.ending = ending
            return response
        }
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        response.status = statusLine.count > 1 ? Int(statusLine[1]) : nil
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            response.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if response.headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            response.complete = await readChunks(into: &response, keep: keepBodyBytes)
        } else {
            let length = response.headers["content-length"].flatMap { Int($0) } ?? 0
            response.complete = await readBody(length, into: &response, keep: keepBodyBytes)
        }
        response.ending = ending
        return response
    }

    private func readChunks(into response: inout StandInTestResponse, keep: Int) async -> Bool {
        while true {
            guard let sizeLine = await line(until: [13, 10]),
                let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16)
            else { return false }
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while let trailer = await line(until: [13, 10]) {
                    if trailer.isEmpty { return true }
                }
                return false
            }
            guard await readBody(size, into: &response, keep: keep), await line(until: [13, 10]) == "" else {
                return false
            }
        }
    }

    /// Reads `length` body bytes, keeping the first `keep` of the whole body; false when the connection ends first.
    private func readBody(_ length: Int, into response: inout StandInTestResponse, keep: Int) async -> Bool {
        var remaining = length
        while true {
            let take = min(pending.count, remaining)
            if response.body.count < keep {
                response.body += pending.prefix(min(take, keep - response.body.count))
            }
            response.bodyCount += take
            remaining -= take
            pending.removeFirst(take)
            if remaining == 0 { return true }
            if !(await pull()) { return false }
        }
    }

    /// The text up to `terminator` (which is consumed), or nil when the connection ends first.
    private func line(until terminator: [UInt8]) async -> String? {
        while true {
            if let end = Self.find(terminator, in: pending) {
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + terminator.count)
                return text
            }
            if !(await pull()) { return nil }
        }
    }

    /// Appends the next bytes to `pending`; false when the connection has ended.
    private func pull() async -> Bool {
        guard ending == nil else { return false }
        do {
            if let buffer = try await iterator.next() {
                pending += buffer.readableBytesView
                return true
            }
            ending = "eof"
        } catch {
            ending = String(describing: error)
        }
        return false
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
