import CarrierModel

/// A message's fields as templates read them: each value made the first time it is read and
/// kept for the rest of the request, and the simple fields written as JSON straight from the
/// message (``writeJSON(at:into:)``), so that a send's body never makes their values at all.
package final class MessageFieldValues {
    package let message: Message
    /// The values made so far: those whose bit is set in `madeSlots` (one slot per field,
    /// initialised when made: no array to check for uniqueness on each write).
    private let made = UnsafeMutablePointer<Value>.allocate(capacity: Message.fieldOrder.count)
    @exclusivity(unchecked) private var madeSlots: UInt32 = 0
    @exclusivity(unchecked) private var whole: OrderedObject?

    package init(_ message: Message) {
        self.message = message
    }

    deinit {
        for slot in Message.fieldOrder.indices where madeSlots & (1 << UInt32(slot)) != 0 { (made + slot).deinitialize(count: 1) }
        made.deallocate()
    }

    /// The field at `slot` of ``Message/fieldOrder``.
    package func value(at slot: Int) -> Value {
        let bit: UInt32 = 1 << UInt32(slot)
        if madeSlots & bit != 0 { return made[slot] }
        let value = message.fieldValue(at: slot)
        (made + slot).initialize(to: value)
        madeSlots |= bit
        return value
    }

    /// Every field, in ``Message/fieldOrder``: what a template reads as `message`.
    package var object: OrderedObject {
        if let whole { return whole }
        var object = OrderedObject()
        object.reserveCapacity(Message.fieldOrder.count)
        for slot in Message.fieldOrder.indices { object.appendNew(Message.fieldOrder[slot], value(at: slot)) }
        whole = object
        return object
    }

    /// Writes the field at `slot` as the JSON that ``JSONWriter`` writes for its value, without
    /// making the value: the addresses, the strings, the tags and the times. Nil for the other
    /// fields (attachments, headers, metadata, template), having written nothing. What it
    /// returns is what ``Mapping/writeJSON(in:into:)`` says of the value: null (nothing
    /// written), empty, or a value.
    package func writeJSON(at slot: Int, into out: ByteSink) -> Mapping.Written? {
        switch slot {
        case 0: Self.write(message.from, into: out); return .value
        case 1: return Self.write(message.to, into: out)
        case 2: return Self.write(message.cc, into: out)
        case 3: return Self.write(message.bcc, into: out)
        case 4: return Self.write(message.replyTo, into: out)
        case 5: return Self.write(message.subject, into: out)
        case 6: return Self.write(message.text, into: out)
        case 7: return Self.write(message.html, into: out)
        case 10:
            let tags = message.tags
            out.append(0x5B)
            for index in tags.indices {
                if index > 0 { out.append(0x2C) }
                JSONWriter.writeString(tags[index], into: out)
            }
            out.append(0x5D)
            return tags.isEmpty ? .empty : .value
        case 13: return Self.write(message.sendAt, into: out)
        case 14: return Self.write(message.messageID, into: out)
        case 15: return Self.write(message.date, into: out)
        default: return nil
        }
    }

    /// `{"email":…,"name":…}`, as ``Address/value`` is written.
    private static func write(_ address: Address, into out: ByteSink) {
        out.append(#"{"email":"#)
        JSONWriter.writeString(address.email, into: out)
        if let name = address.name {
            out.append(#","name":"#)
            JSONWriter.writeString(name, into: out)
        }
        out.append(0x7D)
    }

    private static func write(_ addresses: [Address], into out: ByteSink) -> Mapping.Written {
        out.append(0x5B)
        for index in addresses.indices {
            if index > 0 { out.append(0x2C) }
            write(addresses[index], into: out)
        }
        out.append(0x5D)
        return addresses.isEmpty ? .empty : .value
    }

    private static func write(_ text: String?, into out: ByteSink) -> Mapping.Written {
        guard let text else { return .null }
        JSONWriter.writeString(text, into: out)
        return text.isEmpty ? .empty : .value
    }

    private static func write(_ number: Int?, into out: ByteSink) -> Mapping.Written {
        guard let number else { return .null }
        JSONWriter.write(.int(number), into: out)
        return .value
    }
}
