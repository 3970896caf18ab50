import Foundation

/// RFC 5322 dates, written without locale so they read the same on every machine.
package enum RFC2822Date {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "Wed, 18 Nov 2026 11:06:40 +0000", as the Date header has it.
    package static func format(epochSeconds: Int, offsetSeconds: Int = 0) -> String {
        let offset = abs(offsetSeconds) / 60
        let zone = (offsetSeconds < 0 ? "-" : "+") + pad(offset / 60) + pad(offset % 60)
        return write(CivilTime(epochSeconds: epochSeconds + offsetSeconds), zone: zone)
    }

    /// The HTTP-date form (RFC 9110 IMF-fixdate): "Wed, 21 Oct 2015 07:28:00 GMT".
    package static func httpDate(epochSeconds: Int) -> String {
        write(CivilTime(epochSeconds: epochSeconds), zone: "GMT")
    }

    /// Written digit by digit: every message's Date header comes through here, and interpolating
    /// a dozen small strings cost more than the rest of the header block.
    private static func write(_ c: CivilTime, zone: String) -> String {
        guard (1000...9999).contains(c.year) else {
            return "\(days[c.weekday]), \(pad(c.day)) \(months[c.month - 1]) \(c.year) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)) \(zone)"
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        bytes += days[c.weekday].utf8
        bytes += [UInt8(ascii: ","), 0x20]
        func two(_ n: Int) { bytes += [UInt8(0x30 + n / 10), UInt8(0x30 + n % 10)] }
        two(c.day)
        bytes.append(0x20)
        bytes += months[c.month - 1].utf8
        bytes.append(0x20)
        two(c.year / 100)
        two(c.year % 100)
        bytes.append(0x20)
        two(c.hour); bytes.append(UInt8(ascii: ":"))
        two(c.minute); bytes.append(UInt8(ascii: ":"))
        two(c.second); bytes.append(0x20)
        bytes += zone.utf8
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses "Wed, 21 Oct 2015 07:28:00 GMT" (the HTTP-date form used by Retry-After).
    package static func parse(_ text: String) -> Int? {
        let parts = text.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        guard parts.count >= 5, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: parts[2]),
              let year = Int(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return CivilTime.epochSeconds(year: year, month: monthIndex + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// ISO 8601 timestamps in UTC.
package enum ISO8601 {
    package static func format(epochSeconds: Int) -> String {
        let c = CivilTime(epochSeconds: epochSeconds)
        func pad(_ n: Int, _ w: Int = 2) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))Z"
    }

    /// Accepts `2026-11-26T10:00:00Z`, with fractional seconds (any number of digits) and with
    /// `+hh:mm` or `+hhmm` offsets; a space may stand for the `T`. Parsed by hand: Foundation's
    /// formatter sets up ICU on every call, which showed in the webhook server's profile.
    package static func parse(_ text: String) -> Int? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var n = 0
            for c in b[from..<(from + count)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                n = n * 10 + Int(c - 0x30)
            }
            return n
        }
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), hour < 24, minute < 60, second < 61 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            guard i > start else { return nil }
        }
        var offset = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                guard let h = number(i + 1, 2) else { return nil }
                var m = 0
                if i + 3 < b.count, b[i + 3] == UInt8(ascii: ":") {
                    guard let minutes = number(i + 4, 2) else { return nil }
                    m = minutes
                    i += 6
                } else if let minutes = number(i + 3, 2) {
                    m = minutes
                    i += 5
                } else {
                    i += 3
                }
                guard h < 24, m < 60 else { return nil }
                offset = sign * (h * 3600 + m * 60)
            } else {
                return nil
            }
        } else {
            return nil  // no zone: not an instant
        }
        guard i == b.count else { return nil }
        return CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - offset
    }
}

/// Gregorian calendar fields of a UTC instant (Howard Hinnant's days-from-civil algorithm).
struct CivilTime {
    var year, month, day, hour, minute, second, weekday: Int

    init(epochSeconds: Int) {
        let days = Int((Double(epochSeconds) / 86400).rounded(.down))
        let secondsOfDay = epochSeconds - days * 86400
        hour = secondsOfDay / 3600
        minute = secondsOfDay % 3600 / 60
        second = secondsOfDay % 60
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86400 + hour * 3600 + minute * 60 + second
    }
}

/// Base64 variants Foundation does not write itself.
package enum Base64 {
    /// Base64 text with its `=` padding restored (some secrets come without it).
    package static func padded(_ text: String) -> String {
        text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    }

    /// URL-safe alphabet (RFC 4648 §5), with padding kept.
    package static func url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// URL-safe base64 without padding, as JWTs use it.
    package static func urlUnpadded(_ data: Data) -> String {
        var s = url(data)
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    /// Base64 wrapped at 76 characters per line with CRLF, as MIME bodies need.
    static func mimeWrapped(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// Strict decoding: only the base64 alphabet, optional padding, white space ignored.
    package static func decode(_ text: String) -> Data? {
        let compact = text.filter { !$0.isWhitespace }
        guard compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }) else { return nil }
        var padded = compact
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded)
    }
}
