import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A running `vaxticket serve`, stopped with SIGTERM.
private final class ScanServerProcess {
    let process = Process()
    let base: String

    init(database: String, keyring: String) throws {
        process.executableURL = vaxticketBinary
        process.arguments = [
            "serve", "--port", "0", "--db", database, "--keyring", keyring, "--rate-limit", "0",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        try #require(line.hasPrefix("listening on http://127.0.0.1:"), "serve: \(line)")
        base = line.replacingOccurrences(of: "listening on ", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A city's layout in small: two scanning servers on one PostgreSQL database, many phones
/// scanning the same tickets at once through both.
@Suite("two scanning servers on one PostgreSQL database", .enabled(if: TestPostgres.isAvailable))
struct TwoServersTests {
    @Test(
        "each ticket is recorded exactly once and every request is answered, whichever server takes it"
    )
    func sameTicketsThroughTwoServers() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try await TestPostgres.freshDatabase()
        let keyring = folder.path("keyring.json")
        try #require(try runVaxticket(["keys", "new", "--keyring", keyring]).status == 0)
        let count = 30
        var csv = "registrant,dose,vaccine,site,group,valid_from,valid_until\n"
        for index in 0..<count {
            csv += "R\(index),1,CORONAVAC,JKT01,GENERAL,\(Self.today),\(Self.today)\n"
        }
        try csv.write(toFile: folder.path("r.csv"), atomically: true, encoding: .utf8)
        let issued = try runVaxticket([
            "issue", "--csv", folder.path("r.csv"), "--out-dir", folder.path("t"), "--format",
            "text", "--keyring", keyring,
        ])
        try #require(issued.status == 0, "issue: \(issued.stderr)")
        let tickets = try String(contentsOfFile: folder.path("t/tickets.txt"), encoding: .utf8)
            .split(separator: "\n").map(
                String.init)
        let added = try runVaxticket(["officers", "add", "OFC1", "--db", database])
        let token = try #require(
            added.stdout.split(separator: "\n").last.map(String.init),
            "officers add: \(added.stderr)")

        let servers = [
            try ScanServerProcess(database: database, keyring: keyring),
            try ScanServerProcess(database: database, keyring: keyring),
        ]
        let bases = servers.map(\.base)
        // Eight phones, each scanning every ticket, half through one server and half through the other.
        let answers = try await withThrowingTaskGroup(
            of: [(status: Int, outcome: String?, body: String)].self
        ) { group in
            for phone in 0..<8 {
                group.addTask {
                    var answers: [(status: Int, outcome: String?, body: String)] = []
                    for (index, ticket) in tickets.enumerated() {
                        let base = bases[(index + phone) % 2]
                        var request = URLRequest(
                            url: try #require(
                                URL(string: base + "api/v1/scans?lot=LOT1&station=PHONE\(phone)")))
                        request.httpMethod = "POST"
                        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                        request.setValue("text/plain", forHTTPHeaderField: "Content-Type")
                        request.httpBody = Data(ticket.utf8)
                        let (body, response) = try await URLSession.shared.data(for: request)
                        let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
                        answers.append(
                            (
                                (response as? HTTPURLResponse)?.statusCode ?? 0,
                                object?["outcome"] as? String,
                                String(decoding: body, as: UTF8.self)
                            ))
                    }
                    return answers
                }
            }
            var all: [(status: Int, outcome: String?, body: String)] = []
            for try await answers in group { all += answers }
            return all
        }
        let statuses = servers.map { $0.stop() }

        #expect(answers.count == 8 * count)
        #expect(answers.filter { $0.status != 200 || $0.outcome == nil }.map(\.body) == [])
        #expect(
            Dictionary(grouping: answers.compactMap(\.outcome), by: { $0 }).mapValues(\.count) == [
                "recorded": count, "already_recorded": 7 * count,
            ])
        #expect(statuses == [0, 0])
        let stats = try runVaxticket(["stats", "--json", "--db", database])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(object["total"] as? Int == count)
        #expect(
            object["scans"] as? [String: Int] == ["recorded": count, "already_recorded": 7 * count])
    }

    /// Today in the programme's zone, so the tickets are valid now.
    static var today: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Jakarta") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(
            format: "%04d-%02d-%02d", parts.year ?? 2026, parts.month ?? 1, parts.day ?? 1)
    }
}
