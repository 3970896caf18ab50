import ArgumentParser
import Carrier
import Foundation

/// `carrier dkim keygen`: a new DKIM key and the DNS record that publishes it.
struct DKIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim",
        abstract: "DKIM keys for signing what Carrier writes as MIME (docs/deliverability.md).",
        subcommands: [Keygen.self]
    )

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Write a new private key (mode 0600) and print its DNS TXT record and the dkim: line for carrier.yaml."
        )
        @Option(help: "The signing domain (d=), the From domain or a parent of it.") var domain: String
        @Option(help: "The selector (s=): the key's name under _domainkey.") var selector: String
        @Flag(help: "An Ed25519 key (RFC 8463) instead of RSA 2048; sign with both for receivers that lack Ed25519.") var ed25519 = false
        @Option(help: ArgumentHelp("Where to write the key (default: SELECTOR.DOMAIN.pem); never overwritten.", valueName: "file"))
        var out: String?

        func run() throws {
            let path = out ?? "\(selector).\(domain).pem"
            let made: (key: DKIMKey, pem: String)
            do { made = try DKIMKey.generate(domain: domain, selector: selector, algorithm: ed25519 ? .ed25519SHA256 : .rsaSHA256) } catch {
                throw Failure(message: "carrier: \(error)", code: 2).exitCode
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let reason = errno == EEXIST ? "it exists; a key is never overwritten (choose another --out)" : String(cString: strerror(errno))
                throw Failure(message: "carrier: cannot write \(path): \(reason)", code: 2).exitCode
            }
            let bytes = Array(made.pem.utf8)
            let written = Foundation.write(fd, bytes, bytes.count)
            let synced = fsync(fd) == 0
            close(fd)
            guard written == bytes.count, synced else {
                unlink(path)
                throw Failure(message: "carrier: cannot write \(path): \(String(cString: strerror(errno)))", code: 2).exitCode
            }
            Output.line("wrote \(path) (\(made.key.algorithm.rawValue), mode 0600)")
            Output.line("publish this DNS TXT record:")
            Output.line(made.key.zoneLine)
            Output.line("and sign with it in carrier.yaml (an account's or route's):")
            Output.line("dkim: {domain: \(made.key.domain), selector: \(selector), private_key: {file: \(path)}}")
        }
    }
}
