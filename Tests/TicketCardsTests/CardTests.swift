import CairoGraphics
import Foundation
import Imaging
import PNGCodec
import QREncoding
import TestSupport
import Testing
import TicketCards
import TicketCodec
import ZBarScanner

@Suite("Ticket cards")
struct CardTests {
    @Test(
        "a card PNG's QR code reads back and verifies",
        arguments: [CardLanguage.indonesian, .english])
    func roundTrip(language: CardLanguage) throws {
        let card = try CardFixtures.card()
        let png = try CardRenderer(language: language).png(card, dpi: 300)
        let image = try PNG.decode(png, maxPixels: 10_000_000)
        let texts = CardFixtures.texts(in: image)
        #expect(texts == [card.text])
        let verification = try CardFixtures.verifier().verify(
            try #require(texts.first), on: try CardFixtures.date("2021-08-25"))
        #expect(verification.isValid)
        #expect(verification.ticket?.serial == card.ticket.serial)
    }

    @Test("the name is printed, never put in the QR code")
    func nameNotInCode() throws {
        let card = try CardFixtures.card(name: "Siti Rahmawati")
        #expect(!card.text.contains("Siti"))
        let layout = try CardRenderer().layout(card)
        #expect(layout.texts.contains { $0.role == .name })
        let unnamed = try CardRenderer().layout(try CardFixtures.card(name: nil))
        #expect(!unnamed.texts.contains { $0.role == .name })
        #expect(unnamed.nameLine != nil)
    }

    @Test(
        "the QR code prints at least 30 mm wide at the PNG's density",
        arguments: [150, 200, 300, 600])
    func qrSize(dpi: Int) throws {
        let card = try CardFixtures.card()
        let renderer = try CardRenderer()
        let layout = try renderer.layout(card, dpi: dpi)
        #expect(layout.symbol.width >= CardGeometry.minimumQRWidth)
        #expect(layout.symbol.width <= CardGeometry.minimumQRWidth * 1.2)
        // Each module is a whole number of pixels, so its edges print sharp.
        let modulePixels = layout.moduleSize * Double(dpi) / 25.4
        #expect(abs(modulePixels - modulePixels.rounded()) < 1e-6)
        // Measured on the pixels: zbar's corners of the symbol, converted back to millimetres.
        let image = try renderer.image(card, dpi: dpi)
        let symbols = QRScannerProbe.corners(in: image)
        let xs = symbols.map(\.x), ys = symbols.map(\.y)
        let widthMM = (try #require(xs.max()) - (try #require(xs.min()))) * 25.4 / Double(dpi)
        let heightMM = (try #require(ys.max()) - (try #require(ys.min()))) * 25.4 / Double(dpi)
        #expect(widthMM >= CardGeometry.minimumQRWidth - 1.5 * layout.moduleSize)
        #expect(heightMM >= CardGeometry.minimumQRWidth - 1.5 * layout.moduleSize)
        #expect(image.width == Int((CardGeometry.width * Double(dpi) / 25.4).rounded()))
    }

    static let sampleNames = [
        "Siti Rahmawati",
        "Ni Luh Putu Ayu Wulandari Kusumadewi",
        "Nguyễn Thị Minh Khai",
        "Raden Mas Muhammad Abdurrahman Wahyudiningrat Soerjosoemarno Hadikoesoemo",
        "Ṣāliḥ Ğündoğdu-Øvergård Ærøskøbing",
        "Bartholomew",
        "A",
    ]

    @Test(
        "long and non-ASCII names wrap or shrink inside the text box, never clipped or over the code",
        arguments: sampleNames)
    func fitting(name: String) throws {
        for language in CardLanguage.allCases {
            let card = try CardFixtures.card(
                name: name, siteName: "Puskesmas Kecamatan Sukajadi Kota Bandung")
            let layout = try CardRenderer(language: language).layout(card)
            #expect(!layout.isTruncated, "\(name) was cut short")
            try expectInside(layout)
            let nameText = try #require(layout.texts.first { $0.role == .name })
            #expect(!nameText.layout.hasUnknownGlyphs, "\(name) has characters with no glyph")
        }
    }

    @Test(
        "the longest ticket and long names still fit at the lowest and highest density",
        arguments: [150, 1200])
    func longestTicket(dpi: Int) throws {
        let ticket = Ticket(
            serial: .max, registrant: "ZZZZZZZZZZZZZZZZZZZZ", dose: 9, vaccine: "ASTRAZENECA",
            group: .pregnant, site: "ZZZZZZZZ",
            validFrom: try CardFixtures.date("2021-08-23"),
            validUntil: try CardFixtures.date("2021-11-20"), keyID: "K1")
        let card = try TicketCard(
            signing: ticket, with: TicketSigner(key: try CardFixtures.key()),
            name: "Ni Luh Putu Ayu Wulandari Kusumadewi",
            siteName: "Rumah Sakit Umum Daerah Kota Bandung")
        let layout = try CardRenderer().layout(card, dpi: dpi)
        #expect(layout.code.version >= 5)
        #expect(layout.symbol.width >= CardGeometry.minimumQRWidth)
        #expect(!layout.isTruncated)
        try expectInside(layout)
    }

    @Test(
        "a VT2 card: its larger code (version 8, 9 for the longest) prints 30 mm wide, reads and verifies",
        arguments: [150, 300, 600, 1200])
    func versionTwo(dpi: Int) throws {
        let key = try CardFixtures.ed25519Key()
        let card = try CardFixtures.card(key: key)
        #expect(card.text.hasPrefix("VT2:"))
        let renderer = try CardRenderer()
        let layout = try renderer.layout(card, dpi: dpi)
        #expect(layout.code.version == 8)
        #expect(layout.symbol.width >= CardGeometry.minimumQRWidth)
        #expect(layout.symbol.width <= CardGeometry.minimumQRWidth * 1.2)
        #expect(!layout.isTruncated)
        try expectInside(layout)
        if dpi <= 300 {
            let image = try PNG.decode(try renderer.png(card, dpi: dpi), maxPixels: 10_000_000)
            let texts = CardFixtures.texts(in: image)
            #expect(texts == [card.text])
            let verification = try CardFixtures.verifier().verify(
                try #require(texts.first), on: try CardFixtures.date("2021-08-25"))
            #expect(verification.isValid)
        }
        let longest = try TicketCard(
            signing: Ticket(
                serial: .max, registrant: "ZZZZZZZZZZZZZZZZZZZZ", dose: 9, vaccine: "ASTRAZENECA",
                group: .pregnant, site: "ZZZZZZZZ",
                validFrom: try CardFixtures.date("2021-08-23"),
                validUntil: try CardFixtures.date("2021-11-20"), keyID: key.id),
            with: TicketSigner(key: key), name: "Ni Luh Putu Ayu Wulandari Kusumadewi",
            siteName: "Rumah Sakit Umum Daerah Kota Bandung")
        let longestLayout = try renderer.layout(longest, dpi: dpi)
        #expect(longestLayout.code.version == 9)
        #expect(longestLayout.symbol.width >= CardGeometry.minimumQRWidth)
        #expect(!longestLayout.isTruncated)
        try expectInside(longestLayout)
        for language in CardLanguage.allCases {
            for name in Self.sampleNames {
                let named = try CardFixtures.card(
                    name: name, siteName: "Puskesmas Kecamatan Sukajadi Kota Bandung", key: key)
                let layout = try CardRenderer(language: language).layout(named, dpi: dpi)
                #expect(!layout.isTruncated, "\(name) was cut short")
                try expectInside(layout)
            }
        }
    }

    @Test("an absurdly long name is cut with an ellipsis and still stays in its box")
    func absurdName() throws {
        let name = String(repeating: "Wulandari Kusumadewi ", count: 12)
        let layout = try CardRenderer().layout(try CardFixtures.card(name: name))
        #expect(layout.isTruncated)
        #expect(layout.fieldScale < 1)
        try expectInside(layout)
    }

    /// Every text inside its box, none over the QR code's quiet zone or over another text.
    private func expectInside(
        _ layout: CardLayout, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let tolerance = 0.05
        for text in layout.texts {
            let box: Rectangle
            switch text.role {
            case .label, .name, .value, .serial: box = layout.textBox
            case .instruction: box = layout.instructionBox
            case .title, .dose: box = layout.header
            }
            #expect(
                box.contains(text.inkRect, tolerance: tolerance),
                "\(text.role) ink \(text.inkRect) leaves \(box)",
                sourceLocation: sourceLocation)
            #expect(
                box.contains(text.logicalRect, tolerance: tolerance),
                "\(text.role) \(text.logicalRect) leaves \(box)",
                sourceLocation: sourceLocation)
            #expect(
                !text.inkRect.intersects(layout.quietZone), "\(text.role) touches the QR code",
                sourceLocation: sourceLocation)
        }
        #expect(!layout.textBox.intersects(layout.quietZone), sourceLocation: sourceLocation)
        #expect(!layout.instructionBox.intersects(layout.quietZone), sourceLocation: sourceLocation)
        #expect(layout.frame.contains(layout.quietZone), sourceLocation: sourceLocation)
        let body = layout.texts.filter { $0.role != .title && $0.role != .dose }
        for (index, first) in body.enumerated() {
            for second in body.dropFirst(index + 1) {
                #expect(
                    !first.logicalRect.intersects(second.logicalRect),
                    "\(first.role) overlaps \(second.role)",
                    sourceLocation: sourceLocation)
            }
        }
    }

