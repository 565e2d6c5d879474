public import CairoGraphics
import Foundation

/// The A4 sheet's measurements, in millimetres.
public enum SheetGeometry {
    /// A4 width.
    public static let width = 210.0
    /// A4 height.
    public static let height = 297.0
    /// Cards across.
    public static let columns = 2
    /// Cards down.
    public static let rows = 4
    /// Cards on a page.
    public static let cardsPerPage = columns * rows
    /// The top-left corner of the card grid; cards touch, so one cut separates two.
    public static let gridOrigin = (x: (width - Double(columns) * CardGeometry.width) / 2, y: 14.0)
    /// Cut marks stop this far from the grid, and are this long.
    static let markGap = 2.0
    static let markLength = 5.0

    /// The rectangle of the card in `slot` (0 to 7, row by row) on its page.
    public static func cardRectangle(slot: Int) -> Rectangle {
        Rectangle(
            x: gridOrigin.x + Double(slot % columns) * CardGeometry.width,
            y: gridOrigin.y + Double(slot / columns) * CardGeometry.height,
            width: CardGeometry.width, height: CardGeometry.height)
    }

    /// The number of pages `cards` cards fill.
    public static func pages(for cards: Int) -> Int {
        (max(0, cards) + cardsPerPage - 1) / cardsPerPage
    }
}

/// One A4 page of cards drawn ahead of time, in millimetres, ready to add to a ``SheetWriter``.
public struct SheetPage: Sendable {
    let recording: Recording
    /// The cards on it.
    public let cards: Int
}

/// Writes cards onto A4 pages of a PDF, eight a page with cut marks and a footer, streaming:
/// each page goes to the file when it is full, so memory does not grow with the batch.
public final class SheetWriter {
    private let document: PDFDocument
    private let renderer: CardRenderer
    private let batch: String
    private let expected: Int
    /// Cards written so far.
    public private(set) var count = 0
    private let pages: Int
    /// Whether cards were drawn on the current page since it was last written out.
    private var pageOpen = false

    /// Creates the PDF at `path` (mode 0600: cards carry names) for exactly `cardCount` cards,
    /// so every footer can say "page N of M".
    /// - Parameter batch: the batch's name in the footer, e.g. the CSV's file name.
    public init(path: String, cardCount: Int, batch: String, language: CardLanguage = .indonesian)
        throws(CardError)
    {
        renderer = try CardRenderer(language: language)
        let points = 72 / 25.4
        do {
            document = try PDFDocument(
                path: path, width: SheetGeometry.width * points,
                height: SheetGeometry.height * points, privateToOwner: true,
                title: language.texts.documentTitle(batch: batch))
        } catch {
            throw .graphics(error)
        }
        document.canvas.scale(x: points, y: points)
        self.batch = batch
        self.expected = cardCount
        self.pages = SheetGeometry.pages(for: cardCount)
    }

    /// The page (1-based) the next card goes on.
    public var nextPage: Int { count / SheetGeometry.cardsPerPage + 1 }

    /// Draws `card` in the next slot; a full page is written out.
    public func add(_ card: TicketCard) throws(CardError) {
        guard count < expected else { throw .tooManyCards(expected: expected) }
        let slot = count % SheetGeometry.cardsPerPage
        if slot == 0 {
            Self.drawFurniture(
                on: document.canvas, page: nextPage, of: pages, batch: batch, renderer: renderer)
        }
        pageOpen = true
        try Self.draw(card, slot: slot, on: document.canvas, renderer: renderer)
        count += 1
        if count % SheetGeometry.cardsPerPage == 0 {
            pageOpen = false
            do { try document.showPage() } catch { throw .graphics(error) }
        }
    }

    /// Ends the last page and closes the file.
    public func finish() throws(CardError) {
        do {
            if pageOpen { try document.showPage() }
            try document.finish()
        } catch {
            throw .graphics(error)
        }
    }

