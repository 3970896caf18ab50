#ifndef CFUZZER_H
#define CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for a program with its own `main` (libclang_rt.fuzzer_no_main): runs the
/// fuzzing loop with the command line's libFuzzer options, calling `callback` with each input.
/// Linked only into the fuzzing build (`make fuzz`); the replay build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
