import CairoGraphics
import Foundation
import Imaging
import PNGCodec
import TestSupport
import Testing
import TicketCards
import TicketCodec

@Suite("A4 sheets")
struct SheetTests {
    /// Runs a poppler-utils tool (installed by scripts/bootstrap) and returns its standard output.
    private func poppler(_ tool: String, _ arguments: [String]) throws -> Data {
        let path = "/usr/bin/\(tool)"
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "\(tool) is missing: run scripts/bootstrap (poppler-utils)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0, "\(tool) \(arguments.joined(separator: " ")) failed")
        return data
    }

    @Test(
        "a sheet PDF rasterised by pdftoppm has 8 codes a page (VT1 and VT2) that read and verify")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("tickets.pdf")
        // Version 1 and version 2 tickets on the same sheet.
        let ed25519 = try CardFixtures.ed25519Key()
        let cards: [TicketCard] = try (0..<11).map { (index: Int) -> TicketCard in
            let name = index == 3 ? "Nguyễn Thị Minh Khai" : "Siti Rahmawati \(index)"
            let key: Key? = index % 2 == 0 ? nil : ed25519
            return try CardFixtures.card(name: name, serial: 0xA000 + UInt64(index), key: key)
        }
        #expect(cards.filter { $0.text.hasPrefix("VT2:") }.count == 5)
        let sheet = try SheetWriter(path: path, cardCount: cards.count, batch: "registrants.csv")
        for card in cards { try sheet.add(card) }
        try sheet.finish()

        let mode = try #require(
            try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let info = String(decoding: try poppler("pdfinfo", [path]), as: UTF8.self)
        #expect(info.contains("Pages:           2"))
        #expect(info.contains("595.276 x 841.89 pts (A4)"))
        let text = String(
            decoding: try poppler("pdftotext", ["-layout", path, "-"]), as: UTF8.self)
        #expect(text.contains("halaman 1 dari 2"))
        #expect(text.contains("halaman 2 dari 2"))
        #expect(text.contains("Nguyễn Thị Minh Khai"))

        let verifier = try CardFixtures.verifier()
        let day = try CardFixtures.date("2021-08-25")
        var found: [String] = []
        for page in 1...2 {
            _ = try poppler(
                "pdftoppm",
                [
                    "-r", "200", "-gray", "-png", "-f", "\(page)", "-l", "\(page)", "-singlefile",
                    path, folder.path("page\(page)"),
                ])
            let png = try Data(contentsOf: folder.url.appendingPathComponent("page\(page).png"))
            let image = try PNG.decode([UInt8](png), maxPixels: 100_000_000)
            let texts = CardFixtures.texts(in: image)
            #expect(texts.count == (page == 1 ? 8 : 3))
            for text in texts { #expect(verifier.verify(text, on: day).isValid) }
            found += texts
            if page == 1 {
                try png.write(
                    to: try CardFixtures.artefactFolder().appendingPathComponent("sheet-page1.png"))
            }
        }
        #expect(Set(found) == Set(cards.map(\.text)))
    }

    @Test(
        "a batch draws its pages on all cores and adds them in order: page N of M, manifest pages, codes verify"
    )
    func parallelBatch() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var csv = "registrant,dose,vaccine,site,group,valid_from,valid_until,name\n"
        for index in 1...17 {
            csv += "\(7000 + index),1,CORONAVAC,BDG001,,2021-08-23,2021-09-21,Warga \(index)\n"
        }
        let plan = IssuePlan(rows: try IssueCSV.parse(csv), issued: [])
        let settings = CardBatchSettings(
            signer: TicketSigner(key: try CardFixtures.key()),
            today: try CardFixtures.date("2021-08-23"), validityDays: 30,
            jobs: 2)
        let path = folder.path("tickets.pdf")
        var issued: [IssuedCard] = []
        var ticks = 0
        try await CardBatch.writeSheets(
            plan.pending, settings: settings, path: path, batch: "b.csv", progress: { ticks += 1 }
        ) {
            _, result in
            if case .success(let card) = result { issued.append(card) }
        }
        #expect(ticks == 17)
        #expect(issued.map(\.line) == Array(2...18))
        #expect(issued.first?.file == "tickets.pdf#page=1")
        #expect(issued.last?.file == "tickets.pdf#page=3")
        let info = String(decoding: try poppler("pdfinfo", [path]), as: UTF8.self)
        #expect(info.contains("Pages:           3"))
        let text = String(decoding: try poppler("pdftotext", [path, "-"]), as: UTF8.self)
        #expect(text.contains("halaman 3 dari 3"))
        #expect(text.contains("Warga 17"))
        _ = try poppler(
            "pdftoppm",
            [
                "-r", "150", "-gray", "-png", "-f", "3", "-l", "3", "-singlefile", path,
                folder.path("last"),
            ])
        let image = try PNG.decode(
            [UInt8](try Data(contentsOf: folder.url.appendingPathComponent("last.png"))),
            maxPixels: 100_000_000)
        #expect(CardFixtures.texts(in: image) == [issued[16].text])
    }

    @Test("a sheet refuses more cards than it was opened for")
    func tooMany() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sheet = try SheetWriter(path: folder.path("t.pdf"), cardCount: 1, batch: "b")
        try sheet.add(try CardFixtures.card())
        #expect(throws: CardError.tooManyCards(expected: 1)) {
            try sheet.add(try CardFixtures.card())
        }
        try sheet.finish()
    }

    @Test("a sheet in a missing folder fails with the system's reason")
    func unwritable() throws {
        #expect(throws: CardError.self) {
            _ = try SheetWriter(path: "/nonexistent-folder/tickets.pdf", cardCount: 1, batch: "b")
        }
    }

    @Test("a re-run's sheets go to a new file instead of replacing tickets.pdf")
    func freePath() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(
            SheetWriter.freePath(in: folder.url.path, replacing: false)
                == folder.path("tickets.pdf"))
        #expect(
            FileManager.default.createFile(atPath: folder.path("tickets.pdf"), contents: Data()))
        #expect(
            SheetWriter.freePath(in: folder.url.path, replacing: false)
                == folder.path("tickets-2.pdf"))
        #expect(
            SheetWriter.freePath(in: folder.url.path, replacing: true) == folder.path("tickets.pdf")
        )
    }

    @Test("eight cards a page, in two columns of four inside A4 with room for the marks")
    func geometry() {
        #expect(SheetGeometry.cardsPerPage == 8)
        #expect(SheetGeometry.pages(for: 0) == 0)
        #expect(SheetGeometry.pages(for: 8) == 1)
        #expect(SheetGeometry.pages(for: 10_000) == 1250)
        let last = SheetGeometry.cardRectangle(slot: 7)
        #expect(last.maxX <= SheetGeometry.width - 10)
        #expect(last.maxY <= SheetGeometry.height - 20)
        #expect(SheetGeometry.cardRectangle(slot: 0).x >= 10)
    }
}
