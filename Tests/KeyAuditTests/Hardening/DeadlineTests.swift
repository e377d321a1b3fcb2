import Foundation
import Testing

@testable import KeyAuditAPI
@testable import KeyAuditCore
@testable import KeyAuditTestSupport

/// Class 2 of issue 12: `--timeout` bounds the whole API phase, response bodies included (the run exits 69
/// within `--timeout` + 2 s), and a body that makes no progress for `--read-timeout` is a retryable failure.
@Suite("Hardening: deadlines", .serialized)
struct DeadlineTests {
    /// How long the binary takes, on this machine and under its current load, to start, prepare and fail at
    /// its first request to `/keys` (401): what a run costs besides waiting on the API. The deadline tests
    /// bound what they measure beyond it.
    static func baseline(keys: Int = 30) async throws -> Duration {
        let account = Hardening.account(keys: keys)
        account.faults = [.status(401).only("/keys")]
        let output = TemporaryFolder("deadlines")
        let (result, elapsed) = try await Hardening.run(account, output: output)
        #expect(result.status == 77, "\(result.stderr)")
        return elapsed
    }

    @Test(
        "a server that drips bodies a byte a second: exit 69 within --timeout + 2 s",
        arguments: [
            "/keys", "/workspaces",
        ])
    func drippingBody(path: String) async throws {
        let account = Hardening.account(keys: 30)
        account.faults = Array(repeating: .drip(interval: .seconds(1)).only(path), count: 20)
        let output = TemporaryFolder("deadlines")
        let base = try await Self.baseline()
        let (result, elapsed) = try await Hardening.run(
            account, output: output, extra: ["--timeout", "4", "--max-retries", "5"])
        Hardening.expectFailure(result, output, status: 69, mentions: ["--timeout"], secrets: [account.managementKey])
        #expect(elapsed - base < .seconds(6), "took \(elapsed) with --timeout 4 (a failing run takes \(base))")
    }

    @Test("dripping under --concurrency: every page shares the one deadline")
    func drippingPages() async throws {
        let account = Hardening.account(keys: 450)
        // The first pages answer at once; every later page drips.
        account.faults =
            [.delayed(.zero).only("/keys")]
            + Array(repeating: .drip(interval: .milliseconds(700)).only("/keys"), count: 40)
        let output = TemporaryFolder("deadlines")
        let base = try await Self.baseline()
        let (result, elapsed) = try await Hardening.run(
            account, output: output, extra: ["--timeout", "3", "--concurrency", "4", "--max-retries", "5"])
        Hardening.expectFailure(result, output, status: 69, secrets: [account.managementKey])
        #expect(elapsed - base < .seconds(5), "took \(elapsed) with --timeout 3 (a failing run takes \(base))")
    }

    @Test("a body that stalls is retried after --read-timeout, and the run completes")
    func stalledBodyIsRetried() async throws {
        let account = Hardening.account(keys: 30)
        account.faults = [.stallMidBody.only("/keys")]
        let output = TemporaryFolder("deadlines")
        let base = try await Self.baseline()
        let (result, elapsed) = try await Hardening.run(
            account, output: output,
            extra: ["--read-timeout", "2", "--timeout", "60", "--format", "md", "--max-retries", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(output.runFolders().count == 1)
        #expect(elapsed - base < .seconds(15), "a 2 s read timeout took \(elapsed) (a failing run takes \(base))")
        let snapshot = Hardening.text(of: output.url("\(output.runFolders()[0])/snapshot.json"))
        #expect(!snapshot.contains("\"retries\": 0"), "the stalled request was not counted as a retry")
    }

    @Test("a body that stalls on every try: exit 69 after the retries, long before --timeout")
    func stalledBodyEveryTime() async throws {
        let account = Hardening.account(keys: 30)
        account.faults = Array(repeating: .stallMidBody.only("/keys"), count: 5)
        let output = TemporaryFolder("deadlines")
        let base = try await Self.baseline()
        let (result, elapsed) = try await Hardening.run(
            account, output: output, extra: ["--read-timeout", "3", "--timeout", "120", "--max-retries", "2"])
        Hardening.expectFailure(
            result, output, status: 69, mentions: ["kept failing"], secrets: [account.managementKey])
        #expect(elapsed - base < .seconds(30), "took \(elapsed) (a failing run takes \(base))")
    }

    @Test("a head that never comes is bounded by --read-timeout too")
    func hungHead() async throws {
        let account = Hardening.account(keys: 30)
        account.faults = [.hang.only("/keys")]
        let output = TemporaryFolder("deadlines")
        let base = try await Self.baseline()
        let (result, elapsed) = try await Hardening.run(
            account, output: output,
            extra: ["--read-timeout", "2", "--timeout", "60", "--format", "md", "--max-retries", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(elapsed - base < .seconds(15), "took \(elapsed) (a failing run takes \(base))")
    }

    @Test("the transport itself: a dripping body ends at the request's timeout, not at the body's end")
    func transportDeadlineCoversTheBody() async throws {
        let body = Array(String(repeating: "x", count: 200).utf8)
        let reply = StandInReply.drip(
            status: 200, headers: [("content-type", "application/json")], body: body, interval: .milliseconds(500))
        let handler: @Sendable (StandInRequest) async -> StandInReply = { _ in reply }
        try await StandInServer.with(handler) { server in
            let transport = try AsyncHTTPTransport(
                target: try BaseURL(server.baseURL), environment: [:], readTimeout: .seconds(10))
            let started = ContinuousClock.now
            do {
                _ = try await transport.get(
                    url: server.baseURL + "/keys", headers: [], timeout: .seconds(2), maxBodyBytes: 1 << 20)
                Issue.record("a 100 s body was read within a 2 s timeout")
            } catch {
                #expect(error as? TransportError == .timedOut, "\(error)")
            }
            // The body alone would take 100 s (the bound is loose: the machine may be busy).
            #expect(ContinuousClock.now - started < .seconds(45))
            await transport.shutdown()
        }
    }

    @Test("the transport itself: a stalled body is a timeout after readTimeout")
    func transportReadTimeout() async throws {
        let reply = StandInReply.stallMidBody(status: 200, partialBody: Array("{\"data\": [".utf8))
        let handler: @Sendable (StandInRequest) async -> StandInReply = { _ in reply }
        try await StandInServer.with(handler) { server in
            let transport = try AsyncHTTPTransport(
                target: try BaseURL(server.baseURL), environment: [:], readTimeout: .milliseconds(500))
            let started = ContinuousClock.now
            do {
                _ = try await transport.get(
                    url: server.baseURL + "/keys", headers: [], timeout: .seconds(120), maxBodyBytes: 1 << 20)
                Issue.record("a stalled body was read")
            } catch {
                #expect(error as? TransportError == .timedOut, "\(error)")
            }
            // Without the read timeout it would wait the whole 120 s (the bound is loose: the machine may be busy).
            #expect(ContinuousClock.now - started < .seconds(45))
            await transport.shutdown()
        }
    }
}
