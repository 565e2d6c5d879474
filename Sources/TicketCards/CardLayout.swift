public import CairoGraphics
public import QREncoding
import TicketCodec

/// The card's fixed measurements, in millimetres.
public enum CardGeometry {
    /// Card width: two across an A4 sheet with room for cut marks.
    public static let width = 90.0
    /// Card height: four down an A4 sheet.
    public static let height = 64.0
    /// The smallest printed width of the QR code's symbol (its modules, without the quiet zone).
    public static let minimumQRWidth = 30.0
    /// The QR code's quiet zone, in modules, kept free of any mark.
    public static let quietZoneModules = 4
    /// From the card's edge to its frame: a cut a little off the line still leaves the frame whole.
    static let inset = 3.0
    static let headerHeight = 9.0
    static let frameLine = 0.25
    static let padding = 2.5
    /// The finest grid vector output snaps QR modules to, the dot pitch of a 600 dpi printer.
    static let vectorDotsPerMillimetre = 600 / 25.4
    static let family = "Noto Sans"
    static let monoFamily = "Noto Sans Mono"
    /// Font sizes are never shrunk below this share of their design size.
    static let minimumScale = 0.6
}

/// Where everything on one card goes, in millimetres from the card's top-left corner, with the
/// text already shaped and measured by Pango.
public struct CardLayout {
    /// What a piece of text is.
    public enum Role: Hashable, Sendable {
        /// The card's title in the header band.
        case title
        /// The dose badge.
        case dose
        /// A field label.
        case label
        /// The registrant's name.
        case name
        /// A field value: vaccine, site or dates.
        case value
        /// The grouped serial.
        case serial
        /// An instruction line.
        case instruction
    }

    /// One shaped paragraph and where its top-left corner goes.
    public struct Text {
        /// What it is.
        public var role: Role
        /// The shaped text.
        public var layout: TextLayout
        /// Left edge.
        public var x: Double
        /// Top edge.
        public var y: Double

        /// The area the text takes, line heights included, on the card.
        public var logicalRect: Rectangle { offset(layout.logicalExtents) }
        /// The area its glyphs' ink covers on the card.
        public var inkRect: Rectangle { offset(layout.inkExtents) }

        private func offset(_ r: Rectangle) -> Rectangle {
            Rectangle(x: r.x + x, y: r.y + y, width: r.width, height: r.height)
        }
    }

    /// The card's outline.
    public var card: Rectangle
    /// The printed frame, inset from the card's edge.
    public var frame: Rectangle
    /// The dark header band.
    public var header: Rectangle
    /// The QR code.
    public var code: QRCode
    /// The printed size of one module.
    public var moduleSize: Double
    /// The QR code's modules (without the quiet zone).
    public var symbol: Rectangle
    /// The symbol and its quiet zone, where nothing else is drawn.
    public var quietZone: Rectangle
    /// The box the fields' text must stay in.
    public var textBox: Rectangle
    /// The box the instructions must stay in.
    public var instructionBox: Rectangle
    /// The badge behind the dose.
    public var doseBadge: Rectangle
    /// Every piece of text.
    public var texts: [Text]
    /// The line to write a name on when the card has none.
    public var nameLine: Rectangle?
    /// How far the field text was shrunk to fit: 1 is the design size.
    public var fieldScale: Double
    /// How far the instructions were shrunk to fit.
    public var instructionScale: Double

    /// Whether any text had to be cut short with an ellipsis (only for absurdly long names).
    public var isTruncated: Bool { texts.contains { $0.layout.isEllipsized } }
}

