import Foundation
public import Recording
import TicketCodec

/// Where a PostgreSQL database is and how to reach it, from a
/// `postgres://USER@HOST:PORT/NAME?sslmode=MODE&sslrootcert=FILE` URL.
///
/// The URL never carries the password: it comes from `PGPASSWORD` or from a `~/.pgpass` file
/// (`PGPASSFILE`) that only its owner can read, as with `psql`. A URL with a password in it is
/// refused, so none ends up in shell history, process lists or logs.
///
/// Without `sslmode`, a server on another machine gets `verify-full` (TLS, and a certificate a
/// trusted authority signed for its host name), since anyone on the way could otherwise pose
/// as the database and collect the password and the doses; a server on this machine's loopback
/// gets `prefer`, as with `psql`. Whatever the mode, a password is never sent in clear text.
public struct PostgresLocation: Hashable, Sendable, CustomStringConvertible {
    /// How the connection is protected, as libpq's `sslmode` names it.
    public enum TLSMode: String, CaseIterable, Hashable, Sendable {
        /// Never TLS: for a trusted network, or a server on this machine.
        case disable
        /// TLS when the server offers it, without checking its certificate; but with a password
        /// to send, TLS or no connection: the password never crosses in clear text.
        case prefer
        /// TLS or no connection; the certificate is not checked (libpq's `require`).
        case require
        /// TLS with a certificate signed by a trusted authority, for any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate for this very host name.
        case verifyFull = "verify-full"

        /// The mode of a URL without `sslmode`: `prefer` for a server on this machine's
        /// loopback (``NetworkHost/isLoopback(_:)``), which no other machine can pose as;
        /// `verify-full` for any other host, and whenever `sslrootcert` names the
        /// authorities to trust.
        public static func `default`(host: String, rootCertificates: String? = nil) -> TLSMode {
            rootCertificates == nil && NetworkHost.isLoopback(host) ? .prefer : .verifyFull
        }

        /// Whether the server's certificate is checked against trusted authorities.
        public var verifiesCertificate: Bool { self == .verifyCA || self == .verifyFull }
    }

    /// The user name.
    public var user: String
    /// The server's host name or IP address (an IPv6 address without brackets).
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The database name.
    public var database: String
    /// The TLS mode; ``TLSMode/default(host:rootCertificates:)`` when the URL names none.
    public var tlsMode: TLSMode
    /// A PEM file of the certificate authorities that `verify-ca` and `verify-full` trust
    /// (`sslrootcert`), instead of the system's trust store.
    public var rootCertificates: String?

    /// A location with every field given; without a TLS mode, the default for `host`.
    public init(
        user: String, host: String, port: Int = 5432, database: String, tlsMode: TLSMode? = nil,
        rootCertificates: String? = nil
    ) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.tlsMode =
            tlsMode ?? TLSMode.default(host: host, rootCertificates: rootCertificates)
        self.rootCertificates = rootCertificates
    }

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` or `postgresql://` URL. The user, host and database are required;
    /// the port defaults to 5432; `sslmode` and `sslrootcert` are the query parameters
    /// understood (`sslrootcert` only with `verify-ca` or `verify-full`, which it implies).
    public init(url text: String) throws(StoreError) {
        func invalid(_ reason: String) -> StoreError {
            .cannotOpen(path: Self.redacted(text), reason: reason)
        }
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw invalid("not a URL like postgres://USER@HOST:PORT/NAME")
        }
        if components.password != nil || components.percentEncodedPassword != nil {
            throw invalid(
                "the URL must not carry a password; give it in PGPASSWORD or a 0600 ~/.pgpass")
        }
        guard let user = components.user, !user.isEmpty else {
            throw invalid("the URL names no user (postgres://USER@HOST:PORT/NAME)")
        }
        guard var host = components.host, !host.isEmpty else {
            throw invalid("the URL names no host (postgres://USER@HOST:PORT/NAME)")
        }
        // An IPv6 address comes in brackets from some URL parsers and without from others.
        if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 {
            host = String(host.dropFirst().dropLast())
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else {
            throw invalid("the URL names no database (postgres://USER@HOST:PORT/NAME)")
        }
        var mode: TLSMode?
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = TLSMode(rawValue: value) else {
                    throw invalid(
                        "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                mode = parsed
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw invalid("sslrootcert must name a PEM file of certificate authorities")
                }
                rootCertificates = value
            default:
                throw invalid(
                    "unknown URL parameter \(item.name) (only sslmode and sslrootcert are understood)"
                )
            }
        }
        if rootCertificates != nil, let mode, !mode.verifiesCertificate {
            throw invalid(
                "sslrootcert is only read with sslmode=verify-ca or verify-full, not \(mode.rawValue)"
            )
        }
        self.init(
            user: user, host: host, port: port, database: database, tlsMode: mode,
            rootCertificates: rootCertificates)
    }

    /// Whether the server is on this machine's loopback interface.
    public var isLocal: Bool { NetworkHost.isLoopback(host) }

    /// The URL without any password, for messages; it parses back to the same location.
    public var description: String {
        var query: [String] = []
        if tlsMode != TLSMode.default(host: host, rootCertificates: rootCertificates) {
            query.append("sslmode=\(tlsMode.rawValue)")
        }
        if let rootCertificates {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/-._~"))
            query.append(
                "sslrootcert="
                    + (rootCertificates.addingPercentEncoding(withAllowedCharacters: allowed)
                        ?? rootCertificates))
        }
        return "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// `text` with anything between `://` and `@` after a colon (a password) blanked, for error messages.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"),
            let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex)
        else {
            return text
        }
        let userInfo = text[scheme.upperBound..<at.lowerBound]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at.lowerBound...])
    }

    /// The password for this location: `PGPASSWORD`, else the first matching line of the
    /// password file (`PGPASSFILE`, else `~/.pgpass`), else none. A password file that group
    /// or others may read is refused, as libpq does, but with an error rather than silently.
    public func password(environment: [String: String], home: String) throws(StoreError) -> String?
    {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let file =
            environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (home as NSString).appendingPathComponent(".pgpass")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else {
            return nil
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw .cannotOpen(
                path: description,
                reason:
                    "the password file \(file) may be read by others (mode \(String(mode & 0o777, radix: 8))); chmod 0600 it"
            )
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw .cannotOpen(path: description, reason: "cannot read the password file \(file)")
        }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = Self.passFileFields(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) {
                return fields[4]
            }
        }
        return nil
    }

    /// The colon-separated fields of a password file line; `\:` and `\\` stand for `:` and `\`.
    static func passFileFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var escaped = false
        for character in line {
            if escaped {
                field.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
