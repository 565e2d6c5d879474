import Foundation
import Recording
import TestSupport
import Testing

@Suite("Roster CSV")
struct RosterCSVTests {
    let groups: Set<String> = ["GENERAL", "HEALTHWORKER", "ELDERLY"]

    @Test("good rows are read in any column order, other columns ignored, quotes honoured")
    func goodRows() async throws {
        let csv = """
            nik,registrant,extra,name,birth_date,group,phone,doses_elsewhere\r
            3171012345678901,R1,x,"Rahma, Siti",1980-04-30,generalquoted,+62 812,\r
            3171012345678902,r2,,"Budi ""B"" Santoso",1975-12-01,HEALTHWORKER,,1\r

            """.replacingOccurrences(of: "generalquoted", with: "general")
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.errors == [])
        #expect(parsed.rows.map(\.line) == [2, 3])
        #expect(
            parsed.rows.map(\.entry) == [
                RosterEntry(
                    registrant: "R1", nik: "3171012345678901", name: "Rahma, Siti",
                    birthDate: "1980-04-30",
                    priorityGroup: "GENERAL", phone: "+62 812", dosesElsewhere: 0),
                RosterEntry(
                    registrant: "R2", nik: "3171012345678902", name: "Budi \"B\" Santoso",
                    birthDate: "1975-12-01",
                    priorityGroup: "HEALTHWORKER", phone: "", dosesElsewhere: 1),
            ])
    }

    @Test(
        "bad rows are reported by line with the reason",
        arguments: [
            (
                "R1,317101234567890,A,1980-04-30,GENERAL,",
                "NIK must be 16 digits, got \"317101234567890\""
            ),
            (
                "R1,31710123456789AB,A,1980-04-30,GENERAL,",
                "NIK must be 16 digits, got \"31710123456789AB\""
            ),
            (
                "R-1,3171012345678901,A,1980-04-30,GENERAL,",
                "registrant reference \"R-1\" must be 1 to 20 letters A-Z or digits"
            ),
            ("R1,3171012345678901,,1980-04-30,GENERAL,", "name is empty"),
            (
                "R1,3171012345678901,A,1980-02-30,GENERAL,",
                "birth date \"1980-02-30\" is not a date like 1980-04-30"
            ),
            (
                "R1,3171012345678901,A,1980-02-03,PILOT,",
                "unknown group \"PILOT\" (known: ELDERLY, GENERAL, HEALTHWORKER)"
            ),
            (
                "R1,3171012345678901,A,1980-02-03,GENERAL,call me",
                "phone \"call me\" may hold only digits, spaces and + - ( )"
            ),
        ]
    )
    func badRow(row: String, reason: String) async throws {
        let csv =
            "registrant,nik,name,birth_date,group,phone\nR0,3171012345678900,Ok,1990-01-01,GENERAL,\n\(row)\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.errors == [RosterCSV.RowError(line: 3, reason: reason)])
        #expect(parsed.rows.map(\.entry.registrant) == ["R0"])
    }

    @Test(
        "a repeated reference is refused; a field split over lines is refused line by line, the rest kept"
    )
    func repeatsAndLineBreaks() async throws {
        let csv =
            "registrant,nik,name,birth_date,group,phone\nR1,3171012345678901,\"Two\nLines\",1990-01-01,GENERAL,\nR1,3171012345678902,B,1990-01-01,GENERAL,\nR1,3171012345678903,C,1990-01-01,GENERAL,\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.rows.map(\.line) == [4])
        #expect(parsed.errors.map(\.line) == [2, 3, 5])
        #expect(
            parsed.errors.last
                == RosterCSV.RowError(line: 5, reason: "registrant R1 repeats line 4"))
    }

    @Test("a header without a required column is refused")
    func missingColumn() {
        #expect(throws: RosterFileError.missingColumns(["nik", "phone"])) {
            try RosterCSV.parse(
                "registrant,name,birth_date,group\nR1,A,1990-01-01,GENERAL\n", groups: groups)
        }
    }

    @Test("issue 9 item 8: one stray quote refuses its own line only; every line is accounted for")
    func item8StrayQuote() async throws {
        var csv = "registrant,nik,name,birth_date,group,phone\n"
        csv += "R0,3171012345678900,\"Siti,1990-01-01,GENERAL,\n"
        for index in 1...1000 {
            csv +=
                "R\(index),31710123456\(String(format: "%05d", index)),Name \(index),1990-01-01,GENERAL,\n"
        }
        csv += "\n"
        csv += "R1001,3171012345601001,Bad\"Quote,1990-01-01,GENERAL,\n"
        csv += "R1002,3171012345601002,\"Ok, \"\"Quoted\"\"\" ,1990-01-01,GENERAL,\r\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.rows.count == 1001)
        #expect(parsed.errors.map(\.line) == [2, 1004])
        #expect(parsed.blankLines == 1)
        #expect(parsed.rows.count + parsed.errors.count + parsed.blankLines == 1004)
        #expect(parsed.rows.last?.entry.name == "Ok, \"Quoted\"")
    }

    @Test(
        "issue 9 item 12: control characters in names are refused at import; huge fields are cut in messages"
    )
    func item12ControlCharactersAndHugeFields() async throws {
        let csv =
            "registrant,nik,name,birth_date,group,phone\n"
            + "R1,3171012345678901,Siti\u{1B}[2J,1990-01-01,GENERAL,\n"
            + "R2,3171012345678902,Tab\there,1990-01-01,GENERAL,\n"
            + "R3,\(String(repeating: "9", count: 5_000_000)),Big,1990-01-01,GENERAL,\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.rows.isEmpty)
        #expect(parsed.errors.map(\.line) == [2, 3, 4])
        #expect(parsed.errors[0].reason.contains("control character"))
        #expect(!parsed.errors[0].reason.contains("\u{1B}"))
        #expect(parsed.errors[2].reason.count < 400)
    }

    @Test(
        "issue 20 item 6: roster names are stored in NFC; bidi controls, zero-width characters, stacked marks and overlong names refuse their row alone"
    )
    func item6Names() async throws {
        let rows: [(name: String, refusal: String?)] = [
            ("Nguye\u{302}\u{303}n Thi\u{323} Minh Khai", nil),
            ("Siti Nurhaliza", nil),
            ("Zoe\u{308}", nil),
            ("محمد عبد الله", nil),
            ("ꦱꦶꦠꦶ ꦫꦃꦩꦮꦠꦶ", nil),
            ("Budi \u{202E}otnaS", "U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control"),
            ("Ana\u{2067}Admin\u{2069}", "U+2067 RIGHT-TO-LEFT ISOLATE, a bidirectional control"),
            ("Bu\u{200D}di", "U+200D ZERO WIDTH JOINER, an invisible character"),
            ("Z\u{0351}\u{0352}\u{0357}\u{035B}\u{0363}algo", "more than 4 combining marks"),
            (String(repeating: "Siti ", count: 21), "longer than 100 characters"),
            (
                String(repeating: "q\u{0303}\u{0307}", count: 67),
                "longer than 200 Unicode code points"
            ),
        ]
        var csv = "registrant,nik,name,birth_date,group,phone\n"
        for (index, row) in rows.enumerated() {
            csv +=
                "R\(index),31710123456789\(String(format: "%02d", index)),\(row.name),1990-01-01,GENERAL,\n"
        }
        let parsed = try RosterCSV.parse(csv, groups: groups)
        let refused = rows.indices.filter { rows[$0].refusal != nil }
        #expect(parsed.errors.map(\.line) == refused.map { $0 + 2 })
        for (error, index) in zip(parsed.errors, refused) {
            #expect(error.reason.contains(rows[index].refusal ?? ""), "\(error)")
            // The name is quoted escaped: nothing invisible reaches the terminal.
            #expect(
                !error.reason.unicodeScalars.contains { $0.properties.generalCategory == .format })
        }
        #expect(parsed.rows.count + parsed.errors.count == rows.count)

        // Stored and read back from a real database, in NFC.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await SQLiteDoseStore(path: folder.path("doses.sqlite"))
        _ = try await store.importRoster(parsed.rows.map(\.entry))
        #expect(
            try await store.rosterEntry(registrant: "R0")?.name
                == "Nguy\u{1EC5}n Th\u{1ECB} Minh Khai")
        #expect(try await store.rosterEntry(registrant: "R2")?.name == "Zo\u{EB}")
    }
}
