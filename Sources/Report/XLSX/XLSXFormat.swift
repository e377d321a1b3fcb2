import CXLSXWriter

/// An RGB colour, `0xRRGGBB`.
package struct XLSXColor: Hashable, Sendable {
    package let rgb: UInt32

    /// `rgb` is `0xRRGGBB`; bits above 24 are ignored.
    package init(rgb: UInt32) { self.rgb = rgb & 0xFF_FFFF }

    /// Parses `"#RRGGBB"` or `"RRGGBB"`; nil for anything else.
    package init?(hex: String) {
        let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(rgb: value)
    }

    package static let black = XLSXColor(rgb: 0x000000)
    package static let white = XLSXColor(rgb: 0xFFFFFF)
    package static let red = XLSXColor(rgb: 0xFF0000)

    /// libxlsxwriter reads 0x000000 as "unset", so black has its own constant.
    var lxwColor: lxw_color_t { rgb == 0 ? lxw_color_t(LXW_COLOR_BLACK.rawValue) : lxw_color_t(rgb) }
}

/// A value description of a cell format. The workbook turns it into a cached `lxw_format`
/// (`XLSXWorkbook.format(_:)`): equal descriptions give the same `XLSXCellFormat`.
/// The same format may also be used by conditional formatting (only font colour, bold, italic,
/// background and border apply there, as in Excel).
package struct XLSXFormat: Hashable, Sendable {
    package enum HorizontalAlignment: Hashable, Sendable {
        case left, center, right, fill, justify, centerAcross, distributed
    }

    package enum VerticalAlignment: Hashable, Sendable {
        case top, center, bottom, justify, distributed
    }

    package enum Border: Hashable, Sendable {
        case thin, medium, thick, dashed, dotted, double, hair
    }

    package var bold: Bool
    package var italic: Bool
    package var fontColor: XLSXColor?
    package var backgroundColor: XLSXColor?
    /// An Excel number format code such as `"$#,##0.00"` or `"yyyy-mm-dd hh:mm:ss"` (< 128 UTF-8 bytes).
    package var numberFormat: String?
    package var textWrap: Bool
    package var horizontalAlignment: HorizontalAlignment?
    package var verticalAlignment: VerticalAlignment?
    /// Border on all four sides.
    package var border: Border?
    package var borderColor: XLSXColor?

    package init(
        bold: Bool = false,
        italic: Bool = false,
        fontColor: XLSXColor? = nil,
        backgroundColor: XLSXColor? = nil,
        numberFormat: String? = nil,
        textWrap: Bool = false,
        horizontalAlignment: HorizontalAlignment? = nil,
        verticalAlignment: VerticalAlignment? = nil,
        border: Border? = nil,
        borderColor: XLSXColor? = nil
    ) {
        self.bold = bold
        self.italic = italic
        self.fontColor = fontColor
        self.backgroundColor = backgroundColor
        self.numberFormat = numberFormat
        self.textWrap = textWrap
        self.horizontalAlignment = horizontalAlignment
        self.verticalAlignment = verticalAlignment
        self.border = border
        self.borderColor = borderColor
    }

    /// The number format given to dates written without one.
    package static let defaultDateTimeNumberFormat = "yyyy-mm-dd hh:mm:ss"

    package static let header = XLSXFormat(bold: true, border: .thin)
    package static let money = XLSXFormat(numberFormat: "$#,##0.00")
    package static let dateTime = XLSXFormat(numberFormat: defaultDateTimeNumberFormat)
    package static let wrapped = XLSXFormat(textWrap: true, verticalAlignment: .top)

    /// Copies the description onto a fresh `lxw_format`.
    func apply(to format: UnsafeMutablePointer<lxw_format>) {
        if bold { format_set_bold(format) }
        if italic { format_set_italic(format) }
        if let fontColor { format_set_font_color(format, fontColor.lxwColor) }
        // A background colour alone gives a solid fill (libxlsxwriter swaps it into the pattern's foreground
        // colour for cell formats and keeps it as the fill for conditional-format (dxf) formats).
        if let backgroundColor { format_set_bg_color(format, backgroundColor.lxwColor) }
        if let numberFormat { format_set_num_format(format, numberFormat) }
        if textWrap { format_set_text_wrap(format) }
        if let horizontalAlignment {
            let value: lxw_format_alignments =
                switch horizontalAlignment {
                case .left: LXW_ALIGN_LEFT
                case .center: LXW_ALIGN_CENTER
                case .right: LXW_ALIGN_RIGHT
                case .fill: LXW_ALIGN_FILL
                case .justify: LXW_ALIGN_JUSTIFY
                case .centerAcross: LXW_ALIGN_CENTER_ACROSS
                case .distributed: LXW_ALIGN_DISTRIBUTED
                }
            format_set_align(format, UInt8(value.rawValue))
        }
        if let verticalAlignment {
            let value: lxw_format_alignments =
                switch verticalAlignment {
                case .top: LXW_ALIGN_VERTICAL_TOP
                case .center: LXW_ALIGN_VERTICAL_CENTER
                case .bottom: LXW_ALIGN_VERTICAL_BOTTOM
                case .justify: LXW_ALIGN_VERTICAL_JUSTIFY
                case .distributed: LXW_ALIGN_VERTICAL_DISTRIBUTED
                }
            format_set_align(format, UInt8(value.rawValue))
        }
        if let border {
            let value: lxw_format_borders =
                switch border {
                case .thin: LXW_BORDER_THIN
                case .medium: LXW_BORDER_MEDIUM
                case .thick: LXW_BORDER_THICK
                case .dashed: LXW_BORDER_DASHED
                case .dotted: LXW_BORDER_DOTTED
                case .double: LXW_BORDER_DOUBLE
                case .hair: LXW_BORDER_HAIR
                }
            format_set_border(format, UInt8(value.rawValue))
        }
        if let borderColor { format_set_border_color(format, borderColor.lxwColor) }
    }
}

/// A format registered in one workbook (from `XLSXWorkbook.format(_:)`). A plain value (no reference counting):
/// pass it to the worksheet's write calls. Using it with another workbook throws `.invalidArgument`; using it after
/// its workbook is closed throws `.workbookClosed` (the pointer is never touched then).
package struct XLSXCellFormat: Equatable {
    /// Owned by the C workbook; valid until `workbook_close`.
    let pointer: UnsafeMutablePointer<lxw_format>
    /// Index in the owning workbook's format table.
    let index: Int
    /// Identity token of the owning workbook.
    let owner: UInt64
}
