import Foundation
import Synchronization

/// The `match` filter's compiled patterns, by pattern text: a provider's pattern is compiled once,
/// not for every value it reads (each delivery event of a webhook ran ICU's compiler), and
/// Foundation on Linux leaks the UTF-16 copy of a pattern longer than 256 characters at every
/// compile (found by the `expression` fuzz target). Patterns come from provider files, so there
/// are few; the cache still stops at `capacity`, compiling what comes after as before.
final class RegularExpressionCache: Sendable {
    /// NSRegularExpression is immutable once made, and safe to use from any thread.
    private struct Compiled: @unchecked Sendable { let expression: NSRegularExpression? }

    static let shared = RegularExpressionCache(capacity: 256)

    private let capacity: Int
    private let compiled = Mutex<[String: Compiled]>([:])

    init(capacity: Int) { self.capacity = capacity }

    /// The compiled pattern, or nil when it is not a regular expression.
    func expression(for pattern: String) -> NSRegularExpression? {
        if let known = compiled.withLock({ $0[pattern] }) { return known.expression }
        let made = Compiled(expression: try? NSRegularExpression(pattern: pattern))
        compiled.withLock { if $0.count < capacity { $0[pattern] = made } }
        return made.expression
    }
}
