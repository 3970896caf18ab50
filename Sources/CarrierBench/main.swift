import Carrier
import Foundation
import Logging

/// Benchmarks for bench/*.sh (release builds):
///   carrier-bench render COUNT ACCOUNT CONFIG MESSAGE   renders per second, beside the JSON floor
///   carrier-bench smtp COUNT CONNECTIONS PORT MESSAGE    messages per second to an SMTP server on 127.0.0.1
let arguments = CommandLine.arguments
func usage() -> Never {
    FileHandle.standardError.write(Data("usage: carrier-bench render COUNT ACCOUNT CONFIG MESSAGE | smtp COUNT CONNECTIONS PORT MESSAGE\n".utf8))
    exit(2)
}
guard arguments.count == 6, let count = Int(arguments[2]) else { usage() }

func rate(_ label: String, _ count: Int, _ seconds: Double, _ unit: String = "messages") {
    print(String(format: "%@ %d %@ in %.3f s = %.0f %@/s (%.2f µs each)", label, count, unit, seconds, Double(count) / seconds,
                 unit, seconds / Double(count) * 1e6))
}

switch arguments[1] {
case "render":
    let mailer = Mailer(configuration: try Configuration.load(path: arguments[4]))
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    var last = Value.null
    let start = Date()
    for _ in 0..<count { last = try mailer.render(message, account: arguments[3]) }
    rate("render:     ", count, Date().timeIntervalSince(start))
    let body = last["body"]
    let floorStart = Date()
    var bytes = 0
    for _ in 0..<count { bytes &+= JSONWriter.bytes(body).count }
    rate("JSON floor: ", count, Date().timeIntervalSince(floorStart), "bodies")
    print("(the floor serialises the rendered \(bytes / max(count, 1))-byte body alone)")
case "smtp":
    guard let connections = Int(arguments[3]), let port = Int(arguments[4]) else { usage() }
    let configuration = try Configuration.parse("""
        accounts:
          sink: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(port), tls: none, helo: bench.carrier.test, connections: \(connections)}}
        """, file: "bench.yaml")
    let mailer = Mailer(configuration: configuration, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    let start = Date()
    let failures = await withTaskGroup(of: Int.self) { group in
        for worker in 0..<connections {
            group.addTask {
                var failed = 0
                for _ in stride(from: worker, to: count, by: connections) {
                    do { try await mailer.send(message) } catch { failed += 1 }
                }
                return failed
            }
        }
        var total = 0
        for await failed in group { total += failed }
        return total
    }
    rate("carrier smtp (\(connections) connection(s)):", count, Date().timeIntervalSince(start))
    if failures > 0 { print("failures: \(failures)") }
default:
    usage()
}