extension CardLayout {
    /// Lays out `card` for drawing on `canvas`, which must already be scaled to millimetres.
    /// - Parameter pixelsPerMillimetre: for raster output, the QR's modules and position snap to
    ///   whole pixels so its edges print sharp; `nil` for vector output.
    static func make(
        _ card: TicketCard, words: CardTexts, on canvas: Canvas, pixelsPerMillimetre: Double?
    ) throws(CardError) -> CardLayout {
        let code: QRCode
        do { code = try QRCode(encoding: card.text, correction: .quartile) } catch {
            throw .qr(error)
        }
        let g = CardGeometry.self
        let dots = pixelsPerMillimetre ?? g.vectorDotsPerMillimetre
        func snapUp(_ value: Double) -> Double {
            pixelsPerMillimetre.map { (value * $0).rounded(.up) / $0 } ?? value
        }

        let cardRect = Rectangle(x: 0, y: 0, width: g.width, height: g.height)
        let frame = Rectangle(
            x: g.inset, y: g.inset, width: g.width - 2 * g.inset, height: g.height - 2 * g.inset)
        let header = Rectangle(x: frame.x, y: frame.y, width: frame.width, height: g.headerHeight)

        // The module is a whole number of dots, so the symbol is at least 30 mm wide and its
        // edges fall on the pixel grid.
        let moduleDots = (g.minimumQRWidth * dots / Double(code.size)).rounded(.up)
        let module = moduleDots / dots
        let quiet = Double(g.quietZoneModules) * module
        let side = Double(code.size) * module
        let symbol = Rectangle(
            x: snapUp(frame.x + g.frameLine + quiet), y: snapUp(header.maxY + quiet), width: side,
            height: side)
        let quietZone = Rectangle(
            x: symbol.x - quiet, y: symbol.y - quiet, width: side + 2 * quiet,
            height: side + 2 * quiet)

        let right = frame.maxX - g.padding
        let instructionTop = quietZone.maxY + 0.3
        let instructionBox = Rectangle(
            x: frame.x + g.padding, y: instructionTop, width: right - frame.x - g.padding,
            height: frame.maxY - 1.0 - instructionTop)
        let textTop = header.maxY + 1.8
        let textBox = Rectangle(
            x: quietZone.maxX + 0.5, y: textTop, width: right - quietZone.maxX - 0.5,
            height: instructionTop - 0.6 - textTop)

        var texts: [Text] = []
        // Header: the title on the left, the dose in a white badge on the right, both centred
        // on the band's middle line.
        let dose = TextLayout(
            on: canvas, text: words.dose(card.ticket.dose), family: g.family, weight: .bold,
            size: 3.0)
        let doseSize = dose.logicalExtents
        let badgeHeight = g.headerHeight - 3.2
        let doseBadge = Rectangle(
            x: right + 0.5 - doseSize.width - 4, y: header.y + (g.headerHeight - badgeHeight) / 2,
            width: doseSize.width + 4,
            height: badgeHeight)
        texts.append(
            Text(
                role: .dose, layout: dose, x: doseBadge.x + 2,
                y: header.y + (g.headerHeight - doseSize.height) / 2))
        let titleWidth = doseBadge.x - 2 - (frame.x + g.padding)
        let title = TextLayout(
            on: canvas, text: words.title, family: g.family, weight: .bold, size: 3.4,
            width: titleWidth)
        texts.append(
            Text(
                role: .title, layout: title, x: frame.x + g.padding,
                y: header.y + (g.headerHeight - title.logicalExtents.height) / 2))

        let fields = Self.fields(card, words: words, in: textBox, on: canvas)
        texts += fields.texts
        let instructions = Self.instructions(words.instructions, in: instructionBox, on: canvas)
        texts += instructions.texts

        return CardLayout(
            card: cardRect, frame: frame, header: header, code: code, moduleSize: module,
            symbol: symbol, quietZone: quietZone,
            textBox: textBox, instructionBox: instructionBox, doseBadge: doseBadge, texts: texts,
            nameLine: fields.nameLine,
            fieldScale: fields.scale, instructionScale: instructions.scale)
    }

    /// Room inside a text box for glyphs whose ink reaches past their advance, like the tail of a J.
    private static func inset(_ box: Rectangle) -> Rectangle {
        let side = 0.4
        return Rectangle(x: box.x + side, y: box.y, width: box.width - 2 * side, height: box.height)
    }

    private struct Field {
        var label: String
        var value: String?
        var role: Role
        var maxLines: Int
    }

