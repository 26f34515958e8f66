//! Recording decisions: the one way anything reaches the log. A decision's entry and its
//! effects on the register are committed in one transaction, so nothing can be looked up
//! that is not logged and nothing is logged that did not take effect; a refusal that is a
//! decision is logged before it is answered; and no answer goes out before its entry is
//! durable.
//!
//! Three forms, one rule: [`Recorder::record`] (blocking, entry and effects),
//! [`Recorder::record_async`] (awaits the commit instead of parking a thread; for decisions
//! with no effects, i.e. verifications) and [`Recorder::queue`] (a batch's lines, each
//! resolved to its receipt in order, sharing the log's group commits).

use super::{Class, Decided, Refusal};
use crate::ledger::durable::{DurableLog, LogError};
use crate::ledger::entry::Entry;
use crate::ledger::receipt::Receipt;
use crate::store::{Effect, StoreError, Written};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Told of every entry committed and how long its commit took (the server's metrics).
pub type Observer = Arc<dyn Fn(&Entry, Duration) + Send + Sync>;

/// The log decisions are recorded in, and who is told of each commit.
#[derive(Clone)]
pub struct Recorder {
    log: Arc<DurableLog>,
    observe: Observer,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recorder({:?})", self.log)
    }
}

/// A recorded decision: what the caller is told, its receipt, what the effects did.
#[derive(Debug)]
pub struct Recorded<A> {
    pub answer: A,
    pub receipt: Receipt,
    pub written: Written,
    /// The entry recorded.
    pub entry: Entry,
}

impl<A> Recorded<A> {
    /// The same record with the answer made into another (the answer's HTTP form).
    pub fn map<B>(self, f: impl FnOnce(A) -> B) -> Recorded<B> {
        Recorded { answer: f(self.answer), receipt: self.receipt, written: self.written, entry: self.entry }
    }
}

/// A refused decision as answered: the refusal, and its receipt when it was logged.
#[derive(Debug)]
pub struct Refused {
    /// The refusal, with the entry it was recorded under, if it was.
    pub refusal: Refusal,
    /// Boxed: a receipt is large for an `Err`.
    pub receipt: Option<Box<Receipt>>,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Self { refusal, receipt: None }
    }
}

/// A log or store failure at commit, as a refusal: an effect the store refused says what
/// (no such certificate, a conflict), anything else is the log being unavailable.
pub fn refusal_of(e: &LogError) -> Refusal {
    match e {
        LogError::Store(e) => Refusal::store(e),
        _ => Refusal::new(Class::Unavailable, e.code(), e.to_string()),
    }
}

pub use crate::store::rules::{REGISTER_CONFLICT, SLOT_TAKEN};

impl Recorder {
    pub fn new(log: Arc<DurableLog>, observe: Observer) -> Self {
        Self { log, observe }
    }

    /// Records a decision. A decision is committed with its effects and returned with its
    /// receipt. A refusal carrying an entry is logged, then returned with that receipt. A
    /// decision whose effects the store refuses at commit (the register changed since it
    /// was read) is refused; when the decision says so
    /// ([`Decision::conflicts_recorded`](super::Decision::conflicts_recorded)) that refusal
    /// is logged too.
    pub fn record<A>(&self, decided: Decided<A>) -> Result<Recorded<A>, Refused> {
        self.record_unless(decided, &[])
    }

    /// [`Recorder::record`], a commit conflict with one of the reasons `decided_again`
    /// answered unrecorded: the caller decides again.
    fn record_unless<A>(&self, decided: Decided<A>, decided_again: &[&str]) -> Result<Recorded<A>, Refused> {
        let decision = match decided {
            Ok(d) => d,
            Err(refusal) => return Err(self.refuse(refusal)),
        };
        let started = Instant::now();
        // What a recorded conflict keeps with its entry (the documents the decision read).
        let kept: Vec<Effect> =
            decision.effects.iter().filter(|e| matches!(e, Effect::KeepDocument { .. })).cloned().collect();
        match self.log.commit(&decision.entry, held_to_its_list(&decision.entry, decision.effects)) {
            Ok((receipt, written)) => {
                (self.observe)(&decision.entry, started.elapsed());
                Ok(Recorded { answer: decision.answer, receipt, written, entry: decision.entry })
            }
            // A slot two exports drew at once is no fact of the register: the export is
            // drawn again, not refused on the record.
            Err(LogError::Store(e @ StoreError::Conflict { reason, .. }))
                if decision.conflicts_recorded && reason != SLOT_TAKEN && !decided_again.contains(&reason) =>
            {
                Err(self.refuse(Refusal::store(&e).logged(decision.entry).keeping(&kept)))
            }
            Err(e) => Err(refusal_of(&e).into()),
        }
    }

