import Foundation
import PostgresStore
import Recording
import TestSupport
import Testing
import TicketCodec

/// The stores every store test runs against: SQLite always, PostgreSQL when
/// `VAXTICKET_TEST_POSTGRES_URL` names a server (scripts/test starts one).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var allCases: [StoreKind] {
        TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A fresh, empty store in `folder` (SQLite) or in a new database on the test server.
    func make(in folder: TemporaryFolder) async throws -> any DoseStore {
        switch self {
        case .sqlite: try await SQLiteDoseStore(path: folder.path("test.sqlite"))
        case .postgres:
            try await TestPostgres.store(try await TestPostgres.freshDatabase(), until: folder)
        }
    }
}

/// Builders for plain values used across the tests.
enum Fixture {
    static let policy = EligibilityPolicy.default2021

    /// CoronaVac: 14 days before the next dose; AstraZeneca: 28; anything else unknown.
    static let rules = RecordingRules(policy: policy) { code in
        switch code {
        case "CORONAVAC": 14
        case "ASTRAZENECA": 28
        default: nil
        }
    }

    static func ticket(
        _ serial: String, registrant: String = "R1", dose: Int = 1, vaccine: String = "CORONAVAC",
        group: PriorityGroup = "GENERAL",
        site: String = "JKT01"
    ) -> TicketFacts {
        TicketFacts(
            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine, group: group,
            site: site)
    }

    /// 2021-08-23 09:00 in Jakarta, plus `days`.
    static func at(day: Int = 0) -> Date {
        Date(timeIntervalSince1970: 1_629_684_000).addingTimeInterval(Double(day) * 86_400)
    }

    static func context(
        officer: String = "OFC1", station: String = "ST1", site: String? = nil,
        lot: String? = "LOT42", day: Int = 0
    ) -> ScanContext {
        ScanContext(
            officer: officer, station: station, site: site, lot: lot, administeredAt: at(day: day))
    }

    static func dose(
        _ serial: String, registrant: String = "R1", dose: Int, vaccine: String = "CORONAVAC",
        day: CalendarDate
    )
        -> DoseRecord
    {
        DoseRecord(
            serial: serial, registrant: registrant, dose: dose, vaccine: vaccine, lot: nil,
            site: "JKT01", ticketSite: "JKT01",
            priorityGroup: "GENERAL", officer: "OFC1", station: "ST1",
            administeredAt: Date(timeIntervalSince1970: 0),
            administeredDay: day, recordedAt: Date(timeIntervalSince1970: 0)
        )
    }

    static func roster(
        _ registrant: String, nik: String = "3171012345678901", name: String = "Siti Rahma",
        group: PriorityGroup = "GENERAL",
        elsewhere: Int = 0
    ) -> RosterEntry {
        RosterEntry(
            registrant: registrant, nik: nik, name: name, birthDate: "1980-04-30",
            priorityGroup: group, phone: "+62 812 0000",
            dosesElsewhere: elsewhere)
    }
}
