use std::process::ExitCode;

fn main() -> ExitCode {
    mrgate::cli::main()
}
