import Foundation
import KeyAuditCore

/// The Management API's base URL, checked so that the key never crosses a network in clear text.
public struct BaseURL: Sendable, Equatable, CustomStringConvertible {
    /// OpenRouter's production API, used when neither `--base-url` nor `OPENROUTER_BASE_URL` is given.
    public static let defaultValue = "https://openrouter.ai/api/v1"

    /// Scheme, host, optional port and path without a trailing slash, e.g. `https://openrouter.ai/api/v1`.
    public let string: String
    /// `https`, or `http` for a loopback host only; lowercased.
    public let scheme: String
    /// The host name or address as given, e.g. `openrouter.ai` or `127.0.0.1`; checked for loopback and `NO_PROXY`.
    public let host: String
    /// The port written in the URL; nil when none was given (the scheme's default port applies).
    public let port: Int?

    /// Parses and checks a `--base-url` value: https, or plain http to a loopback host only; no credentials,
    /// query or fragment. A trailing slash is dropped.
    ///
    /// - Throws: ``KeyAuditError/usage(_:)`` (exit 64) saying what is wrong with the URL.
    public init(_ text: String) throws(KeyAuditError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw .usage("--base-url \(text) is not a URL; expected e.g. \(Self.defaultValue)")
        }
        guard components.user == nil, components.password == nil, components.query == nil,
            components.fragment == nil
        else {
            throw .usage(
                "--base-url must not carry credentials, a query or a fragment; expected e.g. \(Self.defaultValue)")
        }
        switch scheme {
        case "https":
            break
        case "http":
            guard Self.isLoopback(host) else {
                throw .usage(
                    "--base-url \(text) uses plain http to a non-loopback host: the management key would cross the network in clear text; use https"
                )
            }
        default:
            throw .usage(
                "--base-url \(text) has scheme \(scheme); only https (or http to a loopback address) is allowed")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let portPart = components.port.map { ":\($0)" } ?? ""
        self.string = "\(scheme)://\(bracketed)\(portPart)\(path)"
        self.scheme = scheme
        self.host = host
        self.port = components.port
    }

    public var description: String { string }

    /// 127.0.0.0/8, ::1 and localhost.
    package static func isLoopback(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part) != nil }
    }

    /// `base + path + query`, with the query items percent-encoded.
    func url(_ path: String, query: [(String, String)] = []) -> String {
        guard !query.isEmpty else { return string + path }
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))
        let encoded = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return string + path + "?" + encoded.joined(separator: "&")
    }
}
