import CarrierCurl
import CarrierYAML
import Foundation

/// `carrier.yaml`: where provider files are, the named accounts, and how messages are routed.
///
/// ```yaml
/// providers: [./my-providers]          # folders searched before the built-in ones
/// accounts:
///   sendgrid: {provider: sendgrid, channel: api, credentials: {api_key: "${SENDGRID_API_KEY}"}}
/// ```
/// Credentials are resolved when an account is used, so a missing variable of an unused
/// account does not stop the others.
public struct Configuration: Sendable {
    /// The file it was read from, or `nil` for the embedded default.
    public var file: String?
    public var providerDirectories: [String]
    /// Account names in the order written.
    public var accountNames: [String]
    var unresolvedAccounts: [String: UnresolvedAccount]
    /// Named routes; `default` is used when none is named.
    public var routes: [String: Route] = [:]
    /// The route a send takes when it names none, before `default` (the CLI sets it from
    /// `$CARRIER_ROUTE`; the library reads no environment variable itself).
    public var defaultRoute: String?
    public var spoolDirectory: String?
    /// Write each message to the spool before sending, so a killed process loses nothing.
    public var spoolWriteAhead = true
    /// The suppression list's file (`suppressions:` or `suppressions: {file: …}`); with `store:`
    /// the list is the database's instead.
    public var suppressionsFile: String?
    /// Soft bounces of an address that suppress it like a hard bounce (`soft_bounce_limit`, default 3; 0: never).
    public var softBounceLimit = 3
    /// Whether an address an event suppresses is suppressed for every sending domain (`scope: global`,
    /// the default) or only for the domain its message was sent from (`scope: sending_domain`).
    public var suppressionsPerSendingDomain = false
    /// `unsubscribe:` as written (its key not yet resolved): ``unsubscribeLinks()`` reads it.
    var unsubscribe: (url: String, key: Value, mailto: String?)?
    /// Folders attachment `path`s may read from besides the message file's own (`attachment_folders:`).
    public var attachmentFolders: [String] = []
    /// Things worth fixing that do not stop Carrier (a secret file others can read).
    public var warnings: [String] = []
    /// `serve:`, `clients:` and `store:` as written, read by the gateway (`carrier serve`) and the shared store.
    package var gatewaySections: [String: YAMLNode] = [:]
    var secrets: SecretSource

    /// An account as carrier.yaml writes it: `${ENV}` references and secret files not yet read
    /// (``account(named:)`` resolves them when the account is first used).
    struct UnresolvedAccount: Sendable {
        var name: String
        var provider: String
        var channel: ChannelKind
        var credentials: Value
        var settings: Value
        var endpoint: String?
        var options: [ChannelKind: any Sendable]
        var from: String?
        var transferOptions: TransferOptions
        var ignoreUnsupported: Bool
        var concurrency: Int?
        var limits: RateLimits?
        var webhookSecret: Value = .null
        var webhookURL: String?
        var dkim: DKIMSettings?
        /// The route the account's `dkim:` comes from, when it is a route's.
        var dkimRoute: String?
    }

    /// The embedded default: one account that writes `.eml` files into `./outbox/`.
    public static var embeddedDefault: Configuration {
        Configuration(file: nil, providerDirectories: [], accountNames: ["outbox"],
                      unresolvedAccounts: ["outbox": UnresolvedAccount(name: "outbox", provider: "file", channel: .file, credentials: .null,
                                                         settings: .null, options: [:], transferOptions: TransferOptions(), ignoreUnsupported: false)],
                      spoolDirectory: nil, secrets: SecretSource(environment: [:]))
    }

    /// Reads `carrier.yaml`. Paths in it are relative to the file's folder.
    /// - Parameter environment: what `${NAME}` references in the file read — an argument of the
    ///   caller's, by default the process's environment (pass `[:]` to allow none).
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DiagnosticsError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticsError([Diagnostic(file: path, mark: SourceMark(line: 1, column: 1), message: "cannot read the configuration file",
                                               hint: "check the path, or run without --config to use the embedded default")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, environment: environment)
    }

