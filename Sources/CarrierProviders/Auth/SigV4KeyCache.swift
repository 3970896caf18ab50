import Synchronization

/// SigV4 signing keys already derived, by secret, day, region and service: deriving one is four
/// HMACs — as many as the rest of a signature — and it changes once a day. Kept by the scheme
/// of a provider file, so by its registry; at most ``capacity`` keys, the oldest day's dropped
/// first when it is full (a new day's keys replace the last day's).
final class SigV4KeyCache: Sendable {
    static let capacity = 16
    private let keys = Mutex<[[String]: [UInt8]]>([:])

    /// The key for these inputs, derived as AWS documents it (`AWS4` + secret, then HMAC-SHA256
    /// of the day, the region, the service and `aws4_request`).
    func key(secret: String, day: String, region: String, service: String) -> [UInt8] {
        let inputs = [secret, day, region, service]
        if let known = keys.withLock({ $0[inputs] }) { return known }
        var key = Array("AWS4\(secret)".utf8)
        for part in [day, region, service, "aws4_request"] { key = Digest.hmacSHA256(key: key, Array(part.utf8)) }
        keys.withLock { keys in
            if keys.count >= Self.capacity { keys = keys.filter { $0.key[1] == day } }
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[inputs] = key
        }
        return key
    }
}