    /// [`Recorder::record`], deciding again (up to `times` in all) while the store refuses
    /// the commit with one of `reasons`: a write that landed between the decision's read and
    /// its commit, which a fresh read decides differently. Such a conflict is recorded (when
    /// the decision records its conflicts) only on the last attempt: an attempt decided
    /// again took no effect, and the log holds the decision that did.
    pub fn record_retrying<A>(
        &self,
        times: usize,
        reasons: &[&str],
        mut decide: impl FnMut() -> Decided<A>,
    ) -> Result<Recorded<A>, Refused> {
        let mut attempt = 1;
        loop {
            let again = if attempt < times { reasons } else { &[] };
            match self.record_unless(decide(), again) {
                Err(refused)
                    if attempt < times
                        && refused.receipt.is_none()
                        && reasons.contains(&refused.refusal.reason.as_str()) =>
                {
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Logs a refusal that carries an entry (kept in the answer, for who reports it);
    /// answers any other as it is.
    fn refuse(&self, refusal: Refusal) -> Refused {
        let Some(entry) = refusal.entry.as_deref() else { return refusal.into() };
        let started = Instant::now();
        match self.log.commit(entry, held_to_its_list(entry, refusal.kept.clone())) {
            Ok((receipt, _)) => {
                (self.observe)(entry, started.elapsed());
                Refused { refusal, receipt: Some(Box::new(receipt)) }
            }
            Err(e) => refusal_of(&e).into(),
        }
    }

    /// [`Recorder::record`] for a decision whose effects cannot be refused (a verification,
    /// which only keeps its document), awaiting the log's group commit instead of parking a
    /// thread while it syncs to disk. A decision with other effects is committed as
    /// [`Recorder::record`] does, on this thread.
    pub async fn record_async<A>(&self, decided: Decided<A>) -> Result<Recorded<A>, Refused> {
        let decision = match decided {
            Ok(d) if crate::store::rules::cannot_be_refused(&d.effects) => d,
            other => return self.record(other),
        };
        let queued = self.queue(decision.entry, decision.effects).map_err(|e| Refused::from(refusal_of(&e)))?;
        match queued.recorded().await {
            Ok((receipt, entry)) => {
                Ok(Recorded { answer: decision.answer, receipt, written: Written::default(), entry })
            }
            Err(e) => Err(refusal_of(&e).into()),
        }
    }

    /// Queues an entry to the log with effects that cannot be refused (the documents it
    /// keeps, see [`crate::store::rules::cannot_be_refused`]); [`Queued::receipt`] waits
    /// for its commit. Entries queued one after another are committed in that order.
    pub fn queue(&self, entry: Entry, kept: Vec<Effect>) -> Result<Queued, LogError> {
        if !crate::store::rules::cannot_be_refused(&kept) {
            return Err(LogError::Unavailable("only effects that cannot be refused are queued".into()));
        }
        let bytes = entry.encode()?;
        let (tx, index) = tokio::sync::oneshot::channel();
        let started = Instant::now();
        let effects = held_to_its_list(&entry, kept);
        self.log.append_then(bytes.clone(), effects, Box::new(move |r| drop(tx.send(r))))?;
        Ok(Queued { recorder: self.clone(), entry: Box::new(entry), bytes, index, started })
    }
}

/// A decision's effects, held to the trust list and equivalence table its entry names: the
/// entry is logged only while they are the newest stored, so that in the log's order no
/// decision made with a rule document follows the install of the next one — even when the
/// install came through another gateway node, or landed on this one between the decision's
/// start and its commit (then the decision is refused, `trust.list_changed` or
/// `rules.table_changed`, and asked again decides with the new one).
///
/// An install's entry names the document it installs: it holds itself to the one it
/// succeeds ([`super::trust_list::installing`], [`super::equivalence_table::installing`]).
fn held_to_its_list(entry: &Entry, effects: Vec<Effect>) -> Vec<Effect> {
    let list = entry.rules.trust_list_digest().filter(|_| entry.kind != "trust-list");
    let table = entry.rules.table_digest().filter(|_| entry.kind != "equivalence-table");
    let holds = list
        .map(|digest| Effect::TrustListInForce { digest: digest.into() })
        .into_iter()
        .chain(table.map(|digest| Effect::TableInForce { digest: digest.into() }));
    holds.chain(effects).collect()
}

/// An entry on its way into the log.
pub struct Queued {
    recorder: Recorder,
    entry: Box<Entry>,
    bytes: Vec<u8>,
    index: tokio::sync::oneshot::Receiver<Result<u64, LogError>>,
    started: Instant,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Queued({})", self.entry.kind)
    }
}

impl Queued {
    /// The entry's receipt, once it is durable.
    pub async fn receipt(self) -> Result<Receipt, LogError> {
        self.recorded().await.map(|(receipt, _)| receipt)
    }

    /// The entry's receipt, once it is durable, and the entry.
    async fn recorded(self) -> Result<(Receipt, Entry), LogError> {
        let index =
            self.index.await.unwrap_or_else(|_| Err(LogError::Unavailable("the log committer stopped".into())))?;
        let receipt = self.recorder.log.receipt_for(index, Some(self.bytes))?;
        (self.recorder.observe)(&self.entry, self.started.elapsed());
        Ok((receipt, *self.entry))
    }
}
