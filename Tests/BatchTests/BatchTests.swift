import Batch
import Foundation
import Synchronization
import TestSupport
import Testing

@Suite("Parallel batches")
struct ParallelBatchTests {
    @Test("every index is worked once and emitted once, in input order", arguments: [1, 2, 4])
    func orderedEmission(jobs: Int) async {
        var emitted: [Int] = []
        await ParallelBatch.run(
            count: 500, jobs: jobs,
            makeState: { () },
            work: { _, index in
                // Uneven work, so later items often finish first.
                if index % 7 == 0 { Thread.sleep(forTimeInterval: 0.001) }
                return index * 3
            },
            emit: { index, output in
                #expect(output == index * 3)
                emitted.append(index)
            }
        )
        #expect(emitted == Array(0..<500))
    }

    @Test("each thread gets its own state, and no more threads run than jobs")
    func statePerThread() async {
        let states = Atomic<Int>(0)
        let worked = Mutex<[Int: Int]>([:])
        await ParallelBatch.run(
            count: 200, jobs: 2,
            makeState: { states.wrappingAdd(1, ordering: .relaxed).oldValue },
            work: { state, index in
                worked.withLock { $0[state, default: 0] += 1 }
                return index
            },
            emit: { _, _ in }
        )
        #expect(states.load(ordering: .relaxed) <= 2)
        #expect(worked.withLock { $0.values.reduce(0, +) } == 200)
    }

    @Test("an empty batch calls nothing")
    func empty() async {
        await ParallelBatch.run(
            count: 0, makeState: { () }, work: { _, _ in 0 },
            emit: { _, _ in Issue.record("emitted") })
    }
}

@Suite("File lists and file output")
struct FileTests {
    @Test("folders are searched recursively for images, sorted; files are taken as given")
    func collect() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let root = folder.url
        let nested = root.appendingPathComponent("b/c")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        for name in ["z.png", "a.JPG", "notes.txt", "b/c/deep.jpeg", "b/x.png"] {
            try Data().write(to: root.appendingPathComponent(name))
        }
        let loose = root.appendingPathComponent("notes.txt").path
        let files = try FileCollector.files(in: [root.path, loose])
        #expect(
            files == ["a.JPG", "b/c/deep.jpeg", "b/x.png", "z.png"].map { root.path + "/" + $0 } + [
                loose
            ])
    }

    @Test("a missing path is an error naming it")
    func missing() {
        let error = #expect(throws: MissingPathError.self) {
            try FileCollector.files(in: ["/no/such/vaxticket/folder"])
        }
        #expect(error?.path == "/no/such/vaxticket/folder")
    }

    @Test("files are written whole, replacing old content; private files get mode 0600")
    func output() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let root = folder.url
        let path = root.appendingPathComponent("out.bin").path
        try FileOutput.write(Array(repeating: 7, count: 100), to: path)
        try FileOutput.write([1, 2, 3], to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == [1, 2, 3])
        let secret = root.appendingPathComponent("secret").path
        try FileOutput.write([9], to: secret, privateToOwner: true)
        let mode = try #require(
            try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(throws: FileOutputError.self) {
            try FileOutput.write([1], to: root.path + "/missing/dir/file")
        }
    }
}
