import AsyncHTTPClient
import Foundation
import GRDB
import NIOHTTP1
import Recording
import ScanServer
import Testing
import TicketCodec
import TicketStation

/// The API over loopback with a real HTTP client: what phones get for each kind of upload.
@Suite("scanning API")
struct ScanAPITests {
    @Test("healthz needs no token; the API refuses a missing, unknown or revoked token with 401")
    func authentication() async throws {
        try await ServerFixture.with() { fixture in
            let health = try await fixture.send(.GET, "/healthz")
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")

            let text = try fixture.ticketText()
            let none = try await fixture.send(
                .POST, "/api/v1/scans", body: Array(text.utf8), contentType: "text/plain")
            #expect(none.status == 401)
            #expect(none.json["error"] as? String == "unauthorized")
            #expect(none.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await fixture.scan(text: text, token: "vt_not-a-real-token").status == 401)
            #expect(try await fixture.send(.GET, "/api/v1/stats", token: "garbage").status == 401)
            #expect(
                try await fixture.send(
                    .GET, "/api/v1/stats", headers: [("Authorization", "Basic \(fixture.token)")]
                ).status
                    == 401)

            #expect(
                try await fixture.send(.GET, "/api/v1/stats", token: fixture.token).status == 200)
            try await fixture.store.revokeOfficer(name: "OFC1", at: Date())
            #expect(
                try await fixture.send(.GET, "/api/v1/stats", token: fixture.token).status == 401)
            #expect(
                try await fixture.send(.GET, "/api/v1/stats", token: fixture.otherToken).status
                    == 200)
            // Nothing was recorded by the refused requests.
            #expect(try await fixture.store.scanLog().isEmpty)
        }
    }

    @Test(
        "a ticket text is recorded with the officer, lot and station; a re-scan says when and by whom; a forgery is refused"
    )
    func textScans() async throws {
        try await ServerFixture.with() { fixture in
            let text = try fixture.ticketText()

            let first = try await fixture.scan(text: text)
            #expect(first.status == 200)
            #expect(
                first.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            let recorded = first.json
            #expect(recorded["outcome"] as? String == "recorded")
            #expect(recorded["refused"] as? Bool == false)
            #expect(recorded["officer"] as? String == "OFC1")
            #expect(recorded["lot"] as? String == "LOT42")
            #expect(recorded["station"] as? String == "PHONE1")
            #expect(recorded["name"] as? String == ServerFixture.registrantName)
            #expect(recorded["dose"] as? Int == 1)
            #expect(recorded["vaccine"] as? String == "CORONAVAC")
            // The same keys as `record --json`, less `line` and `file`.
            let keys: Set<String> = [
                "outcome", "message", "refused", "serial", "registrant", "name", "dose", "vaccine",
                "group", "ticketSite", "lot",
                "site",
                "officer", "station", "administeredAt", "recordedAt",
            ]
            // With every ticket of the upload, this one alone for a ticket text.
            #expect(Set(recorded.keys) == keys.union(["tickets"]))
            let tickets = try #require(recorded["tickets"] as? [[String: Any]])
            #expect(tickets.count == 1)
            #expect(Set(tickets[0].keys) == keys)
            #expect(tickets[0]["serial"] as? String == recorded["serial"] as? String)

            // A re-scan by another officer points at the first record.
            let again = try await fixture.scan(
                text: text + "\n", token: fixture.otherToken, query: "?station=PHONE2")
            #expect(again.status == 200)
            #expect(again.json["outcome"] as? String == "already_recorded")
            #expect(again.json["officer"] as? String == "OFC1")
            #expect(again.json["station"] as? String == "PHONE1")
            #expect((again.json["message"] as? String)?.contains("by officer OFC1") == true)

            let forged = try await fixture.scan(
                text: ServerFixture.forged(try fixture.ticketText()))
            #expect(forged.status == 200)
            #expect(forged.json["outcome"] as? String == "bad_signature")
            #expect(forged.json["refused"] as? Bool == true)

            let doses = try await fixture.store.doses(registrant: "2108230000012345")
            #expect(doses.count == 1)
            #expect(doses.first?.officer == "OFC1")
            #expect(
                try await fixture.store.scanLog().map(\.outcome) == [
                    .recorded, .alreadyRecorded, .badSignature,
                ])
        }
    }

    @Test(
        "photos: JPEG, PNG and a multipart form are read and recorded; an officer's site is the dose's site"
    )
    func photoScans() async throws {
        try await ServerFixture.with() { fixture in
            let jpegText = try fixture.ticketText(dose: 1)
            let jpeg = try await fixture.send(
                .POST, "/api/v1/scans?lot=L1", body: try ServerFixture.photo(of: jpegText),
                contentType: "image/jpeg",
                token: fixture.otherToken)
            #expect(jpeg.status == 200)
            #expect(jpeg.json["outcome"] as? String == "recorded")
            #expect(jpeg.json["site"] as? String == "JKT01")
            #expect(jpeg.json["station"] as? String == "phone")
            #expect(jpeg.headers.first(name: "X-VaxTicket-Tickets") == "1")

            let pngText = try fixture.ticketText(registrant: "2108230000099999")
            let png = try await fixture.send(
                .POST, "/api/v1/scans", body: try ServerFixture.photo(of: pngText, jpeg: false),
                contentType: "image/png",
                token: fixture.token)
            #expect(png.json["outcome"] as? String == "recorded")

            let formText = try fixture.ticketText(registrant: "2108230000088888")
            let boundary = "----vaxticket-test-boundary"
            var form = Data()
            func field(_ name: String, _ value: String) {
                form.append(
                    Data(
                        "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
                            .utf8))
            }
            field("lot", "FORMLOT")
            field("station", "FORMSTATION")
            form.append(
                Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"t.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                        .utf8))
            form.append(Data(try ServerFixture.photo(of: formText)))
            form.append(Data("\r\n--\(boundary)--\r\n".utf8))
            let multipart = try await fixture.send(
                .POST, "/api/v1/scans?lot=QUERYLOT", body: Array(form),
                contentType: "multipart/form-data; boundary=\(boundary)",
                token: fixture.token)
            #expect(multipart.status == 200)
            #expect(multipart.json["outcome"] as? String == "recorded")
            #expect(multipart.json["lot"] as? String == "FORMLOT")
            #expect(multipart.json["station"] as? String == "FORMSTATION")
            // A query value the form replaces is still checked: an invalid one is refused.
            let badQuery = try await fixture.send(
                .POST, "/api/v1/scans?lot=" + String(repeating: "L", count: 65), body: Array(form),
                contentType: "multipart/form-data; boundary=\(boundary)", token: fixture.token)
            #expect(badQuery.status == 400)

            // Not an image after all, or an empty one: a recording outcome, not an HTTP error.
            let garbage = try await fixture.send(
                .POST, "/api/v1/scans", body: Array("hello".utf8), contentType: "image/jpeg",
                token: fixture.token)
            #expect(garbage.status == 200)
            #expect(garbage.json["outcome"] as? String == "unknown_format")
            let empty = try await fixture.send(
                .POST, "/api/v1/scans", body: [], contentType: "image/png", token: fixture.token)
            #expect(empty.json["outcome"] as? String == "empty_file")

            let badForm = try await fixture.send(
                .POST, "/api/v1/scans", body: Array("nothing".utf8),
                contentType: "multipart/form-data; boundary=x",
                token: fixture.token)
            #expect(badForm.status == 400)
            #expect(try await fixture.store.statistics(StatisticsQuery()).total == 3)
        }
    }

    @Test("stats answers the stats --json object; bad parameters are 400")
    func stats() async throws {
        try await ServerFixture.with() { fixture in
            _ = try await fixture.scan(text: try fixture.ticketText())
            _ = try await fixture.scan(text: "not a ticket")
            let stats = try await fixture.send(.GET, "/api/v1/stats?by=site", token: fixture.token)
            #expect(stats.status == 200)
            #expect(stats.json["total"] as? Int == 1)
            #expect(stats.json["by"] as? String == "site")
            #expect((stats.json["refusals"] as? [String: Int])?["malformed"] == 1)
            #expect(
                try await fixture.send(.GET, "/api/v1/stats?by=planet", token: fixture.token).status
                    == 400)
            #expect(
                try await fixture.send(.GET, "/api/v1/stats?from=2021-13-45", token: fixture.token)
                    .status == 400)
            #expect(
                try await fixture.send(
                    .GET, "/api/v1/stats?from=2021-09-01&to=2021-08-01", token: fixture.token
                ).status == 400)
            #expect(
                try await fixture.scan(text: try fixture.ticketText(), query: "?lot=").status == 400
            )
        }
    }

    @Test(
        "a body over the cap is 413, a body that is no image or text is 415, and the server keeps serving"
    )
    func bodyLimits() async throws {
        try await ServerFixture.with(
            ServerConfiguration(port: 0, maxBodyBytes: 4096, rateLimitPerMinute: 0)
        ) { fixture in
            let big = [UInt8](repeating: 0xFF, count: 64 * 1024)
            let tooLarge = try await fixture.send(
                .POST, "/api/v1/scans", body: big, contentType: "image/jpeg", token: fixture.token)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json["error"] as? String == "payload_too_large")
            for type in ["application/json", "application/octet-stream", "image/gif"] {
                let refused = try await fixture.send(
                    .POST, "/api/v1/scans", body: Array("{}".utf8), contentType: type,
                    token: fixture.token)
                #expect(refused.status == 415, "\(type)")
                #expect(refused.json["error"] as? String == "unsupported_media_type")
            }
            #expect(
                try await fixture.send(
                    .POST, "/api/v1/scans", body: Array("x".utf8), token: fixture.token
                ).status == 415)
            // Still serving, and nothing of the refused bodies was recorded.
            #expect(
                try await fixture.scan(text: try fixture.ticketText()).json["outcome"] as? String
                    == "recorded")
            #expect(try await fixture.store.scanLog().count == 1)
        }
    }

    @Test("a token over its rate is 429 with Retry-After; other officers are not affected")
    func rateLimit() async throws {
        try await ServerFixture.with(
            ServerConfiguration(port: 0, rateLimitPerMinute: 6, rateLimitBurst: 3)
        ) { fixture in
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(
                    try await fixture.send(.GET, "/api/v1/stats", token: fixture.token).status)
            }
            #expect(statuses == [200, 200, 200, 429, 429])
            let limited = try await fixture.send(.GET, "/api/v1/stats", token: fixture.token)
            #expect(limited.json["error"] as? String == "rate_limited")
            let wait = try #require(limited.headers.first(name: "Retry-After").flatMap { Int($0) })
            #expect((1...10).contains(wait))
            #expect(
                try await fixture.send(.GET, "/api/v1/stats", token: fixture.otherToken).status
                    == 200)
            #expect(try await fixture.send(.GET, "/healthz").status == 200)
        }
    }

    @Test("issue 19 item 4: a photo holding two tickets answers for both, and records both")
    func twoTicketsInOnePhoto() async throws {
        try await ServerFixture.with() { fixture in
            let texts = [
                try fixture.ticketText(registrant: "2108230000011111"),
                try fixture.ticketText(registrant: "2108230000022222"),
            ]
            let answer = try await fixture.send(
                .POST, "/api/v1/scans", body: try ServerFixture.photo(ofAll: texts),
                contentType: "image/png", token: fixture.token)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "X-VaxTicket-Tickets") == "2")
            let tickets = try #require(answer.json["tickets"] as? [[String: Any]])
            #expect(
                Set(tickets.compactMap { $0["registrant"] as? String }) == [
                    "2108230000011111", "2108230000022222",
                ])
            #expect(tickets.allSatisfy { $0["outcome"] as? String == "recorded" })
            #expect(answer.json["registrant"] as? String == tickets.first?["registrant"] as? String)
            #expect(try await fixture.store.statistics(StatisticsQuery()).total == 2)
        }
    }

    @Test(
        "issue 19 item 5: a database another program keeps locked answers 503 with Retry-After, and nothing is recorded"
    )
    func lockedDatabase() async throws {
        try await ServerFixture.with(busyTimeout: 1) { fixture in
            let (locked, held) = AsyncStream<Void>.makeStream()
            let path = fixture.store.path
            // Another program holds the write lock until the answer has come (60 s at most),
            // on GRDB's own queue rather than a task's thread.
            let release = DispatchSemaphore(value: 0)
            async let holder: Void = DatabaseQueue(path: path).writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                held.yield()
                _ = release.wait(timeout: .now() + 60)
                try db.execute(sql: "COMMIT")
            }
            for await _ in locked { break }
            let answer = try await fixture.scan(text: try fixture.ticketText())
            release.signal()
            #expect(answer.status == 503)
            #expect(answer.headers.first(name: "Retry-After") != nil)
            #expect(answer.json["error"] as? String == "busy")
            #expect((answer.json["message"] as? String)?.contains("locked") == true)
            try await holder
            #expect(try await fixture.store.scanLog().isEmpty)
        }
    }

    @Test(
        "a full photo queue answers 503 with Retry-After, ticket texts still record, and photos read again once there is room"
    )
    func busy() async throws {
        try await ServerFixture.with(
            ServerConfiguration(port: 0, rateLimitPerMinute: 0, workers: 1, queueLimit: 0)
        ) { fixture in
            // Hold the only photo worker.
            let gate = Gate()
            let photos = fixture.server.scanner.photos
            let held = Task { try await photos.run { gate.wait() } }
            while photos.load == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let photo = try ServerFixture.photo(of: try fixture.ticketText(dose: 1))
            let busy = try await fixture.send(
                .POST, "/api/v1/scans", body: photo, contentType: "image/jpeg",
                token: fixture.token)
            #expect(busy.status == 503)
            #expect(busy.headers.first(name: "Retry-After") == "1")
            #expect(busy.json["error"] as? String == "busy")
            // A ticket text never waits for a photo worker.
            let text = try await fixture.scan(
                text: try fixture.ticketText(registrant: "2108230000099999"))
            #expect(text.json["outcome"] as? String == "recorded")
            gate.open()
            try await held.value
            let again = try await fixture.send(
                .POST, "/api/v1/scans", body: photo, contentType: "image/jpeg",
                token: fixture.token)
            #expect(again.json["outcome"] as? String == "recorded")
            #expect(try await fixture.store.scanLog().count == 2)
        }
    }

    @Test(
        "many phones scanning the same tickets at once: each recorded exactly once, every request answered"
    )
    func sameTicketsAtOnce() async throws {
        try await ServerFixture.with(
            ServerConfiguration(port: 0, rateLimitPerMinute: 0, queueLimit: 1000)
        ) { fixture in
            let texts = try (0..<12).map { index in
                try fixture.ticketText(registrant: String(format: "21082300000%05d", index))
            }
            let copies = 6
            let answers = try await withThrowingTaskGroup(of: (String, Int, String?).self) {
                group in
                for copy in 0..<copies {
                    for text in texts {
                        let token = copy.isMultiple(of: 2) ? fixture.token : fixture.otherToken
                        group.addTask {
                            let answer = try await fixture.scan(text: text, token: token)
                            return (text, answer.status, answer.json["outcome"] as? String)
                        }
                    }
                }
                var all: [(String, Int, String?)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == texts.count * copies)
            #expect(answers.allSatisfy { $0.1 == 200 })
            for text in texts {
                let outcomes = answers.filter { $0.0 == text }.compactMap(\.2)
                #expect(
                    outcomes.filter { $0 == "recorded" || $0 == "recorded_other_site" }.count == 1)
                #expect(outcomes.filter { $0 == "already_recorded" }.count == copies - 1)
            }
            #expect(try await fixture.store.statistics(StatisticsQuery()).total == texts.count)
            #expect(try await fixture.store.scanLog().count == texts.count * copies)
        }
    }

    @Test("logs carry a request id and the officer, never a token, a NIK or a registrant's name")
    func logs() async throws {
        try await ServerFixture.with() { fixture in
            _ = try await fixture.scan(text: try fixture.ticketText())
            _ = try await fixture.scan(text: "garbage", token: "vt_wrong")
            _ = try await fixture.send(.GET, "/api/v1/stats", token: fixture.otherToken)
            let lines = fixture.logs.all
            let requests = lines.filter { $0.contains("request") && $0.contains("status=") }
            #expect(requests.count >= 3)
            #expect(requests.allSatisfy { $0.contains("hb.request.id=") })
            #expect(
                lines.contains {
                    $0.contains("officer=OFC1") && $0.contains("outcome=recorded")
                        && $0.contains("hb.request.id=")
                }
            )
            #expect(lines.contains { $0.contains("status=401") })
            for secret in [
                fixture.token, fixture.otherToken, "vt_wrong", ServerFixture.nik,
                ServerFixture.registrantName,
                OfficerToken.hash(fixture.token),
            ] {
                #expect(
                    !lines.contains { $0.contains(secret) }, "a log line holds \(secret.prefix(6))…"
                )
            }
        }
    }
}

/// A gate a pool job waits at until the test opens it.
final class Gate: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func open(times: Int = 1) {
        for _ in 0..<times { semaphore.signal() }
    }
}
