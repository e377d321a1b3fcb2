import Foundation

/// One HTTP answer, body already collected (bounded by the caller's limit).
package struct HTTPResponse: Sendable {
    package var status: Int
    /// Header names lower-cased.
    package var headers: [String: String]
    package var body: [UInt8]

    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a request produced no HTTP answer.
package enum TransportError: Error, Sendable, Equatable {
    /// No complete answer within the request's time limit.
    case timedOut
    /// Refused, reset, closed early, DNS or TLS failure; the text says which.
    case connection(String)
    /// The body grew past the limit (a garbage or hostile answer); nothing more is read.
    case bodyTooLarge(limit: Int)
}

/// The small surface keyaudit needs from an HTTP client: a request with headers and an optional JSON body, a
/// time limit and a body limit.
///
/// Production uses ``AsyncHTTPTransport``; anything else (a recording or faulty transport) can stand in.
package protocol HTTPTransport: Sendable {
    /// Sends `method` (`GET`, `PATCH`, `DELETE`) to `url`; `body` goes as the request body when given.
    func send(
        method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration,
        maxBodyBytes: Int
    ) async throws(TransportError) -> HTTPResponse
    func shutdown() async
}

extension HTTPTransport {
    /// A GET without a body.
    package func get(
        url: String, headers: [(String, String)], timeout: Duration, maxBodyBytes: Int
    ) async throws(TransportError) -> HTTPResponse {
        try await send(
            method: "GET", url: url, headers: headers, body: nil, timeout: timeout, maxBodyBytes: maxBodyBytes)
    }
}
