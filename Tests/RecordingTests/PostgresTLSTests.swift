import Foundation
import NIOCore
import NIOPosix
import PostgresStore
import Recording
import Synchronization
import TestSupport
import Testing

/// Regression tests for issue 20 item 4 on PostgreSQL: the TLS mode a URL gets, and a password
/// that never crosses in clear text, against a fake server that offers no TLS and against the
/// throwaway cluster's self-signed certificate.
@Suite("Issue 20 hardening: PostgreSQL over TLS")
struct PostgresTLSTests {
    @Test(
        "issue 20 item 4: a server on another machine gets verify-full by default, loopback prefer; sslrootcert implies verification",
        arguments: [
            ("postgres://vax@db.city.example/doses", "verify-full", nil, "db.city.example"),
            ("postgres://vax@10.1.2.3:6543/doses", "verify-full", nil, "10.1.2.3"),
            ("postgres://vax@[2001:db8::5]/doses", "verify-full", nil, "2001:db8::5"),
            ("postgres://vax@127.0.0.1/doses", "prefer", nil, "127.0.0.1"),
            ("postgres://vax@127.0.0.2/doses", "prefer", nil, "127.0.0.2"),
            ("postgres://vax@localhost:6543/doses", "prefer", nil, "localhost"),
            ("postgres://vax@[::1]/doses", "prefer", nil, "::1"),
            (
                "postgres://vax@db.city.example/doses?sslmode=prefer", "prefer", nil,
                "db.city.example"
            ),
            (
                "postgres://vax@db.city.example/doses?sslmode=disable", "disable", nil,
                "db.city.example"
            ),
            ("postgres://vax@127.0.0.1/doses?sslmode=verify-full", "verify-full", nil, "127.0.0.1"),
            (
                "postgres://vax@localhost/doses?sslrootcert=/etc/vaxticket/ca.pem", "verify-full",
                "/etc/vaxticket/ca.pem", "localhost"
            ),
            (
                "postgres://vax@db/doses?sslmode=verify-ca&sslrootcert=/etc/city%20ca.pem",
                "verify-ca", "/etc/city ca.pem", "db"
            ),
        ] as [(String, String, String?, String)])
    func item4Defaults(url: String, mode: String, rootCertificates: String?, host: String) throws {
        let location = try PostgresLocation(url: url)
        #expect(location.tlsMode.rawValue == mode)
        #expect(location.rootCertificates == rootCertificates)
        #expect(location.host == host)
        // What messages and tests print parses back to the same place, mode and authorities.
        #expect(try PostgresLocation(url: location.description) == location)
        #expect(!location.description.contains("[["))
    }

