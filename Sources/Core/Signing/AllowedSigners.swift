import Foundation

/// An OpenSSH allowed signers file (ALLOWED SIGNERS in ssh-keygen(1)): which keys may sign as which identities, for
/// which namespaces, and when.
///
/// Each line is `principals [options] keytype base64-key [comment]`; blank lines and lines whose first non-blank
/// character is `#` are ignored. `principals` is a comma-separated pattern list (``SSHPatternList``), optionally in
/// double quotes. Options are comma-separated, without spaces outside double quotes, and case-insensitive:
/// `cert-authority`, `namespaces="pattern-list"`, `valid-after="time"`, `valid-before="time"`, where a time is
/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, in the local time zone unless suffixed with `Z` (or `UTC`).
/// Values must be quoted, as OpenSSH requires.
///
/// Unlike ssh-keygen, which only reports a bad line when it reaches it while searching, the whole file is parsed up
/// front and the first bad line is an error naming its line number. Certificates are out of scope: `cert-authority`
/// lines are parsed but never match a plain key (as in OpenSSH, where they only match certificates).
public struct AllowedSigners: Sendable {
    /// One non-comment line of the file.
    package struct Entry: Sendable, Equatable {
        /// 1-based line number in the file.
        package let lineNumber: Int
        /// The principals pattern list as written (without surrounding quotes).
        package let principals: String
        package let publicKey: SSHPublicKey
        package let isCertificateAuthority: Bool
        /// The `namespaces` pattern list, nil if the option is absent (any namespace).
        package let namespaces: String?
        /// The key is not valid before this time (whole seconds), nil if unrestricted.
        package let validAfter: Date?
        /// The key is not valid after this time (whole seconds), nil if unrestricted.
        package let validBefore: Date?

        /// Whether the options allow `namespace` at `date`; `cert-authority` and principals are not considered.
        package func permits(namespace: String, at date: Date) -> Bool {
            if let namespaces, SSHPatternList.match(namespace, against: namespaces) != .matched {
                return false
            }
            // OpenSSH compares whole seconds: valid-after is inclusive, so is valid-before.
            let now = date.timeIntervalSince1970.rounded(.down)
            if let validAfter, now < validAfter.timeIntervalSince1970 {
                return false
            }
            if let validBefore, now > validBefore.timeIntervalSince1970 {
                return false
            }
            return true
        }
    }

    /// The entries in file order (comments and blank lines dropped).
    package let entries: [Entry]

    /// Files larger than this (1 MiB) are refused without being parsed.
    package static let maximumFileSize = 1 << 20

    // MARK: Loading

    /// Reads and parses `--allowed-signers FILE`: a regular file (opened without blocking, so a FIFO cannot hang
    /// the command), at most ``maximumFileSize`` bytes; a bad file is a configuration error (64) naming it.
    package static func load(path: String, what: String = "--allowed-signers") throws(KeyAuditError) -> AllowedSigners {
        let bytes = try InputFile.read(path, what: what, limit: maximumFileSize)
        do {
            return try AllowedSigners(contents: bytes)
        } catch {
            throw .usage("\(what) \(Escaping.oneLine(path)): \(error.message)")
        }
    }

    /// Parses the text of an allowed signers file.
    package init(text: String) throws(SigningError) {
        try self.init(contents: Array(text.utf8))
    }

