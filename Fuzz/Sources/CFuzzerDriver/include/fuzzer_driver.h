#pragma once
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (from libclang_rt.fuzzer, linked by -sanitize=fuzzer): runs the fuzzing
/// loop with `callback` as the target. Declared here because Swift cannot declare C functions.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
