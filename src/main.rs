#![deny(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::process::ExitCode;

fn main() -> ExitCode {
    mrgate::cli::main()
}

// The gateway allocates in many threads at once (connections, the blocking pool, the log's
// committer); mimalloc's per-thread heaps cost about 8 % less CPU per verified credential
// than glibc's arenas under `benches/load.sh`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
