//! The README's command blocks, run as written against `mrgate serve --demo`, in the order
//! the README gives them, so that its examples keep working: each ```` ```sh ```` block is
//! one `bash -euo pipefail` script, in a scratch copy of the repository's `certs/` and
//! `tests/data/`, with `mrgate` on the PATH. curl is told to fail on any HTTP error
//! (a `.curlrc` with `--fail-with-body`), so an example that gets a 4xx or 5xx fails here.
//!
//! What the test changes, and only that: the demo's port (a free one instead of 8443), and
//! the PT example's deadline (seconds instead of two minutes, and its wait to match). A
//! block preceded by `<!-- readme: not run (why) -->` is skipped, saying why in the README.

mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A ```` ```sh ```` block: its first line in the README, its text, whether it is run.
struct Block {
    line: usize,
    text: String,
    run: bool,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    let mut previous = "";
    for (i, line) in readme.lines().enumerate() {
        match &mut current {
            Some(block) if line.starts_with("```") => {
                out.push(std::mem::replace(block, Block { line: 0, text: String::new(), run: false }));
                current = None;
            }
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            None if line == "```sh" => {
                let run = !previous.starts_with("<!-- readme: not run");
                current = Some(Block { line: i + 1, text: String::new(), run });
            }
            None => {}
        }
        previous = line;
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn the_readme_blocks_are_found_and_the_skipped_ones_say_why() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README");
    let found = blocks(&readme);
    let skipped: Vec<usize> = found.iter().filter(|b| !b.run).map(|b| b.line).collect();
    assert_eq!(found.len(), readme.lines().filter(|l| *l == "```sh").count());
    assert_eq!(skipped.len(), 8, "skipped blocks at lines {skipped:?}: each needs its reason");
    assert!(found.iter().filter(|b| b.run).count() >= 12);
}

#[test]
fn the_readme_commands_run_as_written() {
    if ["curl", "jq", "bash"].iter().any(|t| !common::tool(t)) {
        return;
    }
    run_the_readme(None);
}

/// The same, with the gateway's store in PostgreSQL (`--store-url`).
#[test]
fn the_readme_commands_run_as_written_on_postgres() {
    if ["curl", "jq", "bash"].iter().any(|t| !common::tool(t)) {
        return;
    }
    let Some(db) = common::pg::database() else { return };
    run_the_readme(Some(&db.url));
}

/// Runs every README command block against a demo gateway (its store in PostgreSQL at
/// `store_url`, or SQLite).
fn run_the_readme(store_url: Option<&str>) {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README");
    let scratch = tempfile::tempdir().expect("tmp");
    let work = scratch.path().join("work");
    copy_dir(Path::new(&format!("{ROOT}/certs")), &work.join("certs"));
    copy_dir(Path::new(&format!("{ROOT}/tests/data")), &work.join("tests/data"));
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mrgate"), bin.join("mrgate")).expect("link");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join(".curlrc"), "fail-with-body\nshow-error\nsilent\n").expect("curlrc");

    let mut server = Command::new(env!("CARGO_BIN_EXE_mrgate"));
    server.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"]).arg(scratch.path().join("data"));
    if let Some(url) = store_url {
        server.args(["--store-url", url]);
    }
    let mut server = server.current_dir(&work).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("serve");
    let mut banner = String::new();
    let mut stdout = std::io::BufReader::new(server.stdout.take().expect("stdout"));
    stdout.read_line(&mut banner).expect("banner");
    // The demo prints its curl commands after the banner: read on, or it meets a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let port = banner
        .trim()
        .strip_prefix("mrgate listening on https://127.0.0.1:")
        .and_then(|p| p.split('/').next())
        .unwrap_or_else(|| panic!("banner: {banner}"))
        .to_string();

    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut failures = Vec::new();
    for block in blocks(&readme).into_iter().filter(|b| b.run) {
        let script = block
            .text
            .replace("localhost:8443", &format!("localhost:{port}"))
            .replace("date -u -d '+2 min'", "date -u -d '+4 sec'")
            .replace("sleep 120", "sleep 5");
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(&work)
            .env("PATH", &path)
            .env("HOME", &home)
            .env("CURL_HOME", &home)
            .output()
            .expect("bash");
        if !out.status.success() {
            failures.push(format!(
                "README.md:{} exited {:?}\n{script}\nstdout: {}\nstderr: {}",
                block.line,
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
