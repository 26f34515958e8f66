//! Every reason code mrgate emits, in one list: its HTTP status and what it means.
//!
//! A reason code is the stable, dotted name of why something happened: the `reason` of a
//! problem (RFC 9457) body, of a check in a verdict, of a batch line's error, of a log
//! entry; the `code` of a finding; the `error[…]` of a command-line diagnostic. Clients,
//! customs systems and the verification page key on them, so this list is the vocabulary
//! they may rely on. The README's reason-code table is generated from it
//! ([`Reason::markdown_table`]), and `tests/reasons.rs` holds it to the code: every code
//! `src/` can emit is listed here, every code listed here is emitted somewhere, the README
//! shows exactly this table, and the verification page has an English and a 中文 text for
//! every code.
//!
//! What it must never do:
//! - hold a code nobody emits (a code that is no longer emitted leaves the list, and the
//!   README, with its emitter);
//! - change a published code's spelling or meaning: clients depend on it. A new meaning is
//!   a new code;
//! - decide anything. Emitters still name their codes; this module only describes them.
//!
//! **Status.** [`Reason::status`] is the HTTP status a refusal gets when this is its
//! reason. Where routes answer the same code with different statuses today, `status` is
//! the usual one and [`Reason::other_statuses`] names the rest (for example `auth.role`:
//! 403 for a caller with the wrong role, 401 for one with no credentials). Bytes that do
//! not read as XML or JSON are 400 everywhere; a document read and refused is 422. A code
//! that is only ever a check's outcome inside a 200 verdict, a report or a log entry has
//! the status it would have as a problem: 200 for a passed or skipped check (`sig.valid`,
//! `recognition.not_reached`) and for the reasons of a decision that took effect
//! (`notice.suspend`, `pt.replaced`), otherwise what a refusal of that kind gets (422 for
//! a document that breaks a rule). Codes the command line alone emits (`io.read`,
//! `usage.at`, `csv.syntax`…) have the status the same failure would have as a problem.
//!
//! Codes are grouped by their prefix (the text before the first dot); [`Reason::ALL`]
//! keeps each prefix's codes together, and the README's table follows that order.

/// Declares the list once: variant, code, status (usual first, then any others) and the
/// English message.
macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal $(| $other:literal)*, $message:literal; )*) => {
        /// One reason code. `#[non_exhaustive]`: codes are added as mrgate grows, and
        /// callers outside this crate must keep a fallback (the page falls back to the
        /// code's prefix).
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $( $(#[$doc])* #[doc = concat!("`", $code, "`: ", $message)] $variant, )*
        }

        impl Reason {
            /// Every code, grouped by prefix, in the README's order.
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The stable dotted code, e.g. `xml.too_many_attributes`.
            pub fn code(&self) -> &'static str {
                match self { $( Reason::$variant => $code, )* }
            }

            /// The HTTP status of a refusal with this reason (see the module doc).
            pub fn status(&self) -> u16 {
                match self { $( Reason::$variant => $status, )* }
            }

            /// Statuses some routes give this code besides [`Reason::status`].
            pub fn other_statuses(&self) -> &'static [u16] {
                match self { $( Reason::$variant => &[$($other),*], )* }
            }

            /// A short English explanation, for people.
            pub fn message(&self) -> &'static str {
                match self { $( Reason::$variant => $message, )* }
            }
        }
    };
}

