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

@Suite("Base URL, proxy and key handling")
struct ConfigurationTests {
    @Test(
        "plain http is refused except to loopback",
        arguments: [
            ("https://openrouter.ai/api/v1", true), ("http://127.0.0.1:8080/api/v1", true),
            ("http://127.1.2.3/api", true),
            ("http://localhost:9/api/v1", true), ("http://[::1]:9/api/v1", true),
            ("http://openrouter.ai/api/v1", false),
            ("http://10.0.0.1/api/v1", false), ("http://127.0.0.1.evil.example/api", false),
            ("ftp://openrouter.ai", false),
            ("not a url", false), ("https://user:pw@openrouter.ai/api/v1", false),
        ])
    func baseURL(text: String, accepted: Bool) {
        let result = Result { () throws(KeyAuditError) in try BaseURL(text) }
        switch result {
        case .success: #expect(accepted, "\(text) should be refused")
        case .failure(let error):
            #expect(!accepted, "\(text) should be accepted: \(error.message)")
            #expect(error.exitCode == 64)
        }
    }

    @Test("HTTPS_PROXY is used for the API host, NO_PROXY and loopback bypass it")
    func proxy() throws {
        let target = try BaseURL("https://openrouter.ai/api/v1")
        let settings = ProxySettings(environment: ["HTTPS_PROXY": "http://user:secret@proxy.corp:3128"])
        let proxy = try #require(try settings.proxy(for: target))
        #expect(proxy.host == "proxy.corp" && proxy.port == 3128 && proxy.username == "user")
        #expect(try ProxySettings(environment: ["https_proxy": "proxy.corp:8080"]).proxy(for: target)?.port == 8080)
        #expect(
            try ProxySettings(environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com,.openrouter.ai"])
                .proxy(for: target) == nil)
        #expect(
            try ProxySettings(environment: ["HTTPS_PROXY": "http://p:1", "no_proxy": "*"]).proxy(for: target) == nil)
        #expect(
            try ProxySettings(environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "rai"]).proxy(for: target) != nil)
        #expect(
            try ProxySettings(environment: ["HTTPS_PROXY": "http://p:1"]).proxy(for: BaseURL("http://127.0.0.1:9/api"))
                == nil)
        #expect(throws: KeyAuditError.self) {
            try ProxySettings(environment: ["HTTPS_PROXY": "socks5://p:1"]).proxy(for: target)
        }
    }

    @Test("the key is never shown: description, interpolation and errors carry a placeholder")
    func keyIsRedacted() throws {
        let key = try ManagementKey("  sk-or-v1-0123456789abcdef\n")
        #expect("\(key)" == "<management key: redacted>")
        #expect(String(reflecting: key) == "<management key: redacted>")
        #expect(key.authorizationHeaderValue == "Bearer sk-or-v1-0123456789abcdef")
        #expect(throws: KeyAuditError.self) { try ManagementKey("two\nlines") }
        #expect(throws: KeyAuditError.self) { try ManagementKey("   ") }
    }
}
