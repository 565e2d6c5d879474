import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The phone page's files (HTML, CSS, JavaScript modules, manifest, icon, service worker), read
/// once from the package's resources (`Sources/ScanServer/PhonePage/`) and served from memory.
///
/// Every file carries an ETag of its content and `Cache-Control: no-cache`: the browser and the
/// service worker keep a copy but ask each time they are online, so an update arrives at the
/// next online visit, and a 304 costs a few bytes. The content security policy is the server's
/// default one (no inline script or style).
struct PhonePageFiles: Sendable {
    /// One file as it is served.
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// The files by the path they are served at; `/` is `index.html`.
    let files: [String: File]

    /// The resource bundle's name as SwiftPM makes it, beside the executable on Linux.
    static let bundleNames = ["VaxTicket_ScanServer.resources", "VaxTicket_ScanServer.bundle"]

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "webmanifest": "application/manifest+json",
        "svg": "image/svg+xml", "png": "image/png",
    ]

    /// The files found in `folder`, or `nil` when it holds no `index.html`.
    init?(folder: URL) {
        guard
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path),
            names.contains("index.html")
        else { return nil }
        var files: [String: File] = [:]
        for name in names.sorted() {
            let type = name.split(separator: ".").last.map(String.init) ?? ""
            guard let contentType = Self.contentTypes[type],
                let data = try? Data(contentsOf: folder.appendingPathComponent(name))
            else { continue }
            let digest = lowercaseHex(SHA256.hash(data: data).prefix(12))
            files["/" + name] = File(
                body: ByteBuffer(bytes: data), contentType: contentType, etag: "\"\(digest)\"")
        }
        files["/"] = files["/index.html"]
        self.files = files
    }

    /// The page's files from the resource bundle beside the running executable (the `vaxticket`
    /// binary or a test runner), or `nil` when it was not installed with it.
    static func installed() -> PhonePageFiles? {
        var folders: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            folders.append(executable.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        if let resources = Bundle.main.resourceURL { folders.append(resources) }
        for folder in folders {
            for name in bundleNames {
                let page = folder.appendingPathComponent(name).appendingPathComponent("PhonePage")
                if let files = PhonePageFiles(folder: page) { return files }
            }
        }
        return nil
    }

    /// The answer to a GET of `path`: the file, 304 when `If-None-Match` names its ETag, or
    /// `nil` when there is no such file.
    func response(for path: String, ifNoneMatch: String?) -> Response? {
        guard let file = files[path] else { return nil }
        let headers: HTTPFields = [
            .contentType: file.contentType, .cacheControl: "no-cache", .eTag: file.etag,
        ]
        if let ifNoneMatch,
            ifNoneMatch.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == file.etag
            })
        {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: file.body))
    }

    /// The answer when the page's files were not installed beside the binary.
    static func missing() -> Response {
        Response(
            status: .serviceUnavailable,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(
                byteBuffer: ByteBuffer(
                    string:
                        "The phone page's files are missing: copy VaxTicket_ScanServer.resources "
                        + "from the build folder beside the vaxticket binary. The API works.\n")))
    }
}
