// One malloc arena for the whole process (glibc; elsewhere nothing). Discovery's threads
// allocate syntax trees and items side by side; with an arena per thread, the trees' freed pages
// stay with a thread that no longer needs them and the items kept pin pages in every arena.
// Measured on 100,000 tests (2 threads): the server's peak 137 -> 106 MB and 86 -> 73 MB once
// indexed. `fastest discover` does not use it: its threads then wait on the arena's lock (100,000
// tests on 2 cores: 0.58 s with an arena per thread, 0.87 s with one). Call before any thread starts.
#pragma once

namespace fastest::cli {

void use_one_malloc_arena();

}  // namespace fastest::cli
