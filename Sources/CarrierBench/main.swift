import Carrier
import CarrierGateway
import CarrierPostgres
import Foundation
import Logging

/// Benchmarks for bench/*.sh (release builds):
///   carrier-bench render COUNT ACCOUNT CONFIG MESSAGE   renders per second, beside the JSON floor
///   carrier-bench request COUNT ACCOUNT CONFIG MESSAGE  the same request as a send builds it, per second
///   carrier-bench smtp COUNT CONNECTIONS PORT MESSAGE    messages per second to an SMTP server on 127.0.0.1
///   carrier-bench latency COUNT IN_FLIGHT URL MESSAGE    messages per second through a Mailtrap account
///                                                         at URL, IN_FLIGHT `send` calls at a time
///   carrier-bench router COUNT DIRECTORY MESSAGE x        per-message time of one account alone, of a
///                                                         three-account route with retry and breaker, and
///                                                         of that route with the write-ahead spool
///   carrier-bench claim COUNT WORKERS URL MESSAGE         PostgreSQL store at URL: COUNT messages queued in
///                                                         batches of 1,000, then WORKERS tasks claim one and
///                                                         mark it sent until none is left (claims per second)
///   carrier-bench intake COUNT MESSAGE                    the gateway's CPU per submission without HTTP or
///                                                         disk: the body read into a message, and the queue
///                                                         record written as the JSON line it stores
///                                                         (MESSAGE: JSON, or MIME when it ends in .eml)
///   carrier-bench webhook COUNT ACCOUNT CONFIG BODY       the events server's CPU per webhook without HTTP
///                                                         or disk: BODY verified (Basic, the account's
///                                                         webhook_secret bench:pw-123456) and read into
///                                                         events, per second
let arguments = CommandLine.arguments
func usage() -> Never {
    FileHandle.standardError.write(Data(("usage: carrier-bench render|request COUNT ACCOUNT CONFIG MESSAGE | smtp COUNT CONNECTIONS PORT MESSAGE"
                                         + " | latency COUNT IN_FLIGHT URL MESSAGE | router COUNT DIRECTORY MESSAGE x | claim COUNT WORKERS URL MESSAGE"
                                         + " | intake COUNT MESSAGE | webhook COUNT ACCOUNT CONFIG BODY\n").utf8))
    exit(2)
}
guard arguments.count == 6 || (arguments.count == 4 && arguments[1] == "intake"), let count = Int(arguments[2]) else { usage() }
let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

/// Sends `count` copies of a message from `workers` tasks at once; returns how many failed.
func sendAll(_ count: Int, workers: Int, mailer: Mailer, message: Message) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for worker in 0..<workers {
            group.addTask {
                var failed = 0
                for _ in stride(from: worker, to: count, by: workers) {
                    do { try await mailer.send(message) } catch { failed += 1 }
                }
                return failed
            }
        }
        var total = 0
        for await failed in group { total += failed }
        return total
    }
}

@Sendable func rate(_ label: String, _ count: Int, _ seconds: Double, _ unit: String = "messages") {
    print(String(format: "%@ %d %@ in %.3f s = %.0f %@/s (%.2f µs each)", label, count, unit, seconds, Double(count) / seconds,
                 unit, seconds / Double(count) * 1e6))
}

