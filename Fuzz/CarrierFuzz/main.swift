import Foundation
#if FUZZING
import CFuzzer
#endif

// `carrier-fuzz TARGET [INPUT…]`.
// Built by `make fuzz` (with -DFUZZING, sanitizers and libFuzzer): runs libFuzzer on the target;
// the remaining arguments are libFuzzer's (corpus folders, -max_total_time=…).
// Built by `swift build` (as CI does): replays the given files or folders through the target, so
// every saved input (Fuzz/regressions/) is run again by `make test`.

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget.named(arguments[1]) else {
    var usage = "usage: carrier-fuzz TARGET [INPUT…]\n\ntargets:\n"
    for target in FuzzTarget.all { usage += "  " + target.name.padding(toLength: 16, withPad: " ", startingAt: 0) + target.summary + "\n" }
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}

#if FUZZING
// A target that does not check leaks runs without LeakSanitizer's check at exit too: ASan reads
// its options at start, so the process starts itself again with them.
if !target.checksLeaks, getenv("CARRIER_FUZZ_LEAKS_OFF") == nil {
    let options = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] ?? ""
    setenv("ASAN_OPTIONS", options + (options.isEmpty ? "" : ":") + "detect_leaks=0", 1)
    setenv("CARRIER_FUZZ_LEAKS_OFF", "1", 1)
    var again: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &again)
}
#endif
target.prepare()
#if FUZZING
FuzzTarget.selected = target
let leakOptions = target.checksLeaks ? [] : ["-detect_leaks=0"]
var argv: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + leakOptions + arguments.dropFirst(2)).map { strdup($0) } + [nil]
var argc = Int32(argv.count - 1)
let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var pointer = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &pointer) { data, size in
        FuzzTarget.selected!.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
exit(status)
#else
var count = 0
for path in arguments.dropFirst(2) {
    for file in FuzzTarget.inputs(at: path) {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("carrier-fuzz: cannot read \(file)\n".utf8))
            exit(1)
        }
        target.run([UInt8](data))
        count += 1
    }
}
print("\(target.name): replayed \(count) input\(count == 1 ? "" : "s")")
#endif
