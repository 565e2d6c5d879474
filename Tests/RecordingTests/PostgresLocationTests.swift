import Foundation
import PostgresStore
import Recording
import TestSupport
import Testing

@Suite("PostgreSQL URLs and passwords")
struct PostgresLocationTests {
    @Test("a URL gives user, host, port, database and TLS mode")
    func parses() async throws {
        let location = try PostgresLocation(
            url: "postgres://vax@db.city.example:6543/doses?sslmode=require")
        #expect(
            location
                == PostgresLocation(
                    user: "vax", host: "db.city.example", port: 6543, database: "doses",
                    tlsMode: .require))
        #expect(location.description == "postgres://vax@db.city.example:6543/doses?sslmode=require")
        let plain = try PostgresLocation(url: "postgresql://vax@127.0.0.1/doses")
        #expect(plain.port == 5432)
        #expect(plain.tlsMode == .prefer)
        #expect(PostgresLocation.isPostgresURL("postgres://a@b/c"))
        #expect(!PostgresLocation.isPostgresURL("doses.sqlite"))
    }

    @Test(
        "a URL with a password, or missing parts, or unknown parameters is refused without echoing the password"
    )
    func refuses() async throws {
        #expect { try PostgresLocation(url: "postgres://vax:hunter2@db/doses") } throws: { error in
            guard case .cannotOpen(let path, let reason) = error as? StoreError else {
                return false
            }
            return !path.contains("hunter2") && reason.contains("PGPASSWORD")
        }
        for bad in [
            "postgres://db/doses", "postgres://vax@/doses", "postgres://vax@db",
            "postgres://vax@db/doses?sslmode=maybe",
            "postgres://vax@db/doses?user=x", "postgres://vax@db:0/doses",
        ] {
            #expect(throws: StoreError.self, "\(bad)") { try PostgresLocation(url: bad) }
        }
    }

    @Test(
        "the password comes from PGPASSWORD, else the first matching .pgpass line, which must be 0600"
    )
    func passwords() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let location = try PostgresLocation(url: "postgres://vax@db.city.example:6543/doses")
        #expect(
            try location.password(environment: ["PGPASSWORD": "from-env"], home: folder.url.path)
                == "from-env")
        #expect(try location.password(environment: [:], home: folder.url.path) == nil)
        let file = folder.path(".pgpass")
        try """
        # comment
        other.example:6543:doses:vax:wrong
        db.city.example:6543:doses:nobody:wrong
        db.city.example:*:doses:vax:pa\\:ss
        *:*:*:*:fallback
        """.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(try location.password(environment: [:], home: folder.url.path) == "pa:ss")
        #expect(
            try location.password(environment: ["PGPASSFILE": file], home: "/nonexistent")
                == "pa:ss")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect { try location.password(environment: [:], home: folder.url.path) } throws: {
            error in
            guard case .cannotOpen(_, let reason) = error as? StoreError else { return false }
            return reason.contains("chmod 0600") && !reason.contains("pa:ss")
        }
    }
}
