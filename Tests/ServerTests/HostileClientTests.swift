import Foundation
import Imaging
import NIOCore
import NIOHTTP1
import NIOPosix
import PNGCodec
import PhotoReader
import Recording
import ScanServer
import TestSupport
import Testing
import TicketStation

/// A raw TCP connection to the server, for clients no HTTP library would be: half-sent heads,
/// stalled bodies, bodies far over the cap.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func open(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Sends `text`; a connection the server closed makes this throw, which callers may expect.
    func send(_ text: String) async throws {
        try await channel.channel.writeAndFlush(ByteBuffer(string: text))
    }

    func send(bytes count: Int) async throws {
        try await channel.channel.writeAndFlush(
            ByteBuffer(repeating: UInt8(ascii: "x"), count: count))
    }

    /// Everything the server sends until it closes the connection, or `nil` if it is still
    /// open after `seconds`.
    func readUntilClosed(within seconds: Double) async throws -> String? {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var text = ""
                do {
                    try await channel.executeThenClose { inbound, _ in
                        for try await var buffer in inbound {
                            text += buffer.readString(length: buffer.readableBytes) ?? ""
                        }
                    }
                } catch {
                    // A reset is a close too.
                }
                return text
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            channel.channel.close(promise: nil)
            return first
        }
    }

    func close() { channel.channel.close(promise: nil) }
}

@Suite("hostile clients (issue 20)")
struct HostileClientTests {
    /// Tight limits, with timeouts long enough for a machine loaded by other tests.
    static let strict = ServerConfiguration(
        port: 0, rateLimitPerMinute: 0, unauthenticatedPerMinute: 2, unauthenticatedBurst: 10,
        connectionsPerAddress: 6, headTimeout: 20, bodyIdleTimeout: 20, bodyTimeout: 60)

    @Test(
        "issue 20 item 1: a form of a hundred thousand parts is refused after its first few, on a worker, and /healthz keeps answering"
    )
    func manyParts() async throws {
        try await ServerFixture.with(Self.strict) { fixture in
            let boundary = "b"
            var body = ""
            for index in 0..<100_000 {
                body +=
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"f\(index)\"\r\n\r\nx\r\n"
            }
            body += "--\(boundary)--\r\n"
            let form = Array(body.utf8)
            async let first = fixture.send(
                .POST, "/api/v1/scans", body: form,
                contentType: "multipart/form-data; boundary=\(boundary)", token: fixture.token)
            async let second = fixture.send(
                .POST, "/api/v1/scans", body: form,
                contentType: "multipart/form-data; boundary=\(boundary)", token: fixture.token)
            let health = try await fixture.send(.GET, "/healthz")
            #expect(health.status == 200)
            for answer in try await [first, second] {
                #expect(answer.status == 400)
                #expect(answer.json["message"] as? String == "the form has more than 8 fields")
            }
            // With every worker busy, a form waits for none: it is refused like a photo.
            let gate = Gate()
            let photos = fixture.server.scanner.photos
            let held = (0..<photos.threads + photos.queueLimit).map { _ in
                Task { try await photos.run { gate.wait() } }
            }
            while photos.load < photos.threads + photos.queueLimit {
                try await Task.sleep(for: .milliseconds(5))
            }
            let busy = try await fixture.send(
                .POST, "/api/v1/scans", body: form,
                contentType: "multipart/form-data; boundary=\(boundary)", token: fixture.token)
            #expect(busy.status == 503)
            gate.open(times: held.count)
            for task in held { try await task.value }
        }
    }

    @Test(
        "issue 20 item 2: a flood of bad tokens from one address gets 429 without the store, and a real officer keeps scanning"
    )
    func badTokenFlood() async throws {
        try await ServerFixture.with(Self.strict) { fixture in
            // The officer signs in before the flood, as a working phone has.
            let before = try await fixture.scan(
                text: try fixture.ticketText(registrant: "2108230000010000"))
            #expect(before.json["outcome"] as? String == "recorded")
            var statuses: [Int] = []
            for index in 0..<60 {
                let token = index % 2 == 0 ? "vt_flood\(index)" : "garbage"
                statuses.append(try await fixture.scan(text: "x", token: token).status)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(40).allSatisfy { $0 == 429 })
            for index in 0..<8 {
                let answer = try await fixture.scan(
                    text: try fixture.ticketText(registrant: "21082300000200\(10 + index)"))
                #expect(answer.status == 200)
                #expect(answer.json["outcome"] as? String == "recorded")
            }
            // A new token from the flooded address waits like the flood, until the budget refills.
            let stranger = try await fixture.scan(text: "x", token: fixture.otherToken)
            #expect(stranger.status == 429)
            #expect(stranger.headers.first(name: "Retry-After") != nil)
        }
    }