    @Test(
        "issue 20 item 4: sslrootcert with a mode that checks no certificate, or empty, is refused",
        arguments: [
            "postgres://vax@db/doses?sslmode=require&sslrootcert=/ca.pem",
            "postgres://vax@db/doses?sslmode=prefer&sslrootcert=/ca.pem",
            "postgres://vax@db/doses?sslmode=disable&sslrootcert=/ca.pem",
            "postgres://vax@db/doses?sslrootcert=",
        ])
    func item4RootCertificatesNeedVerification(url: String) {
        #expect {
            try PostgresLocation(url: url)
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("sslrootcert")
        }
    }

    @Test(
        "issue 20 item 4: with sslmode prefer and a password, a server without TLS is refused and never sees the password"
    )
    func item4PreferNeverSendsPasswordInClear() async throws {
        let server = try await FakePostgresServer.start()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let secret = "pw-" + UUID().uuidString
        let location = try PostgresLocation(
            url: "postgres://vaxticket@127.0.0.1:\(server.port)/vaxticket")
        #expect(location.tlsMode == .prefer)

        await #expect {
            try await PostgresDoseStore(
                location: location, environment: ["PGPASSWORD": secret], home: folder.url.path)
        } throws: { error in
            guard case .cannotOpen(let path, let reason) = error as? StoreError else {
                return false
            }
            return reason.contains("never sent in clear text") && reason.contains("sslmode=disable")
                && !path.contains(secret) && !reason.contains(secret)
        }
        // The server saw the request for TLS and nothing else: no startup message, no password.
        #expect(server.received == FakePostgresServer.sslRequest)
        #expect(!server.received.contains(Array(secret.utf8)))
        await server.stop()
    }

    @Test(
        "issue 20 item 4: the fake server does catch a password sent in clear text (sslmode=disable), and prefer without a password still connects in plain text"
    )
    func item4FakeServerSeesPlainText() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let secret = "pw-" + UUID().uuidString

        // Disabled by the operator on a trusted network: the password goes as asked.
        let plain = try await FakePostgresServer.start()
        await #expect(throws: StoreError.self) {
            try await PostgresDoseStore(
                location: try PostgresLocation(
                    url: "postgres://vaxticket@127.0.0.1:\(plain.port)/vaxticket?sslmode=disable"),
                environment: ["PGPASSWORD": secret], home: folder.url.path)
        }
        #expect(plain.received.contains(Array(secret.utf8)))
        await plain.stop()

        // No password to send: prefer falls back to plain text (this fake server then closes
        // the connection, which fails the store).
        let nothing = try await FakePostgresServer.start()
        await #expect(throws: StoreError.self) {
            try await PostgresDoseStore(
                location: try PostgresLocation(
                    url: "postgres://vaxticket@127.0.0.1:\(nothing.port)/vaxticket"),
                environment: [:], home: folder.url.path)
        }
        #expect(nothing.received.starts(with: FakePostgresServer.sslRequest))
        #expect(nothing.received.contains(Array("vaxticket".utf8)))
        await nothing.stop()
    }

    @Test(
        "issue 20 item 4: verify-full with sslrootcert connects to localhost and refuses 127.0.0.1, which the certificate does not name",
        .enabled(
            if: TestPostgres.offersTLS && TestPostgres.rootCertificate != nil,
            "the test server has no TLS certificate to trust"))
    func item4VerifyFull() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let rootCertificate = try #require(TestPostgres.rootCertificate)
        var location = try PostgresLocation(url: try await TestPostgres.freshDatabase())
        let query = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

        // The certificate names localhost: verify-full with it as the authority connects.
        location.host = "localhost"
        location.tlsMode = .verifyFull
        location.rootCertificates = rootCertificate
        #expect(
            try await TestPostgres.store(location.description, until: folder).execute(query)
                == ["true"])
        // sslrootcert alone implies verify-full, even on loopback.
        let implied = try PostgresLocation(
            url: "postgres://\(location.user)@localhost:\(location.port)/\(location.database)"
                + "?sslrootcert=\(rootCertificate)")
        #expect(implied.tlsMode == .verifyFull)
        #expect(
            try await TestPostgres.store(implied.description, until: folder).execute(query)
                == ["true"])

        // 127.0.0.1 is not the name on the certificate.
        location.host = "127.0.0.1"
        await #expect {
            try await PostgresDoseStore(location: location)
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("verify-full") && reason.contains("127.0.0.1")
                && reason.contains(rootCertificate)
        }
        // verify-ca checks the authority but not the name.
        location.tlsMode = .verifyCA
        #expect(
            try await TestPostgres.store(location.description, until: folder).execute(query)
                == ["true"])

        // The self-signed certificate is in no system trust store.
        location.host = "localhost"
        location.tlsMode = .verifyFull
        location.rootCertificates = nil
        await #expect {
            try await PostgresDoseStore(location: location)
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("the system's trust store")
        }
        // A missing sslrootcert file is named.
        location.rootCertificates = folder.path("missing.pem")
        await #expect {
            try await PostgresDoseStore(location: location)
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("missing.pem")
        }
    }

    @Test(
        "issue 20 item 4: prefer with a password connects over TLS to a server that offers it",
        .enabled(if: TestPostgres.offersTLS, "the test server has no TLS"))
    func item4PreferWithTLS() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try await TestPostgres.freshDatabase()
        #expect(try PostgresLocation(url: url).tlsMode == .prefer)
        #expect(ProcessInfo.processInfo.environment["PGPASSWORD"]?.isEmpty == false)
        #expect(
            try await TestPostgres.store(url, until: folder).execute(
                "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == ["true"])
    }

    @Test(
        "issue 20 item 6: a database server's error text is stripped of escape sequences before it reaches a terminal",
        .enabled(if: TestPostgres.isAvailable, "VAXTICKET_TEST_POSTGRES_URL is not set"))
    func item6ServerMessages() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try await TestPostgres.store(
            try await TestPostgres.freshDatabase(), until: folder)
        await #expect {
            try await store.execute(
                #"DO $$ BEGIN RAISE EXCEPTION E'\x1b[2J\x1b]8;;https://evil.example/\x07all doses synced\x1b]8;;\x07\rOK' USING DETAIL = E'\u202Efdp.exe'; END $$"#
            )
        } throws: { error in
            guard case .postgres(_, let message) = error as? StoreError else { return false }
            return message == "all doses synced OK (fdp.exe)"
        }
    }
}

