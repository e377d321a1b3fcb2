import Foundation
import Logging
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditAudit
@testable import KeyAuditCore
@testable import KeyAuditDiff
@testable import KeyAuditReport
@testable import KeyAuditRun
@testable import KeyAuditSampleAccount
@testable import KeyAuditSnapshot
@testable import KeyAuditTestSupport

/// The real client (AsyncHTTPClient) listing a stand-in Management API on 127.0.0.1.
@Suite("Listing every key over HTTP")
struct ListingTests {
    static let workspaceA = "11111111-1111-4111-8111-111111111111"
    static let workspaceB = "22222222-2222-4222-8222-222222222222"

    static func account(_ counts: [(String, Int, Int)]) -> StandInAccount {
        StandInAccount(
            workspaces: counts.enumerated().map { index, entry in
                StandInWorkspace(
                    id: entry.0, name: "Workspace \(index)",
                    keys: StandInAccount.makeKeys(
                        count: entry.1, disabled: entry.2, workspace: entry.0, seed: UInt64(index + 7),
                        now: StandInAccount.referenceNow))
            })
    }

    /// Lists the account with the production client; returns the listing and the requests the server saw.
    static func list(
        _ account: StandInAccount, workspaces: [String] = [], concurrency: Int = 4, retries: Int = 3,
        // Generous: the stand-in answers on the same cooperative pool as every other test, and under a full
        // parallel test run on two cores a first answer can wait tens of seconds for a thread.
        timeout: Duration = .seconds(180)
    ) async throws -> (AccountListing, [StandInRequest]) {
        try await StandInServer.with(account.handler) { server in
            let baseURL = try BaseURL(server.baseURL)
            let transport = try AsyncHTTPTransport(target: baseURL, environment: [:])
            let client = ManagementAPIClient(
                transport: transport, baseURL: baseURL, key: try ManagementKey(account.managementKey),
                retry: RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
                deadline: .now + timeout, timeoutDescription: "\(timeout)", stats: FetchStats(),
                logger: Logger(label: "test"))
            do {
                let listing = try await client.listAccount(selected: workspaces, concurrency: concurrency)
                await transport.shutdown()
                return (listing, server.requests)
            } catch {
                await transport.shutdown()
                throw error
            }
        }
    }

    static func hashes(_ keys: [[String: Any]]) -> Set<String> { Set(keys.compactMap { $0["hash"] as? String }) }

    @Test("every key is listed, whatever the page boundaries", arguments: [0, 1, 99, 100, 101, 200, 257])
    func pageBoundaries(count: Int) async throws {
        let account = Self.account([(Self.workspaceA, count, count / 5)])
        let (listing, requests) = try await Self.list(account)
        #expect(listing.keys.count == count)
        #expect(Set(listing.keys.compactMap { $0["hash"]?.stringValue }) == Self.hashes(account.keys()))
        #expect(listing.coverage.consistent)
        #expect(listing.coverage.mode == .allWorkspaces)
        let keyRequests = requests.filter { $0.path.hasSuffix("/keys") }
        #expect(keyRequests.allSatisfy { $0.query["include_disabled"] == "true" })
        #expect(keyRequests.allSatisfy { $0.query["workspace_id"] == Self.workspaceA })
        // Pages of 100 until a short one: count/100 + 1 pages, never fewer.
        #expect(listing.coverage.workspaces.first?.pages ?? 0 >= count / 100 + 1)
    }

    @Test("257 keys over two workspaces, 30 disabled: all 257 in the snapshot")
    func twoWorkspaces() async throws {
        let account = Self.account([(Self.workspaceA, 150, 20), (Self.workspaceB, 107, 10)])
        let (listing, requests) = try await Self.list(account)
        #expect(listing.keys.count == 257)
        #expect(Set(listing.keys.compactMap { $0["hash"]?.stringValue }) == Self.hashes(account.keys()))
        #expect(listing.keys.filter { $0["disabled"] == .bool(true) }.count == 30)
        #expect(listing.coverage.workspaces.map(\.id) == [Self.workspaceA, Self.workspaceB])
        #expect(listing.coverage.workspaces.map(\.keys) == [150, 107])
        #expect(listing.workspaces.count == 2)
        #expect(requests.contains { $0.path.hasSuffix("/workspaces") })
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer \(account.managementKey)" })
    }