    @Test(
        "issue 20 item 3: a half-sent request head is closed after the head timeout, and a stalled body after the body timeout"
    )
    func slowClients() async throws {
        var configuration = Self.strict
        // Long enough that a machine loaded by the whole suite sends the first bytes in time.
        configuration.headTimeout = 8
        configuration.bodyIdleTimeout = 3
        try await ServerFixture.with(configuration) { fixture in
            let clock = ContinuousClock()
            let opened = clock.now
            let half = try await RawConnection.open(port: fixture.port)
            #expect(
                try await Self.closed(
                    half, after: "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bea"))
            // Closed by the head timeout, not at once.
            #expect(clock.now - opened >= .seconds(configuration.headTimeout - 0.5))

            let stalled = try await RawConnection.open(port: fixture.port)
            #expect(
                try await Self.closed(
                    stalled,
                    after: "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer \(fixture.token)\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\nVT1:"))
            #expect(try await fixture.send(.GET, "/healthz").status == 200)
            #expect(try await fixture.store.scanLog().isEmpty)
        }
    }

    /// Whether the server closes `connection` within 30 s of being sent `text`: a send that
    /// fails because the server closed the connection first counts as closed too.
    static func closed(_ connection: RawConnection, after text: String) async throws -> Bool {
        do {
            try await connection.send(text)
        } catch {
            return true
        }
        return try await connection.readUntilClosed(within: 30) != nil
    }

    @Test(
        "issue 20 item 3: one address holds at most its share of connections; the rest are closed at once"
    )
    func connectionsPerAddress() async throws {
        var configuration = Self.strict
        configuration.headTimeout = 600
        try await ServerFixture.with(configuration) { fixture in
            var held: [RawConnection] = []
            for _ in 0..<6 { held.append(try await RawConnection.open(port: fixture.port)) }
            while fixture.server.openConnections < 6 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let extra = try await RawConnection.open(port: fixture.port)
            // Closed at once, long before the head timeout would close it.
            #expect(try await extra.readUntilClosed(within: 60) != nil)
            #expect(fixture.server.openConnections == 6)
            for connection in held { connection.close() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await fixture.send(.GET, "/healthz").status == 200)
        }
    }

    @Test(
        "issue 20 item 3: a body over the cap, sent without Expect: 100-continue, gets its 413 and then the connection is closed"
    )
    func oversizedBody() async throws {
        try await ServerFixture.with(Self.strict) { fixture in
            let connection = try await RawConnection.open(port: fixture.port)
            try await connection.send(
                "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fixture.token)\r\n"
                    + "Content-Type: image/jpeg\r\nContent-Length: 67108864\r\n\r\n")
            // The phone goes on sending; the server answers and closes instead of reading 64 MB.
            let sender = Task {
                for _ in 0..<64 { try await connection.send(bytes: 1024 * 1024) }
            }
            let answer = try #require(try await connection.readUntilClosed(within: 30))
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("payload_too_large"))
            sender.cancel()
            _ = await sender.result
        }
    }

    @Test(
        "issue 20 item 5: a small PNG that claims ten thousand pixels square is refused before it is decoded"
    )
    func pixelCap() async throws {
        try await ServerFixture.with(Self.strict) { fixture in
            let side = 10_000
            let white = BilevelImage(
                width: side, height: side,
                bits: [UInt8](repeating: 0xFF, count: (side + 7) / 8 * side))
            let png = try PNG.encode(white)
            #expect(png.count < 200_000)
            let answer = try await fixture.send(
                .POST, "/api/v1/scans", body: png, contentType: "image/png", token: fixture.token)
            #expect(answer.status == 200)
            #expect(answer.json["outcome"] as? String == "too_large")
            #expect(fixture.server.scanner.photos.options.maxPixels == 12_500_000)
        }
    }

    @Test(
        "issue 20 item 7: every answer forbids inline script, frames, type sniffing and referrers")
    func securityHeaders() async throws {
        try await ServerFixture.with(Self.strict) { fixture in
            for path in ["/healthz", "/api/v1/stats"] {
                let answer = try await fixture.send(.GET, path, token: fixture.token)
                let policy = answer.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(answer.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(answer.headers.first(name: "Referrer-Policy") == "no-referrer")
                #expect(answer.headers.first(name: "Strict-Transport-Security") == nil)
            }
            let refused = try await fixture.send(.GET, "/api/v1/stats")
            #expect(refused.status == 401)
            #expect(refused.headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }
}
