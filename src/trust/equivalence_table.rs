//! The equivalence table as a versioned record: the document each version is read from, who
//! vouches for it, and its digest (what log entries name).
//!
//! The table compiled into the gateway ([`crate::standards::EMBEDDED_TABLE`], sequence 3
//! since rule set 23; earlier builds' were sequences 1 and 2, [`EARLIER_BUILD_TABLES`]) is vouched
//! for by the build. Every version an operator installs is a compact JWS whose payload is the
//! table's TOML, signed by a pinned trust-list signer under the operator anchor: the scheme
//! operator issues the rules recognition is decided by, its trust list and its equivalence
//! table alike, so one key policy ([`InstallPolicy`]) covers both. The header says what it is
//! (`typ: mrgate-equivalence-table+jws`, `cty: toml`) so that no other signed document of
//! that signer (a trust list's JWS twin, a notice) can be installed as a table.
//!
//! This module reads and signs; it must never decide whether a version may be installed
//! (that is [`crate::decisions::equivalence_table`]) nor accept an unsigned table other than
//! the build's own.

use super::InstallPolicy;
use crate::crypto::jws;
use crate::crypto::keys::SigningKey;
use crate::crypto::x509::{PathOptions, Purpose, verify_path};
use crate::standards::{EMBEDDED_TABLE, StandardsError, Table};
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

/// The `typ` of a signed equivalence table.
pub const TYP: &str = "mrgate-equivalence-table+jws";
/// The `cty` of a signed equivalence table: its payload is the table's TOML.
pub const CTY: &str = "toml";

/// Who vouches for a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into this gateway (or into an earlier build, as a log records it).
    Build,
    /// Signed by this pinned signer (its certificate's subject).
    Signed { signer: String },
}

/// One version of the equivalence table, read from its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub table: Table,
    /// SHA-256 of `document`, lower-case hex: what log entries name.
    pub digest: String,
    /// The document as installed: the build's TOML or the signed JWS.
    pub document: Vec<u8>,
    pub origin: Origin,
}

impl Version {
    /// The build's own table as a version.
    pub fn embedded() -> Result<Self, StandardsError> {
        Ok(Self {
            table: Table::parse(EMBEDDED_TABLE)?,
            digest: crate::crypto::sha256_hex(EMBEDDED_TABLE.as_bytes()),
            document: EMBEDDED_TABLE.as_bytes().to_vec(),
            origin: Origin::Build,
        })
    }
}

fn refused(reason: &'static str, message: impl Into<String>) -> StandardsError {
    StandardsError::Signed { reason, message: message.into() }
}

