import Testing

@testable import CSVFiles

@Suite("CSV files: strict reading by line, safe writing")
struct CSVFilesTests {
    @Test(
        "issue 9 item 8: RFC 4180 quoting, a BOM and CRLF are read; bad quoting is refused on its own line"
    )
    func item8Reading() {
        let text =
            "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",3\r\n\r\n1,\"open,2\n4,5,6\nq\"x\"y,1,2\n\"a\"b,1,2\n1,2,3"
        let lines = CSVFile.lines(of: text)
        #expect(lines.map(\.number) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(lines[0].fields == .success(["a", "b", "c"]))
        #expect(lines[1].fields == .success(["x, y", "say \"hi\"", "3"]))
        #expect(lines[2].isBlank)
        #expect(lines[3].fields == .failure(.unclosedQuote))
        #expect(lines[4].fields == .success(["4", "5", "6"]))
        #expect(lines[5].fields == .failure(.misplacedQuote))
        #expect(lines[6].fields == .failure(.misplacedQuote))
        #expect(lines[7].fields == .success(["1", "2", "3"]))
        #expect(CSVFile.lines(of: "a\r\nb\r\n").count == 2)
    }

    @Test("issue 9 item 8: written cells are quoted by the library and formulas are neutralised")
    func item8Writing() {
        #expect(CSVFile.line(["a", "b,c", "say \"hi\""]) == "a,\"b,c\",\"say \"\"hi\"\"\"\n")
        for formula in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            #expect(CSVFile.neutralised(formula).hasPrefix("'"), "\(formula)")
        }
        #expect(CSVFile.neutralised("-3") == "-3")
        #expect(CSVFile.neutralised("2021-08-23") == "2021-08-23")
        #expect(
            CSVFile.text(header: ["site", "count"], rows: [["=cmd", "1"]])
                == "site,count\n'=cmd,1\n")
        // What is written reads back.
        let line = CSVFile.line(["x, y", "q\"", "plain"])
        #expect(CSVFile.lines(of: line).first?.fields == .success(["x, y", "q\"", "plain"]))
    }
}

/// The fast paths for lines without quotes give exactly what the library gives.
@Suite("CSV files: fast paths agree with the library")
struct CSVFastPathTests {
    /// Cells of random characters from a small alphabet rich in what CSV cares about.
    static func randomCells(_ generator: inout some RandomNumberGenerator) -> [String] {
        let alphabet: [String] = [
            "a", "Z", "0", "7", " ", "\t", "\u{00A0}", "\u{3000}", ",", "=", "-", "+", "@", "é",
            "\u{200B}", "x", "\u{0007}",
        ]
        return (0..<Int.random(in: 1...6, using: &generator)).map { _ in
            (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator) ?? "a"
            }.joined()
        }
    }

    @Test("a line without quotes reads as the library reads it")
    func reading() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let line = Self.randomCells(&generator).joined(separator: ",")
            // The library gives no row for a line of spaces alone; such a line is blank.
            if CSVFile.trimmingSpaces(line).isEmpty {
                #expect(CSVLine(number: 1, fields: CSVFile.fields(of: line)).isBlank)
                continue
            }
            #expect(
                CSVFile.fields(of: line) == CSVFile.libraryFields(of: line, quotes: 0),
                "\(line.debugDescription)")
        }
    }

    @Test("cells that need no quotes are written as the library writes them")
    func writing() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let cells = Self.randomCells(&generator)
            #expect(
                CSVFile.line(cells) == CSVFile.libraryLine(cells.map(CSVFile.neutralised)),
                "\(cells)")
        }
    }
}
