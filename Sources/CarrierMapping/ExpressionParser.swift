/// Parses expression text into an ``MappingExpression`` by recursive descent.
///
/// Precedence, loosest first: `c ? a : b`, `??`, `or`, `and`, `not`, comparisons and `in`,
/// `+ -`, filters `x | f(args)`, then member access `a.b`, `a[0]`, `a['k']`.
///
/// Provider files are untrusted input, so expressions are bounded: at most ``maximumTokens``
/// tokens and ``maximumNesting`` levels of brackets, `not` and `?:` — the tree stays shallow
/// enough for the recursive parser, checker and evaluator.
struct ExpressionParser {
    private var tokens: [ExpressionLexer.Token]
    private var position = 0
    private var nesting = 0
    static let maximumTokens = 1000
    static let maximumNesting = 64

    static func parse(_ text: String) throws(ExpressionError) -> MappingExpression {
        let tokens = try ExpressionLexer.tokenize(text)
        guard tokens.count <= maximumTokens else {
            throw ExpressionError(offset: tokens[maximumTokens].offset,
                                  message: "the expression is longer than \(maximumTokens) tokens; split it or compute less in the provider file")
        }
        var parser = ExpressionParser(tokens: tokens)
        let expression = try parser.parseTernary()
        guard case .end = parser.current.kind else {
            throw ExpressionError(offset: parser.current.offset, message: "unexpected \(parser.describe(parser.current))")
        }
        try FilterLibrary.check(expression)
        return expression
    }

    private init(tokens: [ExpressionLexer.Token]) { self.tokens = tokens }

    private var current: ExpressionLexer.Token { tokens[position] }

    private func describe(_ token: ExpressionLexer.Token) -> String {
        switch token.kind {
        case .identifier(let name): return "'\(name)'"
        case .string(let s): return "string '\(s)'"
        case .number(let n): return "number \(n.text)"
        case .symbol(let s): return "'\(s)'"
        case .end: return "end of expression"
        }
    }

    private mutating func advance() -> ExpressionLexer.Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func accept(_ symbol: String) -> Bool {
        if case .symbol(let s) = current.kind, s == symbol { _ = advance(); return true }
        return false
    }

    private mutating func acceptWord(_ word: String) -> Bool {
        if case .identifier(let s) = current.kind, s == word { _ = advance(); return true }
        return false
    }

    private mutating func expect(_ symbol: String) throws(ExpressionError) {
        guard accept(symbol) else {
            throw ExpressionError(offset: current.offset, message: "expected '\(symbol)' but found \(describe(current))")
        }
    }

    private mutating func parseTernary() throws(ExpressionError) -> MappingExpression {
        try enter()
        defer { nesting -= 1 }
        let condition = try parseCoalesce()
        guard accept("?") else { return condition }
        let then = try parseTernary()
        try expect(":")
        let otherwise = try parseTernary()
        return .conditional(condition, then, otherwise)
    }