    @Test("disabled keys are only listed with include_disabled=true, and keyaudit always asks for them")
    func disabledKeys() async throws {
        let account = Self.account([(Self.workspaceA, 40, 40)])
        // Without the flag the API leaves disabled keys out: the stand-in does too.
        let reply = await account.answer(
            StandInRequest(
                method: "GET", path: "/api/v1/keys", query: ["workspace_id": Self.workspaceA],
                headers: ["authorization": "Bearer \(account.managementKey)"], uri: "/api/v1/keys", connection: 0))
        guard case .respond(_, _, let body, _) = reply, let document = try? JSONParser.parse(body) else {
            Issue.record("the stand-in did not answer")
            return
        }
        #expect(document["data"]?.arrayValue?.count == 0)
        let (listing, _) = try await Self.list(account)
        #expect(listing.keys.count == 40)
        #expect(listing.coverage.includeDisabled)
    }

    @Test("/workspaces 404: falls back to the default listing and records it")
    func workspacesFallback() async throws {
        let account = Self.account([(Self.workspaceA, 120, 3), (Self.workspaceB, 10, 0)])
        account.workspacesEndpoint = .status(404)
        let (listing, requests) = try await Self.list(account)
        #expect(listing.coverage.mode == .defaultListingOnly)
        #expect(listing.coverage.workspaces.map(\.id) == [nil])
        #expect(listing.keys.count == 120)  // the default workspace only
        #expect(listing.coverage.notes.contains { $0.contains("404") })
        #expect(requests.filter { $0.path.hasSuffix("/keys") }.allSatisfy { $0.query["workspace_id"] == nil })
    }

    @Test("429 with Retry-After is waited out, then the listing completes")
    func retryAfter() async throws {
        let account = Self.account([(Self.workspaceA, 150, 0)])
        account.faults = [.status(429, retryAfter: 1).only("/keys")]
        let clock = ContinuousClock()
        let started = clock.now
        let (listing, _) = try await Self.list(account)
        #expect(listing.keys.count == 150)
        #expect(listing.coverage.retries == 1)
        // Retry-After: 1 was honoured (the client's own backoff here is 10 ms).
        #expect(clock.now - started >= .milliseconds(950))
    }

    @Test("a rate-limited API (a token bucket, 429 with Retry-After beyond it): every key, and few 429s")
    func rateLimited() async throws {
        // 5 requests a second (a bucket of 5), answers after 250 ms: one request in flight stays under the limit,
        // two go over it. The limit binds whatever the machine's speed (even a slow debug server answers more
        // than 5 pages a second), so a fixed concurrency of 16 meets a 429 on most of its requests and retries
        // each (in an earlier shape of this test, 20 requests a second, fixed concurrency met 21 to 25 429s where
        // the window met 12 to 14); the window shrinks to 1 and probes only now and then.
        let account = Self.account([(Self.workspaceA, 1_500, 30), (Self.workspaceB, 1_450, 0)])
        account.latency = .milliseconds(250)
        account.rateLimit = 5
        let (listing, requests) = try await Self.list(account, concurrency: 16)
        #expect(listing.keys.count == 2_950)
        #expect(Set(listing.keys.compactMap { $0["hash"]?.stringValue }) == Self.hashes(account.keys()))
        #expect(listing.coverage.consistent)
        let throttled = account.throttled
        #expect(throttled >= 1)  // the limit was met: the test measures something
        // The window's bound: the opening burst and each halving after it (sent before a 429 came back: at most
        // 16 + 8 + 4 + 2 + 1), then one 429 per probe, which needs a run of 32 answers.
        #expect(throttled <= 2 * 16 + requests.count / 32, "429s: \(throttled) of \(requests.count) requests")
        #expect(listing.coverage.retries == throttled)
    }

    @Test("500 then success, and 3 faults in a row then success")
    func serverErrors() async throws {
        let account = Self.account([(Self.workspaceA, 30, 0)])
        account.faults = [.status(500).only("/keys")]
        let (first, _) = try await Self.list(account)
        #expect(first.keys.count == 30)
        #expect(first.coverage.retries == 1)

        account.faults = [.status(502).only("/keys"), .html(503).only("/keys"), .status(500).only("/keys")]
        let (second, _) = try await Self.list(account, retries: 3)
        #expect(second.keys.count == 30)
        #expect(second.coverage.retries == 3)
    }

