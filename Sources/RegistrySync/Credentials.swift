import Foundation

/// OAuth2 client credentials for the registry. Neither field is ever printed: `description`
/// shows only the client id's length.
public struct ClientCredentials: Hashable, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible
{
    /// The client id.
    public var clientID: String
    /// The client secret.
    public var clientSecret: String

    /// The environment variable holding the client id.
    public static let idVariable = "VAXTICKET_SYNC_CLIENT_ID"
    /// The environment variable holding the client secret.
    public static let secretVariable = "VAXTICKET_SYNC_CLIENT_SECRET"

    /// Credentials with both fields given.
    public init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    public var description: String { "client credentials (redacted)" }
    public var debugDescription: String { description }

    /// The credentials from `VAXTICKET_SYNC_CLIENT_ID` and `VAXTICKET_SYNC_CLIENT_SECRET`, or
    /// `nil` when neither is set.
    public static func fromEnvironment(_ environment: [String: String]) throws(SyncError)
        -> ClientCredentials?
    {
        let id = environment[idVariable] ?? ""
        let secret = environment[secretVariable] ?? ""
        if id.isEmpty && secret.isEmpty { return nil }
        guard !id.isEmpty, !secret.isEmpty else {
            throw .credentials(
                "set both \(idVariable) and \(secretVariable), or neither and give --credentials")
        }
        return ClientCredentials(clientID: id, clientSecret: secret)
    }

    /// Reads `{"client_id": ..., "client_secret": ...}` from a file that only its owner can read
    /// (mode 0600 or 0400); a file others can read is refused, since the secret may have leaked.
    public static func load(path: String) throws(SyncError) -> ClientCredentials {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .credentials("cannot read \(path): no such file or no permission")
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            throw .credentials("\(path) is not a regular file")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw .credentials(
                "\(path) can be read by others (mode \(String(mode, radix: 8))); run chmod 600 \(path), and change the secret if it may have leaked"
            )
        }
        struct File: Decodable {
            var client_id: String
            var client_secret: String
        }
        let file: File
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .credentials(
                "\(path) is not a JSON object with string fields \"client_id\" and \"client_secret\""
            )
        }
        guard !file.client_id.isEmpty, !file.client_secret.isEmpty else {
            throw .credentials("\(path) has an empty client_id or client_secret")
        }
        return ClientCredentials(clientID: file.client_id, clientSecret: file.client_secret)
    }
}
