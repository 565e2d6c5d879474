import Foundation
import TestSupport
import Testing

@Suite("vaxticket qr and scan")
struct QRScanCommandTests {
    @Test("qr writes a PNG that scan reads back exactly")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png = folder.path("hello.png")
        let made = try runVaxticket(["qr", "HELLO VAXTICKET 2021", "--out", png, "--dpi", "300"])
        #expect(made.status == 0)
        #expect(made.stdout.contains("QR version"))
        let scanned = try runVaxticket(["scan", "--json", png])
        #expect(scanned.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(scanned.stdout.utf8)) as? [String: Any])
        let symbols = try #require(object["symbols"] as? [[String: Any]])
        #expect(symbols.count == 1)
        #expect(symbols.first?["text"] as? String == "HELLO VAXTICKET 2021")
        #expect(object["error"] is NSNull)
    }

    @Test("scan reports a bad file in JSON, still reads the others, and exits 1")
    func badFileAmongGood() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let good = folder.path("a-good.png")
        #expect(try runVaxticket(["qr", "GOOD", "--out", good]).status == 0)
        let bad = folder.path("b-bad.png")
        try Data("not an image at all".utf8).write(to: URL(fileURLWithPath: bad))
        let result = try runVaxticket(["scan", "--json", folder.url.path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let objects = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let byFile = Dictionary(
            uniqueKeysWithValues: objects.map { ($0["file"] as? String ?? "", $0) })
        let goodSymbols = try #require(byFile[good]?["symbols"] as? [[String: Any]])
        #expect(goodSymbols.first?["text"] as? String == "GOOD")
        let error = try #require(byFile[bad]?["error"] as? [String: Any])
        #expect(error["code"] as? String == "unknown_format")
    }

    @Test("scan --effort reads at every effort, and refuses an unknown one as a usage error")
    func effort() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png = folder.path("code.png")
        #expect(try runVaxticket(["qr", "EFFORT", "--out", png]).status == 0)
        for effort in ["low", "normal", "high"] {
            let result = try runVaxticket(["scan", "--effort", effort, png])
            #expect(result.status == 0)
            #expect(result.stdout.contains("EFFORT"))
        }
        let bad = try runVaxticket(["scan", "--effort", "extreme", png])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--effort must be low, normal or high"))
    }

    @Test("scan of a missing path is a usage error")
    func missingPath() throws {
        let result = try runVaxticket(["scan", "/nonexistent/vaxticket/photo.png"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("no such file or folder"))
    }

    @Test(
        "qr --texts writes one PNG per line, named by line number, and reports a bad line by number"
    )
    func batch() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let texts = folder.path("texts.txt")
        let tooLong = String(repeating: "X", count: 5000)
        try Data("FIRST\nSECOND\n\n\(tooLong)\nFIFTH\n".utf8).write(to: URL(fileURLWithPath: texts))
        let out = folder.path("codes")
        let result = try runVaxticket(["qr", "--texts", texts, "--out-dir", out, "--jobs", "2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("line 4:"))
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["00001.png", "00002.png", "00005.png"])
        let scanned = try runVaxticket(["scan", "--json", out + "/00005.png"])
        #expect(scanned.stdout.contains("\"text\":\"FIFTH\""))
    }
}
