/// Dotted paths into nested objects (`message.to`), as batch specs name body fields.
extension Value {
    /// The value at a dotted path of object keys; null where there is none.
    package func at(path: String) -> Value {
        path.split(separator: ".").reduce(self) { $0[String($1)] }
    }

    /// Sets the value at a dotted path (nil removes it), making objects on the way.
    package mutating func set(path: String, to value: Value?) {
        set(path.split(separator: ".").map(String.init)[...], to: value)
    }

    private mutating func set(_ keys: ArraySlice<String>, to value: Value?) {
        guard let first = keys.first else { return }
        var object = objectValue ?? OrderedObject()
        if keys.count == 1 {
            object[first] = value
        } else {
            var child = object[first] ?? .object(OrderedObject())
            child.set(keys.dropFirst(), to: value)
            object[first] = child
        }
        self = .object(object)
    }
}
