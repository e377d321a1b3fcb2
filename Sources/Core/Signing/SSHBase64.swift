/// Standard base64 (RFC 4648 alphabet, `=` padding) on byte arrays, as OpenSSH writes it.
///
/// Hand-written rather than Foundation's so that decoded secrets land in one `[UInt8]` the caller can wipe (no
/// intermediate `Data`), and so that decoding is exactly as strict as OpenSSH's `b64_pton`: padding is required,
/// nothing but whitespace may follow it, and the unused bits of the last character must be zero.
enum SSHBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Maps an ASCII byte to its 6-bit value; 0xFF marks bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() {
            table[Int(char)] = UInt8(index)
        }
        return table
    }()

    /// Line width of OpenSSH's armored blocks (private keys and signatures): `sshbuf_dtob64` breaks after every 70
    /// characters and ends the last line with a newline too.
    static let armorLineWidth = 70

    /// Encodes to ASCII bytes, padded, on one line.
    static func encode(_ input: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var iterator = input.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(group >> 18 & 0x3F)])
            out.append(alphabet[Int(group >> 12 & 0x3F)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(group >> 6 & 0x3F)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(group & 0x3F)])
        }
        return out
    }

    static func encodeToString(_ input: some Collection<UInt8>) -> String {
        String(decoding: encode(input), as: UTF8.self)
    }

    /// Encodes and breaks into lines of ``armorLineWidth`` characters, each ending in `\n` (the last one too), the
    /// way OpenSSH lays out the body of an armored block. The intermediate one-line encoding is wiped, so this is
    /// safe for secrets as long as the caller wipes the result.
    static func encodeWrapped(_ input: some Collection<UInt8>) -> [UInt8] {
        var flat = encode(input)
        defer { Secret.wipe(&flat) }
        var out = [UInt8]()
        out.reserveCapacity(flat.count + flat.count / armorLineWidth + 1)
        var start = 0
        while start < flat.count {
            let end = min(start + armorLineWidth, flat.count)
            out.append(contentsOf: flat[start..<end])
            out.append(UInt8(ascii: "\n"))
            start = end
        }
        return out
    }

    /// Decodes base64, skipping ASCII whitespace anywhere if `allowWhitespace` (armored bodies span lines).
    /// Returns nil on any character outside the alphabet, missing or misplaced padding, or non-zero leftover bits.
    /// The output is never larger than three quarters of the input, whatever the input claims.
    static func decode(_ input: some Collection<UInt8>, allowWhitespace: Bool = false) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var accumulator: UInt32 = 0
        var sextets = 0  // characters of the current 4-character group seen so far
        var padding = 0  // `=` seen; once non-zero only `=` and whitespace may follow
        for char in input {
            if char == UInt8(ascii: " ") || char == UInt8(ascii: "\n") || char == UInt8(ascii: "\r")
                || char == UInt8(ascii: "\t")
            {
                guard allowWhitespace else {
                    return nil
                }
                continue
            }
            if char == UInt8(ascii: "=") {
                // Padding may only fill the third and fourth characters of the last group.
                guard sextets + padding >= 2, sextets + padding < 4 else {
                    return nil
                }
                padding += 1
                continue
            }
            let value = values[Int(char)]
            guard value != 0xFF, padding == 0 else {
                return nil
            }
            accumulator = accumulator << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                out.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                out.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                sextets = 0
            }
        }
        switch (sextets, padding) {
        case (0, 0):
            break
        case (2, 2):
            guard accumulator & 0x0F == 0 else {
                return nil
            }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case (3, 1):
            guard accumulator & 0x03 == 0 else {
                return nil
            }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            return nil
        }
        accumulator = 0
        return out
    }
}
