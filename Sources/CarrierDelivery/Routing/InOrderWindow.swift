/// Runs work on the items of a sequence with at most `inFlight` at a time, reading the sequence
/// only as slots free up, and reports the results in the sequence's order. Results that finish
/// early wait for the ones before them; while too many wait, no new work starts, so memory is
/// bounded by the window whatever the sequence's length.
package enum InOrderWindow {
    package static func run<Items: Sequence, Output: Sendable>(
        _ items: Items, inFlight: Int,
        work: @escaping @Sendable (Items.Element) async -> Output,
        report: (Int, Output) async -> Void
    ) async where Items.Element: Sendable {
        var iterator = items.makeIterator()
        await run(next: { iterator.next() }, inFlight: inFlight, work: work, report: report)
    }

    /// The same over items that arrive asynchronously: `next` is asked for one whenever a slot
    /// frees up, and nil ends the run.
    package static func run<Item: Sendable, Output: Sendable>(
        next: () async -> Item?, inFlight: Int,
        work: @escaping @Sendable (Item) async -> Output,
        report: (Int, Output) async -> Void
    ) async {
        let width = max(1, inFlight)
        await withTaskGroup(of: (Int, Output).self) { group in
            var started = 0, reported = 0, running = 0
            var finished: [Int: Output] = [:]
            var exhausted = false
            while true {
                while !exhausted && running < width && finished.count < 4 * width {
                    guard let item = await next() else { exhausted = true; break }
                    let index = started
                    group.addTask { (index, await work(item)) }
                    started += 1
                    running += 1
                }
                guard running > 0, let (index, output) = await group.next() else { break }
                running -= 1
                finished[index] = output
                while let next = finished.removeValue(forKey: reported) {
                    await report(reported, next)
                    reported += 1
                }
            }
        }
    }
}
