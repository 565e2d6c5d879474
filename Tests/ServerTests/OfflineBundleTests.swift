import Foundation
import NIOHTTP1
import Recording
import Reports
import ScanServer
import Testing
import TicketCodec

/// `GET /api/v1/offline-bundle`: what a phone decides with offline, no secret in it, and a
/// version that lets a phone skip a download it already holds.
@Suite("offline bundle")
struct OfflineBundleTests {
    /// An HMAC key rotated away on 2021-08-20 (Jakarta) and an active Ed25519 key, with known
    /// secrets so the test can look for them in the answer, and one revoked serial.
    static func keyring() throws -> Keyring {
        let stopped = try #require(Timestamp.date("2021-08-20T20:30:00.000Z"))
        let hmac = try Key(
            id: "K1", secret: Array(repeating: 0xA7, count: 16) + Array(0..<16),
            created: Date(timeIntervalSince1970: 1_600_000_000), state: .verifyOnly,
            stoppedSigning: stopped)
        let ed25519 = try Key(
            id: "K2", secret: Array(40..<72), created: stopped, algorithm: .ed25519)
        var keyring = Keyring(keys: [hmac, ed25519], maxValidityDays: 60)
        try keyring.revoke(0xABCD_EF01, reason: "lost card of Budi", now: stopped)
        return keyring
    }

    @Test("keys with states and rotation days, revocations, time zone, rules, officer; no secret")
    func contents() async throws {
        let keyring = try Self.keyring()
        try await ServerFixture.with(keyring: keyring) { fixture in
            let before = Date()
            let answer = try await fixture.send(
                .GET, "/api/v1/offline-bundle", token: fixture.otherToken)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "Content-Type") == "application/json")
            #expect(answer.headers.first(name: "Cache-Control") == "private, no-cache")
            let json = answer.json
            #expect(json["format"] as? String == "vaxticket-offline-bundle-1")
            #expect(json["timeZone"] as? String == "Asia/Jakarta")
            let serverTime = try #require(json["serverTime"] as? String)
            let time = try #require(Timestamp.date(serverTime))
            #expect(time >= before.addingTimeInterval(-1) && time <= Date().addingTimeInterval(1))

            // The public keys are exactly what `keys export-public` writes.
            let keysObject = try #require(json["publicKeys"])
            let keysData = try JSONSerialization.data(withJSONObject: keysObject)
            let publicKeys = try PublicKeyring(json: keysData)
            #expect(publicKeys == PublicKeyring(keyring))
            #expect(publicKeys.keys.map(\.state) == [.verifyOnly, .active])
            #expect(publicKeys.keys[0].publicKey == nil)
            #expect(publicKeys.keys[1].publicKey == keyring.keys[1].publicKey)
            #expect(publicKeys.revocations.map(\.serial) == [0xABCD_EF01])
            #expect(publicKeys.maxValidityDays == 60)
            // 20:30 UTC on the 20th is the 21st in Jakarta.
            #expect(json["stoppedSigningDays"] as? [String: String] == ["K1": "2021-08-21"])

            let rules = try #require(json["rules"] as? [String: Any])
            #expect(rules["clockSkewSeconds"] as? Int == 300)
            #expect(rules["queueDays"] as? Int == 7)
            #expect(rules["maxBatchScans"] as? Int == 100)
            let policy = try #require(rules["policy"] as? [String: Any])
            #expect(policy["name"] as? String == "2021 default")
            let vaccines = try #require(rules["vaccines"] as? [[String: Any]])
            #expect(vaccines.count == VaccineTable.builtIn.vaccines.count)
            let coronavac = try #require(vaccines.first { $0["code"] as? String == "CORONAVAC" })
            #expect(coronavac["id"] as? Int == 1)
            #expect(coronavac["minimum_days_before_next_dose"] as? Int == 28)
            #expect(json["officer"] as? [String: String] == ["name": "OFC2", "site": "JKT01"])

