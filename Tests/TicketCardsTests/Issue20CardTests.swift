import Foundation
import TestSupport
import Testing
import TicketCards
import TicketCodec

/// Regression tests for issue 20 item 6 on cards, named after the item.
@Suite("Issue 20 hardening: names on cards")
struct Issue20CardTests {
    /// The fastest of three renderings of a 300-dpi card PNG for `name`, in seconds.
    private func seconds(_ renderer: CardRenderer, _ name: String) throws -> Double {
        let card = try CardFixtures.card(name: name)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            _ = try renderer.png(card, dpi: 300)
            let elapsed = ContinuousClock.now - start
            best = min(
                best,
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best
    }

    @Test(
        "issue 20 item 6: the worst names the rules accept render a card in a few times an ordinary name's time"
    )
    func item6WorstNamesRenderQuickly() throws {
        let renderer = try CardRenderer()
        let marks4 = "q\u{0303}\u{0307}\u{0308}\u{030A}"
        let worst = [
            // Every letter with the most marks allowed, up to the scalar cap.
            String(repeating: marks4, count: FreeText.maximumNameScalars / 5),
            // The same as words, so the name wraps.
            Array(repeating: marks4, count: 33).joined(separator: " "),
            // Arabic letters with a vowel mark: shaping and right-to-left layout, 200 scalars.
            String(repeating: "\u{645}\u{64F}", count: FreeText.maximumNameScalars / 2),
            // Left-to-right and right-to-left alternating: 100 direction changes.
            String(repeating: "\u{645}\u{64F}a", count: 50),
            // One character of 200 Hangul leading jamo.
            String(repeating: "\u{1100}", count: FreeText.maximumNameScalars),
            // Javanese syllables with four marks each.
            String(repeating: "ꦏꦿꦺꦴꦁ", count: FreeText.maximumNameScalars / 5),
            // 100 wide characters with no place to break a line.
            String(repeating: "\u{9F98}", count: FreeText.maximumNameCharacters),
        ]
        for name in worst {
            // Each is accepted as it is, so it is what a card can be asked to draw.
            #expect(try FreeText.name(name) == name.precomposedStringWithCanonicalMapping)
            // Measured side by side with an ordinary name, as a ratio: timings on a shared
            // machine are noisy, ratios taken a moment apart much less.
            let ordinary = try seconds(renderer, "Siti Rahmawati")
            let ratio = try seconds(renderer, name) / ordinary
            #expect(ratio < 8, "\(name.unicodeScalars.count) scalars: \(ratio)x an ordinary name")
        }
        // What the rules before issue 20 accepted (100 characters of 100 marks each, which took
        // over 3 s here, 140 times an ordinary card) is refused before anything is drawn.
        let stacked = String(
            repeating: "a" + String(repeating: "\u{0301}", count: 100), count: 100)
        #expect(stacked.count == 100)
        #expect(throws: NameError.tooManyScalars) { try FreeText.name(stacked) }
    }

    @Test(
        "issue 20 item 6: a name the rules refuse is never drawn, whether from a CSV, --name or an older roster"
    )
    func item6RefusedNamesNeverDrawn() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let settings = CardBatchSettings(
            signer: TicketSigner(key: try CardFixtures.key()),
            today: try CardFixtures.date("2021-08-23"),
            validityDays: 30)
        let request = IssueRequest(
            registrant: "2108230000012345", dose: 1, vaccine: "CORONAVAC", site: "BDG001")
        let path = folder.path("card.png")

        // A roster name imported before the rules: refused at the card, with what is wrong.
        #expect(throws: CardError.name(field: "name", .bidirectionalControl(0x202E))) {
            try CardBatch.writeCard(
                request, names: [request.registrant: "Siti \u{202E}ilahruN"], settings: settings,
                to: path)
        }
        var withSite = request
        withSite.siteName = "Puskesmas\u{200B}"
        #expect(throws: CardError.name(field: "site_name", .invisibleCharacter(0x200B))) {
            try CardBatch.writeCard(withSite, settings: settings, to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))

        // A decomposed name is drawn in NFC.
        var named = request
        named.name = "Nguye\u{302}\u{303}n"
        _ = try CardBatch.writeCard(named, settings: settings, to: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
