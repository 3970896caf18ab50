import CarrierYAML

/// An expression compiled from a provider file, with the place its text starts. A class: a
/// template holds many, and rendering passes them around (one reference, not four fields, a copy).
package final class CompiledExpression: Sendable {
    let expression: MappingExpression
    let source: String
    let file: String
    let mark: SourceMark

    init(expression: MappingExpression, source: String, file: String, mark: SourceMark) {
        self.expression = expression
        self.source = source
        self.file = file
        self.mark = mark
    }

    /// The place of a character offset inside the expression text.
    func mark(at offset: Int) -> SourceMark {
        SourceMark(line: mark.line, column: mark.column + offset)
    }

    package func evaluate(in scope: Scope) throws(MappingError) -> Value {
        do {
            return try expression.evaluate(in: scope)
        } catch let error as ExpressionError {
            throw MappingError(diagnostic: Diagnostic(file: file, mark: mark(at: error.offset),
                                                       message: "\(error.message) in '\(source)'", hint: error.hint))
        } catch let error as MappingError {
            throw error
        } catch {
            throw MappingError(diagnostic: Diagnostic(file: file, mark: mark, message: "\(error) in '\(source)'"))
        }
    }
}

/// A failure while rendering a template, pointing into the provider file.
public struct MappingError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic
    public var description: String { diagnostic.description }
}

/// A part of a provider file that renders to a ``Value``: request bodies, headers, URLs, SMTP headers.
///
/// Scalars with `{{ expr }}` are expressions: a scalar that is exactly one `{{ expr }}` keeps the
/// expression's type (a list stays a list); otherwise the parts are joined into a string.
/// Mappings may use `$each`/`$as`/`$do` (a list from a list), `$if`/`$then`/`$else`, and `$merge`
/// (spread objects into this one). Empty values are left out of objects, and null out of lists.
package indirect enum Mapping: Sendable {
    case literal(Value)
    case expression(CompiledExpression)
    case interpolation([InterpolationPart])
    case object([ObjectEntry])
    case array([Mapping])
    case each(source: CompiledExpression, name: String, body: Mapping)
    case conditional(CompiledExpression, then: Mapping, otherwise: Mapping?)

    package enum InterpolationPart: Sendable {
        case text(String)
        case expression(CompiledExpression)
    }

    package enum ObjectEntry: Sendable {
        /// A named field; `keyJSON` is its name as JSON with the colon (`"name":`), written once
        /// when the template is compiled: a body's keys are most of the strings it writes.
        case field(String, Mapping, keyJSON: [UInt8])
        case merge([Mapping])

        /// A field, its name's JSON made here.
        package static func field(_ key: String, _ template: Mapping) -> ObjectEntry {
            let out = ByteSink(capacity: key.utf8.count + 3)
            JSONWriter.writeString(key, into: out)
            out.append(0x3A)
            return .field(key, template, keyJSON: out.bytes)
        }
    }

    /// Renders the template against a scope.
    package func render(in scope: Scope) throws(MappingError) -> Value {
        switch self {
        case .literal(let value):
            return value
        case .expression(let e):
            return try e.evaluate(in: scope)
        case .interpolation(let parts):
            var out = ""
            for part in parts {
                switch part {
                case .text(let t): out += t
                case .expression(let e): out += try e.evaluate(in: scope).text
                }
            }
            return .string(out)
        case .object(let entries):
            var object = OrderedObject()
            object.reserveCapacity(entries.count)
            // A template's field names are unique (the compiler refuses a repeat): until a merge
            // brings other keys, each field is new.
            var merged = false
            for entry in entries {
                switch entry {
                case .field(let key, let template, _):
                    let value = try template.render(in: scope)
                    guard !value.isEmpty else { continue }
                    if merged { object[key] = value } else { object.appendNew(key, value) }
                case .merge(let templates):
                    merged = true
                    for template in templates {
                        guard case .object(let spread) = try template.render(in: scope) else { continue }
                        for item in spread where !item.value.isEmpty { object[item.key] = item.value }
                    }
                }
            }
            return .object(object)
        case .array(let items):
            var out: [Value] = []
            for item in items {
                let value = try item.render(in: scope)
                if case .each = item, case .array(let spliced) = value {
                    out.append(contentsOf: spliced)
                } else if !value.isNull {
                    out.append(value)
                }
            }
            return .array(out)
        case .each(let source, let name, let body):
            let input = try source.evaluate(in: scope)
            let items: [Value]
            switch input {
            case .array(let a): items = a
            case .null: items = []
            case .object(let o): items = o.entries.map { .object(["key": .string($0.key), "value": $0.value]) }
            default: items = [input]
            }
            var out: [Value] = []
            for item in items {
                let value = try body.render(in: scope.with(name, item))
                if !value.isNull { out.append(value) }
            }
            return .array(out)
        case .conditional(let condition, let then, let otherwise):
            if try condition.evaluate(in: scope).isTruthy { return try then.render(in: scope) }
            return try otherwise?.render(in: scope) ?? .null
        }
    }
}

extension Mapping {
    /// The names of the credentials the template reads (`credentials.NAME`), in order of first use:
    /// what an error names when the template comes out empty.
    package var credentialsRead: [String] { membersRead(of: "credentials") }

    /// The fields of a variable the template reads (`recipient.NAME`), in order of first use.
    package func membersRead(of variable: String) -> [String] {
        var names: [String] = []
        func visit(_ e: MappingExpression) {
            switch e {
            case .member(.variable(variable, _, _), let name, _): if !names.contains(name) { names.append(name) }
            case .member(let base, _, _): visit(base)
            case .index(let base, let i, _): visit(base); visit(i)
            case .list(let items): items.forEach(visit)
            case .object(let pairs): pairs.forEach { visit($0.1) }
            case .unary(_, let x): visit(x)
            case .binary(_, let a, let b, _): visit(a); visit(b)
            case .conditional(let a, let b, let c): visit(a); visit(b); visit(c)
            case .filter(let base, _, let arguments, _, _): visit(base); arguments.forEach(visit)
            case .literal, .variable: break
            }
        }
        func walk(_ t: Mapping) {
            switch t {
            case .literal: break
            case .expression(let e): visit(e.expression)
            case .interpolation(let parts):
                for case .expression(let e) in parts { visit(e.expression) }
            case .object(let entries):
                for entry in entries {
                    switch entry {
                    case .field(_, let value, _): walk(value)
                    case .merge(let values): values.forEach(walk)
                    }
                }
            case .array(let items): items.forEach(walk)
            case .each(let source, _, let body): visit(source.expression); walk(body)
            case .conditional(let condition, let then, let otherwise):
                visit(condition.expression); walk(then); otherwise.map(walk)
            }
        }
        walk(self)
        return names
    }
}
