import Foundation
import Testing

@testable import TicketCodec

/// A fresh temporary folder per test.
struct Scratch: ~Copyable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ticketcodec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

func permissions(_ path: String) throws -> Int {
    try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?
        .intValue ?? -1
}

@Suite("Keyring")
struct KeyringTests {
    @Test("saved with mode 0600, loaded back equal")
    func saveAndLoad() throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        var keyring = Keyring(note: "test")
        try keyring.rotate(now: Fixtures.created)
        try keyring.rotate(now: Fixtures.created)
        try keyring.save(to: path)
        #expect(try permissions(path) & 0o777 == 0o600)
        let loaded = try Keyring.load(from: path)
        #expect(loaded == keyring)
        #expect(loaded.keys.map(\.id) == ["K1", "K2"])
        #expect(loaded.keys.map(\.state) == [.verifyOnly, .active])
        #expect(loaded.activeKey?.id == "K2")
        #expect(loaded.note == "test")
        // Saving over an existing file keeps it private.
        try loaded.save(to: path)
        #expect(try permissions(path) & 0o777 == 0o600)
    }

    @Test(
        "keyrings saved from many threads at once are every one mode 0600, and nothing is left beside them"
    )
    func concurrentSaves() throws {
        // Saves used to switch the process-wide umask around Foundation's atomic write, which
        // itself reads the umask by setting it: a thread could restore another's default
        // before that one wrote, and a keyring came out mode 0644 now and then (seen once in
        // the full suite, where tests run in parallel). Each save now creates its file 0600.
        let scratch = try Scratch()
        var keyring = Keyring(note: "test")
        try keyring.rotate(now: Fixtures.created)
        let paths = (0..<64).map { scratch.path("keyring-\($0).json") }
        let ring = keyring
        DispatchQueue.concurrentPerform(iterations: paths.count * 4) { index in
            try? ring.save(to: paths[index % paths.count])
        }
        for path in paths {
            #expect(try permissions(path) & 0o777 == 0o600, "\(path)")
            #expect(try Keyring.load(from: path) == keyring)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(left.count == paths.count, "\(left.filter { $0.contains(".tmp-") })")
    }

    @Test(
        "a keyring that cannot be written is an I/O error naming the file, and no temporary file stays"
    )
    func unwritable() throws {
        let scratch = try Scratch()
        let path = scratch.path("missing-folder/keyring.json")
        var keyring = Keyring()
        try keyring.rotate(now: Fixtures.created)
        #expect {
            try keyring.save(to: path)
        } throws: { error in
            guard case .io(let failed, _) = error as? KeyringError else { return false }
            return failed == path
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test(
        "a keyring readable by group or others is refused", arguments: [0o640, 0o604, 0o644, 0o660])
    func tooOpen(mode: Int) throws {
        let scratch = try Scratch()
        let path = scratch.path("keyring.json")
        try Fixtures.keyring.save(to: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        #expect(throws: KeyringError.tooOpen(path: path, mode: mode)) {
            try Keyring.load(from: path)
        }
        let message = KeyringError.tooOpen(path: path, mode: mode).description
        #expect(message.contains("too open"))
        #expect(message.contains("chmod 600"))
    }

    @Test("secrets never appear in descriptions, dumps or errors")
    func secretsHidden() throws {
        let key = try Key(
            id: "K7", secret: Array(repeating: 0xAB, count: 32), created: Fixtures.created)
        let base64 = Data(key.secretBytes).base64EncodedString()
        var dumped = ""
        dump(Keyring(keys: [key]), to: &dumped)
        for text in [
            String(describing: key), String(reflecting: key), "\(key)", dumped,
            String(describing: Keyring(keys: [key])),
        ] {
            #expect(!text.contains(base64))
            #expect(!text.contains("171, 171"))
            #expect(!text.lowercased().contains("abab"))
            #expect(text.contains("K7"))
        }
    }

    @Test("rotate, retire and errors")
    func lifecycle() throws {
        var keyring = Keyring()
        #expect(keyring.activeKey == nil)
        try keyring.rotate(newID: "DEMO", now: Fixtures.created)
        try keyring.rotate(now: Fixtures.created)
        #expect(keyring.keys.map(\.id) == ["DEMO", "K1"])
        #expect(throws: KeyringError.duplicateKey("K1")) { try keyring.rotate(newID: "K1") }
        #expect(throws: KeyringError.invalidKeyID("k3")) { try keyring.rotate(newID: "k3") }
        #expect(throws: KeyringError.invalidKeyID("TOOLONGID")) {
            try keyring.rotate(newID: "TOOLONGID")
        }
        #expect(throws: KeyringError.unknownKey("K9")) { try keyring.retire(id: "K9") }
        try keyring.retire(id: "K1")
        #expect(keyring.activeKey == nil)
        #expect(keyring.key(id: "DEMO")?.state == .verifyOnly)
        #expect(keyring.nextKeyID() == "K2")
        #expect(throws: KeyringError.shortSecret("K1")) {
            try Key(id: "K1", secret: Array(0..<15), created: Fixtures.created)
        }
        #expect(try Key.generate(id: "A").secretBytes != (try Key.generate(id: "A").secretBytes))
    }

    @Test("missing and malformed files")
    func badFiles() throws {
        let scratch = try Scratch()
        let missing = scratch.path("none.json")
        #expect(throws: KeyringError.notFound(missing)) { try Keyring.load(from: missing) }
        let garbage = scratch.path("garbage.json")
        #expect(
            FileManager.default.createFile(
                atPath: garbage, contents: Data("{\"keys\": 3}".utf8),
                attributes: [.posixPermissions: 0o600]))
        #expect(throws: KeyringError.malformed(path: garbage, reason: "not keyring JSON")) {
            try Keyring.load(from: garbage)
        }
    }

    @Test("the path comes from the flag, then the environment, then the default")
    func pathResolution() {
        let environment = ["VAXTICKET_KEYRING": "/env/keys.json"]
        #expect(
            Keyring.resolvePath(explicit: "/flag.json", environment: environment) == "/flag.json")
        #expect(Keyring.resolvePath(explicit: nil, environment: environment) == "/env/keys.json")
        #expect(Keyring.resolvePath(explicit: nil, environment: [:]) == "vaxticket-keyring.json")
        #expect(Keyring.revocationPath(forKeyringAt: "/a/b/keys.json") == "/a/b/revoked.txt")
    }
}