    /// Adds a page drawn ahead of time by ``page(_:number:of:batch:renderer:)``, at a page
    /// boundary, and writes it out.
    public func add(_ page: SheetPage) throws(CardError) {
        guard count % SheetGeometry.cardsPerPage == 0, count + page.cards <= expected else {
            throw .tooManyCards(expected: expected)
        }
        document.canvas.saving { document.canvas.paint(page.recording) }
        count += page.cards
        do { try document.showPage() } catch { throw .graphics(error) }
    }

    /// Draws up to eight cards as page `number` of `pages`, with cut marks and footer, into a
    /// recording: call it on any thread with that thread's renderer, then ``add(_:)-(SheetPage)``
    /// the pages in order on one.
    public static func page(
        _ cards: [TicketCard], number: Int, of pages: Int, batch: String, renderer: CardRenderer
    ) throws(CardError) -> SheetPage {
        guard cards.count <= SheetGeometry.cardsPerPage else {
            throw .tooManyCards(expected: SheetGeometry.cardsPerPage)
        }
        do {
            let canvas = try Canvas.recording(
                width: SheetGeometry.width, height: SheetGeometry.height)
            drawFurniture(on: canvas, page: number, of: pages, batch: batch, renderer: renderer)
            for (slot, card) in cards.enumerated() {
                try draw(card, slot: slot, on: canvas, renderer: renderer)
            }
            return SheetPage(recording: try canvas.recorded(), cards: cards.count)
        } catch let error as CardError {
            throw error
        } catch let error as GraphicsError {
            throw .graphics(error)
        } catch {
            throw .graphics(GraphicsError(library: "cairo", message: "\(error)"))
        }
    }

    private static func draw(
        _ card: TicketCard, slot: Int, on canvas: Canvas, renderer: CardRenderer
    ) throws(CardError) {
        let rectangle = SheetGeometry.cardRectangle(slot: slot)
        try canvas.saving { () throws(CardError) in
            canvas.translate(x: rectangle.x, y: rectangle.y)
            try renderer.drawCard(card, on: canvas)
        }
    }

    private static func drawFurniture(
        on canvas: Canvas, page: Int, of pages: Int, batch: String, renderer: CardRenderer
    ) {
        let g = SheetGeometry.self
        let left = g.gridOrigin.x, top = g.gridOrigin.y
        let right = left + Double(g.columns) * CardGeometry.width
        let bottom = top + Double(g.rows) * CardGeometry.height
        canvas.setGray(0)
        for column in 0...g.columns {
            let x = left + Double(column) * CardGeometry.width
            canvas.addLine(from: (x, top - g.markGap - g.markLength), to: (x, top - g.markGap))
            canvas.addLine(
                from: (x, bottom + g.markGap), to: (x, bottom + g.markGap + g.markLength))
        }
        for row in 0...g.rows {
            let y = top + Double(row) * CardGeometry.height
            canvas.addLine(from: (left - g.markGap - g.markLength, y), to: (left - g.markGap, y))
            canvas.addLine(from: (right + g.markGap, y), to: (right + g.markGap + g.markLength, y))
        }
        canvas.stroke(width: 0.2)
        let footer = TextLayout(
            on: canvas,
            text: renderer.language.texts.footer(batch: batch, page: page, pages: pages),
            family: CardGeometry.family,
            size: 2.6, width: g.width - 2 * left, alignment: .center)
        canvas.setGray(0.3)
        canvas.draw(footer, x: left, y: bottom + g.markGap + g.markLength + 3)
    }
}

extension SheetWriter {
    /// `tickets.pdf` in `folder` when `replacing` or when it does not exist yet, else the first
    /// free `tickets-2.pdf`, `tickets-3.pdf`, ...
    public static func freePath(in folder: String, replacing: Bool) -> String {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        let first = prefix + "tickets.pdf"
        if replacing || !FileManager.default.fileExists(atPath: first) { return first }
        var number = 2
        while FileManager.default.fileExists(atPath: prefix + "tickets-\(number).pdf") {
            number += 1
        }
        return prefix + "tickets-\(number).pdf"
    }
}
