import Carrier
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One-click unsubscribe (RFC 8058) on the HTTP server of `carrier serve` and `carrier events serve`:
/// `POST /unsubscribe/TOKEN` adds the recipient the token names to the suppression list (reason
/// `unsubscribed`, source `unsubscribe:LIST`) and answers 200 with no body — again and again, as
/// mail clients may post twice. `GET` shows a one-button page and changes nothing (link scanners
/// fetch every URL of a message). A token this key did not sign is 404.
public struct UnsubscribeEndpoint: Sendable {
    public let links: UnsubscribeLinks
    public let list: any SuppressionStore
    let clock: any WallClock

    public init(links: UnsubscribeLinks, list: any SuppressionStore, clock: any WallClock = SystemClock()) {
        self.links = links
        self.list = list
        self.clock = clock
    }

    public func addRoutes(to router: Hummingbird.Router<BasicRequestContext>) {
        router.post("unsubscribe/:token") { _, context -> Response in
            try await self.unsubscribe(try context.parameters.require("token"))
        }
        router.get("unsubscribe/:token") { _, context -> Response in
            self.page(try context.parameters.require("token"))
        }
    }

    func unsubscribe(_ token: String) async -> Response {
        guard let subscriber = links.subscriber(token) else { return Self.text(.notFound, "This unsubscribe link is not valid.") }
        let entry = Suppression(address: subscriber.email, reason: .unsubscribed, source: "unsubscribe:" + subscriber.list, created: clock.seconds)
        do { try await list.add([entry]) } catch {
            return Self.text(.serviceUnavailable, "The unsubscribe could not be recorded; please try again.")
        }
        return Response(status: .ok)
    }

    func page(_ token: String) -> Response {
        guard let subscriber = links.subscriber(token) else { return Self.text(.notFound, "This unsubscribe link is not valid.") }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Unsubscribe</title></head>
            <body><form method="post"><p>Stop sending \(Self.escape(subscriber.list)) to \(Self.escape(subscriber.email))?</p>
            <input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form></body></html>

            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