    @Test("a connection reset mid-body is retried")
    func resetMidBody() async throws {
        let account = Self.account([(Self.workspaceA, 60, 0)])
        account.faults = [.resetMidBody.only("/keys")]
        let (listing, _) = try await Self.list(account)
        #expect(listing.keys.count == 60)
        #expect(listing.coverage.retries >= 1)
    }

    @Test("keys added while paging: the shift is detected, the workspace listed again, nothing missed")
    func keysAddedDuringPaging() async throws {
        let account = Self.account([(Self.workspaceA, 250, 5)])
        let added = StandInLocked(false)
        let extra = StandInAccount.makeKeys(
            count: 3, disabled: 0, workspace: Self.workspaceA, seed: 99,
            now: StandInAccount.referenceNow.addingTimeInterval(60))
        let pending = StandInLocked(extra)
        account.onPageServed = { offset, _ in
            let first = added.withLock { done -> Bool in
                defer { done = true }
                return !done && offset == 0
            }
            if first { for key in pending.withLock({ $0 }) { account.addKey(key, workspace: Self.workspaceA) } }
        }
        let (listing, _) = try await Self.list(account, concurrency: 1)
        #expect(listing.keys.count == 253)
        #expect(Set(listing.keys.compactMap { $0["hash"]?.stringValue }) == Self.hashes(account.keys()))
        #expect(listing.coverage.consistent)
        #expect(listing.coverage.workspaces.first?.attempts == 2)
    }

    @Test("a listing that never settles is finished but marked inconsistent")
    func neverSettles() async throws {
        let account = Self.account([(Self.workspaceA, 150, 0)])
        let counter = StandInLocked(0)
        account.onPageServed = { offset, _ in
            guard offset == 0 else { return }
            let n = counter.withLock { value -> Int in
                value += 1
                return value
            }
            account.addKey(
                StandInAccount.makeKeys(
                    count: 1, disabled: 0, workspace: Self.workspaceA, seed: UInt64(1000 + n),
                    now: StandInAccount.referenceNow.addingTimeInterval(Double(n) * 60))[0],
                workspace: Self.workspaceA)
        }
        let (listing, _) = try await Self.list(account, concurrency: 1)
        #expect(!listing.coverage.consistent)
        #expect(listing.coverage.workspaces.first?.attempts == 4)
        #expect(listing.coverage.notes.contains { $0.contains("may miss keys") })
    }

    @Test("an API that ignores offset is detected instead of paged forever")
    func offsetIgnored() async throws {
        let account = Self.account([(Self.workspaceA, 250, 0)])
        account.ignoreOffset = true
        await #expect(throws: KeyAuditError.self) { try await Self.list(account) }
        do {
            _ = try await Self.list(account)
        } catch let error as KeyAuditError {
            #expect(error.exitCode == 65)
            #expect(error.message.contains("ignores offset"))
        }
    }

    @Test("a /workspaces that ignores offset is refused at once, whatever total_count says")
    func workspacesOffsetIgnored() async throws {
        let workspaces = (0..<150).map { index in
            StandInWorkspace(id: String(format: "cccccccc-0000-4000-8000-%012d", index), keys: [])
        }
        let account = StandInAccount(workspaces: workspaces)
        account.ignoreOffset = true
        do {
            _ = try await Self.list(account)
            Issue.record("the listing should have been refused")
        } catch let error as KeyAuditError {
            #expect(error.exitCode == 65)
            #expect(error.message.contains("/workspaces") && error.message.contains("ignores offset"), "\(error)")
        }
    }

    @Test("a 50 MB garbage body is refused without reading it into memory")
    func garbageBody() async throws {
        let account = Self.account([(Self.workspaceA, 10, 0)])
        account.faults = [.garbage(bytes: 50 * 1024 * 1024).only("/keys")]
        do {
            _ = try await Self.list(account)
            Issue.record("a garbage body was accepted")
        } catch let error as KeyAuditError {
            #expect(error.exitCode == 65)
            #expect(error.message.contains("MiB"))
        }
    }

    @Test("--workspace lists only the named workspaces")
    func selectedWorkspace() async throws {
        let account = Self.account([(Self.workspaceA, 20, 0), (Self.workspaceB, 15, 0)])
        let (listing, requests) = try await Self.list(account, workspaces: [Self.workspaceB])
        #expect(listing.keys.count == 15)
        #expect(listing.coverage.mode == .selectedWorkspaces)
        #expect(
            requests.filter { $0.path.hasSuffix("/keys") }.allSatisfy { $0.query["workspace_id"] == Self.workspaceB })
    }
}
