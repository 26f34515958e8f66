//! Status notices: what a partner body's signed notice says (`typ: notice+jwt`), and the
//! rules by which one changes a certificate's status. The store applies a notice only
//! through [`admit`], inside the transaction that records it, so two notices racing cannot
//! both pass on the same state.
//!
//! The payload: `{"issuer", "number", "action": "suspend"|"withdraw"|"cancel"|"restore",
//! "iat": NumericDate, "jti": "…", "date": RFC 3339 date or date-time, "reason"}`.
//!
//! Rules (DESIGN.md, "Who may do what"):
//! - per certificate, notices apply in `iat` order: one not later than the last applied is
//!   stale (`notice.stale`); a `jti` the body used before is a replay (`notice.replayed`);
//! - withdrawn and cancelled are final, `restore` only from suspended, `suspend` from valid
//!   or, restating it, from suspended (`notice.transition`; [`Action::allowed_from`]);
//! - a certificate the register does not hold is taken as valid ([`Register::unheld`]), and
//!   the notice registers its status alone;
//! - `date` (when the change took effect) is not after `iat` plus [`SKEW`] and not before
//!   the certificate's issue date, when the register holds it; `iat` is not in the future
//!   beyond [`SKEW`].
//!
//! This module decides nothing about who may send a notice (the caller checks the body and
//! the signature) and never touches the store itself.

use crate::model::Status;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// How far a notice's clock may run ahead of ours.
pub const SKEW: time::Duration = time::Duration::minutes(5);

/// The longest `jti` accepted.
pub const MAX_JTI: usize = 128;

/// What a notice asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Suspend,
    Withdraw,
    Cancel,
    Restore,
}

impl Action {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "suspend" => Action::Suspend,
            "withdraw" => Action::Withdraw,
            "cancel" => Action::Cancel,
            "restore" => Action::Restore,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::Withdraw => "withdraw",
            Action::Cancel => "cancel",
            Action::Restore => "restore",
        }
    }

    /// The status the certificate has once the notice applies.
    pub fn target(self) -> Status {
        match self {
            Action::Suspend => Status::Suspended,
            Action::Withdraw => Status::Withdrawn,
            Action::Cancel => Status::Cancelled,
            Action::Restore => Status::Valid,
        }
    }

    /// Whether the action may apply to a certificate whose status is `from`. A suspension
    /// of a suspended certificate is its body's word restated, applied as such (rule set
    /// 22): nothing changes but the time of the body's last word, so that a restoration the
    /// body issued before it, arriving after it, is stale. Refused, it was lost, and that
    /// earlier restoration then applied: suspend (iat 100), suspend (300) and restore (200),
    /// arriving in that order, left the certificate valid where its body's last word was
    /// suspended (found by attack). A restoration stays one of a suspended certificate only
    /// (DESIGN.md): one arriving before the suspension it lifts is refused, and leaves the
    /// certificate suspended — not valid — until the body sends it again.
    pub fn allowed_from(self, from: Status) -> bool {
        match (self, from) {
            (_, from) if from.is_final() => false,
            (Action::Restore, s) => s == Status::Suspended,
            (Action::Suspend, s) => s == Status::Valid || s == Status::Suspended,
            (Action::Withdraw | Action::Cancel, _) => true,
        }
    }
}

/// Why a notice was refused. Shape errors are the sender's mistake (400); order and
/// transition errors contradict what the register holds (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeError {
    #[error("{field}: {why}")]
    Field { field: &'static str, why: String, code: &'static str },
    #[error("iat {iat} is not later than the last notice applied to this certificate (iat {last})")]
    Stale { iat: i64, last: i64 },
    #[error(
        "iat {iat} is not later than the gateway's suspension of this certificate (at {suspended}) and the {} s a \
         body's clock may run ahead: a restoration lifts only a suspension it was signed after",
        SKEW.whole_seconds()
    )]
    BeforeSuspension { iat: i64, suspended: i64 },
    #[error("jti '{jti}' was used before by this body")]
    Replayed { jti: String },
    #[error("'{action}' cannot apply to a certificate that is {from}")]
    Transition { action: &'static str, from: &'static str },
}

