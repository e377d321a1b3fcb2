import CXLSXWriter

/// The one error type thrown by the XLSX wrapper.
///
/// `message` says what went wrong (for library failures it is `lxw_strerror(code)`), `context` says what the
/// wrapper was doing, e.g. "writing row 5, column 2 of sheet Keys". `description` joins both.
package struct XLSXError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Kind: Equatable, Sendable {
        /// libxlsxwriter returned this `lxw_error` code (or NULL where a pointer was expected: code is then -1).
        case library(code: Int)
        /// The workbook was already closed (explicitly or by a failed close); nothing was written.
        case workbookClosed
        /// The sheet name breaks Excel's rules; `XLSXWorkbook.validSheetName(_:)` repairs any string.
        case invalidSheetName
        /// A sheet with this name (compared case-insensitively, as Excel does) already exists.
        case duplicateSheetName
        /// Constant-memory mode: a row before the current one was written (its data would be lost).
        case rowOutOfOrder
        /// Row or column outside Excel's limits (1,048,576 rows, 16,384 columns; zero-based here).
        case cellOutOfRange
        /// Any other bad argument (bad width, a format of another workbook, a number format too long...).
        case invalidArgument
        /// The output file's directory (or the tmpdir) does not exist or is not writable.
        case fileNotWritable
    }

    package let kind: Kind
    package let message: String
    package let context: String

    package init(kind: Kind, message: String, context: String) {
        self.kind = kind
        self.message = message
        self.context = context
    }

    package var description: String { "\(context): \(message)" }

    /// Builds the error for a non-zero `lxw_error`.
    static func library(_ code: lxw_error, _ context: String) -> XLSXError {
        XLSXError(
            kind: .library(code: Int(code.rawValue)), message: String(cString: lxw_strerror(code)), context: context)
    }
}
