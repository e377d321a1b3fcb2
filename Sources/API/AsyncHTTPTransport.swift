import AsyncHTTPClient
import Foundation
import KeyAuditCore
import NIOCore
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient, with proxy settings read from the environment.
///
/// AsyncHTTPClient does not read `HTTPS_PROXY`/`NO_PROXY` itself, and its proxy is set per client,
/// not per request; keyaudit talks to one host, so the decision is made once, for that host.
///
/// Two clocks bound every request. The request's `timeout` covers the whole exchange, the body included:
/// AsyncHTTPClient's own deadline stops at the response head, so a server that sends headers and then drips
/// the body a byte a second would otherwise hold the run for as long as it likes. And `readTimeout` (the
/// client's read timeout) ends a request during which nothing at all arrives for that long, head or body: a
/// stalled body is a retryable failure, not a wait until the overall deadline.
package final class AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    package init(
        target: BaseURL, environment: [String: String], readTimeout: Duration = .seconds(30)
    )
        throws(KeyAuditError)
    {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .size(64 * 1024 * 1024))
        let read = Checked.nanoseconds(readTimeout).map { TimeAmount.nanoseconds($0) } ?? .seconds(30)
        configuration.timeout = .init(connect: .seconds(10), read: read)
        if let proxy = try ProxySettings(environment: environment).proxy(for: target) {
            configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: proxy.authorization)
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func send(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration,
        maxBodyBytes: Int
    ) async throws(TransportError) -> HTTPResponse {
        var prepared = HTTPClientRequest(url: url)
        prepared.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { prepared.headers.add(name: name, value: value) }
        if let body { prepared.body = .bytes(ByteBuffer(bytes: body)) }
        let request = prepared
        let nanoseconds = Checked.nanoseconds(timeout) ?? 0
        let client = self.client
        // The exchange races the request's timeout; whichever ends first cancels the other (cancelling the
        // exchange closes its connection, so nothing is left reading in the background).
        let outcome = await withTaskGroup(of: Result<HTTPResponse, TransportError>?.self) { group in
            group.addTask {
                await Self.exchange(
                    client, request, deadline: NIODeadline.now() + .nanoseconds(nanoseconds),
                    maxBodyBytes: maxBodyBytes)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case .success(let response)?:
            return response
        case .failure(let error)?:
            throw error
        case nil:
            if Task.isCancelled { throw .connection("cancelled") }
            throw .timedOut
        }
    }

    /// The request, its head and its whole body, or why not.
    private static func exchange(
        _ client: HTTPClient, _ request: HTTPClientRequest, deadline: NIODeadline, maxBodyBytes: Int
    ) async -> Result<HTTPResponse, TransportError> {
        do {
            let response = try await client.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            var headerMap: [String: String] = [:]
            for header in response.headers { headerMap[header.name.lowercased()] = header.value }
            return .success(
                HTTPResponse(
                    status: Checked.int(response.status.code) ?? 0, headers: headerMap, body: Array(buffer: body)))
        } catch let error as NIOTooManyBytesError {
            _ = error
            return .failure(.bodyTooLarge(limit: maxBodyBytes))
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .failure(.timedOut)
            default:
                return .failure(.connection(Self.describe(error)))
            }
        } catch is CancellationError {
            return .failure(.connection("cancelled"))
        } catch {
            return .failure(.connection(Self.describe(error)))
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// A short, key-free description of a client error (no URL, no headers).
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        // NIO describes a failed connect as "connection reset (error set): Connection refused) (errno: 111)":
        // the system's own words for the errno say it plainly ("connection refused").
        if let range = text.range(of: #"errno: [0-9]{1,4}"#, options: .regularExpression),
            let code = Int32(String(text[range].dropFirst("errno: ".count))), code > 0
        {
            return String(cString: strerror(code)).lowercased()
        }
        return Escaping.oneLine(Redaction.redact(text), limit: 200)
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
        guard let components = URLComponents(string: withScheme), let host = components.host.map(BaseURL.unbracketed),
            !host.isEmpty
        else {
            throw .usage("HTTPS_PROXY is not a URL; expected http://host:port")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw .usage(
                "HTTPS_PROXY uses scheme \(components.scheme ?? ""); only http:// proxies (CONNECT tunnels) are supported"
            )
        }
        let port = components.port ?? 80
        guard (1...65_535).contains(port) else {
            throw .usage("HTTPS_PROXY has port \(port); a port is a number from 1 to 65535")
        }
        return Proxy(host: host, port: port, username: components.user, password: components.password)
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
