import CarrierModel
import Foundation
import Testing

/// Dates read from a MIME message's Date header and an HTTP Retry-After, beside Python's
/// email.utils on the same texts.
@Suite("Date parsing")
struct DateParsingTests {
    static let texts = [
        "Wed, 18 Nov 2026 11:06:40 +0000", "Wed, 18 Nov 2026 11:06:40 +0100", "Wed, 18 Nov 2026 11:06:40 -0830",
        "18 Nov 2026 11:06:40 +0200", "Wed, 18 Nov 2026 11:06 +0000", "Wed, 21 Oct 2015 07:28:00 GMT",
        "Thu, 1 Jan 1970 00:00:00 UT", "Mon, 29 Feb 2016 23:59:59 EST", "Sun, 6 Nov 1994 08:49:37 PDT",
        "Tue, 1 Dec 2026 10:00:00 +0100 (CET)", "Tue,  1 Dec 2026   10:00:00   +0100", "Tue, 01 Dec 26 10:00:00 +0000",
        "Tue, 01 Dec 99 10:00:00 -0000", "1 dec 2026 10:00:00 z", "Tue, 1 Dec 2026 10:00:00", "Dec 1 2026 10:00:00 +0000",
        "Tue, 1 Dec 2026 10:00:00 CDT", "Tue, 31 Dec 2024 23:59:60 +0000",
        "not a date", "Tue, 1 Foo 2026 10:00:00 +0000", "Tue, 1 Dec 2026", "",
    ]

    @Test("Reads what Python's email.utils reads: offsets, zone names, no weekday or seconds, comments, two-digit years")
    func readsLikePython() throws {
        let input = JSONWriter.bytes(.array(Self.texts.map(Value.string)))
        let result = try Fixtures.python("parse_dates.py", input: Data(input))
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try #require(try JSONParser.parse(result.stdout).arrayValue)
        #expect(expected.count == Self.texts.count)
        for (text, theirs) in zip(Self.texts, expected) {
            let mine = RFC2822Date.parse(text).map { Value.int($0) } ?? .null
            #expect(mine == theirs, "'\(text)'")
        }
    }

    @Test("A year past 9999 is no date (its seconds would overflow), and a zone with a sign inside is UTC")
    func outOfRange() {
        #expect(RFC2822Date.parse("Tue, 1 Dec 99999999999999999 10:00:00 +0000") == nil)
        #expect(RFC2822Date.parse("Tue, 1 Dec 10000 10:00:00 +0000") == nil)
        #expect(RFC2822Date.parse("Tue, 1 Dec 2026 10:00:00 +-100") == RFC2822Date.parse("Tue, 1 Dec 2026 10:00:00 +0000"))
    }

    @Test("A date written is read back")
    func roundTrip() {
        for seconds in [0, 951_782_400, 1_795_000_000, 1_795_000_000 + 86_399] {
            for offset in [0, 3600, -30_600] {
                #expect(RFC2822Date.parse(RFC2822Date.format(epochSeconds: seconds, offsetSeconds: offset)) == seconds)
            }
            #expect(RFC2822Date.parse(RFC2822Date.httpDate(epochSeconds: seconds)) == seconds)
        }
    }

    @Test("An ISO 8601 timestamp is written as Foundation's formatter writes it (from 1600: before, Foundation's calendar is the Julian), and read back from year 1 to 9999")
    func iso8601() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        let year1600 = -11_676_096_000, year1 = -62_135_596_800, year9999End = 253_402_300_799
        let edges = [0, 59, 86_399, 951_782_400, 1_795_000_000, year1600, year9999End]
        for seconds in edges + (0..<300).map({ _ in Int.random(in: year1600...year9999End, using: &generator) }) {
            let text = ISO8601.format(epochSeconds: seconds)
            #expect(text == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
            #expect(ISO8601.parse(text) == seconds, "\(text)")
        }
        for seconds in [year1, -30_610_224_000] + (0..<100).map({ _ in Int.random(in: year1..<year1600, using: &generator) }) {
            let text = ISO8601.format(epochSeconds: seconds)
            #expect(text.utf8.count == 20 && ISO8601.parse(text) == seconds, "\(text)")
        }
        #expect(ISO8601.format(epochSeconds: year1) == "0001-01-01T00:00:00Z")
    }
}
