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
        let shown = Escaping.oneLine(text, limit: 200)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host.map(Self.unbracketed), !host.isEmpty
        else {
            throw .usage("--base-url \(shown) is not a URL; expected e.g. \(Self.defaultValue)")
        }
        guard components.user == nil, components.password == nil, components.query == nil,
            components.fragment == nil
        else {
            throw .usage(
                "--base-url must not carry credentials, a query or a fragment; expected e.g. \(Self.defaultValue)")
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw .usage("--base-url \(shown) has port \(port); a port is a number from 1 to 65535")
        }
        switch scheme {
        case "https":
            break
        case "http":
            guard Self.isLoopback(host) else {
                throw .usage(
                    "--base-url \(shown) uses plain http to a host that is not a loopback address: the management key would cross the network in clear text; use https (plain http is for 127.0.0.1, ::1 or localhost)"
                )
            }
            if Self.isLocalhostName(host), let outside = Self.nonLoopbackAddress(of: host) {
                throw .usage(
                    "--base-url \(shown): localhost resolves to \(outside), which is not a loopback address, so plain http could send the key across the network; fix /etc/hosts or use 127.0.0.1"
                )
            }
        default:
            throw .usage(
                "--base-url \(shown) has scheme \(Escaping.oneLine(scheme, limit: 40)); only https (or http to a loopback address) is allowed"
            )
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

    /// An IPv6 literal without its brackets (`::1`): Foundation on Linux keeps them in `URLComponents.host`, and
    /// ``string`` adds them back for any host holding a colon.
    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 ? String(host.dropFirst().dropLast()) : host
    }

    /// Whether `rawHost` names this machine without asking a resolver: an IPv4 address in 127.0.0.0/8 (dotted
    /// decimal, as `inet_pton` reads it), `::1` (also IPv4-mapped, `::ffff:127.0.0.1`), or the name `localhost`
    /// itself, whose addresses ``init(_:)`` checks. `*.localhost` is not: a resolver may send it anywhere.
    package static func isLoopback(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if isLocalhostName(host) { return true }
        return isLoopbackLiteral(host)
    }

    /// `localhost`, or `localhost.` (the same name, fully qualified).
    static func isLocalhostName(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "localhost."
    }

    /// An address literal in 127.0.0.0/8 or `::1`.
    static func isLoopbackLiteral(_ host: String) -> Bool {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, host, &ipv6) == 1 else { return false }
        return isLoopback(ipv6)
    }

    private static func isLoopback(_ address: in6_addr) -> Bool {
        let bytes = withUnsafeBytes(of: address) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
        // ::ffff:127.x.y.z, an IPv4 loopback address mapped into IPv6.
        return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    /// The first address `host` resolves to that is not loopback, or nil when every one is. A name that does
    /// not resolve at all is reported as such (the connection would fail anyway).
    static func nonLoopbackAddress(of host: String) -> String? {
        var hints = addrinfo()
        #if os(Linux)
            hints.ai_socktype = Int32(bitPattern: SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return "no address at all" }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            defer { entry = current.pointee.ai_next }
            guard let address = current.pointee.ai_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                if UInt32(bigEndian: ipv4.s_addr) >> 24 != 127 { return text(of: ipv4) }
            case AF_INET6:
                let ipv6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                if !isLoopback(ipv6) { return text(of: ipv6) }
            default:
                return "an address that is not IPv4 or IPv6"
            }
        }
        return nil
    }

    private static func text(of address: in_addr) -> String {
        var copy = address
        var buffer = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET, &copy, &buffer, socklen_t(64)) != nil else { return "an IPv4 address" }
        return String(cString: buffer)
    }

    private static func text(of address: in6_addr) -> String {
        var copy = address
        var buffer = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, &copy, &buffer, socklen_t(64)) != nil else { return "an IPv6 address" }
        return String(cString: buffer)
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