impl NoticeError {
    pub fn code(&self) -> &'static str {
        match self {
            NoticeError::Field { code, .. } => code,
            NoticeError::Stale { .. } | NoticeError::BeforeSuspension { .. } => "notice.stale",
            NoticeError::Replayed { .. } => "notice.replayed",
            NoticeError::Transition { .. } => "notice.transition",
        }
    }

    /// Whether the notice contradicts the register (409) rather than being malformed (400).
    pub fn is_conflict(&self) -> bool {
        !matches!(self, NoticeError::Field { .. })
    }
}

fn field(field: &'static str, code: &'static str, why: impl Into<String>) -> NoticeError {
    NoticeError::Field { field, why: why.into(), code }
}

/// A notice's payload, read and checked for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub issuer: String,
    pub number: String,
    pub action: Action,
    /// Issued at, Unix seconds.
    pub iat: i64,
    pub jti: String,
    /// When the change took effect, as written (an RFC 3339 date or date-time).
    pub date: String,
    /// The day it took effect, for the order checks.
    pub day: Date,
    pub reason: Option<String>,
}

impl Notice {
    /// Reads a payload as of `now`: every field present and well-formed, `iat` not in the
    /// future, `date` not after `iat` (both within [`SKEW`]).
    pub fn read(payload: &Value, now: OffsetDateTime) -> Result<Self, NoticeError> {
        let text = |name: &'static str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| field(name, "notice.fields", "required, a string"))
        };
        let (issuer, number) = (text("issuer")?, text("number")?);
        // A number no certificate can have registers nothing: refused, where a status alone
        // for it would answer a relay "withdrawn" and match no certificate (a typo'd or
        // lower-case number); the one form every registered number has.
        crate::ids::CertificateNo::parse_general(&number).map_err(|_| {
            field(
                "number",
                "notice.number",
                format!("'{}' is not a certificate number (1 to 60 of A-Z 0-9 - /)", clip(&number)),
            )
        })?;
        let action_name = text("action")?;
        let action = Action::parse(&action_name).ok_or_else(|| {
            field("action", "notice.action", format!("'{action_name}' is not suspend, withdraw, cancel or restore"))
        })?;
        let iat = payload
            .get("iat")
            .and_then(Value::as_i64)
            .filter(|t| *t > 0)
            .ok_or_else(|| field("iat", "notice.iat", "required, a NumericDate (whole seconds since 1970)"))?;
        let issued = OffsetDateTime::from_unix_timestamp(iat)
            .map_err(|_| field("iat", "notice.iat", format!("{iat} is not a representable time")))?;
        if now.checked_add(SKEW).is_none_or(|latest| issued > latest) {
            return Err(field("iat", "notice.iat", format!("{iat} is in the future")));
        }
        let jti = text("jti")?;
        if jti.is_empty() || jti.len() > MAX_JTI || !jti.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(field("jti", "notice.jti", format!("1 to {MAX_JTI} printable ASCII characters")));
        }
        let date = text("date")?;
        let (day, at) = read_date(&date).ok_or_else(|| {
            field("date", "notice.date", format!("'{}' is not an RFC 3339 date or date-time", clip(&date)))
        })?;
        if issued.checked_add(SKEW).is_none_or(|latest| at > latest) {
            return Err(field("date", "notice.date", format!("{date} is after the notice was issued (iat {iat})")));
        }
        let reason = payload.get("reason").and_then(Value::as_str).map(str::to_string);
        Ok(Self { issuer, number, action, iat, jti, date, day, reason })
    }

    /// The date rule that needs the register: not before the certificate was issued.
    pub fn check_issue_date(&self, issued: Date) -> Result<(), NoticeError> {
        if self.day < issued {
            return Err(field(
                "date",
                "notice.date",
                format!("{} is before the certificate's issue date {issued}", self.date),
            ));
        }
        Ok(())
    }
}

