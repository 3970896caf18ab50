import Carrier
import Foundation

/// Webhooks for every provider that declares `events:`: through ``WebhookReceiver`` (the
/// verifier refuses nearly every fuzzed input, but must refuse it cleanly), then the body through
/// the provider's `events` and `map` templates as if it had been verified.
enum WebhookFuzzing {
    static let providers = registry.ids.filter { (try? registry.definition($0))?.hasEvents == true }

    /// One account per provider, named after it, each with a webhook secret.
    static let configuration: Configuration = {
        var yaml = "accounts:\n"
        for id in providers {
            yaml += "  \(id):\n    provider: \(id)\n    webhook_secret: c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n"
            yaml += "    webhook_url: https://hooks.example.com/events/\(id)\n"
        }
        return try! Configuration.parse(yaml, file: "/nonexistent/fuzz/carrier.yaml", environment: [:])
    }()
    static let runtime = CarrierRuntime(clock: clock)

    static func prepare() {
        _ = configuration
        _ = runtime
        _ = providers.map { try? registry.definition($0) }
    }

    static func run(_ bytes: [UInt8]) {
        let input = FramedInput(bytes, providers: providers)
        let request = WebhookRequest(headers: input.headers, body: input.body,
                                     url: "https://hooks.example.com/events/\(input.provider)?token=c2VjcmV0")
        // A receiver per input: what it caches (accounts, signatures seen) goes with it.
        let receiver = WebhookReceiver(configuration: configuration, registry: registry, runtime: runtime)
        _ = waitFor { try? await receiver.receive(account: input.provider, request: request) }
        map(request, provider: input.provider)
    }

    /// The event mapping alone, verification skipped.
    static func map(_ request: WebhookRequest, provider: String) {
        guard let spec = (try? registry.definition(provider))?.events else { return }
        let read = request.read(maximumJSONDepth: WebhookReceiver.maximumJSONDepth)
        guard read.jsonProblem == nil else { return }
        let scope = request.scope(body: read.body, url: request.url ?? "", secret: "c2VjcmV0", settings: .object(OrderedObject()),
                                  now: Int(clock.seconds))
        let items: [Value]
        if let template = spec.events {
            guard let listed = try? template.render(in: scope) else { return }
            items = listed.arrayValue ?? (listed.isNull ? [] : [listed])
        } else {
            items = read.body.arrayValue ?? [read.body]
        }
        for item in items {
            guard let events = try? WebhookReceiver.read(item, spec: spec, scope: scope.with("item", item), provider: provider, account: provider)
            else { continue }
            for event in events { _ = JSONWriter.string(event.value) }
        }
    }
}
