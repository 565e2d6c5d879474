import Foundation
import GRDB
import Testing

@testable import Recording

@Suite("Stored timestamps")
struct StoredTimestampTests {
    @Test(
        "the store writes an instant exactly as GRDB writes a Date, across centuries and leap days")
    func sameAsGRDB() throws {
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = [
            0, -0.0005, 0.9999, 951_782_400.001, 1_629_684_000, 4_107_542_399.999, -2_208_988_800,
        ]
        for _ in 0..<2000 {
            instants.append(Double.random(in: -4e9...8e9, using: &generator))
        }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let grdb = try #require(String.fromDatabaseValue(date.databaseValue))
            #expect(StoredTimestamp.text(date) == grdb, "\(seconds)")
        }
    }
}
