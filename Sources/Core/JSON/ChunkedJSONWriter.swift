/// Writes a large JSON document in chunks of about 1 MiB, handed to `emit` as they fill: snapshot.json,
/// findings.json and diff.json are written (and hashed) as they are produced and are never held whole.
///
/// The layout is keyaudit's: an object whose members are written pretty (two spaces), and whose long
/// lists are written one element at a time, either one compact element per line (``lineArray(_:count:element:)``:
/// a 100,000-key snapshot reads, greps and diffs well) or pretty (``LazyJSON``).
package struct ChunkedJSONWriter<Failure: Error> {
    private var out: [UInt8] = []
    private let emit: ([UInt8]) throws(Failure) -> Void
    /// The registered secrets, taken once for the whole document (``Redaction/secrets``): every string written
    /// is redacted with them.
    package let secrets: [[UInt8]]
    static var chunkSize: Int { 1 << 20 }

    private init(emit: @escaping ([UInt8]) throws(Failure) -> Void) {
        self.emit = emit
        secrets = Redaction.secrets
        out.reserveCapacity(Self.chunkSize + 65_536)
    }

    /// Appends raw text.
    package mutating func text(_ text: String) { out.append(contentsOf: Array(text.utf8)) }

    package mutating func bytes(_ bytes: UnsafeRawBufferPointer) { out.append(contentsOf: bytes) }

    /// Appends fixed text (member names and punctuation of a layout written by hand).
    package mutating func text(_ text: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `string` quoted, escaped and redacted, as ``JSONWriter`` writes a string.
    package mutating func string(_ string: String) { JSONWriter.writeString(string, into: &out, secrets: secrets) }

    package mutating func value(_ value: JSONValue, style: JSONWriter.Style) {
        JSONWriter.write(value, into: &out, style: style, secrets: secrets)
    }

    /// `  "name": <value, pretty at level 1>,` and a line break: a member of the top-level object that is not
    /// its last.
    package mutating func member(_ name: String, _ value: JSONValue) {
        text("  ")
        string(name)
        text(": ")
        JSONWriter.write(value, into: &out, style: .pretty(indent: 2, level: 1), secrets: secrets)
        text(",\n")
    }

    /// The top-level object's last member, `name`, a list of `count` elements written one compact element per
    /// line by `element`, then the object's closing brace.
    package mutating func lineArray(
        _ name: String, count: Int, element: (Int, inout ChunkedJSONWriter) -> Void
    ) throws(Failure) {
        text("  ")
        string(name)
        text(": [")
        for index in 0..<count {
            text(index == 0 ? "\n    " : ",\n    ")
            element(index, &self)
            try flushIfFull()
        }
        text(count == 0 ? "]\n}\n" : "\n  ]\n}\n")
    }

    /// Hands the buffer to `emit` once it holds a chunk's worth.
    package mutating func flushIfFull() throws(Failure) {
        if out.count >= Self.chunkSize { try flush() }
    }

    /// Hands over whatever is buffered; call once at the end.
    package mutating func flush() throws(Failure) {
        guard !out.isEmpty else { return }
        try emit(out)
        out.removeAll(keepingCapacity: true)
    }

    /// `document` written pretty, its lazy lists element by element; a line break follows.
    package mutating func pretty(_ document: LazyJSON) throws(Failure) {
        try document.write(into: &self, level: 0)
        out.append(10)
    }

    fileprivate mutating func newline(_ level: Int) {
        out.append(10)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }

    /// Runs `body` with a writer whose chunks go to `emit`, and hands over the rest at the end.
    package static func write(
        to emit: ([UInt8]) throws(Failure) -> Void, _ body: (inout ChunkedJSONWriter) throws(Failure) -> Void
    ) throws(Failure) {
        let result: Result<Void, Failure> = withoutActuallyEscaping(emit) { sink in
            var writer = ChunkedJSONWriter(emit: sink)
            do throws(Failure) {
                try body(&writer)
                try writer.flush()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}

/// A JSON document whose long arrays are produced one element at a time, written by ``ChunkedJSONWriter`` in
/// exactly the layout of `JSONWriter.write(_:into:style: .pretty(indent: 2, level:))` without ever being one
/// tree.
package indirect enum LazyJSON {
    case value(JSONValue)
    case array(Int, (Int) -> JSONValue)
    case object([(String, LazyJSON)])

    /// The same document as one tree.
    package var materialized: JSONValue {
        switch self {
        case .value(let value): return value
        case .array(let count, let element): return .array((0..<count).map(element))
        case .object(let members): return .object(JSONObject(members.map { ($0.0, $0.1.materialized) }))
        }
    }

    fileprivate func write<Failure: Error>(
        into writer: inout ChunkedJSONWriter<Failure>, level: Int
    ) throws(Failure) {
        switch self {
        case .value(let json):
            writer.value(json, style: .pretty(indent: 2, level: level))
        case .array(let count, let element):
            guard count > 0 else {
                writer.text("[]")
                return
            }
            writer.text("[")
            for index in 0..<count {
                if index > 0 { writer.text(",") }
                writer.newline(level + 1)
                writer.value(element(index), style: .pretty(indent: 2, level: level + 1))
                try writer.flushIfFull()
            }
            writer.newline(level)
            writer.text("]")
        case .object(let members):
            guard !members.isEmpty else {
                writer.text("{}")
                return
            }
            writer.text("{")
            for (index, member) in members.enumerated() {
                if index > 0 { writer.text(",") }
                writer.newline(level + 1)
                writer.value(.string(member.0), style: .compact)
                writer.text(": ")
                try member.1.write(into: &writer, level: level + 1)
            }
            writer.newline(level)
            writer.text("}")
        }
    }
}