/// A fake PostgreSQL server on 127.0.0.1 that offers no TLS: it answers the request for TLS
/// with `N`, asks for the password in clear text, closes the connection once a password
/// arrives, and keeps every byte it received, to show what crossed the wire.
final class FakePostgresServer: Sendable {
    /// The SSLRequest message: length 8, code 80877103.
    static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    private let channel: any Channel
    private let log: Log

    /// The port it listens on.
    let port: Int

    private init(channel: any Channel, log: Log, port: Int) {
        self.channel = channel
        self.log = log
        self.port = port
    }

    /// Every byte received so far, on all connections, in order.
    var received: [UInt8] { log.bytes.withLock { $0 } }

    /// Starts listening on a free port.
    static func start() async throws -> FakePostgresServer {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FakePostgresHandler(record: { bytes in log.append(bytes) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        return FakePostgresServer(channel: channel, log: log, port: port)
    }

    /// Stops listening.
    func stop() async {
        try? await channel.close()
    }

    /// The bytes received, shared with the connections' handlers.
    private final class Log: Sendable {
        let bytes = Mutex<[UInt8]>([])
        func append(_ new: [UInt8]) { bytes.withLock { $0 += new } }
    }
}

/// One connection of the fake server: the PostgreSQL wire protocol just far enough to see
/// whether a startup message and a password arrive.
private final class FakePostgresHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let record: @Sendable ([UInt8]) -> Void
    private var pending = ByteBuffer()
    private var started = false

    init(record: @escaping @Sendable ([UInt8]) -> Void) {
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        record(Array(bytes.readableBytesView))
        pending.writeBuffer(&bytes)
        while true {
            if !started {
                // Untagged: length (itself included), then a code or the protocol version.
                guard let length = pending.getInteger(at: pending.readerIndex, as: Int32.self),
                    (8...10_000).contains(length), pending.readableBytes >= Int(length),
                    let code = pending.getInteger(at: pending.readerIndex + 4, as: Int32.self)
                else { return }
                pending.moveReaderIndex(forwardBy: Int(length))
                if code == 80_877_103 {
                    reply(context, [UInt8(ascii: "N")])
                } else {
                    started = true
                    // AuthenticationCleartextPassword: 'R', length 8, code 3.
                    reply(context, [UInt8(ascii: "R"), 0, 0, 0, 8, 0, 0, 0, 3])
                }
            } else {
                // Tagged: a type byte, then the length (itself included).
                guard let type = pending.getInteger(at: pending.readerIndex, as: UInt8.self),
                    let length = pending.getInteger(at: pending.readerIndex + 1, as: Int32.self),
                    (4...10_000).contains(length), pending.readableBytes >= Int(length) + 1
                else { return }
                pending.moveReaderIndex(forwardBy: Int(length) + 1)
                if type == UInt8(ascii: "p") {
                    context.close(promise: nil)
                    return
                }
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
    }
}