    /// Reads a configuration's text; `file` names it in diagnostics and anchors relative paths.
    public static func parse(_ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DiagnosticsError) -> Configuration {
        let root = try YAMLParser.document(text, file: file, ifEmpty: "the configuration is empty", hint: "add an 'accounts' section")
        let directory = (file as NSString).deletingLastPathComponent
        let base = directory.isEmpty ? "." : directory
        let sink = DiagnosticSink()
        let top = NodeReader(file: file, node: root, context: "the configuration", sink: sink)
        // Against an absolute folder: a relative URL standardised `examples/../outbox` to `/outbox`.
        let folder = base.hasPrefix("/") ? base : FileManager.default.currentDirectoryPath + "/" + base
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent(path).standardized.path
        }
        let providerDirectories = (top.list("providers") ?? []).compactMap { top.scalarString($0, name: "providers") }.map(absolute)
        let attachmentFolders = (top.list("attachment_folders") ?? []).compactMap { top.scalarString($0, name: "attachment_folders") }.map(absolute)
        var names: [String] = []
        var accounts: [String: UnresolvedAccount] = [:]
        for (name, node) in top.entries("accounts") ?? [] {
            if let account = readAccount(name, node, file: file, sink: sink, absolute: absolute) {
                names.append(name)
                accounts[name] = account
            }
        }
        var spool: String?
        var writeAhead = true
        if let node = top.node("spool") {
            if case .scalar(let path, _) = node.kind {
                spool = absolute(path)
            } else {
                let r = NodeReader(file: file, node: node, context: "'spool'", sink: sink)
                spool = r.string("path", required: true).map(absolute)
                writeAhead = r.bool("write_ahead") ?? true
                r.finish()
            }
        }
        var suppressionsFile: String?
        var softBounceLimit = 3
        var perDomain = false
        if let node = top.node("suppressions") {
            if case .scalar(let path, _) = node.kind {
                suppressionsFile = absolute(path)
            } else {
                let r = NodeReader(file: file, node: node, context: "'suppressions'", sink: sink)
                suppressionsFile = r.string("file").map(absolute)
                if let scope = r.oneOf("scope", ["global", "sending_domain"]) { perDomain = scope == "sending_domain" }
                if let limit = r.int("soft_bounce_limit") {
                    if limit < 0, let n = r.node("soft_bounce_limit") { r.error(n, "soft_bounce_limit must be 0 (never) or more") }
                    softBounceLimit = max(0, limit)
                }
                r.finish()
            }
        }
        var unsubscribe: (url: String, key: Value, mailto: String?)?
        if let u = top.mapping("unsubscribe") {
            let url = u.string("url", required: true), key = u.requiredNode("key").map(Value.init(yaml:)), mailto = u.string("mailto")
            if let url, let key { unsubscribe = (url, key, mailto) }
            u.finish()
        }
        var routes: [String: Route] = [:]
        for (name, node) in top.entries("routes") ?? [] {
            guard let route = RouteReader(file: file, sink: sink, known: names, absolute: absolute).read(name, node) else { continue }
            routes[name] = route
            // A route's `dkim:` signs for its accounts that have none of their own.
            guard let dkim = route.dkim, let dkimNode = node["dkim"] else { continue }
            for member in route.members where accounts[member.name] != nil {
                if accounts[member.name]!.dkim == nil {
                    accounts[member.name]!.dkim = dkim
                    accounts[member.name]!.dkimRoute = name
                } else if let other = accounts[member.name]!.dkimRoute, accounts[member.name]!.dkim != dkim {
                    sink.add(Diagnostic(file: file, mark: dkimNode.mark,
                                        message: "account '\(member.name)' is in routes '\(other)' and '\(name)', which sign with different dkim: keys",
                                        hint: "give the account its own dkim:, or the routes the same"))
                }
            }
        }
        var gatewaySections: [String: YAMLNode] = [:]
        for key in ["serve", "clients", "store"] { gatewaySections[key] = top.node(key) }
        top.finish()
        // A file with only `providers:` serves `carrier providers …`; sending then says there is no account.
        if names.isEmpty && providerDirectories.isEmpty && root.mapping != nil && sink.diagnostics.isEmpty {
            sink.add(Diagnostic(file: file, mark: root.mark, message: "the configuration has no accounts",
                                hint: "add accounts: {name: {provider: …, channel: api, credentials: {…}}}"))
        }
        try sink.check()
        let secrets = SecretSource(environment: environment, baseDirectory: base)
        let warnings = accounts.values.sorted { $0.name < $1.name }.flatMap { account in
            (secrets.exposedFiles(in: account.credentials) + (account.dkim?.keys ?? []).flatMap { secrets.exposedFiles(in: $0.privateKey) }).map {
                "\($0) holds a credential of account '\(account.name)' and can be read by other users; chmod 600 it"
            }
        }
        return Configuration(file: file, providerDirectories: providerDirectories, accountNames: names, unresolvedAccounts: accounts,
                             routes: routes, spoolDirectory: spool, spoolWriteAhead: writeAhead, suppressionsFile: suppressionsFile,
                             softBounceLimit: softBounceLimit, suppressionsPerSendingDomain: perDomain, unsubscribe: unsubscribe,
                             attachmentFolders: attachmentFolders,
                             warnings: warnings, gatewaySections: gatewaySections, secrets: secrets)
    }

    /// A value with its `${NAME}` references and `{file: …}` secrets filled in, as an account's
    /// credentials are; `place` names it in errors.
    package func resolveSecret(_ value: Value, place: String) throws(ConfigurationError) -> Value {
        try secrets.resolve(value, place: place)
    }

    private static func readAccount(_ name: String, _ node: YAMLNode, file: String, sink: DiagnosticSink,
                                    absolute: (String) -> String) -> UnresolvedAccount? {
        let r = NodeReader(file: file, node: node, context: "account '\(name)'", sink: sink)
        defer { r.finish() }
        let provider = r.string("provider", required: true)
        let channel = r.oneOf("channel", Channels.kinds.map(\.rawValue)).flatMap(ChannelKind.init(named:))
            ?? (provider == "file" ? .file : .api)
        let credentials = r.node("credentials").map(Value.init(yaml:)) ?? .null
        let settings = r.node("settings").map(Value.init(yaml:)) ?? .null
        let endpoint = r.string("endpoint")
        // `${…}` is filled in when the account is used, and the URL checked then; one written whole
        // is checked now.
        if let endpoint, !endpoint.contains(ascii: "${"), !isURL(endpoint), let n = node["endpoint"] {
            r.error(n, "endpoint '\(endpoint)' is not a URL", hint: endpointHint)
        }
        var transfer = TransferOptions(caFile: r.string("ca_file").map(absolute))
        // Each channel reads its own options (`smtp:`, `directory:`), whatever the account's channel.
        var options: [ChannelKind: any Sendable] = [:]
        for type in Channels.all {
            if let read = type.readAccountOptions(r, transfer: &transfer, absolute: absolute) { options[type.kind] = read }
        }
        if let t = r.mapping("timeout") {
            if let c = t.node("connect").flatMap({ DurationText.seconds(Value(yaml: $0)) }) { transfer.connectTimeout = c }
            if let c = t.node("total").flatMap({ DurationText.seconds(Value(yaml: $0)) }) { transfer.totalTimeout = c }
            t.finish()
        }
        let ignoreUnsupported = r.bool("ignore_unsupported") ?? false
        let concurrency = r.int("concurrency")
        let limits = r.mapping("limits").map(RateLimits.read)
        if let concurrency, concurrency < 1, let n = node["concurrency"] { r.error(n, "concurrency must be at least 1") }
        let from = r.string("from")
        let webhookSecret = r.node("webhook_secret").map(Value.init(yaml:)) ?? .null
        let webhookURL = r.string("webhook_url")
        let dkim = r.node("dkim").flatMap { DKIMSettings.read($0, file: file, context: "account '\(name)'", sink: sink) }
        guard let provider else { return nil }
        return UnresolvedAccount(name: name, provider: provider, channel: channel, credentials: credentials, settings: settings,
                          endpoint: endpoint, options: options, from: from, transferOptions: transfer,
                          ignoreUnsupported: ignoreUnsupported, concurrency: concurrency, limits: limits,
                          webhookSecret: webhookSecret, webhookURL: webhookURL, dkim: dkim)
    }

    /// The error for an account name the configuration does not have, with a suggestion.
    package func unknownAccount(_ name: String) -> ConfigurationError {
        ConfigurationError("no account named '\(name.escapingControlCharacters())' in \(file ?? "the embedded default")",
                           hint: Suggest.hint(for: name, in: accountNames, otherwise: "accounts are: \(accountNames.joined(separator: ", "))"))
    }

    private static func checkedEndpoint(_ text: String, place: String, secrets: SecretSource) throws(ConfigurationError) -> String {
        let endpoint = try secrets.expand(text, place: "\(place).endpoint")
        guard isURL(endpoint) else { throw ConfigurationError("\(place).endpoint '\(endpoint)' is not a URL", hint: endpointHint) }
        return endpoint
    }

    private static func isURL(_ text: String) -> Bool { URLComponents(string: text)?.host != nil }
    private static let endpointHint = "write it like http://127.0.0.1:8080"

    /// The one-click unsubscribe links `unsubscribe:` describes (its key resolved), or nil without one.
    public func unsubscribeLinks() throws(ConfigurationError) -> UnsubscribeLinks? {
        guard let unsubscribe else { return nil }
        let key = try secrets.resolve(unsubscribe.key, place: "unsubscribe.key").text
        return try UnsubscribeLinks(url: try secrets.expand(unsubscribe.url, place: "unsubscribe.url"), key: key, mailto: unsubscribe.mailto)
    }

    /// The account with this name, its credentials and settings resolved.
    public func account(named name: String) throws(ConfigurationError) -> Account {
        guard let raw = unresolvedAccounts[name] else { throw unknownAccount(name) }
        let place = "accounts.\(name)"
        let credentials = try secrets.resolve(raw.credentials, place: "\(place).credentials")
        let settings = try secrets.resolve(raw.settings, place: "\(place).settings")
        var from: Address?
        if let text = raw.from {
            let expanded = try secrets.expand(text, place: "\(place).from")
            do { from = try Address(parsing: expanded) } catch {
                throw ConfigurationError("\(place).from: \(error.message)", hint: error.hint)
            }
        }
        var account = Account(name: name, provider: raw.provider, channel: raw.channel, credentials: credentials.objectValue ?? OrderedObject(),
                       settings: settings.objectValue ?? OrderedObject(),
                       endpoint: try raw.endpoint.map { e throws(ConfigurationError) in try Self.checkedEndpoint(e, place: place, secrets: secrets) },
                       options: raw.options, from: from, transferOptions: raw.transferOptions,
                       ignoreUnsupported: raw.ignoreUnsupported, concurrency: raw.concurrency)
        account.limits = raw.limits
        if !raw.webhookSecret.isNull {
            let secret = try secrets.resolve(raw.webhookSecret, place: "\(place).webhook_secret").text
            account.webhookSecret = secret
        }
        account.webhookURL = raw.webhookURL
        account.dkim = try raw.dkim?.signer(secrets: secrets, place: raw.dkimRoute.map { "routes.\($0)" } ?? place)
        return account
    }
}