    /// The labelled fields, shrunk together until they fit the text box: the largest scale at
    /// which every field keeps to its line limit and the column fits the box's height.
    private static func fields(
        _ card: TicketCard, words: CardTexts, in box: Rectangle, on canvas: Canvas
    ) -> (texts: [Text], nameLine: Rectangle?, scale: Double) {
        let ticket = card.ticket
        let site = card.siteName.map { "\($0) · \(ticket.site)" } ?? ticket.site
        let fields = [
            Field(label: words.nameLabel, value: card.name, role: .name, maxLines: 3),
            Field(label: words.vaccineLabel, value: card.vaccineName, role: .value, maxLines: 2),
            Field(label: words.siteLabel, value: site, role: .value, maxLines: 2),
            Field(
                label: words.validLabel,
                value: words.validity(from: ticket.validFrom, until: ticket.validUntil),
                role: .value,
                maxLines: 2),
            Field(
                label: words.serialLabel, value: groupedSerial(ticket.serial), role: .serial,
                maxLines: 1),
        ]
        var scale = 1.0
        while true {
            let last = scale - 0.05 < CardGeometry.minimumScale
            if let fitted = column(fields, scale: scale, in: box, on: canvas, truncating: last) {
                return (fitted.texts, fitted.nameLine, scale)
            }
            scale -= 0.05
        }
    }

    private static func column(
        _ fields: [Field], scale: Double, in outer: Rectangle, on canvas: Canvas, truncating: Bool
    ) -> (texts: [Text], nameLine: Rectangle?)? {
        let g = CardGeometry.self
        let box = inset(outer)
        var texts: [Text] = []
        var nameLine: Rectangle?
        var y = box.y
        for (index, field) in fields.enumerated() {
            if index > 0 { y += 1.05 * scale }
            let label = TextLayout(
                on: canvas, text: field.label, family: g.family, weight: .semibold,
                size: 1.75 * scale, width: box.width)
            texts.append(Text(role: .label, layout: label, x: box.x, y: y))
            y += label.logicalExtents.height
            let size: Double
            let family: String
            let weight: FontWeight
            switch field.role {
            case .name: (size, family, weight) = (3.5 * scale, g.family, .bold)
            case .serial: (size, family, weight) = (3.1 * scale, g.monoFamily, .bold)
            default: (size, family, weight) = (2.75 * scale, g.family, .semibold)
            }
            guard let text = field.value, !text.isEmpty else {
                // No name: a line to write it on by hand, one name line high.
                let probe = TextLayout(
                    on: canvas, text: "Ag", family: family, weight: weight, size: size)
                let height = probe.logicalExtents.height
                nameLine = Rectangle(
                    x: box.x, y: y + probe.baseline + 0.4, width: box.width, height: 0)
                y += height
                continue
            }
            let value = TextLayout(
                on: canvas, text: text, family: family, weight: weight, size: size,
                width: box.width, lineSpacing: 0.95)
            if truncating { value.limit(toLines: field.maxLines) }
            guard truncating || value.lineCount <= field.maxLines else { return nil }
            texts.append(Text(role: field.role, layout: value, x: box.x, y: y))
            y += value.logicalExtents.height
        }
        guard truncating || y <= box.maxY else { return nil }
        return (texts, nameLine)
    }

    /// The instruction lines, shrunk together until they fit their box.
    private static func instructions(_ lines: [String], in outer: Rectangle, on canvas: Canvas) -> (
        texts: [Text], scale: Double
    ) {
        let box = inset(outer)
        var scale = 1.0
        while true {
            var texts: [Text] = []
            var y = box.y + 0.9
            for line in lines {
                let layout = TextLayout(
                    on: canvas, text: line, family: CardGeometry.family, size: 2.15 * scale,
                    width: box.width, lineSpacing: 0.95)
                texts.append(Text(role: .instruction, layout: layout, x: box.x, y: y))
                y += layout.logicalExtents.height
            }
            if y <= box.maxY || scale - 0.05 < CardGeometry.minimumScale { return (texts, scale) }
            scale -= 0.05
        }
    }
}