@Suite("Revocation list")
struct RevocationListTests {
    @Test("an old revoked.txt is read; a missing one is empty")
    func load() throws {
        let scratch = try Scratch()
        let path = scratch.path("revoked.txt")
        #expect(try RevocationList.load(from: path).serials.isEmpty)
        try "0123456789ABCDEF # lost phone\n000000000000002A\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(try RevocationList.load(from: path).serials == [0x0123_4567_89AB_CDEF, 42])
    }

    @Test("a bad line is reported with its number")
    func badLine() {
        #expect(throws: RevocationListError(path: "(text)", reason: "line 3 is not a serial: XYZ"))
        {
            try RevocationList(parsing: "# revoked\n00000000000000FF\nXYZ\n")
        }
    }
}

@Suite("Vaccine table")
struct VaccineTableTests {
    @Test("the built-in table has the nine vaccines with fixed numbers")
    func builtIn() {
        let codes = VaccineTable.builtIn.vaccines.map(\.code)
        #expect(
            codes == [
                "CORONAVAC", "BIOFARMA", "ASTRAZENECA", "SINOPHARM", "MODERNA", "PFIZER", "NOVAVAX",
                "JANSSEN", "SPUTNIKV",
            ])
        #expect(VaccineTable.builtIn.vaccines.map(\.id) == Array(1...9))
        #expect(VaccineTable.builtIn.vaccine(code: "ASTRAZENECA")?.minimumDaysBeforeNextDose == 84)
        #expect(VaccineTable.builtIn.vaccine(id: 1)?.displayName == "CoronaVac (Sinovac)")
        #expect(VaccineTable.builtIn.vaccine(code: "ASPIRIN") == nil)
    }

    @Test("a file replaces the table; built-in codes keep their numbers")
    func file() throws {
        let scratch = try Scratch()
        let path = scratch.path("vaccines.json")
        try Data(
            #"{"vaccines": [{"code": "CORONAVAC", "name": "CoronaVac", "minimum_days_before_next_dose": 14}, {"code": "ZIFIVAX", "name": "Zifivax", "minimum_days_before_next_dose": 30, "id": 10}]}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: path))
        let table = try VaccineTable(contentsOf: path)
        #expect(
            table.vaccine(code: "CORONAVAC")
                == Vaccine(
                    code: "CORONAVAC", displayName: "CoronaVac", minimumDaysBeforeNextDose: 14,
                    id: 1))
        #expect(table.vaccine(id: 10)?.code == "ZIFIVAX")
        #expect(table.vaccine(code: "PFIZER") == nil)
        // A ticket signed with the custom table verifies with it.
        var ticket = Fixtures.ticket
        ticket.vaccine = "ZIFIVAX"
        let text = try TicketSigner(key: Fixtures.key, vaccines: table).sign(ticket)
        #expect(
            TicketVerifier(keyring: Fixtures.keyring, vaccines: table).verify(
                text, on: Fixtures.date("2021-08-25")
            ).ticket
                == ticket)
        #expect(
            TicketVerifier(keyring: Fixtures.keyring).verify(text, on: Fixtures.date("2021-08-25"))
                .outcome
                == .malformed(.fieldOutOfRange("vaccine")))
    }

    @Test("a new code without a number is refused")
    func missingID() {
        #expect(
            throws: VaccineTableError(
                path: "(in memory)", reason: "ZIFIVAX needs an id from 1 to 255")
        ) {
            try VaccineTable([
                Vaccine(code: "ZIFIVAX", displayName: "Zifivax", minimumDaysBeforeNextDose: 30)
            ])
        }
    }
}
