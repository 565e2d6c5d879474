import Foundation
import Testing

@testable import TicketCodec

@Suite("Registrants CSV, manifest and clock")
struct IssueCSVTests {
    @Test("rows parse with optional columns, CRLF, a BOM, quotes and blank lines")
    func parse() throws {
        let text =
            "\u{FEFF}registrant,dose,vaccine,site,group,valid_from,valid_until\r\n"
            + "2108230000000001,1,CORONAVAC,BDG001,HEALTHWORKER,2021-08-23,2021-09-21\r\n"
            + "\r\n"
            + " \"2108230000000002\" , 2 ,PFIZER,BDG002,,,\r\n"
            + "A7,3,MODERNA,S1\r\n"
        let rows = try IssueCSV.parse(text)
        #expect(rows.map(\.line) == [2, 4, 5])
        let first = try rows[0].request.get()
        #expect(
            first
                == IssueRequest(
                    registrant: "2108230000000001", dose: 1, vaccine: "CORONAVAC", site: "BDG001",
                    group: .healthWorker,
                    validFrom: CalendarDate(iso: "2021-08-23"),
                    validUntil: CalendarDate(iso: "2021-09-21")))
        let second = try rows[1].request.get()
        #expect(
            second
                == IssueRequest(
                    registrant: "2108230000000002", dose: 2, vaccine: "PFIZER", site: "BDG002"))
        let ticket = second.ticket(
            serial: 5, keyID: "K1", today: CalendarDate(iso: "2021-08-23")!, validityDays: 30)
        #expect(ticket.validFrom.iso == "2021-08-23")
        #expect(ticket.validUntil.iso == "2021-09-21")
        #expect(ticket.group == .general)
        #expect(try rows[2].request.get().registrant == "A7")
    }

    @Test(
        "bad rows carry their line number and reason",
        arguments: [
            (
                "x y,1,CORONAVAC,S1",
                "registrant \"x y\" is not 1 to 20 digits and uppercase letters"
            ),
            ("1,0,CORONAVAC,S1", "dose \"0\" is not 1 to 9"),
            ("1,one,CORONAVAC,S1", "dose \"one\" is not 1 to 9"),
            ("1,1,ASPIRIN,S1", "unknown vaccine \"ASPIRIN\""),
            ("1,1,CORONAVAC,SITE-1", "site \"SITE-1\" is not 1 to 8 digits and uppercase letters"),
            ("1,1,CORONAVAC,S1,VIP", "unknown group \"VIP\""),
            ("1,1,CORONAVAC,S1,,23/08/2021", "valid_from \"23/08/2021\" is not a YYYY-MM-DD date"),
            (
                "1,1,CORONAVAC,S1,,2021-08-23,2021-08-22",
                "valid_until 2021-08-22 is before valid_from 2021-08-23"
            ),
            ("1,1,CORONAVAC", "expected 4 to 7 fields, found 3"),
        ])
    func badRow(line: String, reason: String) throws {
        let rows = try IssueCSV.parse("registrant,dose,vaccine,site\n\(line)\n")
        #expect(rows.first?.request == .failure(IssueRowError(line: 2, reason: reason)))
    }

    @Test(
        "issue 9 item 8: quoted commas and doubled quotes are read as RFC 4180, bad quoting refused with its line"
    )
    func item8QuotedFields() throws {
        let rows = try IssueCSV.parse(
            """
            registrant,dose,vaccine,site,group
            "2108230000000001","1",CORONAVAC,"BDG001",GENERAL
            "A,B",1,CORONAVAC,S1
            "X""Y",1,CORONAVAC,S1
            "OPEN,1,CORONAVAC,S1
            A5,1,CORONAVAC,S1

            """)
        #expect(rows.map(\.line) == [2, 3, 4, 5, 6])
        #expect(try rows[0].request.get().registrant == "2108230000000001")
        #expect(
            rows[1].request
                == .failure(
                    IssueRowError(
                        line: 3,
                        reason: "registrant \"A,B\" is not 1 to 20 digits and uppercase letters")))
        #expect(
            rows[2].request
                == .failure(
                    IssueRowError(
                        line: 4,
                        reason: "registrant \"X\"Y\" is not 1 to 20 digits and uppercase letters")))
        #expect(
            rows[3].request
                == .failure(
                    IssueRowError(
                        line: 5,
                        reason:
                            "a quoted field is not closed on this line (fields may not span lines)")
                ))
        #expect(try rows[4].request.get().registrant == "A5")
    }

    @Test("optional name and site_name columns, anywhere, fill the card fields and not the ticket")
    func cardColumns() throws {
        let text =
            "name,registrant,dose,vaccine,site,site_name\n"
            + "Nguyễn Thị Minh Khai,2108230000000001,1,CORONAVAC,BDG001,Puskesmas Sukajadi\n"
            + ",2108230000000002,2,PFIZER,BDG002\n"
        let rows = try IssueCSV.parse(text)
        let first = try rows[0].request.get()
        #expect(first.name == "Nguyễn Thị Minh Khai")
        #expect(first.siteName == "Puskesmas Sukajadi")
        #expect(first.registrant == "2108230000000001")
        let ticket = first.ticket(
            serial: 1, keyID: "K1", today: CalendarDate(iso: "2021-08-23")!, validityDays: 30)
        #expect(ticket.registrant == "2108230000000001")
        let second = try rows[1].request.get()
        #expect(second.name == nil)
        #expect(second.siteName == nil)
        #expect(second.site == "BDG002")
    }

    @Test("an overlong name or one with control characters is refused with its line")
    func badNames() throws {
        let long = String(repeating: "a", count: FreeText.maximumNameCharacters + 1)
        let rows = try IssueCSV.parse(
            "registrant,dose,vaccine,site,name\n1,1,CORONAVAC,S1,\(long)\n2,1,CORONAVAC,S1,A\u{7}B\n"
        )
        #expect(
            rows[0].request
                == .failure(IssueRowError(line: 2, reason: "name is longer than 100 characters")))
        #expect(
            rows[1].request
                == .failure(
                    IssueRowError(
                        line: 3,
                        reason:
                            "name holds a control character (U+0007: a line break, tab or escape)"
                    )))
    }

    @Test(
        "issue 20 item 6: names and site names are NFC; bidi controls and zero-width characters refuse their row alone"
    )
    func item6Names() throws {
        let text =
            "registrant,dose,vaccine,site,name,site_name\n"
            + "1,1,CORONAVAC,S1,Nguye\u{302}\u{303}n Thi\u{323},Puskesmas\n"
            + "2,1,CORONAVAC,S1,Siti \u{202E}ilahruN,Puskesmas\n"
            + "3,1,CORONAVAC,S1,Budi,Puskesmas\u{200B} Sukajadi\n"
            + "4,1,CORONAVAC,S1,Zo\u{EB},\n"
        let rows = try IssueCSV.parse(text)
        #expect(try rows[0].request.get().name == "Nguy\u{1EC5}n Th\u{1ECB}")
        #expect(
            rows[1].request
                == .failure(
                    IssueRowError(
                        line: 3,
                        reason:
                            "name holds U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control that reorders the text around it"
                    )))
        #expect(
            rows[2].request
                == .failure(
                    IssueRowError(
                        line: 4,
                        reason: "site_name holds U+200B ZERO WIDTH SPACE, an invisible character")))
        #expect(try rows[3].request.get().name == "Zoë")
    }

    @Test("a wrong header is refused")
    func header() {
        #expect(
            throws: IssueRowError(
                line: 1,
                reason:
                    "the header must be registrant,dose,vaccine,site,group,valid_from,valid_until (the last three optional)"
            )
        ) {
            try IssueCSV.parse("name,dose,vaccine,site\n")
        }
        #expect(throws: IssueRowError(line: 1, reason: "the file is empty")) {
            try IssueCSV.parse("")
        }
    }

    @Test("the manifest round-trips the issued rows")
    func manifest() {
        let text =
            IssueManifest.header + "\n"
            + IssueManifest.line(row: 2, registrant: "A1", serial: 255, file: "000002-A1.png")
            + "\n"
            + "garbage line\n"
            + IssueManifest.line(row: 7, registrant: "B2", serial: 1, file: "tickets.txt") + "\r\n"
        #expect(
            IssueManifest.line(row: 2, registrant: "A1", serial: 255, file: "x.png")
                == "2,A1,00000000000000FF,x.png")
        #expect(
            IssueManifest.issuedRows(in: text) == [
                .init(row: 2, registrant: "A1"), .init(row: 7, registrant: "B2"),
            ])
    }

    @Test(
        "the clock parses dates and date-times",
        arguments: [
            ("2021-08-23", "2021-08-23"), ("2021-08-22T17:30:00Z", "2021-08-23"),
            ("2021-08-22T23:59:59+07:00", "2021-08-22"),
            ("2021-08-22T17:30:00.250Z", "2021-08-23"), ("2021-08-22T23:30:00", "2021-08-22"),
        ])
    func clock(text: String, day: String) throws {
        let clock = try #require(ValidityClock(parsing: text, timeZone: .programmeDefault))
        #expect(clock.day(in: .programmeDefault).iso == day)
    }

    @Test(
        "bad clock texts are refused",
        arguments: ["yesterday", "2021-13-01", "2021-08-23 10:00", ""])
    func badClock(text: String) {
        #expect(ValidityClock(parsing: text, timeZone: .programmeDefault) == nil)
    }
}

@Suite("Batch plan")
struct IssuePlanTests {
    @Test("rows in the manifest are skipped, bad rows reported, the rest pending in order")
    func plan() throws {
        let rows = try IssueCSV.parse(
            """
            registrant,dose,vaccine,site
            A1,1,CORONAVAC,S1
            A2,1,ASPIRIN,S1
            A3,1,PFIZER,S1
            A4,1,PFIZER,S1
            """)
        // Line 2 was issued for A1; line 4's manifest entry names another registrant, so the row changed.
        let plan = IssuePlan(
            rows: rows, issued: [.init(row: 2, registrant: "A1"), .init(row: 4, registrant: "OLD")])
        #expect(plan.skipped == 1)
        #expect(plan.errors == [IssueRowError(line: 3, reason: "unknown vaccine \"ASPIRIN\"")])
        #expect(plan.pending.map(\.line) == [4, 5])
        #expect(plan.pending.map(\.request.registrant) == ["A3", "A4"])
    }
}