            // No secret in any form: the HMAC secret and the Ed25519 seed, raw, hex or Base64,
            // nor the revocation's reason.
            let body = String(decoding: answer.body, as: UTF8.self)
            for key in [keyring.keys[0], keyring.keys[1]] {
                let secret = try #require(Self.secret(of: key, in: keyring))
                #expect(!body.contains(Data(secret).base64EncodedString()))
                #expect(!body.contains(secret.map { String(format: "%02x", $0) }.joined()))
                #expect(answer.body.range(of: Data(secret)) == nil)
            }
            #expect(!body.contains("Budi"))
            #expect(!body.contains("secret"))
        }
    }

    /// The secret the test made `key` with.
    static func secret(of key: Key, in keyring: Keyring) -> [UInt8]? {
        switch key.id {
        case "K1": Array(repeating: 0xA7, count: 16) + Array(0..<16)
        case "K2": Array(40..<72)
        default: nil
        }
    }

    @Test("ETag is the quoted version; If-None-Match with it gives 304 and no body")
    func notModified() async throws {
        try await ServerFixture.with(keyring: try Self.keyring()) { fixture in
            let first = try await fixture.send(.GET, "/api/v1/offline-bundle", token: fixture.token)
            let version = try #require(first.json["version"] as? String)
            #expect(version.count == 64)
            #expect(version.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            let etag = try #require(first.headers.first(name: "ETag"))
            #expect(etag == "\"\(version)\"")

            // A second fetch a moment later: another server time, the same version.
            try await Task.sleep(for: .milliseconds(20))
            let second = try await fixture.send(
                .GET, "/api/v1/offline-bundle", token: fixture.token)
            #expect(second.json["version"] as? String == version)
            #expect(second.json["serverTime"] as? String != first.json["serverTime"] as? String)

            for header in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let cached = try await fixture.send(
                    .GET, "/api/v1/offline-bundle", token: fixture.token,
                    headers: [("If-None-Match", header)])
                #expect(cached.status == 304, "If-None-Match: \(header)")
                #expect(cached.body.isEmpty)
                #expect(cached.headers.first(name: "ETag") == etag)
            }
            let stale = try await fixture.send(
                .GET, "/api/v1/offline-bundle", token: fixture.token,
                headers: [("If-None-Match", "\"0123\"")])
            #expect(stale.status == 200)
            #expect(stale.json["version"] as? String == version)

            // Another officer's bundle names another officer: another version.
            let other = try await fixture.send(
                .GET, "/api/v1/offline-bundle", token: fixture.otherToken,
                headers: [("If-None-Match", etag)])
            #expect(other.status == 200)
            #expect(other.json["version"] as? String != version)
        }
    }

    @Test("a revocation changes the version")
    func versionFollowsContent() throws {
        let keyring = try Self.keyring()
        var revoked = keyring
        try revoked.revoke(0x1234, reason: nil)
        let officer = Officer(
            name: "OFC1", site: nil, tokenHash: String(repeating: "0", count: 64), createdAt: Date()
        )
        func bundle(_ keyring: Keyring) -> OfflineBundle {
            OfflineBundle(
                verifier: TicketVerifier(keyring: keyring),
                rules: RecordingRules(policy: .default2021, vaccines: .builtIn),
                configuration: ServerConfiguration(), officer: officer)
        }
        #expect(bundle(keyring).version == bundle(keyring).version)
        #expect(bundle(keyring).version != bundle(revoked).version)
    }

    @Test("401 without a token or with a wrong one")
    func needsToken() async throws {
        try await ServerFixture.with { fixture in
            let none = try await fixture.send(.GET, "/api/v1/offline-bundle")
            #expect(none.status == 401)
            #expect(none.json["error"] as? String == "unauthorized")
            let wrong = try await fixture.send(
                .GET, "/api/v1/offline-bundle", token: "vt_notatoken")
            #expect(wrong.status == 401)
            #expect(!String(decoding: wrong.body, as: UTF8.self).contains("publicKeys"))
        }
    }
}
