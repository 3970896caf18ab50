/// A parsed expression of the mapping language (see docs/provider-format.md, "Expressions").
///
/// Each node keeps its offset in the source text, so evaluation errors point at the column.
package indirect enum MappingExpression: Sendable {
    case literal(Value)
    /// `slot`: where a message field of that name sits in a send's scope (``Message/fieldSlot(_:)``),
    /// found when the expression is compiled; a lookup tries it before searching by name.
    case variable(String, offset: Int, slot: Int?)
    case member(MappingExpression, String, offset: Int)
    case index(MappingExpression, MappingExpression, offset: Int)
    case list([MappingExpression])
    case object([(String, MappingExpression)])
    case unary(UnaryOperator, MappingExpression)
    case binary(BinaryOperator, MappingExpression, MappingExpression, offset: Int)
    case conditional(MappingExpression, MappingExpression, MappingExpression)
    /// `prepared`: what the filter made from literal arguments when the expression was compiled.
    case filter(MappingExpression, name: String, arguments: [MappingExpression], offset: Int, prepared: FilterLibrary.Preparation?)

    package enum UnaryOperator: Sendable { case not, negate }
    package enum BinaryOperator: String, Sendable {
        case or, and, coalesce = "??"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case contains = "in", add = "+", subtract = "-"
    }

    /// Every variable name the expression reads (used to compute expensive values only when needed).
    var referencedVariables: Set<String> {
        switch self {
        case .literal: return []
        case .variable(let name, _, _): return [name]
        case .member(let base, _, _): return base.referencedVariables
        case .index(let base, let i, _): return base.referencedVariables.union(i.referencedVariables)
        case .list(let items): return items.reduce(into: []) { $0.formUnion($1.referencedVariables) }
        case .object(let pairs): return pairs.reduce(into: []) { $0.formUnion($1.1.referencedVariables) }
        case .unary(_, let e): return e.referencedVariables
        case .binary(_, let a, let b, _): return a.referencedVariables.union(b.referencedVariables)
        case .conditional(let a, let b, let c):
            return a.referencedVariables.union(b.referencedVariables).union(c.referencedVariables)
        case .filter(let base, _, let args, _, _):
            return args.reduce(into: base.referencedVariables) { $0.formUnion($1.referencedVariables) }
        }
    }
}

/// A syntax or evaluation error inside an expression, at a character offset of its text.
struct ExpressionError: Error, Sendable {
    var offset: Int
    var message: String
    var hint: String?
}
