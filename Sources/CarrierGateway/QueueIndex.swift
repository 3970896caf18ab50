/// What the queue knows of each record without reading its file: its status and times, and the
/// records waiting to be sent in a heap ordered by when they are due (then by age), so claiming
/// the due ones and finding the next due time cost a logarithm, not a pass over the whole queue.
struct QueueIndex {
    struct Entry {
        var status: QueuedMessage.Status
        var created: Double
        var nextAttempt: Double

        var isWaiting: Bool { status == .queued || status == .deferred }
    }

    private struct Due: Comparable {
        var nextAttempt: Double
        var created: Double
        var id: String
        static func < (a: Due, b: Due) -> Bool { (a.nextAttempt, a.created, a.id) < (b.nextAttempt, b.created, b.id) }
    }

    private(set) var entries: [String: Entry] = [:]
    /// Waiting records; an item whose record changed since is skipped when it comes up.
    private var heap: [Due] = []

    mutating func set(_ id: String, _ entry: Entry) {
        entries[id] = entry
        if entry.isWaiting { push(Due(nextAttempt: entry.nextAttempt, created: entry.created, id: id)) }
    }

    mutating func remove(_ id: String) { entries[id] = nil }

    /// Marks up to `limit` records due at `now` as sending, oldest due first; gives their ids.
    mutating func claim(now: Double, limit: Int) -> [String] {
        var claimed: [String] = []
        while claimed.count < limit, let top = current(), top.nextAttempt <= now {
            popTop()
            entries[top.id]?.status = .sending
            claimed.append(top.id)
        }
        return claimed
    }

    /// When the next waiting record is due.
    mutating func nextDue() -> Double? { current()?.nextAttempt }

    /// The heap's top that still describes its record (stale items are dropped on the way).
    private mutating func current() -> Due? {
        while let top = heap.first {
            if let entry = entries[top.id], entry.isWaiting, entry.nextAttempt == top.nextAttempt { return top }
            popTop()
        }
        return nil
    }

    // MARK: The binary heap

    private mutating func push(_ item: Due) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        guard !heap.isEmpty else { return }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left] < heap[smallest] { smallest = left }
            if right < heap.count && heap[right] < heap[smallest] { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