    /// Parses the bytes of an allowed signers file, refusing more than ``maximumFileSize`` bytes.
    package init(contents: [UInt8]) throws(SigningError) {
        guard contents.count <= Self.maximumFileSize else {
            throw .allowedSignersTooLarge(size: contents.count, limit: Self.maximumFileSize)
        }
        var entries: [Entry] = []
        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            var parser = LineParser(line: line, lineNumber: offset + 1)
            if let entry = try parser.parse() {
                entries.append(entry)
            }
        }
        self.entries = entries
    }

    // MARK: Lookup

    /// The principals that `key` may sign as in `namespace` at `date`: the principals patterns of every matching
    /// non-`cert-authority` line, split at commas, in file order, without duplicates and without negated (`!`)
    /// patterns. Like `ssh-keygen -Y find-principals`, the patterns are returned as written (they may contain
    /// wildcards). Empty if the key is not allowed at all.
    package func principals(for key: SSHPublicKey, namespace: String, at date: Date = Date()) -> [String] {
        var result: [String] = []
        for entry in entries where !entry.isCertificateAuthority && entry.publicKey == key {
            guard entry.permits(namespace: namespace, at: date) else {
                continue
            }
            for principal in entry.principals.split(separator: ",") where !principal.hasPrefix("!") {
                let principal = String(principal)
                if !result.contains(principal) {
                    result.append(principal)
                }
            }
        }
        return result
    }

    /// Whether `identity` may sign with `key` in `namespace` at `date`, as `ssh-keygen -Y verify -I identity`
    /// decides: some non-`cert-authority` line whose principals match `identity` (with no negated pattern
    /// matching), whose key equals `key`, and whose options allow the namespace and time.
    package func isAllowed(identity: String, key: SSHPublicKey, namespace: String, at date: Date = Date()) -> Bool {
        entries.contains { entry in
            !entry.isCertificateAuthority
                && entry.publicKey == key
                && SSHPatternList.match(identity, against: entry.principals) == .matched
                && entry.permits(namespace: namespace, at: date)
        }
    }
}

// MARK: - Line parsing

extension AllowedSigners {
    /// Parses one line the way OpenSSH's `parse_principals_key_and_options` and `sshsigopt_parse` do.
    private struct LineParser {
        let line: ArraySlice<UInt8>
        let lineNumber: Int
        var position: Int

        init(line: ArraySlice<UInt8>, lineNumber: Int) {
            // Tolerate CRLF files.
            self.line = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            self.lineNumber = lineNumber
            self.position = self.line.startIndex
        }

        /// Key type names OpenSSH knows; used only to word errors (a known type with a bad key is reported as a bad
        /// key rather than as unknown options).
        static let knownKeyTypes: Set<String> = {
            let plain = [
                "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
            ]
            let certificates = plain.map { type in
                type.hasSuffix("@openssh.com")
                    ? type.replacingOccurrences(of: "@openssh.com", with: "-cert-v01@openssh.com")
                    : type + "-cert-v01@openssh.com"
            }
            return Set(plain + certificates)
        }()

        func failure(_ reason: String) -> SigningError {
            .allowedSignersSyntax(line: lineNumber, reason: reason)
        }

        static func isBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
        }

        mutating func skipBlanks() {
            while position < line.endIndex, Self.isBlank(line[position]) {
                position += 1
            }
        }

        /// The next blank-delimited token (without consuming following blanks).
        mutating func token() -> ArraySlice<UInt8> {
            let start = position
            while position < line.endIndex, !Self.isBlank(line[position]) {
                position += 1
            }
            return line[start..<position]
        }

        static func text(_ bytes: ArraySlice<UInt8>) -> String {
            String(decoding: bytes, as: UTF8.self)
        }

        /// Returns nil for blank and comment lines.
        mutating func parse() throws(SigningError) -> Entry? {
            skipBlanks()
            guard position < line.endIndex, line[position] != UInt8(ascii: "#") else {
                return nil
            }
            let principals = try parsePrincipals()
            skipBlanks()
            guard position < line.endIndex else {
                throw failure("missing key after the principals")
            }

            // OpenSSH first tries to read a key here; only if that fails is the field taken as options.
            let afterPrincipals = position
            let firstField = token()
            var options = ParsedOptions()
            if let key = try parseKey(type: firstField, required: false) {
                return makeEntry(principals: principals, key: key, options: options)
            }
            position = afterPrincipals
            let optionsText = try optionsField()
            options = try parseOptions(optionsText)
            skipBlanks()
            guard position < line.endIndex else {
                throw failure("missing key after the options")
            }
            let typeField = token()
            guard let key = try parseKey(type: typeField, required: true) else {
                throw failure("missing key after the options")
            }
            return makeEntry(principals: principals, key: key, options: options)
        }

        func makeEntry(principals: String, key: SSHPublicKey, options: ParsedOptions) -> Entry {
            Entry(
                lineNumber: lineNumber,
                principals: principals,
                publicKey: key,
                isCertificateAuthority: options.certificateAuthority,
                namespaces: options.namespaces,
                validAfter: options.validAfter.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                validBefore: options.validBefore.map { Date(timeIntervalSince1970: TimeInterval($0)) }
            )
        }

