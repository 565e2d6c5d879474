import Foundation
public import NIOSSL

/// Why the server's certificate or key could not be used.
public struct ServerTLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "TLS: \(path): \(reason)" }
}

/// The TLS settings of a server that speaks HTTPS itself, for a site without a reverse proxy.
public enum ServerTLS {
    /// A server configuration from a PEM certificate chain and a PEM private key. The key is
    /// refused when group or others may read it, as the keyring is: a key anyone on the
    /// machine can copy lets them pose as the server to every phone.
    public static func configuration(certificateChain: String, privateKey: String)
        throws(ServerTLSError) -> TLSConfiguration
    {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: privateKey)
        } catch {
            throw ServerTLSError(path: privateKey, reason: "cannot read the key file")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw ServerTLSError(
                path: privateKey,
                reason:
                    "the key file may be read by others (mode \(String(mode & 0o777, radix: 8))); chmod 600 it"
            )
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChain)
        } catch {
            throw ServerTLSError(path: certificateChain, reason: "not a PEM certificate: \(error)")
        }
        guard !chain.isEmpty else {
            throw ServerTLSError(path: certificateChain, reason: "holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
        } catch {
            throw ServerTLSError(path: privateKey, reason: "not a PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