    @Test("the serial is grouped in fours for reading aloud")
    func serial() {
        #expect(groupedSerial(0x0123_4567_89AB_CDEF) == "0123 4567 89AB CDEF")
        #expect(groupedSerial(255) == "0000 0000 0000 00FF")
    }

    @Test("every language has the same texts: two instruction lines, twelve months")
    func languages() throws {
        for language in CardLanguage.allCases {
            let texts = language.texts
            #expect(texts.instructions.count == 2)
            #expect(texts.months.count == 12)
            #expect(texts.footer(batch: "B", page: 2, pages: 9).contains("2"))
        }
        let day = try CardFixtures.date("2021-08-23")
        #expect(
            CardLanguage.indonesian.texts.validity(
                from: day, until: try CardFixtures.date("2021-09-21"))
                == "23 Agu 2021 – 21 Sep 2021")
        #expect(CardLanguage.english.texts.validity(from: day, until: day) == "23 Aug 2021")
        #expect(
            CardLanguage.english.texts.footer(batch: "x.csv", page: 1, pages: 3)
                == "Batch x.csv  ·  page 1 of 3")
        #expect(CardLanguage.indonesian.texts.dose(2) == "DOSIS 2")
    }

    @Test("a density outside 150 to 1200 dpi is refused")
    func badDPI() throws {
        let card = try CardFixtures.card()
        #expect(
            throws: CardError.graphics(
                GraphicsError(library: "cairo", message: "72 dpi is outside 150...1200"))
        ) {
            try CardRenderer().png(card, dpi: 72)
        }
    }

    @Test("cards for a person to look at are kept under .build/test-artefacts/cards")
    func artefacts() throws {
        let folder = try CardFixtures.artefactFolder()
        let samples: [(String, String?, CardLanguage)] = [
            ("typical", "Siti Rahmawati", .indonesian),
            ("long-name", "Ni Luh Putu Ayu Wulandari Kusumadewi", .indonesian),
            ("vietnamese", "Nguyễn Thị Minh Khai", .english),
            ("no-name", nil, .indonesian),
        ]
        for (index, sample) in samples.enumerated() {
            let card = try CardFixtures.card(
                name: sample.1, serial: 0x0123_4567_89AB_CDE0 + UInt64(index))
            let png = try CardRenderer(language: sample.2).png(card, dpi: 300)
            try Data(png).write(to: folder.appendingPathComponent("card-\(sample.0).png"))
            #expect(
                CardFixtures.texts(in: try PNG.decode(png, maxPixels: 10_000_000)) == [card.text])
        }
    }
}

/// zbar's corner points of every symbol in an image.
enum QRScannerProbe {
    static func corners(in image: GrayImage) -> [Imaging.Point] {
        QRScanner().scan(image).flatMap(\.corners)
    }
}
