import Foundation

/// Test peers from outside the Swift toolchain. `make test` installs them all; a plain
/// `swift test` on a machine without one skips the suites that need it, and says why.
enum Peers {
    /// Postfix's `smtp-sink` (Debian's postfix).
    static let smtpSink = FileManager.default.isExecutableFile(atPath: "/usr/sbin/smtp-sink")
    /// moto's SES server, in `.build/test-venv` (`make test-deps`).
    static let moto = imports("moto", python: Repository.venvPython)
    /// Postfix itself, as an SMTP client relaying to the gateway: its own instance in a test folder
    /// (needs root, as `make test` runs, to start its daemons as the postfix user).
    static let postfix = FileManager.default.isExecutableFile(atPath: "/usr/sbin/postfix") && getuid() == 0
        && getpwnam("postfix") != nil
    /// swaks, the SMTP test client (Debian's swaks).
    static let swaks = FileManager.default.isExecutableFile(atPath: "/usr/bin/swaks")
    /// aiosmtpd, the SMTP server the SMTP tests talk to (Debian's python3-aiosmtpd).
    static let aiosmtpd = imports("aiosmtpd", python: Repository.python)

    private static func imports(_ module: String, python: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? run(python, ["-c", "import \(module)"], timeout: 30).status) == 0
    }
}
