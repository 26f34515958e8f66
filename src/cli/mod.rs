//! The `mrgate` command line. Every subcommand is a thin wrapper over a library function;
//! this module only reads arguments and files and chooses exit codes.
//!
//! Exit codes: 0 success, 1 invalid input (errors on stderr), 2 usage or unreadable input,
//! 3 unsupported algorithm (verification commands), 141 standard output closed early (as a
//! program ended by SIGPIPE reports it: `mrgate … | head`).

/// `println!` for the command line: what it writes is made visible ([`write_stdout`]), and
/// a reader that went away (`| head`) ends the program quietly with 141 instead of a panic.
/// Shadows the standard macro in this module and the ones below it.
macro_rules! println {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` likewise.
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` for the command line: every message goes through [`for_terminal`], so a
/// value a message quotes from a document (a refused certificate number, a name) cannot
/// act on the terminal. Shadows the standard macro in this module and the ones below it.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::cli::write_stderr(format_args!($($arg)*))
    };
}

/// Writes one line to standard error, its characters made visible ([`for_terminal`]).
pub(crate) fn write_stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let line = args.to_string();
    // Standard error gone is nowhere left to say so.
    let _ = writeln!(std::io::stderr().lock(), "{}", for_terminal(&line));
}

/// True for a character a terminal acts on rather than shows: a C0 control but tab and
/// line feed (ESC starts an escape sequence, CR writes over the line, BS over a
/// character), DEL, and what no certificate's text may hold ([`is_hidden_control`]: C1,
/// where U+009B is ESC [; bidirectional formatting, which turns a name around).
///
/// [`is_hidden_control`]: crate::model::is_hidden_control
fn acts_on_terminal(c: char) -> bool {
    (c.is_ascii_control() && c != '\n' && c != '\t') || crate::model::is_hidden_control(c)
}

/// `text` as a terminal should get it: each character that would act on it
/// (`acts_on_terminal`) written as Rust writes it, `\u{9b}`. Found by attack: a
/// certificate number holding U+009B was echoed raw by `error[id.certificate_no.charset]`.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    replace_chars(text, |c, out| out.push_str(&format!("\\u{{{:x}}}", u32::from(c))))
}

/// JSON text as a terminal should get it: each character that would act on it written as
/// a JSON escape (`\u009b`), which reads back as the same character. A JSON writer escapes
/// C0 controls already, and a control can stand only in a string, so the JSON means what
/// it did.
pub fn json_for_terminal(json: &str) -> std::borrow::Cow<'_, str> {
    replace_chars(json, |c, out| {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    })
}

fn replace_chars(text: &str, escape: impl Fn(char, &mut String)) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts_on_terminal(c) { escape(c, &mut out) } else { out.push(c) }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints `value` as pretty JSON on standard output, made safe for a terminal
/// ([`json_for_terminal`]): a verdict's or report's message may quote a document.
pub(crate) fn print_json(value: &impl serde::Serialize) {
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    println!("{}", json_for_terminal(&json));
}

/// Writes to standard output, its characters made visible ([`for_terminal`]: a line that
/// quotes a name or a message reaches the terminal as text); see [`println!`](crate::cli).
/// JSON goes through [`json_for_terminal`] first, after which nothing is left to escape.
/// Documents a command outputs are written whole by [`write_out`].
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let text = args.to_string();
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(for_terminal(&text).as_bytes()).and_then(|()| out.flush()) {
        std::process::exit(i32::from(stdout_failed(&e)));
    }
}

/// Writes a command's whole output; the exit code says how that went.
pub(crate) fn write_out(bytes: &[u8]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(stdout_failed(&e)),
    }
}

/// The exit code for output that could not be written: 141, quietly, when the reader went
/// away; otherwise 2, saying why.
fn stdout_failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return 141;
    }
    eprintln!("error[io.write]: standard output: {e}");
    2
}

mod audit;
mod client;
mod log;
mod pt;
mod rules;
mod signing;
mod store;
mod trust;
mod verify;
mod witness;

