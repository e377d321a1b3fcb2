import AsyncHTTPClient
import Foundation
import KeyAuditCore
import NIOCore
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient, with proxy settings read from the environment.
///
/// AsyncHTTPClient does not read `HTTPS_PROXY`/`NO_PROXY` itself, and its proxy is set per client,
/// not per request; keyaudit talks to one host, so the decision is made once, for that host.
package final class AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    package init(target: BaseURL, environment: [String: String]) throws(KeyAuditError) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .size(64 * 1024 * 1024))
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        if let proxy = try ProxySettings(environment: environment).proxy(for: target) {
            configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: proxy.authorization)
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func get(
        url: String, headers: [(String, String)], timeout: Duration, maxBodyBytes: Int
    )
        async throws(TransportError) -> HTTPResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let timeAmount = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)
        do {
            // The deadline covers the whole exchange, body included: a server that stalls mid-body still times out.
            let deadline = NIODeadline.now() + timeAmount
            let response = try await client.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            var headerMap: [String: String] = [:]
            for header in response.headers { headerMap[header.name.lowercased()] = header.value }
            return HTTPResponse(status: Int(response.status.code), headers: headerMap, body: Array(buffer: body))
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw .bodyTooLarge(limit: maxBodyBytes)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                throw .timedOut
            default:
                throw .connection(Self.describe(error))
            }
        } catch is CancellationError {
            throw .connection("cancelled")
        } catch {
            throw .connection(Self.describe(error))
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// A short, key-free description of a client error (no URL, no headers).
    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy`, as curl reads them.
struct ProxySettings: Sendable {
    struct Proxy: Sendable, Equatable {
        var host: String
        var port: Int
        var username: String?
        var password: String?

        var authorization: HTTPClient.Authorization? {
            guard let username else { return nil }
            return .basic(username: username, password: password ?? "")
        }
    }

    var httpsProxy: String?
    var noProxy: [String]

    init(environment: [String: String]) {
        let proxy = environment["https_proxy"] ?? environment["HTTPS_PROXY"]
        self.httpsProxy = (proxy?.isEmpty ?? true) ? nil : proxy
        let list = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        self.noProxy = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
    }

    /// The proxy to use for `target`, or nil to connect directly.
    func proxy(for target: BaseURL) throws(KeyAuditError) -> Proxy? {
        guard let httpsProxy, target.scheme == "https" else { return nil }
        // Loopback targets (the stand-in servers of tests and benchmarks) are never sent through a proxy.
        if BaseURL.isLoopback(target.host) || bypasses(target.host) { return nil }
        let withScheme = httpsProxy.contains("://") ? httpsProxy : "http://" + httpsProxy
        guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else {
            throw .usage("HTTPS_PROXY is not a URL; expected http://host:port")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw .usage(
                "HTTPS_PROXY uses scheme \(components.scheme ?? ""); only http:// proxies (CONNECT tunnels) are supported"
            )
        }
        return Proxy(
            host: host, port: components.port ?? 80, username: components.user, password: components.password)
    }

    func bypasses(_ rawHost: String) -> Bool {
        let host = rawHost.lowercased()
        for entry in noProxy {
            if entry == "*" { return true }
            var domain = entry
            if domain.hasPrefix("*.") { domain.removeFirst(2) } else if domain.hasPrefix(".") { domain.removeFirst() }
            if let colon = domain.lastIndex(of: ":"), !domain.contains("]"), domain.filter({ $0 == ":" }).count == 1 {
                domain = String(domain[..<colon])
            }
            if host == domain || host.hasSuffix("." + domain) { return true }
        }
        return false
    }
}
