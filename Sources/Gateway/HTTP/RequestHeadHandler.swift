import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sees each request head on the event loop, as soon as NIO has decoded it:
/// - stamps its arrival (``Arrival``), so LLM budgets and logged durations count from when the
///   request reached the gateway, not from when a busy worker pool got round to it;
/// - answers `Expect: 100-continue` with `100 Continue` at once, so clients that ask (curl does for
///   bodies over 1 KiB) send their body without waiting a second for a reply that would never come.
///   Limits still apply: a body over the limit is refused with 413 once its head is known.
final class RequestHeadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // Replaces any value a client sent: only this handler's stamp is believed.
        head.headerFields[Arrival.header] = Arrival.stamp()
        if head.headerFields[.expect]?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}

/// When a request's head arrived, carried from the event loop to the handlers in an internal header.
enum Arrival {
    static let header = HTTPField.Name("x-leadgate-arrival-ns")!
    /// The process's reference instant; stamps are nanoseconds after it.
    static let epoch = ContinuousClock.now

    static func stamp() -> String {
        let elapsed = ContinuousClock.now - epoch
        return String(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// The instant a stamp names; nil for a missing or malformed value.
    static func instant(_ value: String?) -> ContinuousClock.Instant? {
        guard let value, let nanoseconds = Int64(value), nanoseconds >= 0 else { return nil }
        return epoch.advanced(by: .nanoseconds(nanoseconds))
    }
}
