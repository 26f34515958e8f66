//! A PostgreSQL server for the tests, and a fresh database on it for each test (so tests
//! run in parallel without seeing each other).
//!
//! The server is the one `MRGATE_TEST_POSTGRES` names (`postgres://user@host:port`, no
//! database: `.ci/run` starts a throwaway cluster and sets it); without it, a throwaway
//! cluster this test process starts itself when PostgreSQL's programs are installed (Debian:
//! `/usr/lib/postgresql/*/bin`): `initdb` in a temporary directory, on a free loopback port,
//! as the `postgres` user when run as root (PostgreSQL refuses to run as root), stopped and
//! removed by a watcher once this process has ended. Without either, tests skip their
//! PostgreSQL half with "SKIPPED: …", or fail when `MRGATE_REQUIRE_CORPUS=1`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's base URL (`postgres://postgres@127.0.0.1:<port>`), or `None` (reported once
/// as skipped, or a failure when required).
pub fn server() -> Option<&'static str> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    match SERVER.get_or_init(find_or_start) {
        Ok(url) => Some(url.as_str()),
        Err(why) => {
            assert!(!super::required(), "PostgreSQL is missing ({why}) and MRGATE_REQUIRE_CORPUS=1");
            eprintln!(
                "SKIPPED: the PostgreSQL half of this test: {why} (set MRGATE_REQUIRE_CORPUS=1 to make this a failure)"
            );
            None
        }
    }
}

fn find_or_start() -> Result<String, String> {
    if let Ok(url) = std::env::var("MRGATE_TEST_POSTGRES")
        && !url.is_empty()
    {
        return Ok(base(&url));
    }
    let bin = bin_dir().ok_or("no MRGATE_TEST_POSTGRES and no initdb (apt-get install postgresql)")?;
    start(&bin)
}

/// `url` without its database and parameters.
fn base(url: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let end = url[authority..].find(['/', '?']).map_or(url.len(), |i| authority + i);
    url[..end].to_string()
}

/// Where `initdb` and `pg_ctl` are: the newest Debian version, else the `PATH`.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort_by_key(|p| p.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()));
    versions.pop().or_else(|| {
        let out = Command::new("sh").args(["-c", "command -v initdb"]).output().ok()?;
        let initdb = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        initdb.parent().filter(|bin| bin.join("pg_ctl").is_file()).map(PathBuf::from)
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs `script` with `sh`, as the `postgres` user when this process is root.
fn shell(script: &str) -> Command {
    if is_root() {
        let mut c = Command::new("su");
        c.args(["postgres", "-s", "/bin/sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }
}

/// A throwaway cluster in a temporary directory, on a free loopback port.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: String,
    port: u16,
}

impl Cluster {
    /// `initdb` and start, as the `postgres` user when this process is root.
    fn start(bin: &std::path::Path) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let script = format!(
            "set -e
             dir=$(mktemp -d \"${{TMPDIR:-/tmp}}/mrgate-test-pg.XXXXXX\")
             '{bin}/initdb' -D \"$dir/data\" -A trust -U postgres -E UTF8 --locale=C >\"$dir/initdb.log\" 2>&1
             echo \"$dir\"",
            bin = bin.display()
        );
        let out = shell(&script).stdin(Stdio::null()).output().map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let cluster = Self { bin: bin.to_path_buf(), dir, port };
        cluster.pg_ctl("start")?;
        Ok(cluster)
    }

    /// `pg_ctl` with `action` (`start`; `stop -m immediate`, as a crash would).
    fn pg_ctl(&self, action: &str) -> Result<(), String> {
        let (bin, dir, port) = (self.bin.display(), &self.dir, self.port);
        let script = format!(
            "'{bin}/pg_ctl' -D '{dir}/data' -l '{dir}/server.log' -w \
                -o \"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400\" \
                {action} >/dev/null"
        );
        let out = shell(&script).stdin(Stdio::null()).output().map_err(|e| format!("pg_ctl {action}: {e}"))?;
        if !out.status.success() {
            return Err(format!("pg_ctl {action} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(())
    }

    /// The server's base URL (`postgres://postgres@127.0.0.1:<port>`, no database).
    pub fn server(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// A new database `name` on this cluster; its URL.
    pub fn database(&self, name: &str) -> String {
        let sql = format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        admin(&self.server()).batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {}", message(&e)));
        format!("{}/{name}", self.server())
    }

    /// Stops the server at once, as a crash would (no checkpoint, connections cut).
    pub fn kill(&self) {
        self.pg_ctl("stop -m immediate").expect("stop PostgreSQL");
    }

    /// Starts it again on the same port, over the same data.
    pub fn restart(&self) {
        self.pg_ctl("start").expect("start PostgreSQL again");
    }
}

/// A cluster of this test's own (to stop and start under the gateway), stopped and removed
/// when dropped; `None` without PostgreSQL's programs (skipped, or a failure when required).
pub fn own_cluster() -> Option<Cluster> {
    let started =
        bin_dir().ok_or_else(|| "no initdb (apt-get install postgresql)".to_string()).and_then(|b| Cluster::start(&b));
    match started {
        Ok(c) => Some(c),
        Err(why) => {
            assert!(!super::required(), "PostgreSQL is missing ({why}) and MRGATE_REQUIRE_CORPUS=1");
            eprintln!("SKIPPED: this test needs a PostgreSQL cluster of its own: {why}");
            None
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop -m immediate");
        let _ = shell(&format!("rm -rf '{}'", self.dir)).status();
    }
}

/// The shared test server: a cluster stopped and removed by a watcher once this process has
/// gone (tests share it through statics, which are never dropped).
fn start(bin: &std::path::Path) -> Result<String, String> {
    let cluster = Cluster::start(bin)?;
    let url = cluster.server();
    let (bin, dir) = (cluster.bin.display().to_string(), cluster.dir.clone());
    std::mem::forget(cluster);
    let watcher = format!(
        "while [ -d /proc/{pid} ]; do sleep 1; done
         '{bin}/pg_ctl' -D '{dir}/data' -m immediate stop >/dev/null 2>&1
         rm -rf '{dir}'",
        pid = std::process::id()
    );
    shell(&watcher)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot watch the cluster in {dir}: {e}"))?;
    Ok(url)
}

/// A database of its own on the test server, dropped with this value.
#[derive(Debug)]
pub struct Database {
    pub url: String,
    server: &'static str,
    name: String,
}

/// A new, empty database, or `None` when there is no server (see [`server`]).
pub fn database() -> Option<Database> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server()?;
    let name = format!("mrgate_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = admin(server);
    // One statement per call: neither runs inside a transaction block.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"),
    ] {
        admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {}", message(&e)));
    }
    Some(Database { url: format!("{server}/{name}"), server, name })
}

/// The server's message, not only "db error".
pub fn message(e: &postgres::Error) -> String {
    e.as_db_error().map_or_else(|| e.to_string(), |db| format!("{e}: {}", db.message()))
}

fn admin(server: &str) -> postgres::Client {
    postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to {server}: {}", message(&e)))
}

impl Database {
    /// The server's `host:port`.
    pub fn address(&self) -> &str {
        let authority = self.server.rsplit('@').next().unwrap_or(self.server);
        authority.trim_start_matches("postgres://")
    }

    /// This database's URL through another `host:port` (a relay).
    pub fn url_via(&self, address: &str) -> String {
        self.url.replacen(self.address(), address, 1)
    }

    /// A client of this database, to look or change things behind the store's back.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {}: {}", self.url, message(&e)))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&format!("{}/postgres", self.server), postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
