import Recording
import Testing

@Suite("Roster CSV")
struct RosterCSVTests {
    let groups: Set<String> = ["GENERAL", "HEALTHWORKER", "ELDERLY"]

    @Test("good rows are read in any column order, other columns ignored, quotes honoured")
    func goodRows() throws {
        let csv = """
            nik,registrant,extra,name,birth_date,group,phone,doses_elsewhere\r
            3171012345678901,R1,x,"Rahma, Siti",1980-04-30,generalquoted,+62 812,\r
            3171012345678902,r2,,"Budi ""B"" Santoso",1975-12-01,HEALTHWORKER,,1\r

            """.replacingOccurrences(of: "generalquoted", with: "general")
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.errors == [])
        #expect(parsed.rows.map(\.line) == [2, 3])
        #expect(parsed.rows.map(\.entry) == [
            RosterEntry(registrant: "R1", nik: "3171012345678901", name: "Rahma, Siti", birthDate: "1980-04-30", priorityGroup: "GENERAL", phone: "+62 812", dosesElsewhere: 0),
            RosterEntry(registrant: "R2", nik: "3171012345678902", name: "Budi \"B\" Santoso", birthDate: "1975-12-01", priorityGroup: "HEALTHWORKER", phone: "", dosesElsewhere: 1),
        ])
    }

    @Test(
        "bad rows are reported by line with the reason",
        arguments: [
            ("R1,317101234567890,A,1980-04-30,GENERAL,", "NIK must be 16 digits, got \"317101234567890\""),
            ("R1,31710123456789AB,A,1980-04-30,GENERAL,", "NIK must be 16 digits, got \"31710123456789AB\""),
            ("R-1,3171012345678901,A,1980-04-30,GENERAL,", "registrant reference \"R-1\" must be 1 to 20 letters A-Z or digits"),
            ("R1,3171012345678901,,1980-04-30,GENERAL,", "name is empty"),
            ("R1,3171012345678901,A,1980-02-30,GENERAL,", "birth date \"1980-02-30\" is not a date like 1980-04-30"),
            ("R1,3171012345678901,A,1980-02-03,PILOT,", "unknown group \"PILOT\" (known: ELDERLY, GENERAL, HEALTHWORKER)"),
            ("R1,3171012345678901,A,1980-02-03,GENERAL,call me", "phone \"call me\" may hold only digits, spaces and + - ( )"),
        ]
    )
    func badRow(row: String, reason: String) throws {
        let csv = "registrant,nik,name,birth_date,group,phone\nR0,3171012345678900,Ok,1990-01-01,GENERAL,\n\(row)\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.errors == [RosterCSV.RowError(line: 3, reason: reason)])
        #expect(parsed.rows.map(\.entry.registrant) == ["R0"])
    }

    @Test("a repeated reference is refused; a quoted line break keeps line numbers right")
    func repeatsAndLineBreaks() throws {
        let csv = "registrant,nik,name,birth_date,group,phone\nR1,3171012345678901,\"Two\nLines\",1990-01-01,GENERAL,\nR1,3171012345678902,B,1990-01-01,GENERAL,\n"
        let parsed = try RosterCSV.parse(csv, groups: groups)
        #expect(parsed.rows.map(\.line) == [2])
        #expect(parsed.errors == [RosterCSV.RowError(line: 4, reason: "registrant R1 repeats line 2")])
    }

    @Test("a header without a required column is refused")
    func missingColumn() {
        #expect(throws: RosterFileError.missingColumns(["nik", "phone"])) {
            try RosterCSV.parse("registrant,name,birth_date,group\nR1,A,1990-01-01,GENERAL\n", groups: groups)
        }
    }
}
