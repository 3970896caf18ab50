// An application that sends through Carrier as a library: the route comes from carrier.yaml, so
// switching providers or adding a fallback is a config edit, never a code change.
//
//   swift run carrier-example [CONFIG] [MESSAGE]
//   (defaults: examples/failover.yaml and examples/messages/order-confirmation.json)
import Carrier
import Foundation

let arguments = CommandLine.arguments
let configPath = arguments.count > 1 ? arguments[1] : "examples/failover.yaml"
let messagePath = arguments.count > 2 ? arguments[2] : "examples/messages/order-confirmation.json"

do {
    let mailer = Mailer(configuration: try Configuration.load(path: configPath))
    let message = try Message.parse(try String(contentsOfFile: messagePath, encoding: .utf8), source: messagePath)
    let receipt = try await mailer.send(message)  // the default route of the configuration
    print("sent via \(receipt.account ?? "?") (\(receipt.provider ?? "?")): \(receipt.messageIDs.joined(separator: ", "))")
    for attempt in receipt.attempts {
        print("  \(attempt.account): \(attempt.outcome.rawValue) in \(attempt.durationMs) ms")
    }
} catch let error as CarrierError {
    // Typed errors: what to fix, or the receipt of every attempt.
    switch error {
    case .notSent(let receipt):
        print("not sent:\n\(receipt.failureSummary)")
        exit(1)
    case .message(let problems):
        print("the message needs fixing:\n\(problems)")
        exit(2)
    default:
        print("\(error)")
        exit(2)
    }
}
