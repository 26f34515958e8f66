//! `mrgate store migrate`: moving a gateway's store from SQLite (a data directory) into
//! PostgreSQL, and proving the copy whole — the same rows in every table, and the same log:
//! its size, its root, and tile roots that fit its entries.
//!
//! `mrgate store look-alikes`: the exporter's words a store holds beside a number of their
//! CB that reads as theirs, which the rules of sets 26 and 27 did not meet because both were
//! registered before (an upgrade's check; it reads and writes nothing but what opening the
//! store migrates).
//!
//! What it must never do: copy from a store a running gateway holds (the SQLite store's
//! lock refuses), or into a database that holds anything (the import refuses), or say the
//! copy is whole without having read both logs back.

use crate::ledger::merkle;
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy a SQLite store (a gateway's data directory, the gateway stopped) into an empty
    /// PostgreSQL database, then check that both hold the same rows and the same log.
    Migrate {
        /// The data directory holding mrgate.db.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database (`postgres://user@host:port/database`).
        #[arg(long)]
        to: String,
    },
    /// List the exporter's words (certificates registered on an exporter's unsigned word)
    /// still in force beside another number of their CB that reads as theirs, first
    /// registered after the gateway last suspended the word for a look-alike (or with no
    /// such suspension): pairs registered before rule set 26 (a word valid) or 27 (a word
    /// its body suspended, whose earlier restoration would still lift it) — what the next
    /// node to start sweeps (rule set 28). Exits 1 when it lists any, 0 when none. Run it
    /// with the gateway stopped when the store is embedded (one process's).
    LookAlikes {
        /// The gateway's configuration (its `[store]` and `data_dir`).
        #[arg(long)]
        config: PathBuf,
    },
}

pub fn store(command: StoreCommand) -> ExitCode {
    match command {
        StoreCommand::Migrate { from, to } => match migrate(&from, &to) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(Failed { code, message }) => {
                eprintln!("error[{code}]: {message}");
                ExitCode::from(2)
            }
        },
        StoreCommand::LookAlikes { config } => match look_alikes(&config) {
            Ok(listed) if listed.is_empty() => {
                println!("no exporter's word reads as another number of its CB");
                ExitCode::SUCCESS
            }
            Ok(listed) => {
                print!("{}", listed.concat());
                ExitCode::from(1)
            }
            Err(Failed { code, message }) => {
                eprintln!("error[{code}]: {message}");
                ExitCode::from(2)
            }
        },
    }
}

/// The lines `mrgate store look-alikes` prints: one per exporter's word a node's sweep at
/// start would suspend ([`crate::decisions::register::swept`]: the rules of sets 26 and 27
/// did not meet a number beside it), naming those numbers
/// ([`crate::decisions::register::unmet`]), each with its origin and status.
fn look_alikes(config: &std::path::Path) -> Result<Vec<String>, Failed> {
    let config = crate::server::config::Config::load(config).map_err(|e| Failed { code: "config", message: e })?;
    // Opening a missing embedded store would make an empty one.
    let db = config.data_dir.join("mrgate.db");
    if config.store.url.is_none() && !db.is_file() {
        return Err(Failed { code: "io.read", message: format!("{}: no store there", db.display()) });
    }
    let store = crate::store::open(config.store.url.as_deref(), &config.data_dir).map_err(failed("the store"))?;
    let words = store.look_alike_words().map_err(failed("reading the register"))?;
    let listed = words.iter().filter(|w| crate::decisions::register::is_swept(w));
    let line = |w: &crate::store::LookAlikeWord| {
        let unmet = crate::decisions::register::unmet(w);
        let read_as: Vec<String> = unmet.iter().map(|o| format!("{} ({}, {})", o.number, o.origin, o.status)).collect();
        format!("{} {} {} reads as {}\n", w.issuer, w.number, w.status, read_as.join(", "))
    };
    Ok(listed.map(line).collect())
}

/// Why a migration failed: a reason code (the stores' own, `io.read` for a missing store,
/// `store.corrupt` for a copy that does not match), and what happened.
struct Failed {
    code: &'static str,
    message: String,
}

/// A store's error, said of `what`.
fn failed(what: &str) -> impl Fn(crate::store::StoreError) -> Failed {
    move |e| Failed { code: e.code(), message: format!("{what}: {e}") }
}

/// A copy that does not match its source.
fn mismatch(message: String) -> Failed {
    Failed { code: "store.corrupt", message }
}

/// Entries read at a time while the logs are compared.
const CHUNK: u64 = 4096;

fn migrate(from: &std::path::Path, to: &str) -> Result<String, Failed> {
    let path = from.join("mrgate.db");
    if !path.is_file() {
        return Err(Failed { code: "io.read", message: format!("{}: no store there", path.display()) });
    }
    let source_name = path.display().to_string();
    // Opened as the gateway opens it: its lock held (no gateway is running on it) and its
    // schema brought up to date.
    let source = SqliteStore::open(&path).map_err(failed(&source_name))?;
    let reader = rusqlite::Connection::open(&path).map_err(|e| failed(&source_name)(e.into()))?;
    let target = PostgresStore::open(to).map_err(failed("the PostgreSQL store"))?;
    let copied = target.import_sqlite(&reader).map_err(failed("copying"))?;
    let stored = target.row_counts().map_err(failed("counting the copy"))?;
    if stored != copied {
        return Err(mismatch(format!("the copy holds {stored:?} rows, the store {copied:?}")));
    }
    let (size, root) = log_head(&source).map_err(|e| mismatch(format!("the SQLite store's log: {e}")))?;
    let (copied_size, copied_root) =
        log_head(&target).map_err(|e| mismatch(format!("the PostgreSQL store's log: {e}")))?;
    if (size, root) != (copied_size, copied_root) {
        return Err(mismatch(format!(
            "the logs differ: {size} entries with root {} in SQLite, {copied_size} with root {} in PostgreSQL",
            hex(&root),
            hex(&copied_root)
        )));
    }
    let mut report = String::new();
    for (table, rows) in &copied {
        report.push_str(&format!("{table}: {rows} rows\n"));
    }
    report.push_str(&format!("log: {size} entries, root {} in both stores\n", hex(&root)));
    Ok(report)
}

/// The log's size and root, from its entries; its stored tile roots must fit them.
fn log_head(store: &dyn Store) -> Result<(u64, merkle::Hash), String> {
    let size = store.log_size().map_err(|e| e.to_string())?;
    let mut tree = merkle::Tree::keeping_recent(0);
    let mut start = 0;
    while start < size {
        let end = (start + CHUNK).min(size);
        let entries = store.log_entries(start, end).map_err(|e| e.to_string())?;
        if entries.len() as u64 != end - start {
            return Err(format!("missing log entries in [{start}, {end})"));
        }
        for entry in &entries {
            tree.append(entry);
        }
        start = end;
    }
    let stored = store.log_tile_roots().map_err(|e| e.to_string())?;
    for (tile, root) in (0..).zip(&stored) {
        if tree.tile_root(tile) != Some(*root) {
            return Err(format!("stored root of log tile {tile} does not fit the entries"));
        }
    }
    let root = tree.root(size).ok_or("the log's root cannot be computed")?;
    Ok((size, root))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
