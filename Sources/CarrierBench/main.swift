import Carrier
import Foundation

/// `carrier-bench render N ACCOUNT CONFIG MESSAGE`: renders one message N times through an account's
/// provider and prints messages per second, beside the floor of serialising the same body N times.
let arguments = CommandLine.arguments
guard arguments.count == 6, arguments[1] == "render", let count = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: carrier-bench render COUNT ACCOUNT CONFIG MESSAGE\n".utf8))
    exit(2)
}
let configuration = try Configuration.load(path: arguments[4])
let mailer = Mailer(configuration: configuration)
let message = try Message.parse(String(contentsOfFile: arguments[5], encoding: .utf8))

var last = Value.null
let start = Date()
for _ in 0..<count {
    last = try mailer.render(message, account: arguments[3])
}
let seconds = Date().timeIntervalSince(start)

let body = last["body"]
let floorStart = Date()
var bytes = 0
for _ in 0..<count { bytes &+= JSONWriter.string(body).utf8.count }
let floorSeconds = Date().timeIntervalSince(floorStart)

print(String(format: "render:      %d messages in %.3f s = %.0f messages/s (%.2f µs each)", count, seconds, Double(count) / seconds, seconds / Double(count) * 1e6))
print(String(format: "JSON floor:  %d bodies   in %.3f s = %.0f bodies/s (serialising the rendered body alone, %d bytes)", count, floorSeconds, Double(count) / floorSeconds, bytes / max(count, 1)))
