import Carrier
import CarrierCurl
import Foundation

/// The HTTP capture server (Tests/Support/capture_server.py): records requests, answers as scripted.
final class CaptureServer: @unchecked Sendable {
    let server: BackgroundServer
    var url: String { "http://127.0.0.1:\(server.port)" }

    struct Request {
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: Data
        /// When the server received it (unix seconds, the server's clock).
        var time: Double

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var json: Value { (try? JSONParser.parse(Array(body))) ?? .null }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    init() throws {
        server = try BackgroundServer(script: "capture_server.py")
    }

    func stop() { server.stop() }

    /// Scripts the answers: path (or `*`) → answers in order, the last repeating.
    func script(_ answers: [String: [Value]]) async throws {
        var object = OrderedObject()
        for (path, list) in answers { object[path] = .array(list) }
        _ = try await testEngine.send(CurlHTTPRequest(method: "POST", url: url + "/_control/script",
                                                         headers: [("Content-Type", "application/json")],
                                                         body: Data(JSONWriter.string(.object(object)).utf8)))
    }

    /// Requests being answered now, and the most the server answered at once.
    func stats() async throws -> (inFlight: Int, peak: Int) {
        let response = try await testEngine.send(CurlHTTPRequest(method: "GET", url: url + "/_control/stats"))
        let value = try JSONParser.parse(Array(response.body))
        return (value["in_flight"].intValue ?? -1, value["peak"].intValue ?? -1)
    }

    /// Answers every request held by a `hold` answer now.
    func release() async throws {
        _ = try await testEngine.send(CurlHTTPRequest(method: "POST", url: url + "/_control/release"))
    }

    func requests() async throws -> [Request] {
        let response = try await testEngine.send(CurlHTTPRequest(method: "GET", url: url + "/_control/requests"))
        let list = try JSONParser.parse(Array(response.body)).arrayValue ?? []
        return list.map { item in
            Request(method: item["method"].text, path: item["path"].text,
                    headers: (item["headers"].arrayValue ?? []).map { ($0[0].text, $0[1].text) },
                    body: Data(base64Encoded: item["body_b64"].text) ?? Data(), time: item["time"].doubleValue ?? 0)
        }
    }
}

/// Answers shaped like the providers' own.
enum Answer {
    static func json(_ status: Int, _ body: Value, headers: [String: String] = [:]) -> Value {
        var h = OrderedObject()
        for (k, v) in headers { h[k] = .string(v) }
        return .object(["status": .int(status), "headers": .object(h), "body": body])
    }

    static func text(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Value {
        var h = OrderedObject()
        h["Content-Type"] = "text/plain"
        for (k, v) in headers { h[k] = .string(v) }
        return .object(["status": .int(status), "headers": .object(h), "body": .string(body)])
    }
}