switch arguments[1] {
case "webhook":
    let configuration = try Configuration.load(path: arguments[4])
    let receiver = WebhookReceiver(configuration: configuration)
    let secret = "bench:pw-123456"  // the account's webhook_secret in the bench's config (bench/instructions.sh)
    let body = try Data(contentsOf: URL(fileURLWithPath: arguments[5]))
    let request = WebhookRequest(headers: [("Content-Type", "application/json"), ("Authorization", "Basic " + Data(secret.utf8).base64EncodedString())],
                                 body: body, url: "http://127.0.0.1/events/" + arguments[3])
    var events = 0
    let start = Date()
    for _ in 0..<count { events &+= try await receiver.receive(account: arguments[3], request: request).events.count }
    rate("webhooks:   ", count, Date().timeIntervalSince(start), "webhooks")
    print("(\(events / max(count, 1)) event(s) each)")
case "intake":
    let body = try Data(contentsOf: URL(fileURLWithPath: arguments[3]))
    var bytes = 0
    // A .eml file is read as the SMTP listener and `message/rfc822` submissions read theirs.
    let isMIME = arguments[3].hasSuffix(".eml")
    func parse() throws -> Message {
        isMIME ? try MIMEReader.message(from: Array(body)) : try Message.parse(data: body, source: "the request body", readsPaths: false)
    }
    var start = Date()
    for _ in 0..<count { bytes &+= try parse().subject?.utf8.count ?? 0 }
    rate("parse:      ", count, Date().timeIntervalSince(start))
    let message = try parse()
    let random = RandomSource(seed: 1)
    start = Date()
    for n in 0..<count {
        let record = QueuedMessage(id: QueueIDs.make(now: Double(n), random: random), client: "bench", intake: "http", route: nil,
                                   created: Double(n), message: message)
        bytes &+= JSONWriter.bytes(record.value(includingMessage: true)).count
    }
    rate("record:     ", count, Date().timeIntervalSince(start))
    if bytes == 42 { print(bytes) }
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
case "request":
    // The request as a send builds it: its JSON written straight from the template, no value
    // made for display and redacted (what `render` adds for `carrier render`).
    let mailer = Mailer(configuration: try Configuration.load(path: arguments[4]))
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    let start = Date()
    var bytes = 0
    for _ in 0..<count { bytes &+= try mailer.wireRequest(message, account: arguments[3])?.body.count ?? 0 }
    rate("as sent:    ", count, Date().timeIntervalSince(start), "requests")
    print("(a \(bytes / max(count, 1))-byte body each)")
case "smtp":
    guard let connections = Int(arguments[3]), let port = Int(arguments[4]) else { usage() }
    let configuration = try Configuration.parse("""
        accounts:
          sink: {provider: smtp, channel: smtp, smtp: {host: 127.0.0.1, port: \(port), tls: none, helo: bench.carrier.test, connections: \(connections)}}
        """, file: "bench.yaml")
    let mailer = Mailer(configuration: configuration, logger: quiet)
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    let start = Date()
    let failures = await sendAll(count, workers: connections, mailer: mailer, message: message)
    rate("carrier smtp (\(connections) connection(s)):", count, Date().timeIntervalSince(start))
    if failures > 0 { print("failures: \(failures)") }
case "latency":
    guard let inFlight = Int(arguments[3]) else { usage() }
    let configuration = try Configuration.parse("""
        accounts:
          sink: {provider: mailtrap, endpoint: "\(arguments[4])", concurrency: \(inFlight), credentials: {api_token: bench-token}}
        """, file: "bench.yaml")
    let mailer = Mailer(configuration: configuration, logger: quiet)
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    let start = Date()
    let failures = await sendAll(count, workers: inFlight, mailer: mailer, message: message)
    rate("carrier, \(inFlight) in flight:", count, Date().timeIntervalSince(start))
    if failures > 0 { print("failures: \(failures)") }
case "router":
    // All three paths end in the same file account (on the folder given, ideally tmpfs), so the
    // differences are what routing and the spool add.
    let directory = arguments[3]
    let message = try Message.parse(String(contentsOfFile: arguments[4], encoding: .utf8))
    func configuration(spool: Bool) throws -> Configuration {
        try Configuration.parse("""
            accounts:
              a: {provider: file, directory: \(directory)/out}
              b: {provider: file, directory: \(directory)/out-b}
              c: {provider: file, directory: \(directory)/out-c}
            routes:
              default: {strategy: failover, accounts: [a, b, c], retry: {attempts: 3}, breaker: {failures: 5, cooldown: 30s}}
            \(spool ? "spool: \(directory)/spool" : "")
            """, file: "bench.yaml")
    }
    let plain = Mailer(configuration: try configuration(spool: false), logger: quiet)
    let spooled = Mailer(configuration: try configuration(spool: true), logger: quiet)
    var results: [(String, Double)] = []
    let cases: [(String, Mailer, String?)] = [("one account (--account a):            ", plain, "a"),
                                              ("route failover a,b,c + retry + breaker:", plain, nil),
                                              ("same route + write-ahead spool:        ", spooled, nil)]
    for (label, mailer, account) in cases {
        let start = Date()
        for _ in 0..<count { _ = try await mailer.send(message, account: account) }
        let seconds = Date().timeIntervalSince(start)
        results.append((label, seconds))
        rate(label, count, seconds)
    }
    print(String(format: "the route adds %.2f µs per message; the write-ahead spool adds %.2f µs more",
                 (results[1].1 - results[0].1) / Double(count) * 1e6, (results[2].1 - results[1].1) / Double(count) * 1e6))
case "claim":
    guard let workers = Int(arguments[3]) else { usage() }
    let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))
    let settings = StoreSettings(url: try PostgresURL(arguments[4]), connections: workers + 2, node: "bench")
    let store = try PostgresStore(settings: settings, logger: quiet)
    try await store.withRunning { store in
        try await store.migrate()
        let queue = PostgresQueue(store: store)
        let random = RandomSource()
        let enqueueStart = Date()
        for first in stride(from: 0, to: count, by: 1_000) {
            let records = (first..<min(count, first + 1_000)).map { n -> QueuedMessage in
                var copy = message
                copy.messageID = "bench-\(n)@example.com"
                return QueuedMessage(id: QueueIDs.make(now: 1_000 + Double(n) / 1e6, random: random), client: "bench", intake: "http",
                                     route: nil, created: 1_000 + Double(n) / 1e6, message: copy)
            }
            try await queue.enqueue(batch: records)
        }
        rate("enqueue (batches of 1,000):", count, Date().timeIntervalSince(enqueueStart))
        let start = Date()
        let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var done = 0
                    while let record = try await queue.claimDue(now: 2_000, limit: 1).first {
                        var sent = record
                        sent.status = .sent
                        sent.providerIDs = [record.message.messageID ?? record.id]
                        try await queue.update(sent)
                        done += 1
                    }
                    return done
                }
            }
            var total = 0
            for try await done in group { total += done }
            return total
        }
        rate("claim → mark sent (\(workers) workers):", claimed, Date().timeIntervalSince(start), "cycles")
    }
default:
    usage()
}
