import CarrierCurl
import Foundation

/// Applies a provider's response rules to an HTTP answer.
struct ResponseInterpreter {
    let spec: ResponseSpec
    let context: ProviderContext

    struct Outcome {
        var accepted: Bool
        var messageIDs: [String]
        var error: String?
        var errorClass: ErrorClass?
        var retryAfter: Double?
    }

    func interpret(_ response: HTTPResponse) throws(CarrierError) -> Outcome {
        let text = String(decoding: response.body, as: UTF8.self)
        let body = (try? JSONParser.parse(Array(response.body))) ?? (text.isEmpty ? .null : .string(text))
        var headers = OrderedObject()
        for header in response.headers { headers[header.name.lowercased()] = .string(header.value) }
        let scope = Scope(values: ["status": .int(response.status), "headers": .object(headers), "body": body,
                                   "text": .string(text), "settings": .object(context.settings)])
        let accepted: Bool
        switch spec.success {
        case nil: accepted = (200..<300).contains(response.status)
        case .literal(.array(let statuses))?: accepted = statuses.contains(.int(response.status))
        case let template?: accepted = (try context.render(template, in: scope)).isTruthy
        }
        if accepted {
            let ids = try spec.messageIDs.map { t throws(CarrierError) in try context.render(t, in: scope) } ?? .null
            let list = (ids.arrayValue ?? [ids]).filter { !$0.isEmpty }.map(\.text)
            return Outcome(accepted: true, messageIDs: list)
        }
        var errorText = try spec.error.map { t throws(CarrierError) in (try context.render(t, in: scope)).text } ?? ""
        if errorText.isEmpty { errorText = text.trimmingCharacters(in: .whitespacesAndNewlines) }
        if errorText.isEmpty { errorText = "no error text" }
        if errorText.count > 500 { errorText = String(errorText.prefix(500)) + "…" }
        errorText = "HTTP \(response.status): " + context.redactor.redact(errorText)
        return Outcome(accepted: false, messageIDs: [], error: errorText, errorClass: try classify(response.status, scope: scope),
                       retryAfter: try retryAfter(response, scope: scope))
    }

    private func classify(_ status: Int, scope: Scope) throws(CarrierError) -> ErrorClass {
        for rule in spec.classifyWhen {
            do {
                if try rule.condition.evaluate(in: scope).isTruthy { return rule.errorClass }
            } catch {
                throw .template(error)
            }
        }
        if let rule = spec.classify.first(where: { $0.range.contains(status) }) { return rule.errorClass }
        // A 2xx the rules did not accept is the provider refusing the message, not a transport fault.
        if (200..<300).contains(status) { return .permanent }
        return ErrorClass.forHTTPStatus(status)
    }

    private func retryAfter(_ response: HTTPResponse, scope: Scope) throws(CarrierError) -> Double? {
        if let template = spec.retryAfter, let seconds = DurationText.seconds(try context.render(template, in: scope)) { return seconds }
        guard let header = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(header) { return max(0, seconds) }
        if let date = RFC2822Date.parse(header) { return max(0, Double(date) - Date().timeIntervalSince1970) }
        return nil
    }
}