use crate::formats::{self, Format, FormatError};
use crate::ids;
use crate::model::{Certificate, Status};
use crate::xml::Limits;
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "mrgate", version, about = "International mutual-recognition gateway for quality certification")]
pub struct Cli {
    /// Largest accepted input document, in bytes.
    #[arg(long, global = true, default_value_t = 4 * 1024 * 1024)]
    pub max_bytes: usize,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Translate a certificate between formats.
    Translate {
        #[arg(long, value_enum)]
        from: FormatArg,
        #[arg(long, value_enum)]
        to: FormatArg,
        /// Write the loss report (JSON) to this file.
        #[arg(long)]
        loss_report: Option<PathBuf>,
        /// Fail, writing nothing, when the target format cannot carry every field.
        #[arg(long)]
        strict: bool,
        /// Input file, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
    /// Check a certificate document (format detected) and report its key facts.
    Validate {
        /// Format, when detection is not wanted.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// The date to judge validity at (YYYY-MM-DD); default today in China (UTC+8).
        #[arg(long)]
        at: Option<String>,
        #[arg(default_value = "-")]
        file: String,
    },
    /// Sign a document: a UNTP credential becomes a VC-JOSE JWS; CN XML and IAF XML get an
    /// enveloped XML signature.
    Sign {
        #[arg(long, value_enum)]
        format: SignFormat,
        #[command(flatten)]
        signer: signing::SignerArgs,
        #[arg(default_value = "-")]
        file: String,
    },
    /// JWS commands.
    Jws {
        #[command(subcommand)]
        command: signing::JwsCommand,
    },
    /// XML signature commands.
    Xmldsig {
        #[command(subcommand)]
        command: signing::XmldsigCommand,
    },
    /// Trust-list commands.
    Trust {
        #[command(subcommand)]
        command: trust::TrustCommand,
    },
    /// Decide whether a foreign certificate is recognized (the recognition verdict).
    Verify(verify::VerifyArgs),
    /// Run the gateway (HTTPS).
    Serve {
        /// Configuration file (see mrgate.example.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Use the demo PKI and trust list in certs/demo/ (for demonstration only).
        #[arg(long)]
        demo: bool,
        /// Listen address, overriding the configuration.
        #[arg(long)]
        listen: Option<String>,
        /// Data directory, overriding the configuration.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// PostgreSQL store (`postgres://…`), overriding the configuration's `[store] url`.
        #[arg(long)]
        store_url: Option<String>,
        /// Take the store's log as it is when there is no high-water mark yet: the first start
        /// of a build that keeps one, a new node of a shared store, a mark moved aside knowingly.
        #[arg(long)]
        adopt_log: bool,
    },
    /// Proficiency-testing commands.
    Pt {
        #[command(subcommand)]
        command: pt::PtCommand,
    },
    /// Transparency-log commands (offline verification).
    Log {
        #[command(subcommand)]
        command: log::LogCommand,
    },
    /// Rule commands: sign an equivalence table as a versioned record, install it on a
    /// running gateway, read one.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Witness commands (c2sp.org/tlog-witness): run a witness that cosigns logs'
    /// checkpoints, make its key.
    Witness {
        #[command(subcommand)]
        command: witness::WitnessCommand,
    },
    /// Store commands: moving a store from SQLite into PostgreSQL.
    Store {
        #[command(subcommand)]
        command: store::StoreCommand,
    },
    /// X.509 commands.
    X509 {
        #[command(subcommand)]
        command: signing::X509Command,
    },
    /// PKI commands.
    Pki {
        #[command(subcommand)]
        command: signing::PkiCommand,
    },
    /// Print every reason code mrgate emits, with its HTTP status and meaning.
    Reasons {
        #[arg(long, value_enum, default_value = "markdown")]
        format: ReasonsFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReasonsFormat {
    /// The README's table.
    Markdown,
    /// `[{"code", "status", "other_statuses", "message"}]`.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SignFormat {
    UntpDcc,
    CnXml,
    IafXml,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    CnXml,
    UntpDcc,
    IafXml,
    IafJson,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::CnXml => Format::CnXml,
            FormatArg::UntpDcc => Format::UntpDcc,
            FormatArg::IafXml => Format::IafXml,
            FormatArg::IafJson => Format::IafJson,
        }
    }
}

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and the version are ours to print as clap styles them; an error may quote an
        // argument, which reaches the terminal made visible like every other message.
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            let message = e.render().to_string();
            eprintln!("{}", message.trim_end());
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let limits = Limits { max_bytes: cli.max_bytes, ..Limits::default() };
    match cli.command {
        Command::Translate { from, to, loss_report, strict, file } => {
            translate_cmd(from.into(), to.into(), loss_report.as_deref(), strict, &file, &limits)
        }
        Command::Validate { format, at, file } => validate_cmd(format.map(Into::into), at.as_deref(), &file, &limits),
        Command::Sign { format, signer, file } => signing::sign(format, &signer, &file, &limits),
        Command::Xmldsig { command } => signing::xmldsig_verify(command, &limits),
        Command::Jws { command } => signing::jws(command, &limits),
        Command::X509 { command } => signing::x509(command),
        Command::Trust { command } => trust::trust(command),
        Command::Pt { command } => pt::pt(command, &limits),
        Command::Verify(args) => verify::verify(args, &limits),
        Command::Serve { config, demo, listen, data_dir, store_url, adopt_log } => {
            serve(config, demo, listen, data_dir, store_url, adopt_log)
        }
        Command::Log { command } => log::log(command),
        Command::Store { command } => store::store(command),
        Command::Witness { command } => witness::witness(command),
        Command::Rules { command } => rules::rules(command),
        Command::Pki { command } => signing::pki(command),
        Command::Reasons { format } => write_out(
            match format {
                ReasonsFormat::Markdown => crate::reason::Reason::markdown_table(),
                ReasonsFormat::Json => format!("{:#}\n", crate::reason::Reason::json()),
            }
            .as_bytes(),
        ),
    }
}

