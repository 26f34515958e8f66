//! Who asks for a decision: the role the server established for the caller (from a client
//! certificate whose issuer may grant it) and, for exporters, the grant it acts under. What
//! each role may ask for is decided by the decision functions, never by reading a claim.

use std::collections::BTreeSet;
use std::sync::Arc;

/// What a caller may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Customs,
    Exporter,
    Operator,
    Partner(String),
    Anonymous,
}

impl Role {
    pub fn name(&self) -> String {
        match self {
            Role::Customs => "customs".into(),
            Role::Exporter => "exporter".into(),
            Role::Operator => "operator".into(),
            Role::Partner(b) => format!("partner:{b}"),
            Role::Anonymous => "anonymous".into(),
        }
    }
}

/// An exporter identity and what it may export unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub name: String,
    /// Unified social credit codes of the holders it exports for.
    pub holders: BTreeSet<String>,
    /// CNCA approval numbers of the CBs whose certificates it exports.
    pub bodies: BTreeSet<String>,
}

impl Grant {
    /// Whether an unsigned certificate of `holder` (credit code, if any) issued by `body` is
    /// within this grant: its holder among `holders` and its CB among `bodies`, a list left
    /// empty not narrowing; a grant with both empty covers nothing. (A grant of holders only
    /// vouches for those holders' certificates from any CB: name the CBs too to narrow it.)
    pub fn covers(&self, holder: Option<&str>, body: &str) -> bool {
        let holder_ok = self.holders.is_empty() || holder.is_some_and(|h| self.holders.contains(h));
        let body_ok = self.bodies.is_empty() || self.bodies.contains(body);
        !(self.holders.is_empty() && self.bodies.is_empty()) && holder_ok && body_ok
    }

    /// The grant as an unsigned export's entry names it (its digest among the inputs) and
    /// keeps it: one line of JSON, `{"grant":…,"holders":[…],"bodies":[…]}`, the sets in
    /// order, so the same grant is always the same bytes. An audit decides the export again
    /// with it ([`Grant::read`]); what was granted is then on the record, not only in the
    /// gateway's configuration of today.
    pub fn document(&self) -> Vec<u8> {
        let doc = serde_json::json!({"grant": self.name, "holders": self.holders, "bodies": self.bodies});
        doc.to_string().into_bytes()
    }

    /// Reads a grant kept by [`Grant::document`]: exactly its form (bytes that the same
    /// grant would not write are refused, so a digest names one grant).
    pub fn read(bytes: &[u8]) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Kept {
            grant: String,
            holders: BTreeSet<String>,
            bodies: BTreeSet<String>,
        }
        let kept: Kept = serde_json::from_slice(bytes).map_err(|e| format!("a grant: {e}"))?;
        let grant = Grant { name: kept.grant, holders: kept.holders, bodies: kept.bodies };
        if grant.document() != bytes {
            return Err("a grant not in its one form (as the gateway keeps it)".into());
        }
        Ok(grant)
    }
}

/// The caller of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// Who the decision is logged as: `partner:<body>`, `exporter:<grant>`,
    /// `<role>:<certificate hash prefix>`, `public` or `anonymous`.
    pub actor: String,
    /// The exporter grant the caller acts under (a bearer token's, else its certificate's).
    pub exporter: Option<Arc<Grant>>,
}

impl Caller {
    /// A caller with no identity, logged as `actor`.
    pub fn anonymous(actor: &str) -> Self {
        Self { role: Role::Anonymous, actor: actor.into(), exporter: None }
    }

    /// Whether the caller showed an identity (a role, or an exporter grant).
    pub fn authenticated(&self) -> bool {
        self.role != Role::Anonymous || self.exporter.is_some()
    }

    /// Whether the caller may read the documents decisions were made on (kept for audits):
    /// those who watch the record — partners, customs and operators. Exporters and
    /// anonymous callers may not: a document one customs service verified is no business
    /// of another exporter's.
    pub fn may_audit(&self) -> bool {
        matches!(self.role, Role::Partner(_) | Role::Customs | Role::Operator)
    }

    /// The partner body the caller speaks for, if it is a partner.
    pub fn partner(&self) -> Option<&str> {
        match &self.role {
            Role::Partner(b) => Some(b),
            _ => None,
        }
    }
}