        /// The principals field: a blank-delimited token, or text between double quotes.
        mutating func parsePrincipals() throws(SigningError) -> String {
            if line[position] == UInt8(ascii: "\"") {
                let start = position + 1
                guard let close = line[start...].firstIndex(of: UInt8(ascii: "\"")) else {
                    throw failure("the quoted principals have no closing quote")
                }
                position = close + 1
                guard position == line.endIndex || Self.isBlank(line[position]) else {
                    throw failure("text directly after the quoted principals")
                }
                let principals = Self.text(line[start..<close])
                guard !principals.isEmpty else {
                    throw failure("empty principals")
                }
                return principals
            }
            return Self.text(token())
        }

        /// Having read a key type token, reads the base64 token after it. Returns nil if `required` is false and
        /// the two fields do not form a key of a known type.
        mutating func parseKey(
            type typeField: ArraySlice<UInt8>, required: Bool
        ) throws(SigningError)
            -> SSHPublicKey?
        {
            let type = Self.text(typeField)
            let isKnownType = Self.knownKeyTypes.contains(type)
            guard required || isKnownType else {
                return nil
            }
            skipBlanks()
            let base64 = token()
            guard !base64.isEmpty else {
                throw failure(isKnownType ? "the \(type) key is missing" : "missing key after the options")
            }
            guard isKnownType else {
                throw failure("unknown key type \"\(SigningError.clean(type))\"")
            }
            do {
                return try SSHPublicKey(keyType: type, base64: base64)
            } catch {
                if case .malformedPublicKey(let reason) = error {
                    throw failure("invalid \(type) key: \(reason)")
                }
                throw failure("invalid \(type) key")
            }
        }

        /// The options field: up to the first blank that is not inside double quotes (`\"` does not end a quote).
        mutating func optionsField() throws(SigningError) -> ArraySlice<UInt8> {
            let start = position
            var quoted = false
            while position < line.endIndex, quoted || !Self.isBlank(line[position]) {
                if line[position] == UInt8(ascii: "\\"), position + 1 < line.endIndex,
                    line[position + 1] == UInt8(ascii: "\"")
                {
                    position += 2
                    continue
                }
                if line[position] == UInt8(ascii: "\"") {
                    quoted.toggle()
                }
                position += 1
            }
            guard !quoted else {
                throw failure("an option value has no closing quote")
            }
            return line[start..<position]
        }

        struct ParsedOptions {
            var certificateAuthority = false
            var namespaces: String?
            var validAfter: Int64?
            var validBefore: Int64?
        }