/// Turns transparent huge pages off for the gateway's memory.
///
/// mimalloc asks for huge pages on its arenas (`madvise(MADV_HUGEPAGE)`), and the kernel then
/// fills a thread's first touch of 2 MiB of fresh heap with a whole huge page before the
/// thread goes on. On the 2-core VM of `benches/load.sh` that fault took 4.6–6.9 ms
/// (`cargo bench --bench log_growth`: slowest 16-leaf append 4.6–6.9 ms with huge pages,
/// 0.4–1.3 ms with `MIMALLOC_ALLOW_THP=0`), and a verify load run took 15–17 of them, each
/// holding whatever that thread was doing: a commit, or a verification. The gateway's heap
/// is tens of megabytes, too small for huge pages to save much in TLB misses.
fn without_huge_page_faults() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("warning: transparent huge pages stay on (prctl PR_SET_THP_DISABLE: {e})");
    }
}

/// Starts the demo witness (`certs/demo/witness.toml`) on a free loopback port, its state in
/// `<data dir>/witness`, on a thread and runtime of its own for the life of the process; its
/// verifier key and URL.
fn demo_witness(data_dir: &Path) -> Result<(String, String), String> {
    let mut config =
        crate::witness::config::Config::load(Path::new("certs/demo/witness.toml")).map_err(|e| e.to_string())?;
    config.listen = "127.0.0.1:0".into();
    config.data_dir = data_dir.join("witness");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("mrgate-demo-witness".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => return drop(tx.send(Err(e.to_string()))),
            };
            runtime.block_on(async {
                match crate::witness::serve::start(&config).await {
                    Ok(running) => {
                        let url = format!("https://localhost:{}", running.addr().port());
                        let _ = tx.send(Ok((running.verifier_key(), url)));
                        // Serves until the process ends.
                        std::future::pending::<()>().await;
                        drop(running);
                    }
                    Err(e) => drop(tx.send(Err(e.to_string()))),
                }
            });
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|_| "the demo witness's thread ended".to_string())?
}

