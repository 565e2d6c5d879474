public import Recording

/// Why a sync stopped before it went through every waiting dose.
public enum SyncError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The client credentials are missing or unusable.
    case credentials(String)
    /// The token endpoint refused the credentials.
    case authenticationRefused(status: Int, detail: String)
    /// The registry refused our token even after a fresh one (HTTP 401 or 403).
    case forbidden(status: Int)
    /// The registry stayed unreachable or overloaded through every retry.
    case unreachable(attempts: Int, lastProblem: String)
    /// The endpoint or token URL is not a usable http(s) URL.
    case badURL(String)
    /// The endpoint or token URL is plain `http://` to a host other than this machine, and
    /// insecure HTTP was not allowed.
    case insecureURL(String)
    /// The dose store failed.
    case store(StoreError)

    /// A stable machine code for scripts.
    public var code: String {
        switch self {
        case .credentials: "sync_credentials"
        case .authenticationRefused: "sync_authentication_refused"
        case .forbidden: "sync_forbidden"
        case .unreachable: "sync_unreachable"
        case .badURL: "sync_bad_url"
        case .insecureURL: "sync_insecure_url"
        case .store(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .credentials(let reason): "credentials: \(reason)"
        case .authenticationRefused(let status, let detail):
            "the token endpoint refused the client credentials (HTTP \(status))\(detail.isEmpty ? "" : ": \(detail)")"
        case .forbidden(let status):
            "the registry refused access with a fresh token (HTTP \(status)); check the client's permissions"
        case .unreachable(let attempts, let lastProblem):
            "the registry did not answer usefully in \(attempts) attempts (last: \(lastProblem)); the rest waits for the next run"
        case .badURL(let url): "not an http(s) URL: \(url)"
        case .insecureURL(let url):
            "refusing plain http:// to another machine: \(url) would carry the client secret, the "
                + "access token and the doses readable by anyone on the way; use https://, or, for "
                + "a test registry on a trusted network only, --allow-insecure-http"
        case .store(let error): "\(error)"
        }
    }
}
