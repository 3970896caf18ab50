extension MappingExpression {
    /// Evaluates the expression. Errors carry the offset of the failing part.
    func evaluate(in scope: Scope) throws -> Value {
        switch self {
        case .literal(let value):
            return value
        case .variable(let name, _, let slot):
            return try scope.lookup(name, slot: slot)
        case .member(let base, let name, _):
            return try base.evaluate(in: scope)[name]
        case .index(let base, let indexExpression, _):
            let container = try base.evaluate(in: scope)
            let index = try indexExpression.evaluate(in: scope)
            switch (container, index) {
            case (.array, .int(let i)): return container[i]
            case (.object, .string(let key)): return container[key]
            case (.object(let object), _): return object[index.text] ?? .null
            default: return .null
            }
        case .list(let items):
            return .array(try items.map { try $0.evaluate(in: scope) })
        case .object(let pairs):
            var object = OrderedObject()
            for (key, expression) in pairs { object[key] = try expression.evaluate(in: scope) }
            return .object(object)
        case .unary(.not, let operand):
            return .bool(!(try operand.evaluate(in: scope).isTruthy))
        case .unary(.negate, let operand):
            switch try operand.evaluate(in: scope) {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            case let other: throw ExpressionError(offset: 0, message: "cannot negate a \(other.typeName)")
            }
        case .conditional(let condition, let then, let otherwise):
            return try condition.evaluate(in: scope).isTruthy ? then.evaluate(in: scope) : otherwise.evaluate(in: scope)
        case .binary(let op, let left, let right, let offset):
            return try Self.apply(op, left, right, offset: offset, scope: scope)
        case .filter(let base, let name, let argumentExpressions, let offset, let prepared):
            let input = try base.evaluate(in: scope)
            let arguments = try argumentExpressions.map { try $0.evaluate(in: scope) }
            switch Result(catching: { () throws(FilterError) in
                try FilterLibrary.apply(name, to: input, arguments: arguments, prepared: prepared)
            }) {
            case .success(let value): return value
            case .failure(let error): throw ExpressionError(offset: offset, message: "filter '\(name)': \(error.message)")
            }
        }
    }

    private static func apply(_ op: BinaryOperator, _ leftExpression: MappingExpression, _ rightExpression: MappingExpression,
                              offset: Int, scope: Scope) throws -> Value {
        let left = try leftExpression.evaluate(in: scope)
        switch op {
        case .and: return left.isTruthy ? try rightExpression.evaluate(in: scope) : left
        case .or: return left.isTruthy ? left : try rightExpression.evaluate(in: scope)
        case .coalesce: return left.isEmpty ? try rightExpression.evaluate(in: scope) : left
        default: break
        }
        let right = try rightExpression.evaluate(in: scope)
        switch op {
        case .equal: return .bool(looselyEqual(left, right))
        case .notEqual: return .bool(!looselyEqual(left, right))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let order = compare(left, right) else {
                throw ExpressionError(offset: offset, message: "cannot compare \(left.typeName) with \(right.typeName)")
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .contains:
            switch right {
            case .array(let items): return .bool(items.contains { looselyEqual($0, left) })
            case .string(let s): return .bool(s.contains(left.text))
            case .object(let o): return .bool(o[left.text] != nil)
            case .null: return .bool(false)
            default: throw ExpressionError(offset: offset, message: "'in' needs a list, string or object on its right, not \(right.typeName)")
            }
        case .add:
            switch (left, right) {
            case (.null, _): return right
            case (_, .null): return left
            case (.int(let a), .int(let b)): return .int(a &+ b)
            case (.array(let a), .array(let b)): return .array(a + b)
            case (.object(var a), .object(let b)):
                for entry in b { a[entry.key] = entry.value }
                return .object(a)
            default:
                if let a = number(left), let b = number(right) { return .double(a + b) }
                return .string(left.text + right.text)
            }
        case .subtract:
            if case .int(let a) = left, case .int(let b) = right { return .int(a &- b) }
            guard let a = number(left), let b = number(right) else {
                throw ExpressionError(offset: offset, message: "cannot subtract \(right.typeName) from \(left.typeName)")
            }
            return .double(a - b)
        default:
            return .null
        }
    }

    static func number(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    package static func looselyEqual(_ a: Value, _ b: Value) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    static func compare(_ a: Value, _ b: Value) -> Int? {
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        return nil
    }
}