/// An RFC 3339 date (`2026-03-01`, the start of that day in UTC) or date-time, with its day:
/// a date's own, a date-time's in China, where the register keeps the issue date it is held
/// to ([`crate::model::china_date`]; found by attack: `2026-03-01T20:00:00-05:00`, 09:00 on
/// the 2nd in China, was refused as before a certificate issued on the 2nd, and
/// `2026-03-02T01:00:00+14:00`, the 1st in China, accepted).
fn read_date(text: &str) -> Option<(Date, OffsetDateTime)> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((crate::model::china_date(t), t));
    }
    let day = crate::ids::parse_date(text).ok()?;
    Some((day, day.midnight().assume_utc()))
}

/// A bounded excerpt of untrusted text for an error message.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// What the register holds when a notice is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub status: Status,
    /// The `iat` of the last notice applied to the certificate.
    pub last_iat: Option<i64>,
    /// When the gateway itself last suspended the certificate, in seconds since 1970: the
    /// exporter's word on a number a first registration reads as its own (rule set 26,
    /// [`crate::decisions::register::suspended_by_gateway`]).
    pub suspended_by_gateway: Option<i64>,
    /// Whether the sending body used this `jti` before.
    pub jti_seen: bool,
}

impl Register {
    /// What a notice is admitted against for a certificate the register does not hold: in
    /// force, as its body issued it, with no notice applied. Its body's notice registers its
    /// status alone ([`crate::decisions::register::origin::NOTICE`]): a first notice may
    /// suspend, withdraw or cancel it, and `restore` finds nothing suspended. Without this,
    /// a body could not withdraw a certificate the gateway never recognized, and its signed
    /// credential kept verifying "valid" on its own word (found by attack).
    pub fn unheld(jti_seen: bool) -> Self {
        Self { status: Status::Valid, last_iat: None, suspended_by_gateway: None, jti_seen }
    }
}

