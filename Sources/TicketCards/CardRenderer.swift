import CairoGraphics
public import Imaging
import PNGCodec
import QREncoding

/// Draws ticket cards as PNG images or onto PDF pages. Holds Pango state for one thread: make one
/// renderer per thread.
public final class CardRenderer {
    /// The language printed on the cards.
    public let language: CardLanguage
    /// Print densities a card PNG may have: below 150 dpi the QR's modules cannot be whole pixels
    /// and 30 mm wide at once.
    public static let dpiRange = 150...1200

    /// A renderer printing in `language`; throws when a font the card needs is not installed.
    public init(language: CardLanguage = .indonesian) throws(CardError) {
        self.language = language
        let families = Fonts.installedFamilies()
        for family in [CardGeometry.family, CardGeometry.monoFamily]
        where !families.contains(family) {
            throw .fontMissing(family)
        }
    }

    /// The layout of `card` as a PNG at `dpi` prints it, in millimetres.
    public func layout(_ card: TicketCard, dpi: Int = 300) throws(CardError) -> CardLayout {
        try raster(card, dpi: dpi).layout
    }

    /// `card` drawn at `dpi` as 8-bit gray pixels.
    public func image(_ card: TicketCard, dpi: Int = 300) throws(CardError) -> GrayImage {
        let (canvas, layout) = try raster(card, dpi: dpi)
        try draw(layout, on: canvas, vector: false)
        do { return try canvas.grayImage() } catch { throw .graphics(error) }
    }

    /// `card` as an 8-bit grayscale PNG whose pHYs chunk records `dpi`, so it prints card-sized.
    public func png(_ card: TicketCard, dpi: Int = 300) throws(CardError) -> [UInt8] {
        let gray = try image(card, dpi: dpi)
        do { return try PNG.encode(gray, dpi: dpi) } catch { throw .png(error) }
    }

    private func raster(_ card: TicketCard, dpi: Int) throws(CardError) -> (
        canvas: Canvas, layout: CardLayout
    ) {
        guard Self.dpiRange.contains(dpi) else {
            throw .graphics(
                GraphicsError(
                    library: "cairo",
                    message:
                        "\(dpi) dpi is outside \(Self.dpiRange.lowerBound)...\(Self.dpiRange.upperBound)"
                ))
        }
        let perMillimetre = Double(dpi) / 25.4
        let canvas: Canvas
        do {
            canvas = try Canvas(
                width: Int((CardGeometry.width * perMillimetre).rounded()),
                height: Int((CardGeometry.height * perMillimetre).rounded()))
        } catch {
            throw .graphics(error)
        }
        canvas.scale(x: perMillimetre, y: perMillimetre)
        let layout = try CardLayout.make(
            card, words: language.texts, on: canvas, pixelsPerMillimetre: perMillimetre)
        return (canvas, layout)
    }

    /// Lays out and draws `card` with its top-left corner at the canvas's origin; the canvas is
    /// in millimetres.
    func drawCard(_ card: TicketCard, on canvas: Canvas) throws(CardError) {
        let layout = try CardLayout.make(
            card, words: language.texts, on: canvas, pixelsPerMillimetre: nil)
        try draw(layout, on: canvas, vector: true)
    }

    /// - Parameter vector: for PDF pages, the QR code is recorded on its own in module units and
    ///   painted scaled, so the PDF holds it as a form of small whole numbers, a third the size of
    ///   the same rectangles in page coordinates.
    private func draw(_ layout: CardLayout, on canvas: Canvas, vector: Bool) throws(CardError) {
        let radius = 2.5
        canvas.saving {
            canvas.addRoundedRectangle(layout.frame, radius: radius)
            canvas.clip()
            canvas.setGray(0.17)
            canvas.addRectangle(layout.header)
            canvas.fill()
        }
        canvas.setGray(0.55)
        canvas.addRoundedRectangle(layout.frame, radius: radius)
        canvas.stroke(width: CardGeometry.frameLine)
        canvas.setGray(1)
        canvas.addRoundedRectangle(layout.doseBadge, radius: layout.doseBadge.height / 2)
        canvas.fill()

        // Each row's runs of dark modules, filled as one path: crisp in a PNG, one vector shape
        // without seams in a PDF. Drawn in module units, so the PDF holds small whole numbers.
        let code = layout.code
        var runs: [Rectangle] = []
        for y in 0..<code.size {
            var x = 0
            while x < code.size {
                guard code.isDark(x, y) else { x += 1; continue }
                let start = x
                while x < code.size, code.isDark(x, y) { x += 1 }
                runs.append(
                    Rectangle(x: Double(start), y: Double(y), width: Double(x - start), height: 1))
            }
        }
        let symbol: Recording?
        if vector {
            do {
                let recording = try Canvas.recording(
                    width: Double(code.size), height: Double(code.size))
                recording.setGray(0)
                recording.fill(runs)
                symbol = try recording.recorded()
            } catch {
                throw .graphics(error)
            }
        } else {
            symbol = nil
        }
        canvas.saving {
            canvas.translate(x: layout.symbol.x, y: layout.symbol.y)
            canvas.scale(x: layout.moduleSize, y: layout.moduleSize)
            if let symbol {
                canvas.paint(symbol)
            } else {
                canvas.setGray(0)
                canvas.setAntialiased(false)
                canvas.fill(runs)
            }
        }

        canvas.setGray(0.78)
        let rule = layout.instructionBox
        canvas.addLine(from: (rule.x, rule.y), to: (rule.maxX, rule.y))
        canvas.stroke(width: 0.15)
        if let line = layout.nameLine {
            canvas.setGray(0.55)
            canvas.addLine(from: (line.x, line.y), to: (line.maxX, line.y))
            canvas.stroke(width: 0.2)
        }
        for text in layout.texts {
            switch text.role {
            case .title: canvas.setGray(1)
            case .dose: canvas.setGray(0.17)
            case .label: canvas.setGray(0.42)
            case .instruction: canvas.setGray(0.22)
            case .name, .value, .serial: canvas.setGray(0)
            }
            canvas.draw(text.layout, x: text.x, y: text.y)
        }
    }
}
