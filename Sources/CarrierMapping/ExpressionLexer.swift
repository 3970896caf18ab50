/// Splits expression text into tokens.
struct ExpressionLexer {
    enum Kind: Equatable {
        case identifier(String), string(String), number(Value), symbol(String), end
    }
    struct Token {
        var kind: Kind
        var offset: Int
    }

    static let symbols = ["==", "!=", "<=", ">=", "??", "<", ">", "+", "-", "|", ".", ",", ":", "?", "(", ")", "[", "]", "{", "}", "!"]

    static func tokenize(_ text: String) throws(ExpressionError) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                tokens.append(Token(kind: .identifier(String(chars[start..<i])), offset: start))
            } else if c.isNumber {
                while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
                let text = String(chars[start..<i])
                let value: Value = Int(text).map(Value.int) ?? Double(text).map(Value.double) ?? .null
                guard !value.isNull else { throw ExpressionError(offset: start, message: "bad number '\(text)'") }
                tokens.append(Token(kind: .number(value), offset: start))
            } else if c == "'" || c == "\"" {
                i += 1
                var out = ""
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
                tokens.append(Token(kind: .string(out), offset: start))
            } else if let symbol = symbols.first(where: { matches($0, chars, at: i) }) {
                i += symbol.count
                tokens.append(Token(kind: .symbol(symbol), offset: start))
            } else {
                throw ExpressionError(offset: start, message: "unexpected character '\(c)'")
            }
        }
        tokens.append(Token(kind: .end, offset: chars.count))
        return tokens
    }

    private static func matches(_ symbol: String, _ chars: [Character], at i: Int) -> Bool {
        let s = Array(symbol)
        return i + s.count <= chars.count && Array(chars[i..<i + s.count]) == s
    }
}
