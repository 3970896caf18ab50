import CarrierCurl
import Foundation

/// A provider definition bound to one account: settings with defaults applied, credentials
/// checked, and the secrets to hide. Channels render their templates through it.
///
/// A class: it is made once per account and read by every send, whose steps each held a copy of
/// its twenty-odd references (three copies a send, 2,800 instructions of reference counting).
package final class ProviderBinding: Sendable {
    package let definition: ProviderDefinition
    package let account: Account
    package let settings: OrderedObject
    let credentials: OrderedObject
    package let redactor: Redactor
    /// The account's `endpoint:` as the start of every request URL (`scheme://host:port/path`
    /// without a trailing `/`), made once.
    let endpointPrefix: String?
    /// What `now` in templates reads.
    let clock: any WallClock

    /// - Parameter sending: whether the account must have what sending needs (required settings and
    ///   credentials); receiving its webhooks needs neither.
    ///   - clock: what `now` in the provider's templates reads.
    ///   - secrets: the runtime's obtained secrets, hidden by this context's redactor too.
    package init(definition: ProviderDefinition, account: Account, sending: Bool = true, clock: any WallClock,
         secrets: ObtainedSecrets) throws(CarrierError) {
        self.definition = definition
        self.account = account
        self.clock = clock
        let place = "account '\(account.name)' (provider \(definition.id))"
        var settings = OrderedObject()
        for spec in definition.settings {
            let value = account.settings[spec.name] ?? spec.defaultValue ?? .null
            if let allowed = spec.allowed, !value.isNull, !allowed.contains(value.text) {
                throw .configuration(ConfigurationError("\(place): setting \(spec.name) is '\(value.text)'",
                                                        hint: "expected one of: " + allowed.joined(separator: ", ")))
            }
            if sending && spec.required && value.isEmpty {
                throw .configuration(ConfigurationError("\(place) needs the setting '\(spec.name)'" + (spec.description.map { " (\($0))" } ?? ""),
                                                        hint: "add settings: {\(spec.name): …} to the account"))
            }
            settings[spec.name] = value
        }
        for key in account.settings.keys where !definition.settings.contains(where: { $0.name == key }) {
            throw .configuration(ConfigurationError("\(place) has an unknown setting '\(key)'",
                hint: Suggest.hint(for: key, in: definition.settings.map(\.name))))
        }
        var redactor = Redactor(obtained: secrets)
        for spec in definition.credentials {
            let value = account.credentials[spec.name] ?? .null
            if sending && spec.required && value.isEmpty {
                throw .configuration(ConfigurationError("\(place) needs the credential '\(spec.name)'" + (spec.description.map { " (\($0))" } ?? ""),
                    hint: "add credentials: {\(spec.name): \"${\(definition.id.uppercased())_\(spec.name.uppercased())}\"} to the account and export that variable"))
            }
            if spec.secret { Self.collectSecrets(value, into: &redactor) }
        }
        for key in account.credentials.keys where !definition.credentials.contains(where: { $0.name == key }) {
            throw .configuration(ConfigurationError("\(place) has an unknown credential '\(key)'",
                hint: Suggest.hint(for: key, in: definition.credentials.map(\.name))))
        }
        if let secret = account.webhookSecret {
            redactor.add(secret)
            // Basic auth's `user:password`: the password may show alone (a URL's credentials). Not a
            // short one, which would mask ordinary text.
            if let colon = secret.firstIndex(of: ":"), secret[secret.index(after: colon)...].utf8.count >= 8 {
                redactor.add(String(secret[secret.index(after: colon)...]))
            }
        }
        self.settings = settings
        self.credentials = account.credentials
        self.redactor = redactor
        self.endpointPrefix = account.endpoint.flatMap(URLParts.init).map { $0.origin + $0.path.trimmingSuffix("/") }
    }

    private static func collectSecrets(_ value: Value, into redactor: inout Redactor) {
        switch value {
        case .string(let s):
            redactor.add(s)
            // A JSON key file: its private key and other strings are secrets too.
            if case .object? = (try? JSONParser.parse(s)) { collectSecrets((try? JSONParser.parse(s)) ?? .null, into: &redactor) }
        case .array(let items): for item in items { collectSecrets(item, into: &redactor) }
        case .object(let o): for entry in o { collectSecrets(entry.value, into: &redactor) }
        default: break
        }
    }

    /// The variables a request template reads for this message; `mime` (the rendered message)
    /// is written only if a template reads it, by `mime` (which may add provider headers).
    package func scope(for message: Message, mime: MIMEWriter = MIMEWriter()) -> Scope {
        let fields = MessageFieldValues(message)
        var values = OrderedObject()
        values.reserveCapacity(4)
        // None of these is a message field: added without looking for them first.
        values.appendNew("settings", .object(settings))
        values.appendNew("credentials", .object(credentials))
        values.appendNew("now", .int(Int(clock.seconds)))
        values.appendNew("channel", .string(account.channel.rawValue))  // `api` or `smtp`: one auth section can serve both
        var scope = Scope(values: values, fields: fields)
        scope.setLazy("message") { .object(fields.object) }
        scope.setLazy("mime") { .string(try mime.write(fields.message)) }
        return scope
    }

    /// Header fields from a rendered object: empty values are left out, a list repeats the field.
    package static func headerFields(_ value: Value) -> [(name: String, value: String)] {
        guard let object = value.objectValue else { return [] }
        return object.entries.flatMap { entry in
            (entry.value.arrayValue ?? [entry.value]).filter { !$0.isEmpty }.map { (name: entry.key, value: $0.text) }
        }
    }

    /// Renders a template, turning its failures into errors that point into the provider file.
    /// An evaluation error may quote a value, so it is redacted like any other output.
    package func render(_ template: Mapping, in scope: Scope) throws(CarrierError) -> Value {
        do {
            return try template.render(in: scope)
        } catch {
            throw redacted(error)
        }
    }

    /// Renders a template straight into JSON bytes (``Mapping/writeJSON(in:into:)``), its
    /// failures as ``render(_:in:)``'s.
    package func renderJSON(_ template: Mapping, in scope: Scope) throws(CarrierError) -> Data {
        let out = ByteSink(capacity: 1024)
        do {
            if try template.writeJSON(in: scope, into: out) == .null { out.append("null") }
        } catch {
            throw redacted(error)
        }
        return out.data
    }

    private func redacted(_ error: MappingError) -> CarrierError {
        var redacted = error
        redacted.diagnostic.message = redactor.redact(error.diagnostic.message)
        return .template(redacted)
    }

    /// The provider URL with the account's `endpoint` in place of its scheme, host and port.
    /// A path in the endpoint (`http://127.0.0.1:8080/mock`) goes before the provider's path.
    package func rewrite(url: String) -> String {
        guard let endpointPrefix, let provider = URLParts(url) else { return url }
        return endpointPrefix + provider.restOfURL
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
