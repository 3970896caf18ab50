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

    /// Parses a date as mail and HTTP write it (RFC 5322, RFC 9110): "Wed, 18 Nov 2026 11:06:40
    /// +0100", "18 Nov 2026 11:06 GMT", "Wed, 21 Oct 2015 07:28:00 GMT". The day of the week and
    /// the seconds may be missing, the month may come before the day, a comment like "(CET)" is
    /// left out; the zone is an offset or an obsolete name (UT, GMT, EST, PDT…; none, an unknown
    /// one or -0000 is read as UTC); a two-digit year is 20xx under 50 and 19xx from 50 (RFC 5322
    /// §4.3). The instant in seconds since 1970, or nil when it is no date.
    package static func parse(_ text: String) -> Int? {
        var tokens = dateTokens(text)
        if let first = tokens.first, first.first?.isLetter == true, monthIndex(first) == nil {
            tokens.removeFirst()  // the day of the week
        }
        if tokens.count >= 1, tokens[0].split(separator: "-").count == 3 {  // "18-Nov-2026" (RFC 850)
            tokens = tokens[0].split(separator: "-") + tokens.dropFirst()
        }
        guard tokens.count >= 4 else { return nil }
        var (day, month, year, time) = (tokens[0], tokens[1], tokens[2], tokens[3])
        if month.first?.isNumber == true { swap(&day, &month) }  // "Nov 18 2026"
        if year.contains(":") { swap(&year, &time) }              // "Nov 18 11:06:40 2026"
        guard let monthIndex = monthIndex(month), let dayNumber = Int(day),
              var yearNumber = Int(year), year.count >= 2 else { return nil }
        if year.count == 2 { yearNumber += yearNumber < 50 ? 2000 : 1900 } else if year.count == 3 { yearNumber += 1900 }
        guard (1...9999).contains(yearNumber) else { return nil }  // a header's "99999999999999" would overflow the seconds
        let clock = time.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard clock.count == 2 || clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock.count == 3 ? clock[2] : 0,
              (0..<24).contains(hour), (0..<60).contains(minute), (0..<61).contains(second),
              (1...CivilTime.days(inMonth: monthIndex + 1, of: yearNumber)).contains(dayNumber) else { return nil }
        let offset = tokens.count > 4 ? zoneOffset(tokens[4]) : 0
        return CivilTime.epochSeconds(year: yearNumber, month: monthIndex + 1, day: dayNumber, hour: hour, minute: minute, second: second) - offset
    }

    /// January is 0; a month's name may be written out or in any case ("NOV", "November").
    private static func monthIndex(_ word: Substring) -> Int? {
        let prefix = word.prefix(3).lowercased()
        return months.firstIndex { $0.lowercased() == prefix }
    }

    /// The words of a date: split at spaces, tabs and commas, comments left out. Read on the
    /// bytes (every separator is ASCII) and cut into slices of the text.
    private static func dateTokens(_ text: String) -> [Substring] {
        var tokens: [Substring] = []
        var depth = 0
        var start: String.Index?
        let bytes = text.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "(") { depth += 1 } else if byte == UInt8(ascii: ")") { depth = max(0, depth - 1) }
            let separates = depth > 0 || byte == UInt8(ascii: ")") || byte == 0x20 || byte == UInt8(ascii: ",") || (0x09...0x0D).contains(byte)
            if separates, let wordStart = start {
                tokens.append(text[wordStart..<index])
                start = nil
            } else if !separates, start == nil {
                start = index
            }
            index = bytes.index(after: index)
        }
        if let wordStart = start { tokens.append(text[wordStart...]) }
        return tokens
    }

    /// Seconds east of UTC for `+hhmm`/`-hhmm` or an RFC 5322 zone name; 0 for what is neither.
    private static func zoneOffset(_ zone: Substring) -> Int {
        if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let digits = Int(zone.dropFirst()), digits >= 0 {
            let seconds = (digits / 100) * 3600 + (digits % 100) * 60
            return sign == "-" ? -seconds : seconds
        }
        let hours = ["EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AST": -4, "ADT": -3]
        return (hours[zone.uppercased()] ?? 0) * 3600
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// ISO 8601 timestamps in UTC.
package enum ISO8601 {
    package static func format(epochSeconds: Int) -> String {
        let c = CivilTime(epochSeconds: epochSeconds)
        func pad(_ n: Int, _ w: Int = 2) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        guard (0...9999).contains(c.year) else {
            return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))Z"
        }
        // Digit by digit (every event's timestamp comes through here): interpolating a dozen
        // small strings cost ten times more.
        return String(unsafeUninitializedCapacity: 20) { out in
            var index = 0
            func put(_ n: Int, _ width: Int) {
                var divisor = width == 4 ? 1000 : 10
                while divisor > 0 {
                    out[index] = UInt8(0x30 + (n / divisor) % 10)
                    index += 1
                    divisor /= 10
                }
            }
            func put(_ byte: UInt8) { out[index] = byte; index += 1 }
            put(c.year, 4); put(UInt8(ascii: "-")); put(c.month, 2); put(UInt8(ascii: "-")); put(c.day, 2); put(UInt8(ascii: "T"))
            put(c.hour, 2); put(UInt8(ascii: ":")); put(c.minute, 2); put(UInt8(ascii: ":")); put(c.second, 2); put(UInt8(ascii: "Z"))
            return index
        }
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
        guard (1...CivilTime.days(inMonth: month, of: year)).contains(day) else { return nil }
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
package struct CivilTime {
    var year, month, day, hour, minute, second, weekday: Int

    /// The instants dates are written for: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (four-digit
    /// years). Input is checked against it where it is read (a message's `date` and `send_at`,
    /// template filters); outside it the arithmetic below would overflow and trap.
    package static let supported = -62_135_596_800...253_402_300_799

    /// The fields of `epochSeconds`, which is first brought into ``supported``: callers check the
    /// range where they can say what is wrong, this keeps a missed check from stopping the process.
    init(epochSeconds unchecked: Int) {
        let epochSeconds = min(max(unchecked, Self.supported.lowerBound), Self.supported.upperBound)
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

    static func days(inMonth month: Int, of year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
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
