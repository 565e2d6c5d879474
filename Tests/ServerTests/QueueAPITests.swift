import Foundation
import NIOHTTP1
import Recording
import Reports
import ScanServer
import TestSupport
import Testing

@Suite("scanning API: a phone's queue")
struct QueueAPITests {
    static func body(_ scans: [[String: Any]]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: ["scans": scans]))
    }

    static func scan(_ id: String, ticket: String, minutesAgo: Double = 10) -> [String: Any] {
        [
            "id": id, "ticket": ticket, "station": "PHONE7", "lot": "LOT3",
            "scannedAt": Timestamp.string(Date().addingTimeInterval(-minutesAgo * 60)),
        ]
    }

    @Test(
        "issue 21 item 4: POST /api/v1/scans/batch records each scan id once and answers repeats with the first answer"
    )
    func batch() async throws {
        try await ServerFixture.with { fixture in
            let valid = try fixture.ticketText(registrant: "2108230000012345")
            let other = try fixture.ticketText(registrant: "2108230000054321")
            let photo = try ServerFixture.photo(of: other)
            let upload = try Self.body([
                Self.scan("9f1c5e2a-0001", ticket: valid),
                Self.scan("9f1c5e2a-0002", ticket: ServerFixture.forged(valid)),
                [
                    "id": "9f1c5e2a-0003", "photo": Data(photo).base64EncodedString(),
                    "scannedAt": Timestamp.string(Date().addingTimeInterval(-3600)),
                ],
                Self.scan("9f1c5e2a-0004", ticket: valid),
            ])
            let first = try await fixture.send(
                .POST, "/api/v1/scans/batch", body: upload, contentType: "application/json",
                token: fixture.token)
            #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
            let results = try #require(first.json["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["id"] as? String }.count == 4)
            let outcomes = results.map {
                (($0["answer"] as? [String: Any])?["outcome"] as? String) ?? "?"
            }
            #expect(outcomes == ["recorded", "bad_signature", "recorded", "already_recorded"])
            #expect(results.allSatisfy { $0["repeated"] as? Bool == false })
            let recorded = try #require(results.first?["answer"] as? [String: Any])
            #expect(recorded["station"] as? String == "PHONE7")
            #expect(recorded["lot"] as? String == "LOT3")
            #expect(recorded["name"] as? String == ServerFixture.registrantName)

            // The phone lost the answer and sends the same batch again: nothing is written.
            let again = try await fixture.send(
                .POST, "/api/v1/scans/batch", body: upload, contentType: "application/json",
                token: fixture.token)
            let repeated = try #require(again.json["results"] as? [[String: Any]])
            #expect(repeated.allSatisfy { $0["repeated"] as? Bool == true })
            #expect(
                repeated.map { (($0["answer"] as? [String: Any])?["outcome"] as? String) ?? "?" }
                    == outcomes)
            #expect(try await fixture.store.scanLog().count == 4)
            #expect(try await fixture.store.statistics(StatisticsQuery()).total == 2)

            let stats = try await fixture.send(.GET, "/api/v1/stats", token: fixture.token)
            let late = try #require(stats.json["late"] as? [String: Any])
            #expect(late["count"] as? Int == 4)
        }
    }

    @Test(
        "issue 21 item 4: the batch endpoint keeps the limits: token, media type, size, scan count, ids and times"
    )
    func limits() async throws {
        try await ServerFixture.with(
            ServerConfiguration(port: 0, maxBodyBytes: 64 * 1024, rateLimitPerMinute: 0)
        ) { fixture in
            let ticket = try fixture.ticketText()
            let one = try Self.body([Self.scan("abcdefgh-1", ticket: ticket)])
            #expect(
                try await fixture.send(
                    .POST, "/api/v1/scans/batch", body: one, contentType: "application/json"
                ).status == 401)
            #expect(
                try await fixture.send(
                    .POST, "/api/v1/scans/batch", body: one, contentType: "text/plain",
                    token: fixture.token
                ).status == 415)
            let many = try Self.body(
                (0..<101).map { Self.scan("abcdefgh-\($0)", ticket: ticket) })
            let tooMany = try await fixture.send(
                .POST, "/api/v1/scans/batch", body: many, contentType: "application/json",
                token: fixture.token)
            #expect(tooMany.status == 413 || tooMany.status == 400)
            for bad in [
                Self.scan("short", ticket: ticket),
                ["id": "abcdefgh-2", "ticket": ticket, "scannedAt": "yesterday"],
                ["id": "abcdefgh-3", "scannedAt": Timestamp.string(Date())],
            ] {
                let answer = try await fixture.send(
                    .POST, "/api/v1/scans/batch", body: try Self.body([bad]),
                    contentType: "application/json", token: fixture.token)
                #expect(answer.status == 400)
            }
            #expect(try await fixture.store.scanLog().isEmpty)
        }
    }
}
