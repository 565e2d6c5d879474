import FHIR
import FHIRReceiver
import Foundation
import Recording
import TestSupport
import Testing

/// The built `vaxticket` binary, next to the test bundle in the build folder.
private let vaxticket: String? = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("vaxticket")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        folder = folder.deletingLastPathComponent()
    }
    return nil
}()

/// Starts `vaxticket` with `arguments`, output to files in `folder`.
private func launch(
    _ arguments: [String], in folder: TemporaryFolder, environment: [String: String], name: String
) throws
    -> Process
{
    let process = Process()
    process.executableURL = URL(
        fileURLWithPath: try #require(
            vaxticket, "vaxticket binary not found; run swift build first"))
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: folder.path("\(name).out"), contents: nil)
    _ = FileManager.default.createFile(atPath: folder.path("\(name).err"), contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: folder.path("\(name).out"))
    process.standardError = FileHandle(forWritingAtPath: folder.path("\(name).err"))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Waits for `process` off the cooperative pool, killing it after `limit` seconds.
private func finish(_ process: Process, limit: TimeInterval = 120) async -> Int32 {
    let deadline = Date().addingTimeInterval(limit)
    while process.isRunning {
        if Date() > deadline {
            process.terminate()
            Issue.record("vaxticket did not finish within \(limit) s")
        }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return process.terminationStatus
}

private func read(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

@Suite("sync and export commands (the built binary)")
struct SyncCommandTests {
    @Test(
        "a sync killed with SIGKILL mid-run, then run again, leaves every dose on the registry exactly once"
    )
    func sigkillThenRerun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let count = 300
        _ = try await SyncFixture.store(in: folder, doses: count)
        let receiver = try await SyncFixture.receiver()
        await receiver.slowDown(seconds: 0.1)
        let arguments = [
            "sync", "--db", folder.path("doses.sqlite"), "--endpoint", await receiver.baseURL(),
            "--token-url",
            await receiver.tokenURL(),
            "--batch", "10", "--json",
        ]
        let environment = [
            "VAXTICKET_SYNC_CLIENT_ID": SyncFixture.clientID,
            "VAXTICKET_SYNC_CLIENT_SECRET": SyncFixture.clientSecret,
        ]

        // When: the first run is killed once some bundles went through.
        let first = try launch(arguments, in: folder, environment: environment, name: "first")
        let deadline = Date().addingTimeInterval(60)
        while await receiver.counts().immunizations < 50, first.isRunning, Date() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(first.isRunning, "the first run was still going when killed")
        kill(first.processIdentifier, SIGKILL)
        _ = await finish(first)
        #expect(first.terminationReason == .uncaughtSignal)
        // A request that reached the receiver just before the kill is stored within moments.
        try await Task.sleep(nanoseconds: 300_000_000)
        let afterKill = await receiver.counts().immunizations
        #expect(afterKill >= 50 && afterKill < count)

        // Then: a second run sends the rest; nothing is duplicated.
        await receiver.slowDown(seconds: 0)
        let second = try launch(arguments, in: folder, environment: environment, name: "second")
        let status = await finish(second)
        #expect(status == 0, "stderr: \(read(folder.path("second.err")))")
        let summary = try JSONDecoder().decode(
            [String: Int].self, from: Data(read(folder.path("second.out")).utf8))
        #expect(Set(summary.keys) == ["sent", "alreadyThere", "refused", "heldBack", "unsent"])
        #expect(
            summary["sent"] == count - afterKill,
            "the second run created only what the first did not")
        #expect(summary["refused"] == 0 && summary["heldBack"] == 0 && summary["unsent"] == 0)

        let store = try await SQLiteDoseStore(path: folder.path("doses.sqlite"))
        try await RegistrySyncTests.expectExactlyOnce(store, receiver, count: count)
        for name in ["first.err", "second.err", "second.out"] {
            let output = read(folder.path(name))
            #expect(!output.contains(SyncFixture.clientSecret))
            #expect(!output.contains(SyncFixture.nik(0)))
        }

        // And stats shows them synced.
        let stats = try launch(
            ["stats", "--json", "--db", folder.path("doses.sqlite")], in: folder, environment: [:],
            name: "stats")
        #expect(await finish(stats) == 0)
        let statsJSON =
            try JSONSerialization.jsonObject(with: Data(read(folder.path("stats.out")).utf8))
            as? [String: Any]
        #expect(
            statsJSON?["sync"] as? [String: Int] == ["synced": count, "waiting": 0, "refused": 0])
        await receiver.stop()
    }

    @Test(
        "sync exits 1 and names the reason when credentials are missing, or the file is readable by others"
    )
    func credentialErrors() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await SyncFixture.store(in: folder, doses: 1)
        let base = [
            "sync", "--db", folder.path("doses.sqlite"), "--endpoint", "http://127.0.0.1:9/fhir",
            "--token-url",
            "http://127.0.0.1:9/token",
        ]
        let empty = ["VAXTICKET_SYNC_CLIENT_ID": "", "VAXTICKET_SYNC_CLIENT_SECRET": ""]

        let missing = try launch(base, in: folder, environment: empty, name: "missing")
        #expect(await finish(missing) == 1)
        #expect(read(folder.path("missing.err")).contains("VAXTICKET_SYNC_CLIENT_ID"))

        let path = folder.path("credentials.json")
        try Data(#"{"client_id": "a", "client_secret": "b"}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let open = try launch(
            base + ["--credentials", path], in: folder, environment: empty, name: "open")
        #expect(await finish(open) == 1)
        #expect(read(folder.path("open.err")).contains("can be read by others"))
    }

    @Test(
        "export --format csv --out writes a 0600 file with the documented header; a held-back dose makes exit 1"
    )
    func exportCommand() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await SyncFixture.store(in: folder, doses: 3, withoutRoster: [1])
        let out = folder.path("export.csv")

        let process = try launch(
            ["export", "--format", "csv", "--out", out, "--db", folder.path("doses.sqlite")],
            in: folder, environment: [:],
            name: "export")

        #expect(await finish(process) == 1)
        let text = read(out)
        #expect(text.hasPrefix(RegistryExport.csvColumns.joined(separator: ",") + "\r\n"))
        #expect(text.split(separator: "\r\n").count == 3)
        let mode =
            (try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(mode == 0o600)
        #expect(
            read(folder.path("export.err")).contains(
                "held back \(SyncFixture.serial(1)): registrant R00001 has no NIK"))
    }

    @Test(
        "issue 20 item 4: sync refuses plain http:// to another host with exit 1 and a reason; --allow-insecure-http lets it go"
    )
    func item4InsecureHTTP() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await SyncFixture.store(in: folder, doses: 2)
        let receiver = try await SyncFixture.receiver()
        // 127.1 reaches the receiver, but is not spelled as loopback: any other host.
        let port = try #require(URL(string: await receiver.baseURL())?.port)
        let arguments = [
            "sync", "--db", folder.path("doses.sqlite"), "--endpoint",
            "http://127.1:\(port)/fhir", "--token-url", "http://127.1:\(port)/token", "--json",
        ]
        let environment = [
            "VAXTICKET_SYNC_CLIENT_ID": SyncFixture.clientID,
            "VAXTICKET_SYNC_CLIENT_SECRET": SyncFixture.clientSecret,
        ]

        let refused = try launch(arguments, in: folder, environment: environment, name: "refused")
        #expect(await finish(refused) == 1)
        let message = read(folder.path("refused.err"))
        #expect(message.contains("refusing plain http:// to another machine"), "\(message)")
        #expect(message.contains("--allow-insecure-http"))
        #expect(await receiver.counts().tokensIssued == 0)

        let allowed = try launch(
            arguments + ["--allow-insecure-http"], in: folder, environment: environment,
            name: "allowed")
        #expect(await finish(allowed) == 0, "\(read(folder.path("allowed.err")))")
        #expect(await receiver.counts().immunizations == 2)
        await receiver.stop()
    }

    @Test(
        "issue 20 item 6: what sync prints of a hostile registry's refusal holds no escape or control characters"
    )
    func item6HostileRefusalPrinted() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await SyncFixture.store(in: folder, doses: 2)
        let receiver = try await SyncFixture.receiver()
        await receiver.refuse(serial: SyncFixture.serial(0), because: Issue20SyncTests.hostile)
        let process = try launch(
            [
                "sync", "--db", folder.path("doses.sqlite"), "--endpoint", await receiver.baseURL(),
                "--token-url", await receiver.tokenURL(),
            ], in: folder,
            environment: [
                "VAXTICKET_SYNC_CLIENT_ID": SyncFixture.clientID,
                "VAXTICKET_SYNC_CLIENT_SECRET": SyncFixture.clientSecret,
            ], name: "sync")
        #expect(await finish(process) == 1)
        let printed = read(folder.path("sync.err")) + read(folder.path("sync.out"))
        #expect(printed.contains("Patient not found OK: synced txt.exe"), "\(printed)")
        #expect(
            !printed.unicodeScalars.contains {
                ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
                    || $0.properties.generalCategory == .format
            }, "\(printed.debugDescription)")
        await receiver.stop()
    }
}