fn serve(
    config: Option<PathBuf>,
    demo: bool,
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    store_url: Option<String>,
    adopt_log: bool,
) -> ExitCode {
    use crate::server::config::Config;
    if config.is_some() == demo {
        eprintln!("error[usage]: give exactly one of --config FILE or --demo");
        return ExitCode::from(2);
    }
    // The demo's witness runs beside it, so that what the demo publishes is cosigned.
    let demo_witness = match demo.then(|| demo_witness(data_dir.as_deref().unwrap_or(Path::new("mrgate-data")))) {
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => {
            eprintln!("error[witness.config]: the demo witness: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    // Read at start and again on every SIGHUP; command-line flags override the file each time.
    let read_config = move || -> Result<Config, String> {
        let mut c = match &config {
            Some(path) => Config::load(path)?,
            None => Config::demo(Path::new("certs/demo"), Path::new("mrgate-data")),
        };
        if let Some((vkey, url)) = &demo_witness {
            c.witnessing = crate::server::config::Witnessing {
                required: 1,
                ca: vec![PathBuf::from("certs/demo/ca.pem")],
                witness: vec![crate::server::config::WitnessConfig { vkey: vkey.clone(), url: url.clone() }],
                ..Default::default()
            };
        }
        if let Some(l) = &listen {
            c.listen = l.clone();
        }
        if let Some(d) = &data_dir {
            c.data_dir = d.clone();
        }
        if let Some(u) = &store_url {
            c.store.url = Some(u.clone());
        }
        c.log.adopt = adopt_log;
        Ok(c)
    };
    let config = match read_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error[config]: {e}");
            return ExitCode::from(2);
        }
    };
    without_huge_page_faults();
    let result = crate::server::serve(config, read_config, |addr| {
        println!("mrgate listening on https://{addr}");
        if demo {
            print_demo_banner(addr);
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::server::to_operator(format_args!("error[serve]: {e}"));
            ExitCode::from(2)
        }
    }
}

fn print_demo_banner(addr: std::net::SocketAddr) {
    let base = format!("https://localhost:{}", addr.port());
    println!("\nDemo only: every key in certs/demo/ is public. Try:\n");
    println!("  curl --cacert certs/demo/ca.pem {base}/healthz");
    println!("  # exporter (bearer token): a domestic certificate in, signed international documents out");
    println!("  curl --cacert certs/demo/ca.pem -H \"Authorization: Bearer $(cat certs/demo/exporter.token)\" \\");
    println!("       -H 'Content-Type: application/xml' --data-binary @tests/data/cn-qms.xml {base}/v1/exports");
    println!("  # anyone: status by number");
    println!("  curl --cacert certs/demo/ca.pem {base}/v1/certificates/CNCA-R-2017-049/04925Q10021R0M");
    println!("  # customs (client certificate): verify a document");
    println!(
        "  curl --cacert certs/demo/ca.pem --cert certs/demo/clients/customs.pem --key certs/demo/clients/customs.key \\"
    );
    println!("       --data-binary @signed-credential.jwt {base}/v1/verify");
    println!("  # the transparency log");
    println!("  curl --cacert certs/demo/ca.pem {base}/v1/log/checkpoint");
    println!("  # a partner's root cannot make an operator: mint one, see 403 auth.issuer_not_allowed");
    println!(
        "  mrgate pki client --ca certs/demo/foreign/dakks/root.pem --ca-key certs/demo/foreign/dakks/root.key \\"
    );
    println!("       --role operator --out forged");
    println!("  curl --cacert certs/demo/ca.pem --cert forged.pem --key forged.key {base}/healthz\n");
}

pub(crate) fn read_input(file: &str, limits: &Limits) -> Result<Vec<u8>, ExitCode> {
    let mut buf = Vec::new();
    // Read one byte past the limit so an oversized input is recognised without reading it all.
    let cap = limits.max_bytes as u64 + 1;
    let result = if file == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(cap).read_to_end(&mut buf))
    };
    match result {
        Ok(_) => Ok(buf),
        Err(e) => {
            eprintln!("error[io.read]: {file}: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// A parse error as one JSON object: code, message, path, line, column.
pub fn error_json(e: &FormatError) -> Value {
    let pos = e.pos();
    json!({
        "code": e.code(),
        "message": e.to_string(),
        "path": e.path(),
        "line": pos.map(|p| p.line),
        "column": pos.map(|p| p.column),
    })
}

/// `error[code]: file:line:column: what`, the position once (most messages lead with it).
fn print_error(file: &str, e: &FormatError) {
    let message = e.to_string();
    match e.pos() {
        Some(p) if message.starts_with(&format!("{}:{}: ", p.line, p.column)) => {
            eprintln!("error[{}]: {file}:{message}", e.code())
        }
        Some(p) => eprintln!("error[{}]: {file}:{}:{}: {message}", e.code(), p.line, p.column),
        None => eprintln!("error[{}]: {file}: {message}", e.code()),
    }
}

/// Writes a file whole or not at all: a temporary file beside it, then a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn translate_cmd(
    from: Format,
    to: Format,
    loss_path: Option<&Path>,
    strict: bool,
    file: &str,
    limits: &Limits,
) -> ExitCode {
    let input = match read_input(file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let rendered = match formats::translate(from, to, &input, limits) {
        Ok(r) => r,
        Err(e) => {
            print_error(file, &e);
            return ExitCode::from(1);
        }
    };
    if strict && !rendered.loss.is_empty() {
        eprintln!(
            "error[translate.lossy]: {file}: {from} to {to} loses {} (--strict): {}",
            rendered.loss.lost.len(),
            rendered.loss.lost.join(", ")
        );
        return ExitCode::from(1);
    }
    if let Some(path) = loss_path {
        let mut report = serde_json::to_vec_pretty(&rendered.loss).unwrap_or_default();
        report.push(b'\n');
        if let Err(e) = write_atomically(path, &report) {
            eprintln!("error[io.write]: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    write_out(&rendered.bytes)
}

/// Today's date in China (UTC+8), the date the register itself uses.
pub fn today_in_china() -> time::Date {
    crate::model::china_date(time::OffsetDateTime::now_utc())
}

/// Facts about a parsed certificate that matter to a reader: status and validity at `at`.
pub fn findings(cert: &Certificate, at: time::Date) -> Vec<Value> {
    let mut out = Vec::new();
    if cert.status != Status::Valid {
        let since = cert.status_date.map(|d| format!(" since {}", ids::format_date(d))).unwrap_or_default();
        out.push(json!({
            "code": format!("status.{}", cert.status.as_str()),
            "message": format!("status {} ({}){since}", cert.status.as_str(), cert.status.zh()),
        }));
    }
    if let Err(why) = cert.dates_hold(at) {
        out.push(json!({"code": why.code(), "message": why.message()}));
    }
    out
}

/// The key facts of a certificate, as the validate report shows them.
pub fn key_facts(cert: &Certificate) -> Value {
    json!({
        "number": cert.number,
        "issuer": cert.issuer_id(),
        "certification_body": cert.certification_body.name,
        "program_code": cert.program_code,
        "category": cert.category,
        "status": cert.status,
        "issue_date": ids::format_date(cert.issue_date),
        "expiry_date": ids::format_date(cert.expiry_date),
        "holder": cert.holder.name,
        "holder_credit_code": cert.holder.credit_code,
        "standards": cert.standards,
    })
}

fn validate_cmd(format: Option<Format>, at: Option<&str>, file: &str, limits: &Limits) -> ExitCode {
    let at = match at.map(ids::parse_date).transpose() {
        Ok(d) => d.unwrap_or_else(today_in_china),
        Err(e) => {
            eprintln!("error[{}]: --at: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let input = match read_input(file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let Some(format) = format.or_else(|| Format::detect(&input)) else {
        // UTF-16, by its byte-order mark, is said as such, as a translation says it (found by
        // attack: validate called it of no format).
        let (code, message) = if input.starts_with(b"\xFF\xFE") || input.starts_with(b"\xFE\xFF") {
            (
                "xml.unsupported_encoding",
                "the document is UTF-16 (its byte-order mark); documents are read as UTF-8 or GB18030",
            )
        } else {
            ("format.unknown", "not a CN certificate XML, UNTP credential or IAF record")
        };
        let report = json!({
            "well_formed": false,
            "format": null,
            "errors": [{"code": code, "message": message, "path": null, "line": null, "column": null}],
        });
        print_json(&report);
        return ExitCode::from(1);
    };
    let report = match formats::parse_all(format, &input, limits) {
        Ok(cert) => {
            let mut findings = findings(&cert, at);
            let mut facts = key_facts(&cert);
            // A status kept in lists is not the document's to state: never a guessed "valid".
            if format == Format::UntpDcc
                && let Some(found) = formats::untp_dcc::status_lists(&input, limits)
            {
                formats::set_member(&mut facts, "status", json!("unknown"));
                let message = format!(
                    "{}: the credential's status is in status lists ({}), which validate does not read",
                    found.path, found.lists
                );
                findings.insert(0, json!({"code": "status.unknown", "message": message}));
            }
            json!({
                "well_formed": true,
                "format": format,
                "in_force": findings.is_empty(),
                "at": ids::format_date(at),
                "certificate": facts,
                "findings": findings,
                "errors": [],
            })
        }
        Err(errors) => {
            for e in &errors {
                print_error(file, e);
            }
            let errors: Vec<Value> = errors.iter().map(error_json).collect();
            json!({"well_formed": false, "format": format, "errors": errors})
        }
    };
    print_json(&report);
    if report.get("well_formed") == Some(&json!(true)) { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