reasons! {
    // xml: the hardened XML reader.
    XmlTooLarge = "xml.too_large", 400, "The XML document is larger than the gateway reads.";
    XmlTooDeep = "xml.too_deep", 400, "The XML document nests elements deeper than allowed.";
    XmlTooManyElements = "xml.too_many_elements", 400, "The XML document has more elements than allowed.";
    XmlTooManyAttributes = "xml.too_many_attributes", 400, "An XML element has more attributes than allowed.";
    XmlDoctype = "xml.doctype", 400, "The XML document has a DOCTYPE; document type declarations are refused.";
    XmlUndefinedEntity = "xml.undefined_entity", 400, "The XML document uses an entity that is not defined.";
    XmlUnsupportedEncoding = "xml.unsupported_encoding", 400, "The XML document declares an encoding the gateway does not read.";
    XmlBadEncoding = "xml.bad_encoding", 400, "The document's bytes are not valid in its encoding.";
    XmlUnboundPrefix = "xml.unbound_prefix", 400, "The XML document uses a namespace prefix that is not declared.";
    XmlMalformed = "xml.malformed", 400, "The XML document is not well-formed.";
    XmlNoRoot = "xml.no_root", 400, "The XML document has no root element.";
    XmlWellFormed = "xml.well_formed", 200, "The XML document is well-formed and within the limits.";

    // id: Chinese identifiers and dates.
    IdCreditCodeLength = "id.credit_code.length", 422, "A unified social credit code is not 18 characters long.";
    IdCreditCodeCharset = "id.credit_code.charset", 422, "A unified social credit code has a character it may not hold.";
    IdCreditCodeDivision = "id.credit_code.division", 422, "A unified social credit code names no valid administrative division.";
    IdCreditCodeOrgCheckDigit = "id.credit_code.org_check_digit", 422, "The organization code inside a unified social credit code has a wrong check digit.";
    IdCreditCodeCheckDigit = "id.credit_code.check_digit", 422, "A unified social credit code has a wrong check digit.";
    IdApprovalNo = "id.approval_no", 422, "A certification body's approval number is malformed.";
    IdBodyId = "id.body_id", 422, "A foreign body's identifier is malformed.";
    IdCccNumberForm = "id.ccc_number.form", 422, "A CCC certificate number does not have the 16-digit form.";
    IdCccNumberYear = "id.ccc_number.year", 422, "A CCC certificate number holds an impossible year.";
    IdCccNumberCategory = "id.ccc_number.category", 422, "A CCC certificate number holds an unknown product category.";
    IdCertificateNoCharset = "id.certificate_no.charset", 422, "A certificate number has a character it may not hold.";
    IdDivisionCode = "id.division_code", 422, "An administrative division code is malformed.";
    IdHsCode = "id.hs_code", 422, "An HS code is malformed.";
    IdCccCategory = "id.ccc_category", 422, "A CCC product category is malformed.";
    IdPostCode = "id.post_code", 422, "A postal code is malformed.";
    IdDate = "id.date", 422, "A date is malformed or does not exist.";
    IdExpiryBeforeIssue = "id.expiry_before_issue", 422, "The expiry date is not after the issue date.";

    // model: a certificate's facts taken together.
    ModelCategoryMismatch = "model.category_mismatch", 422, "The CCC number's product category differs from the certificate's.";
    ModelProductsOutsideProductCertification = "model.products_outside_product_certification", 422, "A management-system or service certificate lists assessed products: only a product certification (CCC, PRODUCT) assesses products.";
    ModelOriginalAfterIssue = "model.original_after_issue", 422, "The original issue date is after the issue date.";
    ModelCccYearAfterIssue = "model.ccc_year_after_issue", 422, "The CCC number's year is after the issue date.";
    ModelValidityTooLong = "model.validity_too_long", 422, "The certificate is valid longer than its programme allows: its cycle (a management system's three years, a CCC certificate's five, ten for other product and service schemes) and six months for a renewal decided before the cycle ends.";
    ModelIssuedBeforeApproval = "model.issued_before_approval", 422, "The certificate was issued in a year before its certification body's CNCA approval (the year in CNCA-R-YYYY-NNN).";
    ModelStatusBeforeIssue = "model.status_before_issue", 422, "The status date is more than a day before the issue date.";
    ModelCccCategoryMismatch = "model.ccc_category_mismatch", 422, "A product's CCC category differs from the category the CCC number was allotted for.";
    ModelCccNotDomestic = "model.ccc_not_domestic", 422, "A CCC certificate names a certification body that is not CNCA-approved: only bodies CNCA designated issue CCC certificates.";
    ModelNoStandards = "model.no_standards", 422, "The certificate names no standard.";
    ModelHolderTwoIds = "model.holder_two_ids", 422, "The holder has two identifiers where one is allowed.";
    ModelHiddenControl = "model.hidden_control", 422, "A text of the certificate holds a C1 control, a format character (bidirectional, zero-width, tag) or another invisible character, which would make a page or a terminal show what the certificate does not say.";
    ModelTextLayout = "model.text_layout", 422, "A text of the certificate holds a line break, or white space at either end: every format's schema allows one line without them.";
    ModelEmpty = "model.empty", 422, "A required field is empty.";

    // format: reading a document in one of the supported formats.
    FormatValid = "format.valid", 200, "The document is well-formed and meets its schema's rules.";
    FormatJson = "format.json", 400, "The input is not JSON.";
    FormatWrongRoot = "format.wrong_root", 422, "The document's root element is not the format's.";
    FormatUnexpectedElement = "format.unexpected_element", 422, "The document has an element its schema does not allow.";
    FormatUnexpectedAttribute = "format.unexpected_attribute", 422, "The document has an attribute its schema does not allow.";
    FormatUnexpectedText = "format.unexpected_text", 422, "The document has text where its schema allows none.";
    FormatMissing = "format.missing", 422, "A required field is missing.";
    FormatNotInList = "format.not_in_list", 422, "A field holds a value outside its code list.";
    FormatInvalid = "format.invalid", 422, "A field's value is invalid.";
    FormatTooLarge = "format.too_large", 422, "A field or document is larger than the format allows.";
    FormatUnknown = "format.unknown", 422, "The document is not a format the gateway reads.";

    // standards: the equivalence table.
    StandardsIdt = "standards.idt", 200, "The standard is identical to an international one.";
    StandardsModRule = "standards.mod_rule", 200, "The standard is a modified adoption the equivalence table accepts.";
    StandardsEquivalent = "standards.equivalent", 200, "Every standard of the certificate has a recognized equivalent.";
    StandardsModWithoutRule = "standards.mod_without_rule", 422, "The standard is a modified adoption the equivalence table does not accept.";
    StandardsModInternationalOnly = "standards.mod_international_only", 422, "The certificate names the international standard alone where the equivalence table accepts its modified national adoption: the national deviations were not assessed.";
    StandardsNeq = "standards.neq", 422, "The standard is not equivalent to an international one.";
    StandardsUnverified = "standards.unverified", 422, "The equivalence table's row for the standard is not verified (its adoption was not confirmed against the standard's foreword or the national catalogue): it recognizes nothing until an operator confirms it.";
    StandardsUnknown = "standards.unknown", 422, "The standard is not in the equivalence table.";
    StandardsOtherKind = "standards.other_kind", 422, "The standard is of another kind than the certificate (a product standard on a management-system certificate, say), a conformity-assessment standard no certificate is certified against, or a product or service certificate names management-system standards only.";
    StandardsOtherProgramme = "standards.other_programme", 422, "A management-system certificate names none of its programme's standard (a QMS certificate certified against ISO/IEC 20000-1 alone, say): QMS is certified against ISO 9001, EMS ISO 14001, OHSMS ISO 45001, ISMS ISO/IEC 27001, EnMS ISO 50001, FSMS ISO 22000, ITSMS ISO/IEC 20000-1, or their adoptions.";
    StandardsKindUnknown = "standards.kind_unknown", 422, "The equivalence table in force does not say what the standard is a standard for (a table from before rule set 10): it is not recognized.";
    StandardsTransitionEnded = "standards.transition_ended", 422, "The standard's transition to its next edition has ended (the equivalence table's recognized_until): a certificate to it is no longer valid.";
    StandardsNotation = "standards.notation", 422, "A standard's designation cannot be read.";
    StandardsTable = "standards.table", 500, "The equivalence table cannot be read (start-up and command line).";

    // status: a certificate's recorded status.
    StatusValid = "status.valid", 200, "The register records the certificate as valid (the page's look-up).";
    StatusSuspended = "status.suspended", 422, "The certificate is suspended.";
    StatusWithdrawn = "status.withdrawn", 422, "The certificate was withdrawn.";
    StatusCancelled = "status.cancelled", 422, "The certificate was cancelled.";
    StatusExpired = "status.expired", 422, "The certificate is recorded as expired.";
    StatusUnknown = "status.unknown", 200, "The register cannot tell whether the certificate is in force (the page's look-up).";
    StatusListUnknown = "status.list_unknown", 404, "No such status list: lists are numbered from 1 (opened as the one before fills), for revocation or suspension.";
    StatusListChanged = "status.list_changed", 409, "The status list changed while its version was published; ask again.";
    StatusSlotTaken = "status.slot_taken", 409, "Another export took the status-list slot drawn for this one, three times running; ask again.";
    StatusNoSlot = "status.no_slot", 500, "No free status-list slot could be drawn for the certificate.";
    PublicationCurrent = "publication.current", 409, "The version is the one published already: it is served as it is, not logged again.";

    // validity: a certificate's dates.
    ValidityInForce = "validity.in_force", 200, "The certificate is in force today.";
    ValidityExpired = "validity.expired", 422, "The certificate's validity period has ended.";
    ValidityNotYetValid = "validity.not_yet_valid", 422, "The certificate is not yet in force.";

    // key: keys.
    KeyUnreadable = "key.unreadable", 422, "A key cannot be read.";
    KeyUnknownType = "key.unknown_type", 422, "A key is of a type the gateway does not use.";
    KeyBadPublicKey = "key.bad_public_key", 422, "A public key is malformed.";
    KeyWeakRsa = "key.weak_rsa", 422, "An RSA key is shorter than allowed.";
    KeyCertMismatch = "key.cert_mismatch", 422, "The certificate does not certify the signing key (command line, start-up).";
    KeyReused = "key.reused", 422, "One key is configured for two roles (the log's, the signing key's, the TLS certificate's): each has one (start-up).";

    // alg: signature algorithms.
    AlgAccepted = "alg.accepted", 200, "The signature algorithm is accepted.";
    AlgSha1Refused = "alg.sha1_refused", 422, "The signature uses SHA-1, which is refused.";
    AlgDsaRefused = "alg.dsa_refused", 422, "The signature uses DSA, which is refused.";
    AlgRefused = "alg.refused", 422, "The signature algorithm is refused.";
    AlgUnsupported = "alg.unsupported", 422, "The signature algorithm is not supported.";
    AlgKeyMismatch = "alg.key_mismatch", 422, "The signature algorithm does not fit the key.";

    // sig: signatures.
    SigValid = "sig.valid", 200, "The signature verifies.";
    SigAbsent = "sig.absent", 200, "The document is not signed (an export within the exporter's grant).";
    SigInvalid = "sig.invalid", 422, "The signature does not verify: the document was altered or signed with another key.";
    SigSigningFailed = "sig.signing_failed", 500 | 503, "The gateway could not sign.";

    // signing: the gateway's own signing certificate.
    SigningNotInForce = "signing.not_in_force", 503, "The gateway's signing certificate is not valid now (expired or not yet valid): it signs nothing (exports, PT reports, status lists) until one that is is installed.";

    // x509: the signer's certificate and its path.
    X509Valid = "x509.valid", 200, "The signer's certificate chains to a trust anchor.";
    X509Crl = "x509.crl", 200, "Revocation checked against the supplied CRLs (command line).";
    X509Malformed = "x509.malformed", 422, "A certificate is malformed.";
    X509Untrusted = "x509.untrusted", 422, "The signer's certificate does not chain to a trust anchor.";
    X509Expired = "x509.expired", 422, "A certificate in the path has expired.";
    X509NotYetValid = "x509.not_yet_valid", 422, "A certificate in the path is not yet valid.";
    X509Revoked = "x509.revoked", 422, "A certificate in the path is revoked.";
    X509CrlStale = "x509.crl_stale", 422, "A revocation list is past its next update.";
    X509CrlInvalid = "x509.crl_invalid", 422, "A revocation list is malformed or breaks the profile.";
    X509KeyUsage = "x509.key_usage", 422, "A certificate's key usage does not allow this use.";
    X509Eku = "x509.eku", 422, "A certificate's extended key usage does not allow this use.";
    X509CaAsSigner = "x509.ca_as_signer", 422, "A CA certificate is used as a signer.";
    X509IssuerNotCa = "x509.issuer_not_ca", 422, "An issuer in the path is not a CA.";
    X509PathLen = "x509.path_len", 422, "The path is longer than an issuer allows.";
    X509BadSignature = "x509.bad_signature", 422, "A certificate's signature in the path does not verify.";
    X509NameConstraints = "x509.name_constraints", 422, "A name breaks an issuer's name constraints.";
    X509PolicyConstraints = "x509.policy_constraints", 422, "A certificate's policy constraints break the profile.";
    X509CriticalExtension = "x509.critical_extension", 422, "A certificate has an unsupported critical extension.";
    X509Serial = "x509.serial", 422, "A certificate's serial number breaks the profile.";
    X509Aki = "x509.aki", 422, "A certificate's authority key identifier is missing or wrong.";
    X509Ski = "x509.ski", 422, "A certificate's subject key identifier is missing or wrong.";
    X509EmptySubject = "x509.empty_subject", 422, "A CA certificate has an empty subject.";
    X509TooManyNames = "x509.too_many_names", 422, "A certificate has more names than allowed.";
    X509Invalid = "x509.invalid", 422, "The path is invalid for another reason.";

    // jws: compact JWS (VC-JOSE credentials, notices).
    JwsCompact = "jws.compact", 200, "A compact JWS with canonical base64url parts.";
    JwsKid = "jws.kid", 200, "The JWS names a configured key.";
    JwsMalformed = "jws.malformed", 400, "The JWS is not a compact JWS.";
    JwsBase64 = "jws.base64", 400, "A JWS part is not canonical base64url.";
    JwsHeader = "jws.header", 400, "The JWS header is malformed or missing a member.";
    JwsCrit = "jws.crit", 400, "The JWS header marks an extension critical that the gateway does not know.";
    JwsNoKey = "jws.no_key", 422, "The JWS names no key to verify it with.";
    JwsUnknownKid = "jws.unknown_kid", 422, "The JWS names a key that is not configured.";
    JwsKidOther = "jws.kid_other", 422, "The JWS header's kid names another key than its x5c signer's.";
    JwsX5c = "jws.x5c", 422, "The JWS's certificate chain (x5c) is missing or malformed.";
    JwsPayload = "jws.payload", 400, "The JWS payload is not a JSON object.";
    JwsTyp = "jws.typ", 400, "The JWS has the wrong typ.";

    // dsig: XML signatures.
    DsigEnveloped = "dsig.enveloped", 200, "One enveloped signature over the whole document.";
    DsigDigestsMatch = "dsig.digests_match", 200, "Every reference digest matches.";
    DsigNoSignature = "dsig.no_signature", 422, "The document has no XML signature.";
    DsigMultipleSignatures = "dsig.multiple_signatures", 422, "The document has more than one XML signature.";
    DsigMisplaced = "dsig.misplaced", 422, "The signature is not where an enveloped signature belongs.";
    DsigStructure = "dsig.structure", 422, "The signature's structure is malformed.";
    DsigDuplicateId = "dsig.duplicate_id", 422, "Two elements share an Id.";
    DsigReferenceNotFound = "dsig.reference_not_found", 422, "A signature reference points at nothing.";
    DsigNotWholeDocument = "dsig.not_whole_document", 422, "The signature does not cover the whole document.";
    DsigOverlappingReferences = "dsig.overlapping_references", 422, "Two signature references cover the same part of the signature.";
    DsigDigestMismatch = "dsig.digest_mismatch", 422, "A reference digest does not match: the document was altered.";
    DsigNoKey = "dsig.no_key", 422, "The signature carries no usable key or certificate.";
    DsigXades = "dsig.xades", 422, "The XAdES signed properties are missing or do not match the signer.";

    // pt: proficiency testing (statistics and the exchange).
    PtTooFew = "pt.too_few", 422, "Too few results to evaluate.";
    PtNotFinite = "pt.not_finite", 422, "A result is not a finite number.";
    PtOutOfRange = "pt.out_of_range", 422, "A value is out of its allowed range.";
    PtOverflow = "pt.overflow", 422, "A computation overflowed.";
    PtNegative = "pt.negative", 422, "A value that must not be negative is negative.";
    PtSigmaPt = "pt.sigma_pt", 422, "The standard deviation for proficiency assessment is unusable.";
    PtNoConvergence = "pt.no_convergence", 422, "The robust statistics did not converge.";
    PtHomogeneity = "pt.homogeneity", 422, "Homogeneity data cannot be checked: fewer than 2 items or replicates, items with unequal replicates, or a result out of range.";
    PtStability = "pt.stability", 422, "Stability data cannot be checked: an occasion without results, or a result out of range.";
    PtNotNumeric = "pt.not_numeric", 400, "A result is not a number.";
    PtAssignedValue = "pt.assigned_value", 422, "The assigned value is unusable.";
    PtReferenceMissing = "pt.reference_missing", 422, "The reference laboratory reported no result.";
    PtReferenceNoU = "pt.reference_no_u", 422, "The reference laboratory stated no expanded uncertainty.";
    PtInternal = "pt.internal", 500, "A measurand reached an evaluation it should not have (a bug).";
    PtDocument = "pt.document", 400, "A PT round, submission or report does not read (line, column, path, why).";
    PtRoundExists = "pt.round_exists", 409, "The round is already defined.";
    PtRoundUnknown = "pt.round_unknown", 404, "There is no such round, or none the partner is in.";
    PtRoundClosed = "pt.round_closed", 409, "The round is closed.";
    PtRoundMismatch = "pt.round_mismatch", 422, "The submission is for another round.";
    PtPartnerUnknown = "pt.partner_unknown", 422, "A partner of the round is not an accreditation body of the trust list.";
    PtMeasurandUnknown = "pt.measurand_unknown", 422, "The round has no such measurand.";
    PtParticipantTaken = "pt.participant_taken", 409, "Another partner already submitted for this participant.";
    PtParticipantsNotEnrolled = "pt.participants_not_enrolled", 422, "A joint round's definition enrols each participant under the partner that submits for it (Participants).";
    PtParticipantNotYours = "pt.participant_not_yours", 403, "The participant is not enrolled in the round under the submitting partner (another partner's, or nobody's).";
    PtReferenceNotYours = "pt.reference_not_yours", 403, "Only the round's provider submits for its reference laboratory.";
    PtRoundOpen = "pt.round_open", 403, "The round is open: its documents are the operator's to read until it closes.";
    PtDeadlinePassed = "pt.deadline_passed", 409 | 422, "The round's deadline has passed.";
    PtDeadlineNotReached = "pt.deadline_not_reached", 409, "The round still takes results.";
    PtReportMissing = "pt.report_missing", 404, "The round has no report yet.";
    PtReplaced = "pt.replaced", 200, "The submission replaced the partner's earlier results.";
    PtResultsChanged = "pt.results_changed", 409, "The round's results changed while it was being closed.";

    // csv: PT results as CSV (command line).
    CsvSyntax = "csv.syntax", 400, "The CSV is malformed.";
    CsvHeader = "csv.header", 400, "The CSV header is missing or wrong.";
    CsvDuplicate = "csv.duplicate", 400, "A participant appears twice.";
    CsvEncoding = "csv.encoding", 400, "The file is not UTF-8 text.";

    // log: the transparency log, its proofs and receipts.
    LogIndexOutOfRange = "log.index_out_of_range", 400, "The index, or the tree size asked for, is past the end of the log.";
    LogBadSizes = "log.bad_sizes", 400, "The tree sizes asked for do not grow.";
    LogProofLength = "log.proof_length", 400, "A proof has the wrong number of hashes.";
    LogRootMismatch = "log.root_mismatch", 400, "A proof does not lead to the expected root.";
    LogSizeMismatch = "log.size_mismatch", 400, "A tree size differs from the checkpoint's.";
    LogTilePath = "log.tile_path", 400, "The tile path is not a C2SP tlog-tiles path.";
    LogNotWitnessed = "log.not_witnessed", 503, "No checkpoint has been cosigned by enough witnesses yet.";
    LogOtherLog = "log.other_log", 422, "The checkpoint is another log's: its origin, or the key name it is signed under, is not the origin given (mrgate log verify-receipt, verify-consistency, audit --origin).";
    LogDecisionOther = "log.decision_other", 422, "The receipt's entry records another kind of decision, or another verdict, than the one given (mrgate log verify-receipt --kind, --verdict): the receipt proves the entry is in the log, not that it records what was shown.";
    LogActor = "log.actor", 422, "The receipt's entry is logged as another actor than the one given (mrgate log verify-receipt --actor).";
    LogWitnesses = "log.witnesses", 422, "Fewer of the trusted witnesses cosigned the checkpoint than are required.";
    LogStale = "log.stale", 422, "Fewer of the trusted witnesses cosigned the checkpoint within --max-age than are required (mrgate log audit).";
    LogRolledBack = "log.rolled_back", 503, "The store's log is shorter than the newest checkpoint this gateway signed: the store was put back from an older copy (start-up).";
    LogForked = "log.forked", 503, "The store's log does not extend the newest checkpoint this gateway signed: another log's store, or one changed behind its back (start-up).";
    LogHighWater = "log.high_water", 503, "The log's high-water mark is missing for a log that holds entries, cannot be read or written, is no checkpoint of this log's key, or is kept by another running gateway (start-up).";
    LogNotFound = "log.not_found", 404, "Not in the log: no entry has this leaf hash, or the tile is not in the tree yet.";
    LogTileMismatch = "log.tile_mismatch", 500, "Stored log entries no longer match the tree (the gateway's fault).";
    LogTileNotHeld = "log.tile_not_held", 503, "A part of the tree is not available yet.";
    LogUnavailable = "log.unavailable", 503, "The log is not available.";
    LogEntryMalformed = "log.entry_malformed", 503, "A log entry cannot be read.";
    LogEntryValue = "log.entry_value", 503, "A log entry holds a value that cannot be encoded.";
    LogCheckpointMalformed = "log.checkpoint_malformed", 503, "A checkpoint is malformed.";
    LogCheckpointSignature = "log.checkpoint_signature", 503, "A checkpoint is not signed by the log key.";
    LogReceiptMalformed = "log.receipt_malformed", 422, "A receipt is malformed.";
    LogLeafMismatch = "log.leaf_mismatch", 422, "The entry does not hash to the receipt's leaf hash.";
    LogDocumentNotInEntry = "log.document_not_in_entry", 422, "The document is not one the log entry names.";

    // witness: the witness (c2sp.org/tlog-witness) and its add-checkpoint answers.
    WitnessRequest = "witness.request", 400, "The add-checkpoint request is not in the c2sp.org/tlog-witness form.";
    WitnessOldSize = "witness.old_size", 400, "The request's old size is larger than its checkpoint's size.";
    WitnessNotSigned = "witness.not_signed", 403, "No signature on the checkpoint verifies under the key the witness trusts for its log.";
    WitnessUnknownLog = "witness.unknown_log", 404, "The checkpoint's origin is not a log the witness watches.";
    WitnessSizeMismatch = "witness.size_mismatch", 409, "The old size is not the size the witness last cosigned (the answer's body gives it).";
    WitnessInconsistent = "witness.inconsistent", 409, "The checkpoint has the size last cosigned but another root hash: a split view, kept as evidence.";
    WitnessProof = "witness.proof", 422, "The consistency proof does not show the checkpoint extends the one last cosigned (kept as a lead, not proof: the sender chose the proof; at most 64 per log).";
    WitnessConfig = "witness.config", 500, "The witness cannot start: its configuration, a file it names, or its listen address (start-up).";
    WitnessState = "witness.state", 503, "The witness's state cannot be opened, read or written.";

    // recognition: the recognition decision.
    RecognitionNotReached = "recognition.not_reached", 200, "Not checked: an earlier check failed.";

    // trust: the trust list and mutual recognition.
    TrustContent = "trust.content", 422, "The trust list's content breaks its rules.";
    TrustSignerNotAuthorized = "trust.signer_not_authorized", 422, "The trust list is not signed by a pinned signer with the tslSigning EKU.";
    TrustListExpired = "trust.list_expired", 503 | 422, "The trust list is past its NextUpdate (every decision then fails closed).";
    TrustListNotYetValid = "trust.list_not_yet_valid", 422, "The trust list is not yet valid.";
    TrustSequence = "trust.sequence", 409, "The trust list's sequence is not newer than the installed one.";
    TrustSequenceReused = "trust.sequence_reused", 409, "A different trust list with this sequence is already stored.";
    TrustListChanged = "trust.list_changed", 409, "A newer trust list came into force while the decision was made; ask again.";
    TrustListRefused = "trust.list_refused", 503, "This node's configuration refuses the newest installed trust list: it decides nothing until it allows it.";
    TrustBuild = "trust.build", 422, "A trust list cannot be built from its description (command line).";
    TrustCbUnknown = "trust.cb_unknown", 422, "The certification body is not in the trust list.";
    TrustSignerNotListed = "trust.signer_not_listed", 422, "The signer is not a registered signing certificate of the body.";
    TrustNotExported = "trust.not_exported", 422, "The document is signed with the gateway's own key, and it is not a document the gateway exported: an export verifies as it was sent, byte for byte but for white space around it.";
    TrustCbNotGranted = "trust.cb_not_granted", 422, "The trust list does not hold the certification body in force: no granted signing service now, or none on the certificate's issue date.";
    TrustBodyUnknown = "trust.body_unknown", 422, "The accreditation body is not in the trust list.";
    TrustAccreditationUnclaimed = "trust.accreditation_unclaimed", 422, "The certificate claims no accreditation (an IAF record saying Unaccredited, CN XML without Accreditation, a credential without its accreditation body's authorisation): it is not recognized or exported as an accredited certificate.";
    TrustCbNameOther = "trust.cb_name_other", 422, "The certificate names its certification body by a name the trust list does not hold for it: each name it states (the name, and the English name when stated) must be the body's id, one of its names in any language or a trade name the list holds.";
    TrustAccreditationOther = "trust.accreditation_other", 422, "The certificate's accreditation claim does not name its certification body's accreditor by the id, name or a trade name the trust list holds for it: another accreditation body of the list, or a name the list does not hold.";
    TrustMraActive = "trust.mra_active", 200, "The accreditation body is an active IAF MLA / ILAC MRA signatory for the scope.";
    TrustMraNone = "trust.mra_none", 422, "The accreditation body has no mutual-recognition status for the scope.";
    TrustMraNotYet = "trust.mra_not_yet", 422, "The mutual-recognition status was not yet in force on the issue date.";
    TrustMraSuspended = "trust.mra_suspended", 422, "The mutual-recognition status was suspended.";
    TrustMraWithdrawn = "trust.mra_withdrawn", 422, "The mutual-recognition status was withdrawn.";

    // rules: the equivalence table as a signed, versioned record, and rule versions.
    RulesUnsigned = "rules.unsigned", 400, "The equivalence table is not a compact JWS (only the build's own table is unsigned).";
    RulesTyp = "rules.typ", 422, "The JWS does not say it is an equivalence table (typ mrgate-equivalence-table+jws, cty toml).";
    RulesSignature = "rules.signature", 422, "The equivalence table's signature, or its signer's path to the operator anchor, does not verify.";
    RulesSigner = "rules.signer", 422, "The equivalence table is not signed by a pinned trust-list signer with the tslSigning EKU.";
    RulesSequence = "rules.sequence", 409, "The equivalence table's sequence is not newer than the installed one.";
    RulesSequenceReused = "rules.sequence_reused", 409, "A different equivalence table with this sequence is already stored.";
    RulesTableChanged = "rules.table_changed", 409, "A newer equivalence table came into force while the decision was made; ask again.";
    RulesRefused = "rules.refused", 503, "This node's configuration refuses the newest installed trust list or equivalence table: it tells no certificate's status in the status lists until it allows them.";
    RulesUnknownVersion = "rules.unknown_version", 404, "No rule document with this sequence is stored.";

    // audit: what `mrgate log audit` finds when it decides the log again.
    AuditEntry = "audit.entry", 422, "A log entry cannot be read, or does not have the inputs its kind has (mrgate log audit).";
    AuditRules = "audit.rules", 422, "An entry names a rule version that was not in force at its place in the log, or that cannot be read (mrgate log audit).";
    AuditInstall = "audit.install", 422, "A rule document's install does not match the stored version, does not verify, or is not newer than the one before (mrgate log audit).";
    AuditDocument = "audit.document", 422, "The document an entry names is not kept, or what is kept under its digest is another document (mrgate log audit).";
    AuditVerdict = "audit.verdict", 422, "Decided again from the document and the rule versions the entry names, the decision comes out otherwise (mrgate log audit).";
    AuditRevocation = "audit.revocation", 422, "Decided again with the CRL set the entry names the decision stands, but that set lacks a revocation published by the entry's time (a CRL the auditor holds), and with it the decision comes out otherwise (mrgate log audit).";
    AuditOutput = "audit.output", 422, "A document a decision made (an export's certificate or credential, a PT report) is not what the rules make of its inputs, or not signed by the gateway at the decision's time (mrgate log audit).";
    AuditRegister = "audit.register", 422, "The register the store holds (a certificate, its status, document or origin, an applied notice, a document exported) is not the one the logged decisions made (mrgate log audit).";
    AuditTree = "audit.tree", 422, "The tree recomputed from every entry does not have the root the checkpoint signs (mrgate log audit).";
    AuditFetch = "audit.fetch", 503, "The audit could not fetch what it reads from the gateway (mrgate log audit --url).";

    // auth: who may do what.
    AuthRole = "auth.role", 403 | 401, "The caller's role may not do this (401 when it showed no credentials).";
    AuthIssuerNotAllowed = "auth.issuer_not_allowed", 403, "A client certificate claims a role its issuer may not grant.";
    AuthNotYourBody = "auth.not_your_body", 403, "The certificate or document is not the calling partner's body's.";
    AuthNotYourCertificate = "auth.not_your_certificate", 403, "An unsigned export outside the exporter's grant.";
    AuthNotProvider = "auth.not_provider", 403, "Only the round's provider may do this.";

    // export: what exporters may turn into credentials.
    ExportBusy = "export.busy", 503, "Too many exports wait for others of the same certificates on this node; try again shortly (Retry-After).";
    ExportForeignIssuer = "export.foreign_issuer", 422, "Only certificates of CNCA-approved (domestic) certification bodies are exported; a foreign body's certificate is recognized through its partner.";

    // notice: signed status notices.
    NoticeFields = "notice.fields", 400, "A notice field is missing or of the wrong type.";
    NoticeAction = "notice.action", 400, "The notice's action is not suspend, withdraw, cancel or restore.";
    NoticeIat = "notice.iat", 400, "The notice's issue time is missing, invalid or in the future.";
    NoticeJti = "notice.jti", 400, "The notice's identifier is missing or malformed.";
    NoticeNumber = "notice.number", 400, "The notice's certificate number is no certificate number.";
    NoticeDate = "notice.date", 400, "The notice's date is malformed or out of order.";
    NoticeReplayed = "notice.replayed", 409, "The notice was already applied.";
    NoticeStale = "notice.stale", 409, "A newer notice for the certificate was already applied, or a restoration was not signed more than 5 minutes after the gateway's own suspension.";
    NoticeTransition = "notice.transition", 409, "The status change is not allowed from the current status.";
    NoticeSuspend = "notice.suspend", 200, "A notice suspended the certificate.";
    NoticeWithdraw = "notice.withdraw", 200, "A notice withdrew the certificate.";
    NoticeCancel = "notice.cancel", 200, "A notice cancelled the certificate.";
    NoticeRestore = "notice.restore", 200, "A notice restored the certificate.";

    // register: the certificate register.
    RegisterConflict = "register.conflict", 409, "The register holds other facts, or it changed while the decision was made.";
    RegisterLookAlike = "register.look_alike", 409, "An unsigned export's number reads as another number the register holds of its CB (O as 0, S as 5…): only its CB's signed document registers it.";
    RegisterOlderDocument = "register.older_document", 409, "The document states other facts than the registered version and is no later issue (older, or of the same day): it does not replace it.";
    RegisterSuperseded = "register.superseded", 422, "The document states other facts than the register holds of its certificate, and is no newer: superseded; present the current one (an export of this gateway: export it again).";
    RegisterChanged = "register.changed", 409, "The certificate's registered status or facts changed while it was verified, three times over; ask again.";
    RegisterUnavailable = "register.unavailable", 503, "The register's status could not be read (fails closed, status unknown).";

    // store: the database.
    StoreDatabase = "store.database", 503, "The database is not available.";
    StoreNotFound = "store.not_found", 404, "There is no such certificate, export or receipt.";
    StoreSchemaTooNew = "store.schema_too_new", 503, "The database was written by a newer mrgate (start-up).";
    StoreRuleSet = "store.rule_set", 503, "The shared database is decided by another rule set than this node's: upgrade the node.";
    StoreCorrupt = "store.corrupt", 500, "A stored record cannot be read back (the gateway's fault).";

    // http: the request itself.
    HttpEmpty = "http.empty", 400, "The request has no body.";
    HttpQuery = "http.query", 400, "A query parameter is missing, malformed, given twice or not one the operation takes.";
    HttpPath = "http.path", 400, "The path has a malformed percent-escape or is not UTF-8.";
    HttpStreaming = "http.streaming", 400, "Batch verification is served as a stream.";
    HttpNotFound = "http.not_found", 404, "No such route or page file.";
    HttpMethod = "http.method", 405, "The method is not allowed on this path.";
    HttpNotAcceptable = "http.not_acceptable", 406, "The route cannot answer in an accepted media type.";
    HttpRequestTimeout = "http.request_timeout", 408, "The request body did not arrive in time.";
    HttpTooLarge = "http.too_large", 413, "The request body, or a batch line, is too large.";
    HttpUriTooLong = "http.uri_too_long", 414, "The request target (path and query) is too long.";
    HttpHeadersTooLarge = "http.headers_too_large", 431, "The request carries too many header fields, or too large ones.";
    HttpRateLimited = "http.rate_limited", 429, "Too many requests from this caller.";
    HttpReloaded = "http.reloaded", 503, "The gateway's configuration changed while the request arrived: the caller was identified under the one replaced; nothing was decided; send it again.";
    HttpBusy = "http.busy", 503, "The request bodies held in memory, this client's or all clients', are at their bound (limits.max_body_bytes_held_per_client, limits.max_body_bytes_held); try again shortly.";
    HttpBodyBroken = "http.body_broken", 400, "The request body was cut short or its framing is broken (a bad chunk size, a reset stream).";
    HttpCrossSite = "http.cross_site", 403, "A browser sent a request that changes something for another site (Sec-Fetch-Site, Origin): it would act with the browser's client certificate for a page the caller did not mean to use.";
    HttpInternal = "http.internal", 500, "The gateway failed on this request (a bug); nothing was decided.";

    // batch: batch verification lines.
    BatchLine = "batch.line", 400, "A batch line is neither a look-up nor a document.";
    BatchTooManyLines = "batch.too_many_lines", 413, "The batch has more lines than allowed.";
    BatchReloaded = "batch.reloaded", 503, "The gateway's configuration changed while a batch was read: the lines from the one named on were not decided; send them again.";

    // The command line alone.
    IoRead = "io.read", 400, "An input file cannot be read (command line).";
    IoWrite = "io.write", 500, "An output cannot be written (command line).";
    UsageAt = "usage.at", 400, "The --at time is not RFC 3339 (command line).";
    UsageAudit = "usage.audit", 400, "mrgate log audit needs --config or --url, and with --url the keys and certificates it checks against.";
    UsageTrustAnchor = "usage.trust_anchor", 400, "A trust anchor is required (command line).";
    UsageWitnesses = "usage.witnesses", 400, "--min-witnesses asks for more witnesses than --witness-key gives (command line).";
    SignNotCarried = "sign.not_carried", 422, "The credential holds members the gateway does not read, which it would sign unshown (command line).";
    TranslateLossy = "translate.lossy", 422, "The translation would lose a field: the source holds what the model cannot, or the target cannot carry it (--strict, command line).";
    TranslateStatusUnknown = "translate.status_unknown", 422, "The credential's status is in status lists, which a translation does not read, and the target format states a status (command line).";
    PkiDemo = "pki.demo", 500, "The demonstration PKI cannot be written (command line).";
    PkiClient = "pki.client", 500, "A client certificate cannot be issued (command line).";
}

