/// Splits expression text into tokens. Works on Unicode scalars (a token's offset counts them);
/// ASCII, which almost every expression is, is classified without Unicode's tables.
struct ExpressionLexer {
    enum Kind: Equatable {
        case identifier(String), string(String), number(Value), symbol(String), end
    }
    struct Token {
        var kind: Kind
        var offset: Int
    }


    static func tokenize(_ text: String) throws(ExpressionError) -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if isWhitespace(c) { i += 1; continue }
            let start = i
            if isLetter(c) || c == "_" {
                while i < chars.count, isLetter(chars[i]) || isDigit(chars[i]) || chars[i] == "_" { i += 1 }
                tokens.append(Token(kind: .identifier(string(chars[start..<i])), offset: start))
            } else if isDigit(c) {
                while i < chars.count, isDigit(chars[i]) || chars[i] == "." { i += 1 }
                let text = string(chars[start..<i])
                let value: Value = Int(text).map(Value.int) ?? Double(text).map(Value.double) ?? .null
                guard !value.isNull else { throw ExpressionError(offset: start, message: "bad number '\(text)'") }
                tokens.append(Token(kind: .number(value), offset: start))
            } else if c == "'" || c == "\"" {
                i += 1
                var out = String.UnicodeScalarView()
                while i < chars.count, chars[i] != c {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        case "r": out.append("\r")
                        default: out.append(chars[i])
                        }
                    } else {
                        out.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw ExpressionError(offset: start, message: "unterminated string") }
                i += 1
                tokens.append(Token(kind: .string(String(out)), offset: start))
            } else if let symbol = symbol(chars, at: i) {
                i += symbol.utf8.count
                tokens.append(Token(kind: .symbol(symbol), offset: start))
            } else {
                throw ExpressionError(offset: start, message: "unexpected character '\(c)'")
            }
        }
        tokens.append(Token(kind: .end, offset: chars.count))
        return tokens
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        for scalar in scalars { view.append(scalar) }  // not append(contentsOf:): its generic metadata is looked up at run time
        return String(view)
    }

    /// The symbol at `i`, two characters before one (`==` `!=` `<=` `>=` `??`; then `< > ! ? + - | . , : ( ) [ ] { }`).
    private static func symbol(_ chars: [Unicode.Scalar], at i: Int) -> String? {
        let next = i + 1 < chars.count ? chars[i + 1] : " "
        switch chars[i] {
        case "=": return next == "=" ? "==" : nil
        case "!": return next == "=" ? "!=" : "!"
        case "<": return next == "=" ? "<=" : "<"
        case ">": return next == "=" ? ">=" : ">"
        case "?": return next == "?" ? "??" : "?"
        case "+", "-", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}": return String(chars[i])
        default: return nil
        }
    }

    private static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? (c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}") : c.properties.isWhitespace
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? (("a"..."z").contains(c) || ("A"..."Z").contains(c)) : c.properties.isAlphabetic
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? ("0"..."9").contains(c) : c.properties.numericType != nil
    }
}
