import CarrierModel

/// The names an expression can read while it is evaluated.
///
/// `values` holds plain variables; `lazy` computes costly ones (the rendered MIME message) only
/// when an expression asks for them. A scope holds a dozen or two names and is made for every
/// request: kept in order and searched by comparing (short strings compare in a few
/// instructions), not hashed into a dictionary (a send made two scopes and read 24 names: 13,000
/// instructions of hashing).
package struct Scope {
    package var values: OrderedObject
    /// A message's own fields, read before `values`, each made when it is first read.
    package let fields: MessageFieldValues?
    /// Values computed only when a template reads them (`mime`; an answer's `message`).
    private var lazy: [(name: String, compute: () throws -> Value)] = []
    /// Names bound by `$each`/`$as` and ``with(_:_:)``, innermost last: read before `values`, and
    /// added without copying them (an `$each` binds one per item).
    private var locals: [(name: String, value: Value)] = []

    package init(values: OrderedObject, fields: MessageFieldValues? = nil) {
        self.values = values
        self.fields = fields
    }

    /// The value of a name. `slot`, the place of a message field of that name in
    /// ``Message/fieldOrder`` (set when the expression was compiled), finds it without a search.
    func lookup(_ name: String, slot: Int? = nil) throws -> Value {
        for local in locals.reversed() where local.name == name { return local.value }
        // Every name of a message field has its slot (the compiler gives it): no search by name.
        if let fields, let slot { return fields.value(at: slot) }
        // A scope's names are Carrier's own ASCII words, so two of different lengths differ: most
        // are passed over on their length, without a string comparison.
        let length = name.utf8.count
        for entry in values.entries where entry.key.utf8.count == length && entry.key == name { return entry.value }
        for entry in lazy where entry.name == name { return try entry.compute() }
        return .null
    }

    /// Writes the message field `name` (at `slot`) as JSON straight from the message, when the
    /// name reads that field here (no local of that name) and the field is one
    /// ``MessageFieldValues/writeJSON(at:into:)`` writes; nil otherwise, having written nothing.
    func writeMessageField(_ name: String, slot: Int, into out: ByteSink) -> Mapping.Written? {
        guard let fields, !locals.contains(where: { $0.name == name }) else { return nil }
        return fields.writeJSON(at: slot, into: out)
    }

    /// Adds a name whose value is computed each time a template reads it (and never when none does).
    package mutating func setLazy(_ name: String, _ compute: @escaping () throws -> Value) {
        if let index = lazy.firstIndex(where: { $0.name == name }) { lazy.remove(at: index) }
        if lazy.isEmpty { lazy.reserveCapacity(4) }  // a scope has up to four: grown one by one, the list was made three times
        lazy.append((name, compute))
    }

    package func with(_ name: String, _ value: Value) -> Scope {
        var copy = self
        copy.locals.append((name, value))
        return copy
    }
}