impl Reason {
    /// The reason with this code, if it is one.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// The group a code belongs to: its text before the first dot (`id` for
    /// `id.credit_code.length`).
    pub fn prefix(&self) -> &'static str {
        let code = self.code();
        code.split('.').next().unwrap_or(code)
    }

    /// The README's reason-code table: code, HTTP status, meaning; one group per prefix.
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | HTTP status | meaning |\n|---|---|---|\n");
        let mut group = "";
        for r in Reason::ALL {
            if r.prefix() != group {
                group = r.prefix();
                out.push_str(&format!("| **`{group}.*`** | | |\n"));
            }
            let mut status = r.status().to_string();
            for other in r.other_statuses() {
                status.push_str(&format!(", {other}"));
            }
            out.push_str(&format!("| `{}` | {status} | {} |\n", r.code(), r.message()));
        }
        out
    }

    /// Every reason as JSON: `[{"code", "status", "other_statuses", "message"}]`.
    pub fn json() -> serde_json::Value {
        Reason::ALL
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code(),
                    "status": r.status(),
                    "other_statuses": r.other_statuses(),
                    "message": r.message(),
                })
            })
            .collect()
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_dotted_and_grouped_by_prefix() {
        let mut seen = HashSet::new();
        let mut groups: Vec<&str> = Vec::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()), "{} is listed twice", r.code());
            let parts: Vec<&str> = r.code().split('.').collect();
            assert!(parts.len() >= 2, "{} has no prefix", r.code());
            for p in &parts {
                assert!(
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{} is not a dotted lower-case code",
                    r.code()
                );
            }
            if groups.last() != Some(&r.prefix()) {
                assert!(!groups.contains(&r.prefix()), "prefix {} is split in Reason::ALL at {}", r.prefix(), r.code());
                groups.push(r.prefix());
            }
        }
    }

    #[test]
    fn from_code_finds_every_code_and_nothing_else() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(*r));
            assert_eq!(r.to_string(), r.code());
        }
        for not in ["", "xml", "xml.", "xml.too_many", "auth.role.x", "AUTH.ROLE", "trust.sequence.1"] {
            assert_eq!(Reason::from_code(not), None, "{not}");
        }
        assert_eq!(Reason::from_code("auth.role"), Some(Reason::AuthRole));
    }

    #[test]
    fn statuses_are_http_statuses_and_messages_fit_a_table_cell() {
        for r in Reason::ALL {
            for s in std::iter::once(&r.status()).chain(r.other_statuses()) {
                assert!(hyper::StatusCode::from_u16(*s).is_ok() && (200..600).contains(s), "{}: {s}", r.code());
            }
            assert!(!r.other_statuses().contains(&r.status()), "{} repeats its status", r.code());
            let m = r.message();
            assert!(!m.is_empty() && !m.contains('|') && !m.contains('\n') && m.ends_with('.'), "{}: {m:?}", r.code());
        }
        assert_eq!((Reason::AuthRole.status(), Reason::AuthRole.other_statuses()), (403, &[401][..]));
        assert_eq!(Reason::SigValid.status(), 200);
        assert_eq!(Reason::HttpTooLarge.status(), 413);
    }

    #[test]
    fn the_table_has_a_row_per_code_and_a_header_per_prefix() {
        let table = Reason::markdown_table();
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), Reason::ALL.len());
        assert!(table.contains("| `auth.role` | 403, 401 | The caller's role may not do this"));
        assert!(table.contains("| **`xml.*`** | | |\n| `xml.too_large` | 400 |"));
        let json = Reason::json();
        assert_eq!(json.as_array().map(Vec::len), Some(Reason::ALL.len()));
        assert_eq!(json[0]["code"], "xml.too_large");
    }
}