    /// One level deeper; refused past ``maximumNesting``.
    private mutating func enter() throws(ExpressionError) {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw ExpressionError(offset: current.offset, message: "the expression nests deeper than \(Self.maximumNesting) levels")
        }
    }

    private mutating func parseCoalesce() throws(ExpressionError) -> MappingExpression {
        var left = try parseOr()
        while true {
            let offset = current.offset
            guard accept("??") else { return left }
            left = .binary(.coalesce, left, try parseOr(), offset: offset)
        }
    }

    private mutating func parseOr() throws(ExpressionError) -> MappingExpression {
        var left = try parseAnd()
        while true {
            let offset = current.offset
            guard acceptWord("or") else { return left }
            left = .binary(.or, left, try parseAnd(), offset: offset)
        }
    }

    private mutating func parseAnd() throws(ExpressionError) -> MappingExpression {
        var left = try parseNot()
        while true {
            let offset = current.offset
            guard acceptWord("and") else { return left }
            left = .binary(.and, left, try parseNot(), offset: offset)
        }
    }

    private mutating func parseNot() throws(ExpressionError) -> MappingExpression {
        if acceptWord("not") || accept("!") {
            try enter()
            defer { nesting -= 1 }
            return .unary(.not, try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> MappingExpression {
        let left = try parseAdditive()
        let offset = current.offset
        for op in [MappingExpression.BinaryOperator.equal, .notEqual, .lessOrEqual, .greaterOrEqual, .less, .greater] where accept(op.rawValue) {
            return .binary(op, left, try parseAdditive(), offset: offset)
        }
        if acceptWord("in") { return .binary(.contains, left, try parseAdditive(), offset: offset) }
        return left
    }

    private mutating func parseAdditive() throws(ExpressionError) -> MappingExpression {
        var left = try parseFiltered()
        while true {
            let offset = current.offset
            if accept("+") {
                left = .binary(.add, left, try parseFiltered(), offset: offset)
            } else if accept("-") {
                left = .binary(.subtract, left, try parseFiltered(), offset: offset)
            } else {
                return left
            }
        }
    }

    private mutating func parseFiltered() throws(ExpressionError) -> MappingExpression {
        if accept("-") { return .unary(.negate, try parseFiltered()) }
        var value = try parsePostfix()
        while accept("|") {
            let token = advance()
            guard case .identifier(let name) = token.kind else {
                throw ExpressionError(offset: token.offset, message: "expected a filter name after '|' but found \(describe(token))")
            }
            var arguments: [MappingExpression] = []
            if accept("(") {
                if !accept(")") {
                    repeat { arguments.append(try parseTernary()) } while accept(",")
                    try expect(")")
                }
            }
            value = .filter(value, name: name, arguments: arguments, offset: token.offset,
                            prepared: FilterLibrary.prepare(name, arguments: arguments))
        }
        return value
    }

    private mutating func parsePostfix() throws(ExpressionError) -> MappingExpression {
        var value = try parsePrimary()
        while true {
            let offset = current.offset
            if accept(".") {
                let token = advance()
                guard case .identifier(let name) = token.kind else {
                    throw ExpressionError(offset: token.offset, message: "expected a name after '.'")
                }
                value = .member(value, name, offset: offset)
            } else if accept("[") {
                let index = try parseTernary()
                try expect("]")
                value = .index(value, index, offset: offset)
            } else {
                return value
            }
        }
    }

    private mutating func parsePrimary() throws(ExpressionError) -> MappingExpression {
        let token = advance()
        switch token.kind {
        case .number(let n): return .literal(n)
        case .string(let s): return .literal(.string(s))
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("null"): return .literal(.null)
        case .identifier(let name): return .variable(name, offset: token.offset, slot: Message.fieldSlot(name))
        case .symbol("("):
            let inner = try parseTernary()
            try expect(")")
            return inner
        case .symbol("["):
            var items: [MappingExpression] = []
            if !accept("]") {
                repeat { items.append(try parseTernary()) } while accept(",")
                try expect("]")
            }
            return Self.folded(.list(items))
        case .symbol("{"):
            var pairs: [(String, MappingExpression)] = []
            if !accept("}") {
                repeat {
                    let keyToken = advance()
                    let key: String
                    switch keyToken.kind {
                    case .identifier(let k), .string(let k): key = k
                    default: throw ExpressionError(offset: keyToken.offset, message: "expected an object key but found \(describe(keyToken))")
                    }
                    try expect(":")
                    pairs.append((key, try parseTernary()))
                } while accept(",")
                try expect("}")
            }
            return Self.folded(.object(pairs))
        default:
            throw ExpressionError(offset: token.offset, message: "expected a value but found \(describe(token))")
        }
    }

    /// A list or object written with literals only (a `lookup` table) becomes one literal value,
    /// made once here rather than at every evaluation; as evaluating it would, a key written
    /// twice keeps its first place and its last value.
    private static func folded(_ expression: MappingExpression) -> MappingExpression {
        switch expression {
        case .list(let items):
            var values: [Value] = []
            for case .literal(let value) in items { values.append(value) }
            return values.count == items.count ? .literal(.array(values)) : expression
        case .object(let pairs):
            var object = OrderedObject()
            for (key, item) in pairs {
                guard case .literal(let value) = item else { return expression }
                object[key] = value
            }
            return .literal(.object(object))
        default:
            return expression
        }
    }
}
