import Carrier
import CarrierCurl
import Foundation

/// An ESP's HTTP answer through the response rules of its provider file: success, message ids,
/// error text, failure class, retry-after and per-recipient results.
enum ResponseFuzzing {
    /// Each API provider bound to an account made from its first API example.
    static let interpreters: [String: ResponseInterpreter] = {
        var made: [String: ResponseInterpreter] = [:]
        for id in registry.ids {
            guard let definition = try? registry.definition(id), let api = definition.api,
                  let example = definition.examples.first(where: { $0.channel == .api }) else { continue }
            let account = Account(name: "fuzz", provider: id, channel: .api,
                                  credentials: example.credentials.objectValue ?? OrderedObject(),
                                  settings: example.settings.objectValue ?? OrderedObject())
            guard let binding = try? ProviderBinding(definition: definition, account: account, clock: clock, secrets: secrets) else { continue }
            made[id] = ResponseInterpreter(spec: api.response, context: binding)
        }
        return made
    }()
    static let providers = interpreters.keys.sorted()

    static func run(_ bytes: [UInt8]) {
        let input = FramedInput(bytes, providers: providers, lineCount: 1)
        let status = Int(input.lines[0].trimmingCharacters(in: .whitespaces)) ?? 200
        let response = CurlHTTPResponse(status: status, headers: input.headers, body: input.body)
        guard let interpretation = try? interpreters[input.provider]!.interpret(response) else { return }
        // `HTTP 503: ` and the provider's text, cut to the maximum with `…`.
        if let error = interpretation.error {
            // Measured in the provider's text alone: a combining mark right after `: ` would join the
            // prefix's space in one character of the whole string.
            let scalars = error.unicodeScalars
            let start = scalars.firstIndex(of: ":").map { scalars.index($0, offsetBy: 2, limitedBy: scalars.endIndex) ?? scalars.endIndex }
            let text = String(scalars[(start ?? scalars.startIndex)...])
            require(text.count <= ResponseInterpreter.maximumErrorLength + 1, "error text of \(text.count) characters: \(error.debugDescription)")
        }
    }
}
