import CPangoCairo

/// A font weight.
public enum FontWeight: Sendable {
    /// Normal text.
    case regular
    /// Semi-bold: labels and secondary emphasis.
    case semibold
    /// Bold: titles and the name.
    case bold

    var pango: PangoWeight {
        switch self {
        case .regular: PANGO_WEIGHT_NORMAL
        case .semibold: PANGO_WEIGHT_SEMIBOLD
        case .bold: PANGO_WEIGHT_BOLD
        }
    }
}

/// How the lines of a paragraph line up.
public enum TextAlignment: Sendable {
    /// Flush left.
    case left
    /// Centred in the layout's width.
    case center
    /// Flush right.
    case right

    var pango: PangoAlignment {
        switch self {
        case .left: PANGO_ALIGN_LEFT
        case .center: PANGO_ALIGN_CENTER
        case .right: PANGO_ALIGN_RIGHT
        }
    }
}

/// A paragraph shaped and broken into lines by Pango, in the user units of the canvas it was
/// made for. Not thread-safe; belongs to its canvas's thread.
@safe public final class TextLayout {
    /// The `PangoLayout`; owned (one reference), unreferenced in `deinit`.
    let layout: OpaquePointer

    /// A layout of `text` in `family` at `size` user units (e.g. millimetres when the canvas is
    /// scaled to millimetres), wrapped at word boundaries (or inside a word that is too long)
    /// to `width` when given.
    public init(
        on canvas: Canvas, text: String, family: String, weight: FontWeight = .regular,
        size: Double,
        width: Double? = nil, alignment: TextAlignment = .left, lineSpacing: Double? = nil
    ) {
        // Takes the canvas's transformation, so the layout's glyph positions suit its resolution.
        unsafe pango_cairo_update_context(canvas.context, canvas.pango)
        guard let layout = unsafe pango_layout_new(canvas.pango) else {
            fatalError("Pango could not allocate a layout")
        }
        unsafe self.layout = layout
        let font = unsafe pango_font_description_new()
        unsafe pango_font_description_set_family(font, family)
        unsafe pango_font_description_set_weight(font, weight.pango)
        // Absolute size is in Pango device units, which pangocairo maps to the canvas's user units.
        unsafe pango_font_description_set_absolute_size(font, size * Double(PANGO_SCALE))
        // The layout copies the description.
        unsafe pango_layout_set_font_description(layout, font)
        unsafe pango_font_description_free(font)
        unsafe pango_layout_set_text(layout, text, Int32(clamping: text.utf8.count))
        if let width {
            unsafe pango_layout_set_width(
                layout, Int32(clamping: Int((width * Double(PANGO_SCALE)).rounded(.down))))
            unsafe pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        }
        unsafe pango_layout_set_alignment(layout, alignment.pango)
        if let lineSpacing { unsafe pango_layout_set_line_spacing(layout, Float(lineSpacing)) }
    }

    deinit {
        unsafe g_object_unref(UnsafeMutableRawPointer(layout))
    }

    /// Ends the text with an ellipsis where it would need more than `maxLines` lines (needs a width).
    public func limit(toLines maxLines: Int) {
        unsafe pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
        unsafe pango_layout_set_height(layout, Int32(-max(1, maxLines)))
    }

    /// Whether Pango had to leave text out for an ellipsis.
    public var isEllipsized: Bool { unsafe pango_layout_is_ellipsized(layout) != 0 }

    /// The number of lines after wrapping.
    public var lineCount: Int { Int(unsafe pango_layout_get_line_count(layout)) }

    /// Whether some characters have no glyph in any installed font, so they would print as boxes.
    public var hasUnknownGlyphs: Bool { unsafe pango_layout_get_unknown_glyphs_count(layout) > 0 }

    /// The box the text occupies for layout purposes (line heights included), relative to the
    /// layout's top-left corner.
    public var logicalExtents: Rectangle { extents().logical }

    /// The box the glyphs' ink covers, relative to the layout's top-left corner.
    public var inkExtents: Rectangle { extents().ink }

    /// The distance from the top of the layout to the first line's baseline.
    public var baseline: Double {
        Double(unsafe pango_layout_get_baseline(layout)) / Double(PANGO_SCALE)
    }

    private func extents() -> (ink: Rectangle, logical: Rectangle) {
        var ink = PangoRectangle()
        var logical = PangoRectangle()
        unsafe pango_layout_get_extents(layout, &ink, &logical)
        func user(_ r: PangoRectangle) -> Rectangle {
            let scale = Double(PANGO_SCALE)
            return Rectangle(
                x: Double(r.x) / scale, y: Double(r.y) / scale, width: Double(r.width) / scale,
                height: Double(r.height) / scale)
        }
        return (user(ink), user(logical))
    }
}

/// The fonts Pango can find through fontconfig.
public enum Fonts {
    /// The names of every installed font family on this machine.
    public static func installedFamilies() -> Set<String> {
        let fontMap = unsafe pango_cairo_font_map_get_default()
        var families: UnsafeMutablePointer<UnsafeMutablePointer<PangoFontFamily>?>? = nil
        var count: Int32 = 0
        unsafe pango_font_map_list_families(fontMap, &families, &count)
        // The array is ours to g_free; the families in it belong to the font map.
        defer { unsafe g_free(families) }
        var names = Set<String>()
        guard let list = unsafe families else { return names }
        for index in 0..<Int(count) {
            guard let family = unsafe list[index],
                let name = unsafe pango_font_family_get_name(family)
            else { continue }
            names.insert(unsafe String(cString: name))
        }
        return names
    }
}