/// Whether a notice may apply to a certificate in `register`'s state: not a replay, not
/// stale, an allowed transition (checked in that order: a replay is also stale).
///
/// A restoration is stale too when it was not signed after the gateway's own last
/// suspension of the certificate, by more than [`SKEW`] (rule set 27). Notices are ordered
/// by their `iat`, and the gateway's suspension has none: a restoration its body signed
/// earlier, never relayed, lifted the suspension when sent after it (found by review). The
/// skew is added because a body's `iat` may run that far ahead of the gateway's clock: a
/// restoration signed a minute before the suspension on a clock two minutes fast would
/// read as after it. An honest restoration waits those minutes, and is told so.
pub fn admit(action: Action, iat: i64, jti: &str, register: &Register) -> Result<(), NoticeError> {
    if register.jti_seen {
        return Err(NoticeError::Replayed { jti: jti.to_string() });
    }
    if let Some(last) = register.last_iat
        && iat <= last
    {
        return Err(NoticeError::Stale { iat, last });
    }
    if action == Action::Restore
        && let Some(suspended) = register.suspended_by_gateway
        && iat <= suspended.saturating_add(SKEW.whole_seconds())
    {
        return Err(NoticeError::BeforeSuspension { iat, suspended });
    }
    if !action.allowed_from(register.status) {
        return Err(NoticeError::Transition { action: action.as_str(), from: register.status.as_str() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_790_000_000;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).expect("now")
    }

    fn payload() -> Value {
        json!({"issuer": "dakks-cb", "number": "N-1", "action": "suspend", "iat": NOW - 60, "jti": "n-1", "date": "2026-09-20"})
    }

    fn read_with(key: &str, value: Value) -> Result<Notice, &'static str> {
        let mut p = payload();
        p[key] = value;
        Notice::read(&p, now()).map_err(|e| e.code())
    }

    /// At the end of representable time nothing overflows: a notice read "now" then, or
    /// issued then, is refused as in the future or dated after its issue, not a panic
    /// (an audit reads notices at whatever time an entry claims).
    #[test]
    fn the_end_of_time_is_a_refusal_not_a_panic() {
        let end = time::PrimitiveDateTime::MAX.assume_utc();
        let mut p = payload();
        p["iat"] = json!(end.unix_timestamp());
        p["date"] = json!(end.format(&Rfc3339).expect("format"));
        assert_eq!(Notice::read(&p, end).map_err(|e| e.code()).expect_err("refused"), "notice.iat");
        let issued_at_the_end = Notice::read(&p, now()).map_err(|e| e.code());
        assert_eq!(issued_at_the_end.expect_err("refused"), "notice.iat");
    }

    #[test]
    fn a_well_formed_notice_reads() {
        let n = Notice::read(&payload(), now()).expect("reads");
        assert_eq!(
            (n.action, n.iat, n.jti.as_str(), n.day.to_string()),
            (Action::Suspend, NOW - 60, "n-1", "2026-09-20".into())
        );
    }

    #[test]
    fn malformed_fields_are_refused_with_their_code() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("action", json!("revive"), "notice.action"),
            ("iat", json!("yesterday"), "notice.iat"),
            ("iat", json!(0), "notice.iat"),
            ("iat", json!(NOW + 3600), "notice.iat"),
            ("iat", json!(1.5), "notice.iat"),
            ("jti", json!(""), "notice.jti"),
            ("jti", json!("x".repeat(MAX_JTI + 1)), "notice.jti"),
            ("jti", json!("has space"), "notice.jti"),
            ("date", json!("next week"), "notice.date"),
            ("date", json!("x".repeat(100_000)), "notice.date"),
            ("date", json!("9999-12-31"), "notice.date"),
            ("date", json!("2026-09-22T00:00:00Z"), "notice.date"),
            ("issuer", json!(7), "notice.fields"),
            ("number", json!(7), "notice.fields"),
            ("number", json!(""), "notice.number"),
            ("number", json!("n-1"), "notice.number"),
            ("number", json!(" N-1"), "notice.number"),
            ("number", json!("N\u{2011}1"), "notice.number"),
            ("number", json!("N".repeat(61)), "notice.number"),
        ];
        for (key, value, code) in cases {
            assert_eq!(read_with(key, value.clone()), Err(code), "{key} = {value}");
        }
        let mut p = payload();
        p.as_object_mut().expect("object").remove("jti");
        assert_eq!(Notice::read(&p, now()).map_err(|e| e.code()), Err("notice.fields"));
    }

    #[test]
    fn a_date_time_within_the_skew_of_iat_reads() {
        let at = OffsetDateTime::from_unix_timestamp(NOW - 60 + 240).expect("t");
        let text = at.format(&Rfc3339).expect("format");
        assert!(read_with("date", json!(text)).is_ok());
    }

    #[test]
    fn the_date_is_not_before_the_certificate_was_issued() {
        let n = Notice::read(&payload(), now()).expect("reads");
        let day = |s: &str| crate::ids::parse_date(s).expect("date");
        assert_eq!(n.check_issue_date(day("2026-09-21")).map_err(|e| e.code()), Err("notice.date"));
        assert_eq!(n.check_issue_date(day("2026-09-20")), Ok(()));
        // A date-time is held to the issue date by its day in China, where the register
        // keeps it, whatever its own offset.
        let at = |date: &str| read_with("date", json!(date)).expect("reads");
        let issued = day("2026-09-21");
        // 09:00 on the 21st in China: on the issue day.
        assert_eq!(at("2026-09-20T20:00:00-05:00").check_issue_date(issued), Ok(()));
        // 19:00 on the 20th in China: before it.
        let before = at("2026-09-21T01:00:00+14:00").check_issue_date(issued).map_err(|e| e.code());
        assert_eq!(before, Err("notice.date"));
    }

    #[test]
    fn transitions() {
        use Status::*;
        let table = [
            // From suspended too: the body's word restated (rule set 22).
            (Action::Suspend, [true, true, false, false, false]),
            (Action::Restore, [false, true, false, false, false]),
            (Action::Withdraw, [true, true, false, false, true]),
            (Action::Cancel, [true, true, false, false, true]),
        ];
        for (action, allowed) in table {
            for (from, may) in [Valid, Suspended, Withdrawn, Cancelled, Expired].into_iter().zip(allowed) {
                assert_eq!(action.allowed_from(from), may, "{action:?} from {from:?}");
            }
        }
    }

    #[test]
    fn admission_checks_replay_then_order_then_transition() {
        let state = |status, last_iat, jti_seen| Register { status, last_iat, suspended_by_gateway: None, jti_seen };
        let code = |r: Result<(), NoticeError>| r.map_err(|e| e.code());
        assert_eq!(
            code(admit(Action::Suspend, 10, "a", &state(Status::Valid, Some(10), true))),
            Err("notice.replayed")
        );
        assert_eq!(code(admit(Action::Suspend, 10, "a", &state(Status::Valid, Some(10), false))), Err("notice.stale"));
        assert_eq!(code(admit(Action::Suspend, 9, "a", &state(Status::Valid, Some(10), false))), Err("notice.stale"));
        assert_eq!(
            code(admit(Action::Restore, 11, "a", &state(Status::Withdrawn, Some(10), false))),
            Err("notice.transition")
        );
        assert_eq!(code(admit(Action::Suspend, 11, "a", &state(Status::Suspended, Some(10), false))), Ok(()));
        assert_eq!(
            code(admit(Action::Restore, 11, "a", &state(Status::Valid, Some(10), false))),
            Err("notice.transition")
        );
        for final_status in [Status::Withdrawn, Status::Cancelled] {
            for action in [Action::Suspend, Action::Restore, Action::Withdraw, Action::Cancel] {
                let r = code(admit(action, 11, "a", &state(final_status, Some(10), false)));
                assert_eq!(r, Err("notice.transition"), "{action:?} from {final_status:?}");
            }
        }
        assert_eq!(
            code(admit(Action::Suspend, 11, "a", &state(Status::Expired, Some(10), false))),
            Err("notice.transition")
        );
        assert_eq!(code(admit(Action::Suspend, 11, "a", &state(Status::Valid, Some(10), false))), Ok(()));
        assert_eq!(code(admit(Action::Suspend, 1, "a", &state(Status::Valid, None, false))), Ok(()));
    }

    /// Rule set 27: a restoration lifts the gateway's own suspension only when signed more
    /// than [`SKEW`] after it; every other action, and a restoration of a certificate the
    /// gateway never suspended, is admitted as before.
    #[test]
    fn a_restoration_is_held_to_the_gateways_suspension_and_the_skew() {
        let skew = SKEW.whole_seconds();
        let suspended = |at: Option<i64>| Register {
            status: Status::Suspended,
            last_iat: Some(100),
            suspended_by_gateway: at,
            jti_seen: false,
        };
        let admitted = |action, iat, at| admit(action, iat, "a", &suspended(at));
        for iat in [101, 1000, 1000 + skew] {
            assert_eq!(
                admitted(Action::Restore, iat, Some(1000)),
                Err(NoticeError::BeforeSuspension { iat, suspended: 1000 }),
                "iat {iat}"
            );
        }
        assert_eq!(admitted(Action::Restore, 1001 + skew, Some(1000)), Ok(()));
        assert_eq!(admitted(Action::Restore, 101, None), Ok(()));
        for action in [Action::Suspend, Action::Withdraw, Action::Cancel] {
            assert_eq!(admitted(action, 101, Some(1000)), Ok(()), "{action:?}");
        }
        // Stale by the notices' own order first; the time reads in the message.
        assert_eq!(admitted(Action::Restore, 100, Some(1000)), Err(NoticeError::Stale { iat: 100, last: 100 }));
        let message = admitted(Action::Restore, 101, Some(1000)).expect_err("refused").to_string();
        assert_eq!(
            message,
            "iat 101 is not later than the gateway's suspension of this certificate (at 1000) and the 300 s a \
             body's clock may run ahead: a restoration lifts only a suspension it was signed after"
        );
        assert_eq!(admitted(Action::Restore, i64::MAX, Some(i64::MAX)).map_err(|e| e.code()), Err("notice.stale"));
    }
}
