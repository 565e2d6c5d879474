import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How many connections each client address holds open, shared by every connection's guard.
final class AddressConnections: Sendable {
    let limit: Int
    private let counts = Mutex<[String: Int]>([:])

    init(limit: Int) { self.limit = max(1, limit) }

    /// Counts a new connection from `address`; `false` (and nothing counted) when the address
    /// already holds `limit`.
    func open(_ address: String) -> Bool {
        counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLock { counts in
            let left = counts[address, default: 1] - 1
            counts[address] = left > 0 ? left : nil
        }
    }

    /// Connections open now, all addresses together.
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// Guards one connection against slow and greedy clients, in the channel pipeline right after
/// the HTTP decoder, before any task is spent on it:
/// - one address holds at most a set number of connections; one more is closed at once;
/// - the request head must arrive within `headTimeout` of the connection opening (or of the
///   previous answer), so half-sent requests cannot keep connections open;
/// - a request body may not stall for `bodyIdleTimeout` while the server waits for it, nor take
///   longer than `bodyTimeout` in all;
/// - an answer sent while more than a little of its request's body is still to come (a 413 for
///   a body over the cap, a 401 before a photo upload) says `Connection: close` and closes the
///   connection, instead of reading the rest of a body nobody will use, as a phone that does
///   not send `Expect: 100-continue` would otherwise make it wait.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let connections: AddressConnections
    private let headTimeout: TimeAmount
    private let bodyIdleTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var address: String?
    private var readingBody = false
    private var requestComplete = true
    /// Body bytes the current request has still to send, when its head said (nil: chunked).
    private var bodyLeft: Int?
    /// A request body left unread beyond this many bytes closes the connection after the answer.
    static let drainLimit = 256 * 1024
    private var headTimer: Scheduled<Void>?
    private var bodyIdleTimer: Scheduled<Void>?
    private var bodyTimer: Scheduled<Void>?

    init(
        connections: AddressConnections, headTimeout: TimeInterval, bodyIdleTimeout: TimeInterval,
        bodyTimeout: TimeInterval
    ) {
        self.connections = connections
        self.headTimeout = Self.amount(headTimeout)
        self.bodyIdleTimeout = Self.amount(bodyIdleTimeout)
        self.bodyTimeout = Self.amount(bodyTimeout)
    }

    private static func amount(_ seconds: TimeInterval) -> TimeAmount {
        .milliseconds(Int64(max(0.001, min(seconds, 86_400)) * 1000))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if address == nil { opened(context) }
        context.fireChannelActive()
    }

    private func opened(_ context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard connections.open(address) else {
            context.close(promise: nil)
            return
        }
        self.address = address
        waitForHead(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        if let address {
            connections.close(address)
            self.address = nil
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        if let address {
            connections.close(address)
            self.address = nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            bodyLeft = head.headerFields[.contentLength].flatMap { Int($0) }
            headTimer?.cancel()
            headTimer = nil
            readingBody = true
            requestComplete = false
            bodyTimer = schedule(context, after: bodyTimeout)
        case .body(let buffer):
            bodyLeft = bodyLeft.map { $0 - buffer.readableBytes }
            bodyIdleTimer?.cancel()
            bodyIdleTimer = nil
        case .end:
            readingBody = false
            requestComplete = true
            bodyIdleTimer?.cancel()
            bodyTimer?.cancel()
            bodyIdleTimer = nil
            bodyTimer = nil
        }
        context.fireChannelRead(data)
    }

    /// The server asks for more of the request: from now on, a body that sends nothing for
    /// `bodyIdleTimeout` is the client's stall, not the server's (which reads only as fast as
    /// it handles the request).
    func read(context: ChannelHandlerContext) {
        if readingBody, bodyIdleTimer == nil {
            bodyIdleTimer = schedule(context, after: bodyIdleTimeout)
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where closesAfterAnswer:
            // Answered before a large body was read: say the connection ends with this answer.
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where closesAfterAnswer:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        case .end:
            context.write(data, promise: promise)
            if requestComplete { waitForHead(context) }
        default:
            context.write(data, promise: promise)
        }
    }

    /// Whether the request being answered still has a body to come that is not worth reading:
    /// more than ``drainLimit`` bytes, or of unknown length.
    private var closesAfterAnswer: Bool {
        guard !requestComplete else { return false }
        guard let bodyLeft else { return true }
        return bodyLeft > Self.drainLimit
    }

    private func waitForHead(_ context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = schedule(context, after: headTimeout)
    }

    private func schedule(_ context: ChannelHandlerContext, after delay: TimeAmount)
        -> Scheduled<Void>
    {
        let channel = context.channel
        return context.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
    }

    private func cancelTimers() {
        for timer in [headTimer, bodyIdleTimer, bodyTimer] { timer?.cancel() }
        headTimer = nil
        bodyIdleTimer = nil
        bodyTimer = nil
    }
}