        /// Mirrors OpenSSH's `sshsigopt_parse`.
        func parseOptions(_ field: ArraySlice<UInt8>) throws(SigningError) -> ParsedOptions {
            var options = ParsedOptions()
            var rest = field
            while !rest.isEmpty {
                if Self.hasPrefixIgnoringCase(rest, "cert-authority") {
                    rest = rest.dropFirst("cert-authority".utf8.count)
                    options.certificateAuthority = true
                } else if Self.hasPrefixIgnoringCase(rest, "namespaces=") {
                    rest = rest.dropFirst("namespaces=".utf8.count)
                    guard options.namespaces == nil else {
                        throw failure("more than one namespaces option")
                    }
                    options.namespaces = try dequote(&rest, option: "namespaces")
                } else if Self.hasPrefixIgnoringCase(rest, "valid-after=") {
                    rest = rest.dropFirst("valid-after=".utf8.count)
                    guard options.validAfter == nil else {
                        throw failure("more than one valid-after option")
                    }
                    options.validAfter = try parseTime(dequote(&rest, option: "valid-after"), option: "valid-after")
                } else if Self.hasPrefixIgnoringCase(rest, "valid-before=") {
                    rest = rest.dropFirst("valid-before=".utf8.count)
                    guard options.validBefore == nil else {
                        throw failure("more than one valid-before option")
                    }
                    options.validBefore = try parseTime(
                        dequote(&rest, option: "valid-before"),
                        option: "valid-before"
                    )
                }
                if rest.isEmpty {
                    break
                }
                guard rest.first == UInt8(ascii: ",") else {
                    let name = rest.prefix { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
                    throw failure(
                        "unknown option \"\(SigningError.clean(Self.text(name)))\" "
                            + "(known: cert-authority, namespaces, valid-after, valid-before)"
                    )
                }
                rest = rest.dropFirst()
                guard !rest.isEmpty else {
                    throw failure("the options end with a comma")
                }
            }
            if let after = options.validAfter, let before = options.validBefore, before <= after {
                throw failure("valid-before is not after valid-after")
            }
            return options
        }

        static func hasPrefixIgnoringCase(_ bytes: ArraySlice<UInt8>, _ prefix: String) -> Bool {
            let prefix = Array(prefix.utf8)
            guard bytes.count >= prefix.count else {
                return false
            }
            return zip(bytes, prefix).allSatisfy { byte, expected in
                let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                return lower == expected
            }
        }

        /// Reads a double-quoted option value (OpenSSH's `opt_dequote`: quotes are required, `\"` is a quote).
        func dequote(_ rest: inout ArraySlice<UInt8>, option: String) throws(SigningError) -> String {
            guard rest.first == UInt8(ascii: "\"") else {
                throw failure("the value of \(option) must be in double quotes")
            }
            rest = rest.dropFirst()
            var value: [UInt8] = []
            while let byte = rest.first, byte != UInt8(ascii: "\"") {
                if byte == UInt8(ascii: "\\"), rest.dropFirst().first == UInt8(ascii: "\"") {
                    rest = rest.dropFirst()
                }
                value.append(rest.first ?? byte)
                rest = rest.dropFirst()
            }
            guard rest.first == UInt8(ascii: "\"") else {
                throw failure("the value of \(option) has no closing quote")
            }
            rest = rest.dropFirst()
            return String(decoding: value, as: UTF8.self)
        }

        /// Parses `YYYYMMDD[HHMM[SS]]` with an optional `Z`/`UTC` suffix (OpenSSH's `parse_absolute_time`) into
        /// seconds since 1970. Without the suffix the time is local. Times at or before 1970 are refused, as in
        /// OpenSSH, where 0 means "not set".
        func parseTime(_ text: String, option: String) throws(SigningError) -> Int64 {
            var digits = Array(text.utf8)
            var timeZone = TimeZone.current
            if digits.count > 1, digits.last == UInt8(ascii: "Z") || digits.last == UInt8(ascii: "z") {
                digits.removeLast()
                timeZone = TimeZone(identifier: "UTC")!
            } else if digits.count > 3, Self.hasPrefixIgnoringCase(digits.suffix(3), "utc") {
                digits.removeLast(3)
                timeZone = TimeZone(identifier: "UTC")!
            }
            let invalid = failure(
                "invalid \(option) time \"\(SigningError.clean(text))\" (use YYYYMMDD, YYYYMMDDHHMM or "
                    + "YYYYMMDDHHMMSS, with Z for UTC)"
            )
            guard [8, 12, 14].contains(digits.count),
                digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                throw invalid
            }
            func number(_ start: Int, _ length: Int) -> Int {
                digits[start..<(start + length)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            }
            var components = DateComponents()
            components.year = number(0, 4)
            components.month = number(4, 2)
            components.day = number(6, 2)
            components.hour = digits.count >= 12 ? number(8, 2) : 0
            components.minute = digits.count >= 12 ? number(10, 2) : 0
            components.second = digits.count == 14 ? number(12, 2) : 0
            // The ranges strptime accepts (%d is 1...31 whatever the month; %S allows a leap second).
            guard (1...12).contains(components.month!), (1...31).contains(components.day!),
                (0...23).contains(components.hour!), (0...59).contains(components.minute!),
                (0...60).contains(components.second!)
            else {
                throw invalid
            }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            guard let date = calendar.date(from: components), date.timeIntervalSince1970 > 0,
                let seconds = Int64(exactly: date.timeIntervalSince1970.rounded(.down))
            else {
                throw invalid
            }
            return seconds
        }
    }
}
