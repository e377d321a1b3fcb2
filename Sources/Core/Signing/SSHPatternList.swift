/// OpenSSH pattern lists (PATTERNS in ssh_config(5)), as used for principals and namespaces in allowed signers files:
/// comma-separated patterns where `*` matches any run of characters, `?` exactly one, and a leading `!` negates.
///
/// Matching follows OpenSSH's `match_pattern_list`: case-sensitive, on bytes; any negated pattern that matches
/// makes the whole list fail, otherwise one positive match suffices; a pattern of 1023 bytes or more makes the list
/// fail. Unlike OpenSSH's recursive matcher, this one backtracks only to the last `*`, so a hostile pattern such as
/// `*a*a*a*a*b` costs at most (pattern length × text length) steps instead of exponential time.
enum SSHPatternList {
    enum Result: Equatable {
        case matched
        case negated
        case noMatch
    }

    /// OpenSSH's limit on one pattern (`char sub[1024]` including the terminator).
    static let maximumPatternLength = 1023

    static func match(_ string: String, against list: String) -> Result {
        let text = Array(string.utf8)
        var patterns = list.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        // As in OpenSSH, a trailing comma does not start another (empty) pattern, and an empty list has none.
        if list.utf8.last == UInt8(ascii: ",") || list.isEmpty {
            patterns.removeLast()
        }
        var matchedPositive = false
        for rawPattern in patterns {
            let negated = rawPattern.first == UInt8(ascii: "!")
            let pattern = Array(negated ? rawPattern.dropFirst() : rawPattern)
            guard pattern.count < maximumPatternLength else {
                return .noMatch
            }
            if matches(text, pattern: pattern) {
                if negated {
                    return .negated
                }
                matchedPositive = true
            }
        }
        return matchedPositive ? .matched : .noMatch
    }

    /// Whether the whole of `text` matches `pattern` (`*` and `?` wildcards).
    static func matches(_ text: [UInt8], pattern: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        let question = UInt8(ascii: "?")
        var t = 0
        var p = 0
        var starPattern = -1  // index just after the most recent `*`
        var starText = 0  // text position that star is currently assumed to extend to
        while t < text.count {
            if p < pattern.count, pattern[p] == question || (pattern[p] == text[t] && pattern[p] != star) {
                t += 1
                p += 1
            } else if p < pattern.count, pattern[p] == star {
                p += 1
                starPattern = p
                starText = t
            } else if starPattern >= 0 {
                starText += 1
                t = starText
                p = starPattern
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star {
            p += 1
        }
        return p == pattern.count
    }
}
