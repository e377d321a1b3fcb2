import CXLSXWriter
import Foundation
import KeyAuditCore

/// Owner of one libxlsxwriter `lxw_workbook` (one .xlsx file being written).
///
/// Life cycle: `init` -> `addWorksheet` / `format` / `setProperties` -> writes on the sheets -> `close()`.
/// Nothing reaches the disk before `close()`: libxlsxwriter assembles and zips the whole file there.
/// - `close()` runs `workbook_close` exactly once and throws if it failed. The C workbook is freed either way,
///   so a closed workbook stays closed; a second `close()` throws `XLSXError.Kind.workbookClosed`, as does every
///   other call after close (on this object, its worksheets and its formats): nothing touches freed memory.
/// - If the object is released without `close()`, `deinit` closes it (writing the file, error discarded), so
///   nothing leaks; call `close()` yourself to learn about errors.
///
/// Not `Sendable`: libxlsxwriter is not thread-safe, so a workbook, its worksheets and formats must stay in one
/// isolation domain (the compiler enforces this). Different workbooks may be written concurrently.
package final class XLSXWorkbook {
    /// Options fixed at creation (`lxw_workbook_options`).
    package struct Options: Equatable, Sendable {
        /// Constant-memory mode: each row is flushed to a temp file when a later row is started, so memory
        /// stays flat for huge sheets. Rows must then be written in ascending order (the wrapper throws
        /// `.rowOutOfOrder` otherwise) and strings are stored inline instead of in the shared-string table.
        package var constantMemory: Bool
        /// Directory for libxlsxwriter's temporary files (default: the system temp directory; "" means ".").
        package var tmpdir: String?
        /// ZIP64 extensions, needed when the file or one of its XML parts exceeds 4 GB.
        package var useZip64: Bool
        /// What a NaN or infinite number becomes (never a numeric cell: Excel cannot store those).
        package var nonFiniteNumbers: NonFiniteNumberPolicy

        package init(
            constantMemory: Bool = false,
            tmpdir: String? = nil,
            useZip64: Bool = false,
            nonFiniteNumbers: NonFiniteNumberPolicy = .text
        ) {
            self.constantMemory = constantMemory
            self.tmpdir = tmpdir
            self.useZip64 = useZip64
            self.nonFiniteNumbers = nonFiniteNumbers
        }
    }

    package enum NonFiniteNumberPolicy: Equatable, Sendable {
        /// A text cell `NaN`, `Infinity` or `-Infinity` (with the cell's format). The default.
        case text
        /// A blank cell (with the cell's format; without a format nothing is written).
        case blank
    }

    /// Document properties (`docProps/core.xml`, company in `docProps/app.xml`).
    package struct Properties: Equatable, Sendable {
        package var title: String?
        package var subject: String?
        package var author: String?
        package var company: String?
        package var comments: String?
        package var keywords: String?
        /// Creation date, stored to the second (fraction dropped). Set it for reproducible output: with the same
        /// input and the same `created`, the file is byte-identical. nil means "now" (not reproducible).
        /// libxlsxwriter reads 0 as "now", so the Unix epoch itself is stored as 1970-01-01T00:00:01Z.
        package var created: Date?

        package init(
            title: String? = nil,
            subject: String? = nil,
            author: String? = nil,
            company: String? = nil,
            comments: String? = nil,
            keywords: String? = nil,
            created: Date? = nil
        ) {
            self.title = title
            self.subject = subject
            self.author = author
            self.company = company
            self.comments = comments
            self.keywords = keywords
            self.created = created
        }
    }

    /// Excel's limit on the length of a cell's text, in UTF-16 code units.
    package static let maxStringLength = 32_767
    /// Appended to text cut to `maxStringLength`.
    package static let truncationMarker = "…[truncated]"
    /// Excel's limit on a sheet name, in UTF-16 code units.
    package static let maxSheetNameLength = 31

    /// The output path given at creation.
    package let path: String
    package let options: Options
    /// Names of the worksheets added so far, in order.
    package private(set) var sheetNames: [String] = []

    /// The C workbook; nil once `workbook_close` has run (it frees the workbook whatever its result).
    private var handle: UnsafeMutablePointer<lxw_workbook>?
    /// C strings handed to libxlsxwriter through `char *` fields (document properties, tmpdir). The header only
    /// documents these as pointers; 1.1.4 happens to copy them at once (`lxw_strdup`), but nothing promises that,
    /// so this object owns them until after `workbook_close` (freed in `deinit`, which runs after close).
    private var retainedCStrings: [UnsafeMutablePointer<CChar>] = []
    private var formatIndexBySpec: [XLSXFormat: Int] = [:]
    private var formatSpecs: [XLSXFormat] = []
    private var formatPointers: [UnsafeMutablePointer<lxw_format>] = []
    /// Format index -> index of the same format with a date number format added (for dates).
    private var dateVariantByIndex: [Int: Int] = [:]
    /// Lower-cased sheet names, for Excel's case-insensitive uniqueness rule.
    private var foldedSheetNames: Set<String> = []
    /// Identifies this workbook's formats.
    let token = UInt64.random(in: 1...UInt64.max)
    /// Guards the format tables above and libxlsxwriter's own (xf and dxf indices), so that in constant-memory
    /// mode two worksheets can be written on two threads (`XLSXReport` does). Everything else a worksheet touches
    /// while its rows are written is its own: in that mode each streams to a temporary file of its own and text
    /// is written inline (there is no shared string table). Adding worksheets, properties, charts (with the
    /// strings `retainCString` keeps for them) and `close()` are not guarded: each must stay one thread's at a
    /// time (`XLSXReport` gives every sheet that adds charts to one thread).
    private let formatLock = NSLock()
    /// Set once the sheets start on two threads (``freezeFormats()``); guarded by `formatLock`.
    private var formatsFrozen = false

    /// Runs `body` (a libxlsxwriter call that may register a format, e.g. a conditional format's dxf) with the
    /// format tables locked.
    func withFormatsLocked<T>(_ body: () throws -> T) rethrows -> T {
        formatLock.lock()
        defer { formatLock.unlock() }
        return try body()
    }

    /// Creates the workbook object. The file itself is written by `close()`; this checks at once that the
    /// target directory (and `options.tmpdir`) exists and is writable, so that a bad path fails before any data
    /// is produced.
    package init(path: String, options: Options = Options()) throws {
        let context = "creating workbook \(path)"
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw XLSXError(kind: .invalidArgument, message: "the path is empty or contains NUL", context: context)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try Self.checkWritableDirectory(directory, context: context)
        var cOptions = lxw_workbook_options()
        cOptions.constant_memory = options.constantMemory ? 1 : 0
        cOptions.use_zip64 = options.useZip64 ? 1 : 0
        var ownedStrings: [UnsafeMutablePointer<CChar>] = []
        if let tmpdir = options.tmpdir {
            // An empty tmpdir (e.g. the directory part of a bare file name) means the current directory; handed
            // to libxlsxwriter as "" it would put its temp files at "/<name>".
            let directory = tmpdir.isEmpty ? "." : tmpdir
            try Self.checkWritableDirectory(directory, context: context + " (tmpdir)")
            guard let copy = strdup(directory) else {
                throw XLSXError(kind: .library(code: -1), message: "out of memory", context: context)
            }
            ownedStrings.append(copy)
            cOptions.tmpdir = copy
        }
        guard let workbook = workbook_new_opt(path, &cOptions) else {
            for string in ownedStrings { free(string) }
            throw XLSXError(kind: .library(code: -1), message: "workbook_new_opt returned NULL", context: context)
        }
        self.path = path
        self.options = options
        self.handle = workbook
        self.retainedCStrings = ownedStrings
    }

    /// Convenience for a file URL.
    package convenience init(url: URL, options: Options = Options()) throws {
        try self.init(path: url.path, options: options)
    }

    deinit {
        if let handle { _ = workbook_close(handle) }
        for string in retainedCStrings { free(string) }
    }

    /// True once `close()` ran (or was attempted).
    package var isClosed: Bool { handle == nil }

    /// Writes the file and frees the C workbook. Throws the library's error if writing failed (the workbook is
    /// closed all the same). Calling it again throws `.workbookClosed`.
    package func close() throws {
        let workbook = try live("closing workbook \(path)")
        handle = nil
        let err = workbook_close(workbook)
        // The lxw_format pointers died with the workbook.
        formatPointers.removeAll()
        if err != LXW_NO_ERROR { throw XLSXError.library(err, "closing workbook \(path)") }
    }

    /// Sets the document properties (may be called again; the last call wins).
    package func setProperties(_ properties: Properties) throws {
        let context = "setting document properties of \(path)"
        let workbook = try live(context)
        var cProperties = lxw_doc_properties()
        // Redacted like every cell (see Redaction): the properties come from the layout and the run.
        cProperties.title = retainCString(properties.title.map(Redaction.redact))
        cProperties.subject = retainCString(properties.subject.map(Redaction.redact))
        cProperties.author = retainCString(properties.author.map(Redaction.redact))
        cProperties.company = retainCString(properties.company.map(Redaction.redact))
        cProperties.comments = retainCString(properties.comments.map(Redaction.redact))
        cProperties.keywords = retainCString(properties.keywords.map(Redaction.redact))
        if let created = properties.created {
            let seconds = created.timeIntervalSince1970.rounded(.down)
            guard seconds.isFinite, abs(seconds) < 253_402_300_800,
                let stamp = time_t(exactly: seconds == 0 ? 1 : seconds)
            else {
                throw XLSXError(
                    kind: .invalidArgument, message: "created date \(created) out of range", context: context)
            }
            cProperties.created = stamp
        }
        let err = workbook_set_properties(workbook, &cProperties)
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
    }

    /// Adds a worksheet. Throws `.invalidSheetName` for a name Excel refuses (use `validSheetName(_:)` or
    /// `availableSheetName(for:)` first for arbitrary input) and `.duplicateSheetName` for a name already used
    /// (case-insensitively).
    package func addWorksheet(named name: String) throws -> XLSXWorksheet {
        let context = "adding worksheet \"\(name)\""
        let workbook = try live(context)
        if let problem = Self.sheetNameProblem(name) {
            throw XLSXError(kind: .invalidSheetName, message: problem, context: context)
        }
        if foldedSheetNames.contains(name.lowercased()) {
            throw XLSXError(
                kind: .duplicateSheetName, message: "a sheet with this name already exists", context: context)
        }
        // Validate with the library first: workbook_add_worksheet only returns NULL (and prints to stderr).
        let err = workbook_validate_sheet_name(workbook, name)
        if err == LXW_ERROR_SHEETNAME_ALREADY_USED {
            throw XLSXError(kind: .duplicateSheetName, message: String(cString: lxw_strerror(err)), context: context)
        }
        if err != LXW_NO_ERROR { throw XLSXError.library(err, context) }
        guard let sheet = workbook_add_worksheet(workbook, name) else {
            throw XLSXError(
                kind: .library(code: -1),
                message:
                    "workbook_add_worksheet returned NULL (out of memory, or no temp file in constant-memory mode)",
                context: context
            )
        }
        sheetNames.append(name)
        foldedSheetNames.insert(name.lowercased())
        return XLSXWorksheet(workbook: self, pointer: sheet, name: name)
    }

    /// The registered format for `spec`, created on first use and cached: the same spec always gives the same
    /// `XLSXCellFormat` (same `lxw_format *`).
    package func format(_ spec: XLSXFormat) throws -> XLSXCellFormat {
        let workbook = try live("creating a cell format")
        formatLock.lock()
        defer { formatLock.unlock() }
        return try format(spec, in: workbook)
    }

    /// Declares that every cell format is created: from now on two threads write sheets, and a format created by
    /// one of them would be numbered by whichever got there first. Creating one anyway still works (the numbering
    /// may then vary from run to run) but stops a debug build, so that tests catch the code that does it.
    package func freezeFormats() {
        formatLock.lock()
        defer { formatLock.unlock() }
        formatsFrozen = true
    }

    /// Numbers `format` among the workbook's conditional formats (dxf) now, as its first use would.
    package func registerConditionalFormat(_ format: XLSXCellFormat) throws {
        _ = try live("registering a conditional format")
        guard format.owner == token else {
            throw XLSXError(
                kind: .invalidArgument, message: "the format belongs to another workbook",
                context: "registering a conditional format")
        }
        withFormatsLocked { _ = lxw_format_get_dxf_index(format.pointer) }
    }

    /// `validSheetName(_:)`, then made unique in this workbook by appending " (2)", " (3)", ... (shortening the
    /// base name if needed).
    package func availableSheetName(for raw: String) -> String {
        let base = Self.validSheetName(raw)
        if !foldedSheetNames.contains(base.lowercased()) { return base }
        var counter = 2
        while true {
            let suffix = " (\(counter))"
            let stem = Self.prefix(of: base, fittingUTF16: Self.maxSheetNameLength - suffix.utf16.count)
            let candidate = Self.validSheetName(Self.trimApostrophes(stem) + suffix)
            if !foldedSheetNames.contains(candidate.lowercased()) { return candidate }
            counter += 1
        }
    }

    /// Makes any string a valid sheet name: `[ ] : * ? / \` and control characters become `_`, leading and
    /// trailing apostrophes are removed, the result is cut (between grapheme clusters) to 31 UTF-16 units, an
    /// empty result becomes `Sheet`, and Excel's reserved `History` becomes `History_`. It cannot know the
    /// workbook's other names: see `availableSheetName(for:)` for uniqueness.
    package static func validSheetName(_ raw: String) -> String {
        var cleaned = ""
        cleaned.unicodeScalars.reserveCapacity(raw.unicodeScalars.count)
        for scalar in raw.unicodeScalars {
            if "[]:*?/\\".unicodeScalars.contains(scalar) || scalar.properties.generalCategory == .control {
                cleaned.unicodeScalars.append("_")
            } else {
                cleaned.unicodeScalars.append(scalar)
            }
        }
        var name = trimApostrophes(cleaned)
        if name.utf16.count > maxSheetNameLength {
            name = trimApostrophes(prefix(of: name, fittingUTF16: maxSheetNameLength))
        }
        if name.isEmpty { return "Sheet" }
        if name.lowercased() == "history" { return name + "_" }
        return name
    }

    // MARK: - Internal

    /// The C workbook, or `.workbookClosed`.
    @inline(__always)
    func live(_ context: @autoclosure () -> String) throws -> UnsafeMutablePointer<lxw_workbook> {
        guard let handle else {
            throw XLSXError(kind: .workbookClosed, message: "the workbook is already closed", context: context())
        }
        return handle
    }

    /// `format` itself if it has a number format, else (or for no format) its variant with the default date format.
    func dateFormat(for format: XLSXCellFormat?) throws -> UnsafeMutablePointer<lxw_format> {
        let workbook = try live("creating a date format")
        if let format, format.owner != token {
            throw XLSXError(
                kind: .invalidArgument, message: "the format belongs to another workbook", context: "writing a date")
        }
        let key = format?.index ?? -1
        formatLock.lock()
        defer { formatLock.unlock() }
        if let variant = dateVariantByIndex[key] { return formatPointers[variant] }
        var spec = format.map { formatSpecs[$0.index] } ?? XLSXFormat()
        if spec.numberFormat == nil { spec.numberFormat = XLSXFormat.defaultDateTimeNumberFormat }
        let made = try self.format(spec, in: workbook)
        dateVariantByIndex[key] = made.index
        return made.pointer
    }

    private func format(_ spec: XLSXFormat, in workbook: UnsafeMutablePointer<lxw_workbook>) throws -> XLSXCellFormat {
        if let index = formatIndexBySpec[spec] {
            return XLSXCellFormat(pointer: formatPointers[index], index: index, owner: token)
        }
        if let numberFormat = spec.numberFormat {
            // lxw_format keeps the number format in a char[128] and silently truncates longer ones.
            guard numberFormat.utf8.count < Int(LXW_FORMAT_FIELD_LEN), !numberFormat.utf8.contains(0) else {
                throw XLSXError(
                    kind: .invalidArgument,
                    message: "number format longer than 127 UTF-8 bytes or containing NUL",
                    context: "creating format \(numberFormat)"
                )
            }
        }
        assert(!formatsFrozen, "a cell format was created after freezeFormats(): create it before the sheets start")
        guard let pointer = workbook_add_format(workbook) else {
            throw XLSXError(
                kind: .library(code: -1), message: "workbook_add_format returned NULL",
                context: "creating a cell format")
        }
        spec.apply(to: pointer)
        // Registered now, not when a cell first uses it: libxlsxwriter would otherwise number its cell styles
        // (xf) in order of first use, which two worksheets written at once make a race, and styles.xml would
        // differ from run to run. Creation order is fixed by the code.
        _ = lxw_format_get_xf_index(pointer)
        let index = formatPointers.count
        formatPointers.append(pointer)
        formatSpecs.append(spec)
        formatIndexBySpec[spec] = index
        return XLSXCellFormat(pointer: pointer, index: index, owner: token)
    }

    /// A C copy of `value` owned by this workbook (see `retainedCStrings`). Characters that XML 1.0 cannot carry
    /// (C0 controls other than tab, LF, CR; U+FFFE; U+FFFF) become U+FFFD: libxlsxwriter writes property text
    /// as is and would otherwise produce an unreadable docProps part.
    func retainCString(_ value: String?) -> UnsafeMutablePointer<CChar>? {
        guard let value else { return nil }
        var safe = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            let forbidden =
                (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r")
                || scalar.value == 0xFFFE || scalar.value == 0xFFFF
            safe.append(forbidden ? "\u{FFFD}" : scalar)
        }
        guard let copy = strdup(String(safe)) else { return nil }
        retainedCStrings.append(copy)
        return copy
    }

    private static func checkWritableDirectory(_ directory: String, context: String) throws {
        var isDirectory: ObjCBool = false
        let dir = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue,
            access(dir, W_OK) == 0
        else {
            throw XLSXError(kind: .fileNotWritable, message: "\(dir) is not a writable directory", context: context)
        }
    }

    /// Why Excel would refuse `name` as a sheet name, or nil if it is fine (uniqueness aside).
    static func sheetNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a sheet name cannot be empty" }
        if name.utf16.count > maxSheetNameLength { return "a sheet name is at most 31 characters (UTF-16 units)" }
        for scalar in name.unicodeScalars {
            if "[]:*?/\\".unicodeScalars.contains(scalar) {
                return "a sheet name cannot contain any of [ ] : * ? / \\"
            }
            if scalar.properties.generalCategory == .control { return "a sheet name cannot contain control characters" }
        }
        if name.hasPrefix("'") || name.hasSuffix("'") { return "a sheet name cannot start or end with an apostrophe" }
        if name.lowercased() == "history" { return "History is reserved by Excel" }
        return nil
    }

    private static func trimApostrophes(_ name: String) -> String {
        var scalars = name.unicodeScalars[...]
        while scalars.first == "'" { scalars = scalars.dropFirst() }
        while scalars.last == "'" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// The longest prefix of whole grapheme clusters whose UTF-16 length is at most `limit`.
    static func prefix(of text: String, fittingUTF16 limit: Int) -> String {
        if text.utf16.count <= limit { return text }
        var used = 0
        var end = text.startIndex
        for character in text {
            let width = character.utf16.count
            if used + width > limit { break }
            used += width
            end = text.index(after: end)
        }
        return String(text[..<end])
    }
}