/// Signs `toml` (checked first: a broken table is never signed) as a table document.
pub fn sign(toml: &str, key: &SigningKey, chain: &[CertificateDer<'_>]) -> Result<String, StandardsError> {
    Table::parse(toml)?;
    jws::sign_typed(toml.as_bytes(), key, chain, TYP, CTY).map_err(|e| refused("rules.signature", e.to_string()))
}

/// Reads a table document as `policy` allows at `at`: the build's own table, or a JWS
/// signed by a pinned trust-list signer whose path is valid at `at`.
pub fn read(document: &[u8], policy: &InstallPolicy, at: OffsetDateTime) -> Result<Version, StandardsError> {
    if is_build_table(document) {
        return Version::embedded();
    }
    read_signed(document, policy, at)
}

/// SHA-256 of the tables earlier builds compiled in, oldest first: the unsigned versions
/// other than this build's that a log may hold. A build that changes `equivalence.toml`
/// adds the digest of the table it replaces here, so that audits by it still read logs
/// begun before. (No earlier build stored its table.)
pub const EARLIER_BUILD_TABLES: &[&str] = &[
    // Sequence 1, "2026.11.26-1" (until rule set 18): no transition ends.
    "793ed4fa268c2f1461f0a8ad4ec8c65a014c1c6882aa8cc6dbdaf47a7aaf19c4",
    // Sequence 2, "2026.12.06-1" (rule sets 18 to 22): no end for ISO/IEC 20000-1:2005.
    "187f64d7ea57c9c395ccb0b9c4d8d199963c629fb15294b3a7bb6d7e8f401e31",
];

/// Whether `document` is this build's own table, byte for byte.
pub fn is_build_table(document: &[u8]) -> bool {
    document == EMBEDDED_TABLE.as_bytes()
}

/// Whether `document` is the table this build or an earlier one compiled in
/// ([`EARLIER_BUILD_TABLES`]): unsigned TOML, which a store keeps as the build logged it.
pub fn is_any_build_table(document: &[u8]) -> bool {
    is_build_table(document) || EARLIER_BUILD_TABLES.contains(&crate::crypto::sha256_hex(document).as_str())
}

/// Reads a version the log recorded: as [`read`], and also the table an earlier build
/// compiled in ([`EARLIER_BUILD_TABLES`]; never any other unsigned table).
pub fn read_logged(document: &[u8], policy: &InstallPolicy, at: OffsetDateTime) -> Result<Version, StandardsError> {
    let digest = crate::crypto::sha256_hex(document);
    if !is_build_table(document)
        && is_any_build_table(document)
        && let Ok(text) = std::str::from_utf8(document)
    {
        return Ok(Version { table: Table::parse(text)?, digest, document: document.to_vec(), origin: Origin::Build });
    }
    read(document, policy, at)
}

/// Reads a document that must be a signed table (never the build's).
pub fn read_signed(document: &[u8], policy: &InstallPolicy, at: OffsetDateTime) -> Result<Version, StandardsError> {
    let text = std::str::from_utf8(document)
        .map_err(|_| refused("rules.unsigned", "an equivalence table is installed as a compact JWS (UTF-8 text)"))?;
    let token = jws::parse(text).map_err(|e| {
        refused(
            "rules.unsigned",
            format!("an equivalence table is installed as a compact JWS signed by the operator: {e}"),
        )
    })?;
    let header = |name: &str| token.header.get(name).and_then(serde_json::Value::as_str);
    match (header("typ"), header("cty")) {
        (Some(typ), Some(cty)) if jws::media_type_is(typ, TYP) && jws::media_type_is(cty, CTY) => {}
        (typ, cty) => {
            return Err(refused("rules.typ", format!("typ must be {TYP} and cty {CTY}, are {typ:?} and {cty:?}")));
        }
    }
    let x5c = token.header.get("x5c").ok_or_else(|| refused("rules.signer", "the header carries no x5c chain"))?;
    let chain = jws::decode_x5c(x5c).map_err(|e| refused("rules.signature", e.to_string()))?;
    let (leaf, intermediates) = chain.split_first().ok_or_else(|| refused("rules.signer", "x5c is empty"))?;
    let options = PathOptions {
        purpose: Purpose::DocumentSigning,
        time: at.unix_timestamp().max(0) as u64,
        crls: if policy.crls.is_empty() { None } else { Some(&policy.crls) },
        max_intermediates: Some(8),
        crls_at: None,
    };
    let verified = verify_path(leaf, intermediates, &policy.anchors, &options)
        .map_err(|e| refused("rules.signature", format!("the signer's path: {e}")))?;
    policy
        .check_signer(Some(leaf.as_ref()), Some(&verified.subject))
        .map_err(|e| refused("rules.signer", e.to_string()))?;
    jws::verify_signature(&token, &verified.public_key).map_err(|e| refused("rules.signature", e.to_string()))?;
    let toml =
        std::str::from_utf8(&token.payload).map_err(|_| StandardsError::Table("the table is not UTF-8".into()))?;
    Ok(Version {
        table: Table::parse(toml)?,
        digest: crate::crypto::sha256_hex(document),
        document: document.to_vec(),
        origin: Origin::Signed { signer: verified.subject },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::x509::Crls;

    fn policy() -> InstallPolicy {
        let demo = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo"));
        InstallPolicy::from_files(&demo.join("ca.pem"), &[demo.join("trust-list-operator.pem")], &[], &Crls::new())
            .expect("policy")
    }

    /// The table of the builds of rule sets 18 to 22, made again from this build's by taking
    /// out what theirs did not have.
    fn second_build_table() -> String {
        let changes = [
            (
                "# only when the row carries `accept_mod = true` with the rule's justification; NEQ (not\n\
                 # equivalent) does not recognize.\n",
                "# only when the row carries `accept_mod = true` with the rule's justification, and only a\n\
                 # certificate that names the national standard (one naming the international standard alone\n\
                 # was not assessed against the national deviations; rule set 23); NEQ (not equivalent) does\n\
                 # not recognize.\n",
            ),
            (
                "# catalogue at the time of writing; they are kept so the table is complete, and an operator\n\
                 # must confirm them before relying on them.\n",
                "# catalogue at the time of writing; they are kept so the table is complete, and recognize\n\
                 # nothing until an operator confirms them (`verified = true` in a table the operator signs\n\
                 # and installs; `standards.unverified`, rule set 23).\n",
            ),
            (
                "# This is the equivalence table compiled into the gateway (its second version: the first,\n\
                 # sequence 1, had no transition ends). Later versions are signed and installed by the\n\
                 # operator (`mrgate rules sign`, `PUT /v1/admin/equivalence-table`): raise `sequence` on\n\
                 # every change, and give `version` a label people can read. Each decision's log entry names\n\
                 # the sequence and digest it used.\n",
                "# This is the equivalence table compiled into the gateway (its third version: the first,\n\
                 # sequence 1, had no transition ends; the second, sequence 2, none for ISO/IEC 20000-1:2005).\n\
                 # Later versions are signed and installed by the operator (`mrgate rules sign`, `PUT\n\
                 # /v1/admin/equivalence-table`): raise `sequence` on every change, and give `version` a\n\
                 # label people can read. Each decision's log entry names the sequence and digest it used.\n",
            ),
            ("sequence = 2\nversion = \"2026.12.06-1\"\n", "sequence = 3\nversion = \"2026.12.07-1\"\n"),
            (
                "等同采用 ISO/IEC 20000-1:2005\"\nverified = true\n",
                "等同采用 ISO/IEC 20000-1:2005; replaced by ISO/IEC 20000-1:2011, audits to the 2005 edition ceased \
                 on 2013-06-01 (APMG ISO/IEC 20000 scheme transition statement, 2011-05-19)\"\nverified = true\n\
                 recognized_until = \"2013-05-31\"\n",
            ),
        ];
        changes.iter().fold(EMBEDDED_TABLE.to_string(), |table, (then, now)| {
            assert_eq!(table.matches(now).count(), 1, "{now}");
            table.replacen(now, then, 1)
        })
    }

    /// The table of the build before rule set 18, made again from the second build's by
    /// taking out what that build's did not have.
    fn first_build_table() -> String {
        let second = second_build_table();
        let header = second.split_once("# A row may say the last day").expect("header").0;
        let rest = second.split_once("sequence = 2\nversion = \"2026.12.06-1\"\n").expect("sequence").1;
        let first = format!(
            "{header}# This is the equivalence table's first version, compiled into the gateway. Later versions\n\
             # are signed and installed by the operator (`mrgate rules sign`, `PUT\n\
             # /v1/admin/equivalence-table`): raise `sequence` on every change, and give `version` a\n\
             # label people can read. Each decision's log entry names the sequence and digest it used.\n\n\
             sequence = 1\nversion = \"2026.11.26-1\"\n{rest}"
        );
        first
            .replace("; transition to ISO/IEC 27001:2022 ended 2025-10-31 (IAF MD 26:2023)", "")
            .replace("; IAF's transition to ISO 22000:2018 ended 2021-06-29", "")
            .replace("recognized_until = \"2025-10-31\"\n", "")
            .replace("recognized_until = \"2021-06-29\"\n", "")
    }

    /// Only this build's table and the tables earlier builds compiled in are read unsigned
    /// (an earlier build's only as a log records it, never to install): another unsigned
    /// table, however well formed, is refused — installed, followed, or read back by an audit.
    #[test]
    fn an_unsigned_table_is_only_ever_the_builds_own() {
        let now = time::OffsetDateTime::now_utc();
        let build = read(EMBEDDED_TABLE.as_bytes(), &policy(), now).expect("the build's");
        assert_eq!((build.origin, build.table.sequence), (Origin::Build, 3));
        assert_eq!(read_logged(EMBEDDED_TABLE.as_bytes(), &policy(), now).expect("logged").origin, Origin::Build);
        let (first, second) = (first_build_table(), second_build_table());
        let digests = [first.as_bytes(), second.as_bytes()].map(crate::crypto::sha256_hex);
        assert_eq!(EARLIER_BUILD_TABLES, digests.each_ref().map(String::as_str));
        // Each is served as the TOML it is (`GET /v1/rules/equivalence-table/N`).
        for table in [&first, &second, EMBEDDED_TABLE] {
            assert!(is_any_build_table(table.as_bytes()));
        }
        assert!(!is_any_build_table(format!("{second}\n").as_bytes()));
        let logged = read_logged(second.as_bytes(), &policy(), now).expect("the second build's, logged");
        assert_eq!(
            (logged.origin, logged.table.sequence, logged.table.version.as_str()),
            (Origin::Build, 2, "2026.12.06-1")
        );
        assert_eq!(read(second.as_bytes(), &policy(), now).expect_err("not to install").code(), "rules.unsigned");
        let logged = read_logged(first.as_bytes(), &policy(), now).expect("an earlier build's, logged");
        assert_eq!(
            (logged.origin, logged.table.sequence, logged.table.version.as_str()),
            (Origin::Build, 1, "2026.11.26-1")
        );
        assert!(logged.table.rows.iter().all(|r| r.recognized_until.is_none()));
        assert_eq!(read(first.as_bytes(), &policy(), now).expect_err("not to install").code(), "rules.unsigned");
        let other = EMBEDDED_TABLE.replacen("sequence = 3\n", "sequence = 4\n", 1);
        for refused in [
            read(other.as_bytes(), &policy(), now),
            read_logged(other.as_bytes(), &policy(), now),
            read_signed(EMBEDDED_TABLE.as_bytes(), &policy(), now),
            read_logged(format!("{EMBEDDED_TABLE}\n").as_bytes(), &policy(), now),
        ] {
            assert_eq!(refused.expect_err("unsigned").code(), "rules.unsigned");
        }
    }
}
