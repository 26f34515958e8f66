// The verification page. It calls only the gateway's public API and checks every log
// receipt itself, in this browser, with WebCrypto: SHA-256 for the Merkle proofs, Ed25519
// for the checkpoint signatures. It never trusts the gateway's word that a receipt is good.
"use strict";

const TEXT = {
  en: {
    title: "Certificate verification",
    subtitle: "Check a quality certificate against the signed trust list and the public log.",
    skip: "Skip to the result",
    langHint: "Switch language",
    langButton: "中文",
    lookupTitle: "Look up by number",
    issuer: "Issuing body (approval number or id)",
    number: "Certificate number",
    lookupButton: "Look up",
    verifyTitle: "Verify a document",
    document: "Paste a CN XML certificate, a signed IAF XML document or a UNTP credential (JWS)",
    file: "…or choose or drop a file",
    verifyButton: "Verify",
    linkLabel: "Link to this look-up:",
    checksTitle: "Checks",
    factsTitle: "The certificate",
    historyTitle: "Status history",
    hStatus: "Status",
    hSince: "Since",
    hBy: "Recorded by",
    receiptTitle: "Log receipt",
    footer: "Receipts are checked in this browser with SHA-256 and Ed25519 (WebCrypto) against the log's published checkpoint.",
    trustList: "Current trust list",
    checkpoint: "Published checkpoint",
    working: "Checking…",
    needBoth: "Enter both the issuing body and the certificate number.",
    needDocument: "Paste a document or choose a file first.",
    notFound: "No certificate {number} from {issuer} is known to this gateway.",
    failed: "The gateway could not answer: {detail}",
    status: {
      valid: "Valid", invalid: "Not valid", suspended: "Suspended", withdrawn: "Withdrawn",
      cancelled: "Cancelled", expired: "Expired", unknown: "Unknown",
    },
    headlineNote: {
      valid: "Every check passed.",
      invalid: "At least one check failed; see below.",
      suspended: "The certificate is suspended and must not be relied on.",
      withdrawn: "The certificate was withdrawn.",
      cancelled: "The certificate was cancelled.",
      expired: "The certificate's validity period has ended.",
      unknown: "The status could not be determined.",
    },
    // Plain words for the gateway's reason codes: one per prefix, for a code this page does not
    // know (see reasonText), then one for every code of mrgate::reason::Reason (tests/reasons.rs
    // checks both languages). Between the markers: one "code": "text", a line (JSON), no comments.
    reason: {
      // reasons:en:begin
      "format": "The document is malformed or breaks its schema.",
      "sig": "The signature could not be checked.",
      "x509": "The signer's certificate is not acceptable.",
      "trust": "The trust list does not support this certificate.",
      "standards": "A standard could not be matched to a recognized equivalent.",
      "validity": "The certificate is not in force.",
      "status": "The register records the certificate as not in force.",
      "xml.too_large": "The XML document is larger than the gateway reads.",
      "xml.too_deep": "The XML document nests elements deeper than allowed.",
      "xml.too_many_elements": "The XML document has more elements than allowed.",
      "xml.too_many_attributes": "An XML element has more attributes than allowed.",
      "xml.doctype": "The XML document has a DOCTYPE; document type declarations are refused.",
      "xml.undefined_entity": "The XML document uses an entity that is not defined.",
      "xml.unsupported_encoding": "The XML document declares an encoding the gateway does not read.",
      "xml.bad_encoding": "The document's bytes are not valid in its encoding.",
      "xml.unbound_prefix": "The XML document uses a namespace prefix that is not declared.",
      "xml.malformed": "The XML document is not well-formed.",
      "xml.no_root": "The XML document has no root element.",
      "xml.well_formed": "The XML document is well-formed and within the limits.",
      "id.credit_code.length": "A unified social credit code is not 18 characters long.",
      "id.credit_code.charset": "A unified social credit code has a character it may not hold.",
      "id.credit_code.division": "A unified social credit code names no valid administrative division.",
      "id.credit_code.org_check_digit": "The organization code inside a unified social credit code has a wrong check digit.",
      "id.credit_code.check_digit": "A unified social credit code has a wrong check digit.",
      "id.approval_no": "A certification body's approval number is malformed.",
      "id.body_id": "A foreign body's identifier is malformed.",
      "id.ccc_number.form": "A CCC certificate number does not have the 16-digit form.",
      "id.ccc_number.year": "A CCC certificate number holds an impossible year.",
      "id.ccc_number.category": "A CCC certificate number holds an unknown product category.",
      "id.certificate_no.charset": "A certificate number has a character it may not hold.",
      "id.division_code": "An administrative division code is malformed.",
      "id.hs_code": "An HS code is malformed.",
      "id.ccc_category": "A CCC product category is malformed.",
      "id.post_code": "A postal code is malformed.",
      "id.date": "A date is malformed or does not exist.",
      "id.expiry_before_issue": "The expiry date is not after the issue date.",
      "model.category_mismatch": "The CCC number's product category differs from the certificate's.",
      "model.products_outside_product_certification": "A management-system or service certificate lists assessed products: only a product certification (CCC, PRODUCT) assesses products.",
      "model.original_after_issue": "The original issue date is after the issue date.",
      "model.ccc_year_after_issue": "The CCC number's year is after the issue date.",
      "model.validity_too_long": "The certificate is valid longer than its programme allows.",
      "model.issued_before_approval": "The certificate was issued before its certification body was approved by CNCA.",
      "model.status_before_issue": "The status date is more than a day before the issue date.",
      "model.ccc_category_mismatch": "A product's CCC category differs from the one in the CCC number.",
      "model.ccc_not_domestic": "A CCC certificate is issued only by a body CNCA designated.",
      "model.no_standards": "The certificate names no standard.",
      "model.holder_two_ids": "The holder has two identifiers where one is allowed.",
      "model.hidden_control": "A text of the certificate holds a C1 control or a bidirectional formatting character, which would make a page or a terminal show what the certificate does not say.",
      "model.empty": "A required field is empty.",
      "format.valid": "The document is well-formed and follows its schema.",
      "format.json": "The input is not JSON.",
      "format.wrong_root": "The document's root element is not the format's.",
      "format.unexpected_element": "The document has an element its schema does not allow.",
      "format.unexpected_attribute": "The document has an attribute its schema does not allow.",
      "format.unexpected_text": "The document has text where its schema allows none.",
      "format.missing": "A required field is missing.",
      "format.not_in_list": "A field holds a value outside its code list.",
      "format.invalid": "A field's value is invalid.",
      "format.too_large": "A field or document is larger than the format allows.",
      "format.unknown": "The document is not a format this gateway reads.",
      "standards.idt": "The standard is identical to an international one.",
      "standards.mod_rule": "The standard is a modified adoption the equivalence table accepts.",
      "standards.equivalent": "The standards are recognized equivalents.",
      "standards.mod_without_rule": "The standard is a modified adoption the equivalence table does not accept.",
      "standards.mod_international_only": "The certificate names the international standard alone where the equivalence table accepts its modified national adoption: the national deviations were not assessed.",
      "standards.unverified": "The equivalence table's row for the standard is not verified (its adoption was not confirmed against the standard's foreword or the national catalogue): it recognizes nothing until an operator confirms it.",
      "standards.neq": "The standard is not equivalent to an international one.",
      "standards.unknown": "The standard is not in the equivalence table.",
      "standards.other_kind": "The standard is of another kind than the certificate (a product standard on a management-system certificate, say), a conformity-assessment standard no certificate is certified against, or a product or service certificate names management-system standards only.",
      "standards.kind_unknown": "The equivalence table in force does not say what the standard is a standard for (a table from before rule set 10): it is not recognized.",
      "standards.transition_ended": "The standard's transition to its next edition has ended: a certificate to it is no longer valid.",
      "standards.other_programme": "A management-system certificate names none of its programme's standard (ISO 9001 for QMS, say).",
      "standards.notation": "A standard's designation cannot be read.",
      "standards.table": "The equivalence table cannot be read.",
      "status.valid": "The register records the certificate as valid and in force.",
      "status.suspended": "The certificate is suspended.",
      "status.withdrawn": "The certificate was withdrawn.",
      "status.cancelled": "The certificate was cancelled.",
      "status.expired": "The certificate's validity period has ended.",
      "status.unknown": "The register cannot tell whether the certificate is in force.",
      "status.list_unknown": "No such status list.",
      "status.list_changed": "The status list changed while it was published; ask again.",
      "status.no_slot": "No status-list place could be given to the certificate.",
      "status.slot_taken": "Another export took the status-list place drawn for this one; ask again.",
      "publication.current": "This version is the one published already.",
      "validity.in_force": "The certificate is in force today.",
      "validity.expired": "The certificate's validity period has ended.",
      "validity.not_yet_valid": "The certificate is not yet in force.",
      "key.unreadable": "A key cannot be read.",
      "key.unknown_type": "A key is of a type the gateway does not use.",
      "key.bad_public_key": "A public key is malformed.",
      "key.weak_rsa": "An RSA key is shorter than allowed.",
      "key.cert_mismatch": "The certificate does not certify the signing key.",
      "key.reused": "One key is configured for two roles; each key of the gateway has one.",
      "alg.accepted": "The signature algorithm is accepted.",
      "alg.sha1_refused": "The signature uses SHA-1, which is refused.",
      "alg.dsa_refused": "The signature uses DSA, which is refused.",
      "alg.refused": "The signature algorithm is refused.",
      "alg.unsupported": "The signature uses an algorithm this gateway does not accept.",
      "alg.key_mismatch": "The signature algorithm does not fit the key.",
      "sig.valid": "The signature over the document is intact.",
      "sig.absent": "The document is not signed.",
      "sig.invalid": "The signature does not match the document: it was altered or signed with another key.",
      "sig.signing_failed": "The gateway could not sign.",
      "signing.not_in_force": "The gateway's signing certificate is not valid now: it signs nothing until a valid one is installed.",
      "x509.valid": "The signer's certificate chains to a trust anchor.",
      "x509.crl": "Revocation checked against the supplied CRLs.",
      "x509.malformed": "A certificate is malformed.",
      "x509.untrusted": "The signer's certificate does not chain to an accreditation body in the trust list.",
      "x509.expired": "The signer's certificate has expired.",
      "x509.not_yet_valid": "The signer's certificate is not yet valid.",
      "x509.revoked": "The signer's certificate has been revoked.",
      "x509.crl_stale": "The revocation list is out of date.",
      "x509.crl_invalid": "A revocation list is malformed or breaks the profile.",
      "x509.key_usage": "A certificate's key usage does not allow this use.",
      "x509.eku": "A certificate's extended key usage does not allow this use.",
      "x509.ca_as_signer": "A CA certificate is used as a signer.",
      "x509.issuer_not_ca": "An issuer in the path is not a CA.",
      "x509.path_len": "The path is longer than an issuer allows.",
      "x509.bad_signature": "A certificate's signature in the path does not verify.",
      "x509.name_constraints": "A name breaks an issuer's name constraints.",
      "x509.policy_constraints": "A certificate's policy constraints break the profile.",
      "x509.critical_extension": "A certificate has an unsupported critical extension.",
      "x509.serial": "A certificate's serial number breaks the profile.",
      "x509.aki": "A certificate's authority key identifier is missing or wrong.",
      "x509.ski": "A certificate's subject key identifier is missing or wrong.",
      "x509.empty_subject": "A CA certificate has an empty subject.",
      "x509.too_many_names": "A certificate has more names than allowed.",
      "x509.invalid": "The path is invalid for another reason.",
      "jws.compact": "A compact JWS with canonical base64url parts.",
      "jws.kid": "The JWS names a configured key.",
      "jws.malformed": "The JWS is not a compact JWS.",
      "jws.base64": "A JWS part is not canonical base64url.",
      "jws.header": "The JWS header is malformed or missing a member.",
      "jws.crit": "The JWS header marks an extension critical that the gateway does not know.",
      "jws.no_key": "The JWS names no key to verify it with.",
      "jws.unknown_kid": "The JWS names a key that is not configured.",
      "jws.kid_other": "The JWS header's kid names another key than its x5c signer's.",
      "jws.x5c": "The JWS's certificate chain (x5c) is missing or malformed.",
      "jws.payload": "The JWS payload is not a JSON object.",
      "jws.typ": "The JWS has the wrong typ.",
      "dsig.enveloped": "One enveloped signature over the whole document.",
      "dsig.digests_match": "Every reference digest matches.",
      "dsig.no_signature": "The document has no XML signature.",
      "dsig.multiple_signatures": "The document has more than one XML signature.",
      "dsig.misplaced": "The signature is not where an enveloped signature belongs.",
      "dsig.structure": "The signature's structure is malformed.",
      "dsig.duplicate_id": "Two elements share an Id.",
      "dsig.reference_not_found": "A signature reference points at nothing.",
      "dsig.not_whole_document": "The signature does not cover the whole document.",
      "dsig.overlapping_references": "Two signature references cover the same part of the signature.",
      "dsig.digest_mismatch": "A reference digest does not match: the document was altered.",
      "dsig.no_key": "The signature carries no usable key or certificate.",
      "dsig.xades": "The XAdES signed properties are missing or do not match the signer.",
      "pt.too_few": "Too few results to evaluate.",
      "pt.not_finite": "A result is not a finite number.",
      "pt.out_of_range": "A value is out of its allowed range.",
      "pt.overflow": "A computation overflowed.",
      "pt.negative": "A value that must not be negative is negative.",
      "pt.sigma_pt": "The standard deviation for proficiency assessment is unusable.",
      "pt.no_convergence": "The robust statistics did not converge.",
      "pt.homogeneity": "Homogeneity data cannot be checked: fewer than 2 items or replicates, items with unequal replicates, or a result out of range.",
      "pt.stability": "Stability data cannot be checked: an occasion without results, or a result out of range.",
      "pt.not_numeric": "A result is not a number.",
      "pt.assigned_value": "The assigned value is unusable.",
      "pt.reference_missing": "The reference laboratory reported no result.",
      "pt.reference_no_u": "The reference laboratory stated no expanded uncertainty.",
      "pt.internal": "A measurand reached an evaluation it should not have (a bug).",
      "pt.document": "A PT round, submission or report does not read (line, column, path, why).",
      "pt.round_exists": "The round is already defined.",
      "pt.round_unknown": "There is no such round, or none the partner is in.",
      "pt.round_closed": "The round is closed.",
      "pt.round_mismatch": "The submission is for another round.",
      "pt.partner_unknown": "A partner of the round is not an accreditation body of the trust list.",
      "pt.measurand_unknown": "The round has no such measurand.",
      "pt.participant_taken": "Another partner already submitted for this participant.",
      "pt.participants_not_enrolled": "A joint round's definition enrols each participant under the partner that submits for it (Participants).",
      "pt.participant_not_yours": "The participant is not enrolled in the round under the submitting partner (another partner's, or nobody's).",
      "pt.reference_not_yours": "Only the round's provider submits for its reference laboratory.",
      "pt.round_open": "The round is open: its documents are the operator's to read until it closes.",
      "pt.deadline_passed": "The round's deadline has passed.",
      "pt.deadline_not_reached": "The round still takes results.",
      "pt.report_missing": "The round has no report yet.",
      "pt.replaced": "The submission replaced the partner's earlier results.",
      "pt.results_changed": "The round's results changed while it was being closed.",
      "csv.syntax": "The CSV is malformed.",
      "csv.header": "The CSV header is missing or wrong.",
      "csv.duplicate": "A participant appears twice.",
      "csv.encoding": "The file is not UTF-8 text.",
      "log.index_out_of_range": "The index, or the tree size asked for, is past the end of the log.",
      "log.bad_sizes": "The tree sizes asked for do not grow.",
      "log.proof_length": "A proof has the wrong number of hashes.",
      "log.root_mismatch": "A proof does not lead to the expected root.",
      "log.size_mismatch": "A tree size differs from the checkpoint's.",
      "log.tile_path": "The tile path is not a C2SP tlog-tiles path.",
      "log.not_witnessed": "No checkpoint has been cosigned by enough witnesses yet.",
      "log.decision_other": "The receipt's entry records another kind of decision, or another verdict, than the one given.",
      "log.actor": "The receipt's entry is logged as another actor than the one given (mrgate log verify-receipt --actor).",
      "log.other_log": "The checkpoint is another log's: its origin, or the key name it is signed under, is not the origin given (mrgate log verify-receipt, verify-consistency, audit --origin).",
      "log.witnesses": "Fewer of the trusted witnesses cosigned the checkpoint than are required.",
      "log.stale": "Fewer of the trusted witnesses cosigned the checkpoint within --max-age than are required (mrgate log audit).",
      "log.rolled_back": "The store's log is shorter than the newest checkpoint this gateway signed: the store was put back from an older copy (start-up).",
      "log.forked": "The store's log does not extend the newest checkpoint this gateway signed: another log's store, or one changed behind its back (start-up).",
      "log.high_water": "The log's high-water mark is missing for a log that holds entries, cannot be read or written, is no checkpoint of this log's key, or is kept by another running gateway (start-up).",
      "log.not_found": "Not in the log: no entry has this leaf hash, or the tile is not in the tree yet.",
      "log.tile_mismatch": "Stored log entries no longer match the tree (the gateway's fault).",
      "log.tile_not_held": "A part of the tree is not available yet.",
      "log.unavailable": "The log is not available.",
      "log.entry_malformed": "A log entry cannot be read.",
      "log.entry_value": "A log entry holds a value that cannot be encoded.",
      "log.checkpoint_malformed": "A checkpoint is malformed.",
      "log.checkpoint_signature": "A checkpoint is not signed by the log key.",
      "log.receipt_malformed": "A receipt is malformed.",
      "log.leaf_mismatch": "The entry does not hash to the receipt's leaf hash.",
      "log.document_not_in_entry": "The document is not one the log entry names.",
      "witness.request": "The add-checkpoint request is not in the c2sp.org/tlog-witness form.",
      "witness.old_size": "The request's old size is larger than its checkpoint's size.",
      "witness.not_signed": "No signature on the checkpoint verifies under the key the witness trusts for its log.",
      "witness.unknown_log": "The checkpoint's origin is not a log the witness watches.",
      "witness.size_mismatch": "The old size is not the size the witness last cosigned (the answer gives it).",
      "witness.inconsistent": "The checkpoint has the size last cosigned but another root hash: a split view, kept as evidence.",
      "witness.proof": "The consistency proof does not show the checkpoint extends the one last cosigned (kept as a lead, not proof: the sender chose the proof; at most 64 per log).",
      "witness.config": "The witness cannot start: its configuration, a file it names, or its listen address.",
      "witness.state": "The witness's state cannot be opened, read or written.",
      "recognition.not_reached": "Not checked, because an earlier check failed.",
      "trust.content": "The trust list's content breaks its rules.",
      "trust.signer_not_authorized": "The trust list is not signed by a pinned signer with the tslSigning EKU.",
      "trust.list_expired": "The trust list is past its NextUpdate (every decision then fails closed).",
      "trust.list_not_yet_valid": "The trust list is not yet valid.",
      "trust.sequence": "The trust list's sequence is not newer than the installed one.",
      "trust.sequence_reused": "A different trust list with this sequence is already stored.",
      "trust.list_changed": "A newer trust list came into force while the decision was made; ask again.",
      "trust.list_refused": "This node's configuration refuses the newest installed trust list: it decides nothing until it allows it.",
      "trust.build": "A trust list cannot be built from its description.",
      "trust.cb_unknown": "The certification body is not in the trust list.",
      "trust.signer_not_listed": "The signer is not a key listed for this certification body.",
      "trust.not_exported": "Signed with the gateway's own key, but not a document the gateway exported: an export verifies as it was sent, byte for byte.",
      "trust.cb_not_granted": "The trust list does not hold this certification body in force, now or on the certificate's issue date.",
      "trust.body_unknown": "The accreditation body is not in the trust list.",
      "trust.mra_active": "The accreditation body is an active IAF MLA / ILAC MRA signatory for this scope.",
      "trust.accreditation_unclaimed": "The IAF record says its certificate is Unaccredited: it is not recognized as an accredited certificate.",
      "trust.cb_name_other": "The certificate names its certification body by a name the trust list does not hold for it: each name it states (the name, and the English name when stated) must be the body's id, one of its names in any language or a trade name the list holds.",
      "trust.accreditation_other": "The certificate's accreditation claim does not name its certification body's accreditor by the id, name or a trade name the trust list holds for it: another accreditation body of the list, or a name the list does not hold.",
      "trust.mra_none": "The accreditation body has no mutual-recognition status for this scope.",
      "trust.mra_not_yet": "The mutual-recognition status is not yet in force.",
      "trust.mra_suspended": "The accreditation body's mutual-recognition status is suspended.",
      "trust.mra_withdrawn": "The accreditation body's mutual-recognition status was withdrawn.",
      "rules.unsigned": "The equivalence table is not a compact JWS (only the build's own table is unsigned).",
      "rules.typ": "The JWS does not say it is an equivalence table (typ mrgate-equivalence-table+jws, cty toml).",
      "rules.signature": "The equivalence table's signature, or its signer's path to the operator anchor, does not verify.",
      "rules.signer": "The equivalence table is not signed by a pinned trust-list signer with the tslSigning EKU.",
      "rules.sequence": "The equivalence table's sequence is not newer than the installed one.",
      "rules.sequence_reused": "A different equivalence table with this sequence is already stored.",
      "rules.table_changed": "A newer equivalence table came into force while the decision was made; ask again.",
      "rules.unknown_version": "No rule document with this sequence is stored.",
      "audit.entry": "A log entry cannot be read, or does not have the inputs its kind has (mrgate log audit).",
      "audit.rules": "An entry names a rule version that was not in force at its place in the log, or that cannot be read (mrgate log audit).",
      "audit.install": "A rule document's install does not match the stored version, does not verify, or is not newer than the one before (mrgate log audit).",
      "audit.document": "The document an entry names is not kept, or what is kept under its digest is another document (mrgate log audit).",
      "audit.verdict": "Decided again from the document and the rule versions the entry names, the decision comes out otherwise (mrgate log audit).",
      "audit.revocation": "Decided again with the CRL set the entry names the decision stands, but that set lacks a revocation published by the entry's time, and with it the decision comes out otherwise (mrgate log audit).",
      "audit.output": "A document a decision made (an export's certificate or credential, a PT report) is not what the rules make of its inputs, or not signed by the gateway at the decision's time (mrgate log audit).",
      "audit.register": "The register the store holds is not the one the logged decisions made (mrgate log audit).",
      "audit.tree": "The tree recomputed from every entry does not have the root the checkpoint signs (mrgate log audit).",
      "audit.fetch": "The audit could not fetch what it reads from the gateway (mrgate log audit --url).",
      "auth.role": "The caller's role may not do this (401 when it showed no credentials).",
      "auth.issuer_not_allowed": "A client certificate claims a role its issuer may not grant.",
      "auth.not_your_body": "The certificate or document is not the calling partner's body's.",
      "auth.not_your_certificate": "An unsigned export outside the exporter's grant.",
      "export.busy": "Too many exports wait for others of the same certificates; try again shortly.",
      "rules.refused": "This node refuses the newest installed trust list or equivalence table: it tells no status list until it allows them.",
      "export.foreign_issuer": "Only certificates of CNCA-approved (domestic) certification bodies are exported.",
      "auth.not_provider": "Only the round's provider may do this.",
      "notice.fields": "A notice field is missing or of the wrong type.",
      "notice.action": "The notice's action is not suspend, withdraw, cancel or restore.",
      "notice.iat": "The notice's issue time is missing, invalid or in the future.",
      "notice.jti": "The notice's identifier is missing or malformed.",
      "notice.number": "The notice's certificate number is no certificate number.",
      "notice.date": "The notice's date is malformed or out of order.",
      "notice.replayed": "The notice was already applied.",
      "notice.stale": "A newer notice for the certificate was already applied, or a restoration was not signed more than 5 minutes after the gateway's own suspension.",
      "notice.transition": "The status change is not allowed from the current status.",
      "notice.suspend": "A notice suspended the certificate.",
      "notice.withdraw": "A notice withdrew the certificate.",
      "notice.cancel": "A notice cancelled the certificate.",
      "notice.restore": "A notice restored the certificate.",
      "register.conflict": "The register holds other facts, or it changed while the decision was made.",
      "register.look_alike": "An unsigned export's number reads as another number the register holds of its CB (O as 0, S as 5…): only its CB's signed document registers it.",
      "register.superseded": "The document states other facts than the register holds of its certificate, and is no newer: superseded; present the current one (an export of this gateway: export it again).",
      "register.changed": "The certificate's registered status or facts changed while it was verified, three times over; ask again.",
      "register.older_document": "The document states other facts than the registered version and is no later issue (older, or of the same day): it does not replace it.",
      "register.unavailable": "The register's status could not be read (fails closed, status unknown).",
      "store.database": "The database is not available.",
      "store.not_found": "There is no such certificate, export or receipt.",
      "store.schema_too_new": "The database was written by a newer mrgate.",
      "store.rule_set": "The shared database is decided by another rule set than this node's: upgrade the node.",
      "store.corrupt": "A stored record cannot be read back (the gateway's fault).",
      "http.empty": "The request has no body.",
      "http.query": "A query parameter is missing, malformed, given twice or not one the operation takes.",
      "http.path": "The path has a malformed percent-escape or is not UTF-8.",
      "http.streaming": "Batch verification is served as a stream.",
      "http.not_found": "No such route or page file.",
      "http.method": "The method is not allowed on this path.",
      "http.not_acceptable": "The route cannot answer in an accepted media type.",
      "http.request_timeout": "The request body did not arrive in time.",
      "http.too_large": "The request body, or a batch line, is too large.",
      "http.uri_too_long": "The request target (path and query) is too long.",
      "http.headers_too_large": "The request carries too many header fields, or too large ones.",
      "http.rate_limited": "Too many requests from this caller.",
      "sign.not_carried": "The credential holds members the gateway does not read; it is not signed.",
      "model.text_layout": "A text of the certificate holds a line break, or white space at either end.",
      "http.reloaded": "The gateway's configuration changed while the request arrived; send it again.",
      "http.busy": "The gateway is busy reading other requests; try again shortly.",
      "http.body_broken": "The request was cut short.",
      "http.cross_site": "A browser sent this request for another site; the gateway does not act for it.",
      "http.internal": "The gateway failed on this request (a bug); nothing was decided.",
      "batch.line": "A batch line is neither a look-up nor a document.",
      "batch.too_many_lines": "The batch has more lines than allowed.",
      "batch.reloaded": "The gateway's configuration changed while a batch was read: the lines from the one named on were not decided; send them again.",
      "io.read": "An input file cannot be read.",
      "io.write": "An output cannot be written.",
      "usage.at": "The --at time is not RFC 3339.",
      "usage.audit": "mrgate log audit needs --config or --url, and with --url the keys and certificates it checks against.",
      "usage.trust_anchor": "A trust anchor is required.",
      "usage.witnesses": "--min-witnesses asks for more witnesses than --witness-key gives (command line).",
      "translate.lossy": "The translation would lose a field: the source holds what the model cannot, or the target cannot carry it.",
      "translate.status_unknown": "The credential's status is in status lists, which a translation does not read, and the target format states a status.",
      "pki.demo": "The demonstration PKI cannot be written.",
      "pki.client": "A client certificate cannot be issued.",
      // reasons:en:end
    },
    noFacts: "The document's contents are not shown, because it could not be trusted.",
    noFactsRegistered: "The register holds only this certificate's status, from its certification body's notices: no document of it was exported or recognized here.",
    lookupLink: "Look this certificate up in the register:",
    recordedNote: "Recorded by the gateway ({origin}).",
    origin: {
      export: "exported domestic certificate",
      "export-unsigned": "domestic certificate exported on its exporter's word",
      recognition: "recognized foreign certificate",
      notice: "status from its certification body's notice; no document of it is registered",
    },
    check: {
      format: "Document format", signature: "Signature", chain: "Signer's certificate chain",
      accreditation: "Accreditation and recognition", standards: "Standards", validity: "Status and dates",
    },
    outcome: { pass: "passed", fail: "failed", skipped: "not checked" },
    fact: {
      number: "Certificate number", holder: "Holder", holder_credit_code: "Unified social credit code",
      program: "Programme", scope: "Scope", standards: "Standards", products: "Products",
      issue_date: "Issued", expiry_date: "Expires", certification_body: "Certification body",
      accreditation: "Accreditation", assessment_level: "Recognition level",
    },
    level: {
      GlobalMRA: "Covered by IAF MLA / ILAC MRA",
      Accredited: "Accredited (no mutual-recognition claim)",
      Unspecified: "No accreditation claimed",
    },
    receipt: {
      none: "No receipt is available for this certificate.",
      checking: "Checking the receipt in this browser…",
      ok: "This decision is recorded in the public log, checked in this browser: entry {index} is in the log, and the log's published checkpoint (size {published}) extends the one this receipt was issued against (size {size}).",
      bad: "The receipt does not verify: {why}",
      unsupported: "This browser cannot verify Ed25519 signatures, so the receipt was not checked.",
      unchecked: "The receipt could not be checked now: the log did not answer (HTTP {status}). Try again later.",
      index: "Entry", tree: "Tree size at issue", published: "Published checkpoint size", key: "Log key",
      kind: "Decision", time: "Recorded at", leaf: "Leaf hash", seen: "Checkpoint this browser saw before",
    },
    why: {
      decision: "the receipt records another decision than the one shown",
      leaf: "the entry does not hash to the receipt's leaf hash",
      inclusion: "the inclusion proof does not lead to the checkpoint's root",
      signature: "the checkpoint is not signed by the log key",
      size: "the receipt's tree size differs from its checkpoint's",
      consistency: "the published checkpoint does not extend the receipt's checkpoint",
      history: "the log's published checkpoint and the one this browser saw before (size {seen}) are not one history: the log showed two different views (both checkpoints are kept below as evidence)",
      rekeyed: "the log now signs under another key or name than the one this browser checked it under before: it may be starting another history (both checkpoints are kept below as evidence)",
      malformed: "the receipt or checkpoint is malformed",
    },
  },
  zh: {
    title: "证书验证",
    subtitle: "依据已签名的信任列表和公开日志核验质量认证证书。",
    skip: "跳至结果",
    langHint: "切换语言",
    langButton: "English",
    lookupTitle: "按编号查询",
    issuer: "发证机构（批准号或标识）",
    number: "证书编号",
    lookupButton: "查询",
    verifyTitle: "核验文件",
    document: "粘贴中国证书 XML、已签名的 IAF XML 文件或 UNTP 凭证（JWS）",
    file: "……或选择、拖放文件",
    verifyButton: "核验",
    linkLabel: "本次查询的链接：",
    checksTitle: "核验项目",
    factsTitle: "证书信息",
    historyTitle: "状态历史",
    hStatus: "状态",
    hSince: "起始时间",
    hBy: "记录方",
    receiptTitle: "日志回执",
    footer: "回执在本浏览器中使用 SHA-256 和 Ed25519（WebCrypto）依据日志公布的检查点进行验证。",
    trustList: "当前信任列表",
    checkpoint: "公布的检查点",
    working: "正在核验……",
    needBoth: "请同时输入发证机构和证书编号。",
    needDocument: "请先粘贴文件内容或选择文件。",
    notFound: "本网关没有 {issuer} 颁发的证书 {number}。",
    failed: "网关无法应答：{detail}",
    status: {
      valid: "有效", invalid: "无效", suspended: "暂停", withdrawn: "撤销",
      cancelled: "注销", expired: "过期", unknown: "未知",
    },
    headlineNote: {
      valid: "全部核验项目均已通过。",
      invalid: "至少一项核验未通过，详见下方。",
      suspended: "证书已暂停，不得采信。",
      withdrawn: "证书已被撤销。",
      cancelled: "证书已被注销。",
      expired: "证书已超过有效期。",
      unknown: "无法确定证书状态。",
    },
    // The reason codes in plain words, as in `en`.
    reason: {
      // reasons:zh:begin
      "format": "文件格式有误或不符合其模式。",
      "sig": "无法验证签名。",
      "x509": "签名者证书不可接受。",
      "trust": "信任列表不支持该证书。",
      "standards": "有标准无法对应到公认的等同标准。",
      "validity": "证书当前无效。",
      "status": "登记簿记录该证书不在有效状态。",
      "xml.too_large": "XML 文件超出本网关可读取的大小。",
      "xml.too_deep": "XML 文件的元素嵌套层级过深。",
      "xml.too_many_elements": "XML 文件的元素数量超出上限。",
      "xml.too_many_attributes": "某个 XML 元素的属性数量超出上限。",
      "xml.doctype": "XML 文件含有 DOCTYPE 声明，本网关不予接受。",
      "xml.undefined_entity": "XML 文件使用了未定义的实体。",
      "xml.unsupported_encoding": "XML 文件声明的字符编码本网关无法读取。",
      "xml.bad_encoding": "文件内容与其字符编码不符。",
      "xml.unbound_prefix": "XML 文件使用了未声明的命名空间前缀。",
      "xml.malformed": "XML 文件格式不正确。",
      "xml.no_root": "XML 文件没有根元素。",
      "xml.well_formed": "XML 文件格式正确，且未超出限制。",
      "id.credit_code.length": "统一社会信用代码不是 18 位。",
      "id.credit_code.charset": "统一社会信用代码含有不允许的字符。",
      "id.credit_code.division": "统一社会信用代码中的行政区划码无效。",
      "id.credit_code.org_check_digit": "统一社会信用代码中组织机构代码的校验位错误。",
      "id.credit_code.check_digit": "统一社会信用代码的校验位错误。",
      "id.approval_no": "认证机构批准号格式有误。",
      "id.body_id": "境外机构标识格式有误。",
      "id.ccc_number.form": "CCC 证书编号不是 16 位数字格式。",
      "id.ccc_number.year": "CCC 证书编号中的年份不可能成立。",
      "id.ccc_number.category": "CCC 证书编号中的产品类别未知。",
      "id.certificate_no.charset": "证书编号含有不允许的字符。",
      "id.division_code": "行政区划代码格式有误。",
      "id.hs_code": "HS 编码格式有误。",
      "id.ccc_category": "CCC 产品类别格式有误。",
      "id.post_code": "邮政编码格式有误。",
      "id.date": "日期格式有误或日期不存在。",
      "id.expiry_before_issue": "有效期截止日期不晚于颁证日期。",
      "model.category_mismatch": "CCC 编号中的产品类别与证书所载类别不一致。",
      "model.products_outside_product_certification": "管理体系或服务认证证书列出了被评定的产品：只有产品认证（CCC、PRODUCT）评定产品。",
      "model.original_after_issue": "初次颁证日期晚于本次颁证日期。",
      "model.ccc_year_after_issue": "CCC 编号中的年份晚于颁证日期。",
      "model.validity_too_long": "证书有效期超过其认证项目允许的期限。",
      "model.issued_before_approval": "证书颁发年份早于认证机构获国家认监委批准的年份。",
      "model.status_before_issue": "状态日期早于颁证日期一天以上。",
      "model.ccc_category_mismatch": "产品的 CCC 类别与 CCC 编号中的类别不一致。",
      "model.ccc_not_domestic": "CCC 证书只能由国家认监委指定的机构颁发。",
      "model.no_standards": "证书未列明任何认证依据标准。",
      "model.holder_two_ids": "获证组织只能有一个标识，却给出了两个。",
      "model.hidden_control": "证书文本含有 C1 控制字符或双向格式字符，会使页面或终端显示证书并未载明的内容。",
      "model.empty": "必填项为空。",
      "format.valid": "文件格式正确，符合其模式。",
      "format.json": "输入内容不是 JSON。",
      "format.wrong_root": "文件的根元素不属于该格式。",
      "format.unexpected_element": "文件含有其模式不允许的元素。",
      "format.unexpected_attribute": "文件含有其模式不允许的属性。",
      "format.unexpected_text": "文件在不允许出现文本的位置含有文本。",
      "format.missing": "缺少必填项。",
      "format.not_in_list": "某项的取值不在其代码表中。",
      "format.invalid": "某项的取值无效。",
      "format.too_large": "某项内容或文件超出该格式允许的大小。",
      "format.unknown": "本网关无法识别该文件格式。",
      "standards.idt": "该标准等同采用国际标准。",
      "standards.mod_rule": "该标准修改采用国际标准，等同对照表予以接受。",
      "standards.equivalent": "所列标准为公认的等同标准。",
      "standards.mod_without_rule": "该标准修改采用国际标准，但等同对照表不予接受。",
      "standards.mod_international_only": "证书仅列明国际标准，而等同对照表只接受其修改采用的国家标准：国家差异未经评定。",
      "standards.unverified": "等同对照表中该标准的对照行未经核实（其采用程度未对照标准前言或国家标准目录确认）：经运营方确认之前不予承认。",
      "standards.neq": "该标准与国际标准不等同。",
      "standards.unknown": "该标准不在等同对照表中。",
      "standards.other_kind": "该标准与证书类别不符（例如管理体系证书所依据的是产品标准），或是合格评定标准（任何证书均不依据其认证），或产品、服务证书仅列管理体系标准。",
      "standards.kind_unknown": "现行等同对照表未说明该标准的类别（规则集 10 之前的对照表）：不予承认。",
      "standards.transition_ended": "该标准向新版的转换期已结束：依据该标准的证书不再有效。",
      "standards.other_programme": "管理体系认证证书未列出其认证项目对应的标准（如质量管理体系对应 ISO 9001）。",
      "standards.notation": "无法识读标准编号。",
      "standards.table": "无法读取标准等同对照表。",
      "status.valid": "登记簿记录该证书有效。",
      "status.suspended": "证书已暂停。",
      "status.withdrawn": "证书已被撤销。",
      "status.cancelled": "证书已被注销。",
      "status.expired": "证书已超过有效期。",
      "status.unknown": "登记簿无法确定该证书是否有效。",
      "status.list_unknown": "不存在该状态列表。",
      "status.list_changed": "状态列表在发布期间发生了变化，请重试。",
      "status.no_slot": "无法为该证书分配状态列表位置。",
      "status.slot_taken": "为该证书抽取的状态列表位置已被另一次导出占用，请重试。",
      "publication.current": "该版本已是当前发布的版本。",
      "validity.in_force": "证书当前有效。",
      "validity.expired": "证书已超过有效期。",
      "validity.not_yet_valid": "证书尚未生效。",
      "key.unreadable": "无法读取密钥。",
      "key.unknown_type": "密钥类型不被本网关使用。",
      "key.bad_public_key": "公钥格式有误。",
      "key.weak_rsa": "RSA 密钥长度不足。",
      "key.cert_mismatch": "证书与签名密钥不对应。",
      "key.reused": "同一密钥被配置为两种用途；网关的每个密钥只有一种用途。",
      "alg.accepted": "签名算法可以接受。",
      "alg.sha1_refused": "签名使用 SHA-1，不予接受。",
      "alg.dsa_refused": "签名使用 DSA，不予接受。",
      "alg.refused": "签名算法不予接受。",
      "alg.unsupported": "签名所用算法不被本网关接受。",
      "alg.key_mismatch": "签名算法与密钥不匹配。",
      "sig.valid": "文件签名完好。",
      "sig.absent": "文件未签名。",
      "sig.invalid": "签名与文件不符：文件已被篡改或由其他密钥签名。",
      "sig.signing_failed": "网关无法完成签名。",
      "signing.not_in_force": "网关的签名证书当前不在有效期内：在安装有效证书之前，网关不签署任何文件。",
      "x509.valid": "签名者证书可追溯到信任锚。",
      "x509.crl": "已依据所提供的证书吊销列表核查吊销状态。",
      "x509.malformed": "证书格式有误。",
      "x509.untrusted": "签名者证书无法追溯到信任列表中的认可机构。",
      "x509.expired": "签名者证书已过期。",
      "x509.not_yet_valid": "签名者证书尚未生效。",
      "x509.revoked": "签名者证书已被吊销。",
      "x509.crl_stale": "证书吊销列表已过期。",
      "x509.crl_invalid": "证书吊销列表格式有误或不合规范。",
      "x509.key_usage": "证书的密钥用途不允许此项使用。",
      "x509.eku": "证书的扩展密钥用途不允许此项使用。",
      "x509.ca_as_signer": "CA 证书被用作签名证书。",
      "x509.issuer_not_ca": "证书链中的某个签发者不是 CA。",
      "x509.path_len": "证书链长度超出签发者的限制。",
      "x509.bad_signature": "证书链中某张证书的签名无法验证。",
      "x509.name_constraints": "某个名称违反签发者的名称约束。",
      "x509.policy_constraints": "证书的策略约束不合规范。",
      "x509.critical_extension": "证书含有不支持的关键扩展项。",
      "x509.serial": "证书序列号不合规范。",
      "x509.aki": "证书的颁发机构密钥标识缺失或有误。",
      "x509.ski": "证书的主体密钥标识缺失或有误。",
      "x509.empty_subject": "CA 证书的主体为空。",
      "x509.too_many_names": "证书所含名称数量超出上限。",
      "x509.invalid": "证书链因其他原因无效。",
      "jws.compact": "JWS 为紧凑格式，各部分编码规范。",
      "jws.kid": "JWS 指明了已配置的密钥。",
      "jws.malformed": "不是紧凑格式的 JWS。",
      "jws.base64": "JWS 的某部分不是规范的 base64url 编码。",
      "jws.header": "JWS 头部格式有误或缺少必要项。",
      "jws.crit": "JWS 头部将本网关不认识的扩展标为关键项。",
      "jws.no_key": "JWS 未指明用于验证的密钥。",
      "jws.unknown_kid": "JWS 指明的密钥未经配置。",
      "jws.kid_other": "JWS 头部的 kid 指明的密钥不是其 x5c 签名者的密钥。",
      "jws.x5c": "JWS 的证书链（x5c）缺失或格式有误。",
      "jws.payload": "JWS 的内容不是 JSON 对象。",
      "jws.typ": "JWS 的类型（typ）不正确。",
      "dsig.enveloped": "文件带有一个覆盖全文的内嵌签名。",
      "dsig.digests_match": "所有引用的摘要均相符。",
      "dsig.no_signature": "文件没有 XML 签名。",
      "dsig.multiple_signatures": "文件含有多个 XML 签名。",
      "dsig.misplaced": "签名不在内嵌签名应处的位置。",
      "dsig.structure": "签名结构有误。",
      "dsig.duplicate_id": "有两个元素使用了相同的 Id。",
      "dsig.reference_not_found": "签名引用的内容不存在。",
      "dsig.not_whole_document": "签名未覆盖整个文件。",
      "dsig.overlapping_references": "两个签名引用覆盖了签名的同一部分。",
      "dsig.digest_mismatch": "引用摘要不符：文件已被篡改。",
      "dsig.no_key": "签名中没有可用的密钥或证书。",
      "dsig.xades": "XAdES 签名属性缺失或与签名者不符。",
      "pt.too_few": "结果数量太少，无法评价。",
      "pt.not_finite": "某个结果不是有限数值。",
      "pt.out_of_range": "某个数值超出允许范围。",
      "pt.overflow": "计算溢出。",
      "pt.negative": "不应为负的数值为负。",
      "pt.sigma_pt": "能力评定标准差不可用。",
      "pt.no_convergence": "稳健统计计算未收敛。",
      "pt.homogeneity": "均匀性数据无法检验：样品或重复测量少于 2 个、各样品重复次数不等，或结果超出范围。",
      "pt.stability": "稳定性数据无法检验：某次测量没有结果，或结果超出范围。",
      "pt.not_numeric": "某个结果不是数字。",
      "pt.assigned_value": "指定值不可用。",
      "pt.reference_missing": "参考实验室未报告结果。",
      "pt.reference_no_u": "参考实验室未给出扩展不确定度。",
      "pt.internal": "网关内部错误：某测量项进入了不应进入的评价流程。",
      "pt.document": "能力验证计划、提交或报告文件无法读取。",
      "pt.round_exists": "该轮次已经定义。",
      "pt.round_unknown": "没有该轮次，或该合作方不在其中。",
      "pt.round_closed": "该轮次已关闭。",
      "pt.round_mismatch": "提交的结果属于另一轮次。",
      "pt.partner_unknown": "该轮次的某个合作方不是信任列表中的认可机构。",
      "pt.measurand_unknown": "该轮次没有此测量项。",
      "pt.participant_taken": "另一合作方已为该参加者提交了结果。",
      "pt.participants_not_enrolled": "联合轮次的定义须将每个参加者登记在为其提交结果的合作方名下（Participants）。",
      "pt.participant_not_yours": "该参加者未登记在提交结果的合作方名下（属于另一合作方，或未登记）。",
      "pt.reference_not_yours": "只有本轮的提供方可以为其参考实验室提交结果。",
      "pt.round_open": "该轮仍在进行：结束前其文件仅供运营方查阅。",
      "pt.deadline_passed": "该轮次的截止时间已过。",
      "pt.deadline_not_reached": "该轮次仍在接收结果。",
      "pt.report_missing": "该轮次尚无报告。",
      "pt.replaced": "本次提交替换了该合作方此前的结果。",
      "pt.results_changed": "关闭轮次时结果发生了变化。",
      "csv.syntax": "CSV 格式有误。",
      "csv.header": "CSV 表头缺失或有误。",
      "csv.duplicate": "某个参加者出现了两次。",
      "csv.encoding": "文件不是 UTF-8 文本。",
      "log.index_out_of_range": "序号或所请求的树大小超出日志末尾。",
      "log.bad_sizes": "所请求的树大小没有递增。",
      "log.proof_length": "证明所含哈希数量不对。",
      "log.root_mismatch": "证明无法推导出预期的根哈希。",
      "log.size_mismatch": "树大小与检查点不符。",
      "log.tile_path": "瓦片路径不是 C2SP tlog-tiles 格式。",
      "log.not_witnessed": "尚无检查点获得足够见证方的联署。",
      "log.decision_other": "收据中的条目所记录的决定类型或结论与所给出的不同。",
      "log.actor": "收据中的条目所记录的操作方与所给出的不同（mrgate log verify-receipt --actor）。",
      "log.other_log": "该检查点属于另一个日志：其来源或签名所用的密钥名称与所给出的来源不同（mrgate log verify-receipt、verify-consistency --origin）。",
      "log.witnesses": "联署该检查点的受信见证方少于所要求的数量。",
      "log.stale": "在 --max-age 时限内联署该检查点的受信见证方少于所要求的数量（mrgate log audit）。",
      "log.rolled_back": "存储中的日志短于本网关签署的最新检查点：存储是从较旧的副本恢复的（启动时）。",
      "log.forked": "存储中的日志未延续本网关签署的最新检查点：这是另一个日志的存储，或存储被绕过网关修改（启动时）。",
      "log.high_water": "日志已有条目却缺少高水位标记，或该标记无法读写、不是由本日志密钥签署的检查点，或正由另一个运行中的网关持有（启动时）。",
      "log.not_found": "日志中没有：没有叶哈希与之相符的记录，或该瓦片尚未进入树中。",
      "log.tile_mismatch": "已存储的日志记录与树不再相符（网关自身故障）。",
      "log.tile_not_held": "树的某部分暂不可用。",
      "log.unavailable": "日志暂不可用。",
      "log.entry_malformed": "无法读取日志记录。",
      "log.entry_value": "日志记录含有无法编码的值。",
      "log.checkpoint_malformed": "检查点格式有误。",
      "log.checkpoint_signature": "检查点不是由日志密钥签名的。",
      "log.receipt_malformed": "回执格式有误。",
      "log.leaf_mismatch": "记录内容与回执中的叶哈希不符。",
      "log.document_not_in_entry": "该文件不在日志记录所列文件之中。",
      "witness.request": "add-checkpoint 请求不符合 c2sp.org/tlog-witness 格式。",
      "witness.old_size": "请求中的旧大小大于其检查点的大小。",
      "witness.not_signed": "检查点上没有任何签名能用见证者为该日志信任的密钥验证通过。",
      "witness.unknown_log": "检查点的来源不是该见证者所监看的日志。",
      "witness.size_mismatch": "旧大小不是见证者上次联署的大小（应答中给出该大小）。",
      "witness.inconsistent": "检查点的大小与上次联署的相同，但根哈希不同：日志呈现了分裂视图，已留存为证据。",
      "witness.proof": "一致性证明未能表明该检查点延续了上次联署的检查点（作为线索而非证据留存：证明由发送方选择；每个日志最多 64 条）。",
      "witness.config": "见证者无法启动：其配置、配置中指定的文件或监听地址有问题。",
      "witness.state": "无法打开、读取或写入见证者的状态。",
      "recognition.not_reached": "前一项核验未通过，未进行本项核验。",
      "trust.content": "信任列表内容不合规则。",
      "trust.signer_not_authorized": "信任列表不是由指定的、具有信任列表签名用途的签名者签署的。",
      "trust.list_expired": "信任列表已过下次更新时间，所有决定均暂停作出。",
      "trust.list_not_yet_valid": "信任列表尚未生效。",
      "trust.sequence": "信任列表的序号不比当前已安装的新。",
      "trust.sequence_reused": "已存有相同序号的另一份信任列表。",
      "trust.list_changed": "作出决定期间有更新的信任列表生效，请重新提交。",
      "trust.list_refused": "本节点的配置拒绝最新安装的信任列表：在配置允许之前，本节点不作任何决定。",
      "trust.build": "无法依据说明生成信任列表。",
      "trust.cb_unknown": "该认证机构不在信任列表中。",
      "trust.signer_not_listed": "签名者不是该认证机构登记的密钥。",
      "trust.not_exported": "该文件以本网关自己的密钥签名，但不是本网关导出的文件：导出文件须按导出时的原样逐字节提交验证。",
      "trust.cb_not_granted": "信任列表未将该认证机构列为有效：现在或证书颁发日不持有已授予的签名服务。",
      "trust.body_unknown": "该认可机构不在信任列表中。",
      "trust.mra_active": "该认可机构是此范围内有效的 IAF MLA / ILAC MRA 签约方。",
      "trust.accreditation_unclaimed": "IAF 记录声明其证书为 Unaccredited（未获认可）：不作为获认可证书予以承认。",
      "trust.cb_name_other": "证书所载认证机构名称不是信任列表为该机构所载的名称：所载各名称（名称，以及所载英文名称）须为该机构的标识、列表所载的任一语言名称或商号。",
      "trust.accreditation_other": "证书所声明的认可机构不是信任列表按标识、名称或商号所载的其认证机构的认可机构：可能是列表中的另一机构，或列表未载的名称。",
      "trust.mra_none": "该认可机构在此范围内没有互认资格。",
      "trust.mra_not_yet": "互认资格尚未生效。",
      "trust.mra_suspended": "该认可机构的互认资格已暂停。",
      "trust.mra_withdrawn": "该认可机构的互认资格已撤销。",
      "rules.unsigned": "等价对照表不是紧凑 JWS 格式（只有内置的对照表不带签名）。",
      "rules.typ": "该 JWS 未声明其为等价对照表（typ 应为 mrgate-equivalence-table+jws，cty 应为 toml）。",
      "rules.signature": "等价对照表的签名或签名者到运营方信任锚的证书路径验证失败。",
      "rules.signer": "等价对照表不是由具有 tslSigning 扩展用途的固定信任列表签名者签署的。",
      "rules.sequence": "等价对照表的序号不比已安装的更新。",
      "rules.sequence_reused": "已存储具有此序号的另一份等价对照表。",
      "rules.table_changed": "作出决定期间有更新的等价对照表生效，请重新提交。",
      "rules.unknown_version": "未存储此序号的规则文件。",
      "audit.entry": "日志条目无法读取，或其输入与其类型不符（mrgate log audit）。",
      "audit.rules": "条目引用的规则版本在其日志位置并未生效，或无法读取（mrgate log audit）。",
      "audit.install": "规则文件的安装记录与存储版本不符、验证失败或并非更新版本（mrgate log audit）。",
      "audit.document": "条目引用的文件未被保存，或以其摘要保存的是另一份文件（mrgate log audit）。",
      "audit.verdict": "依据条目所引用的文件和规则版本重新判定，结果与记录不同（mrgate log audit）。",
      "audit.revocation": "按条目所引用的 CRL 集合重新判定，结果成立；但该集合缺少在条目时间之前已发布的撤销信息，计入后结果不同（mrgate log audit）。",
      "audit.output": "决定所产生的文件（出口的证书或凭证、能力验证报告）并非规则由其输入所得，或并非由网关在决定之时签名（mrgate log audit）。",
      "audit.register": "存储中的登记簿与日志所记录的决定形成的登记簿不一致（mrgate log audit）。",
      "audit.tree": "由全部条目重新计算的树根与检查点签署的树根不一致（mrgate log audit）。",
      "audit.fetch": "审计无法从网关获取所需内容（mrgate log audit --url）。",
      "auth.role": "调用方的角色无权执行此操作。",
      "auth.issuer_not_allowed": "客户端证书声明的角色超出其签发者可授予的范围。",
      "auth.not_your_body": "该证书或文件不属于调用方合作机构。",
      "auth.not_your_certificate": "未签名的出口申请超出出口商的授权范围。",
      "export.busy": "等待同一证书其他出口的请求过多，请稍后再试。",
      "rules.refused": "本节点的配置拒绝最新安装的信任列表或等效对照表：在允许之前，不提供任何状态列表。",
      "export.foreign_issuer": "只有经国家认监委批准的（国内）认证机构的证书可以出口。",
      "auth.not_provider": "只有该轮次的组织方可以执行此操作。",
      "notice.fields": "通知的某项缺失或类型有误。",
      "notice.action": "通知的操作不是暂停、撤销、注销或恢复。",
      "notice.iat": "通知的签发时间缺失、无效或在未来。",
      "notice.jti": "通知的标识缺失或格式有误。",
      "notice.number": "通知中的证书编号不是有效的证书编号。",
      "notice.date": "通知的日期格式有误或先后顺序不对。",
      "notice.replayed": "该通知已经生效过。",
      "notice.stale": "该证书已有更新的通知生效，或恢复通知并非在网关自行暂停5分钟之后签发。",
      "notice.transition": "证书当前状态不允许此项变更。",
      "notice.suspend": "一份通知暂停了该证书。",
      "notice.withdraw": "一份通知撤销了该证书。",
      "notice.cancel": "一份通知注销了该证书。",
      "notice.restore": "一份通知恢复了该证书。",
      "register.conflict": "登记簿所载信息不同，或在作出决定期间发生了变化。",
      "register.look_alike": "未签名导出的证书编号与登记簿中同一认证机构的另一编号形近（如 O 与 0、S 与 5）：只有该认证机构签名的文件才能登记它。",
      "register.superseded": "该文件所载信息与登记簿所载不同，且不比登记版本新：已被取代，请出示现行版本（本网关的导出文件：请重新导出）。",
      "register.changed": "核验期间证书的登记状态或信息连续三次发生变化，请重新提交。",
      "register.older_document": "该文件所述事实与登记版本不同，且不是更晚签发的版本（更早或同一天）：不能替换登记版本。",
      "register.unavailable": "无法读取登记簿中的状态，状态按未知处理。",
      "store.database": "数据库暂不可用。",
      "store.not_found": "没有该证书、出口记录或回执。",
      "store.schema_too_new": "数据库由较新版本的 mrgate 写入。",
      "store.rule_set": "共享数据库所依据的规则集与本节点不同：请升级本节点。",
      "store.corrupt": "无法读取已存储的记录（网关自身故障）。",
      "http.empty": "请求没有内容。",
      "http.query": "查询参数缺失、格式有误、重复给出，或不是该操作所接受的参数。",
      "http.path": "路径中的百分号转义有误或不是 UTF-8。",
      "http.streaming": "批量核验须以流式方式提交。",
      "http.not_found": "没有该地址或页面文件。",
      "http.method": "该地址不允许此请求方法。",
      "http.not_acceptable": "无法以所接受的媒体类型应答。",
      "http.request_timeout": "请求内容未在规定时间内到达。",
      "http.too_large": "请求内容或批量中的某一行过大。",
      "http.uri_too_long": "请求地址（路径和查询参数）过长。",
      "http.headers_too_large": "请求头字段过多或过大。",
      "http.rate_limited": "该调用方请求过于频繁。",
      "sign.not_carried": "凭证包含网关不读取的成员，不予签名。",
      "model.text_layout": "证书中的某段文字含有换行，或首尾有空白。",
      "http.reloaded": "请求到达期间网关配置已变更，请重新发送。",
      "http.busy": "网关正忙于读取其他请求，请稍后再试。",
      "http.body_broken": "请求被中途截断。",
      "http.cross_site": "浏览器代其他网站发送了此请求；网关不予执行。",
      "http.internal": "网关处理该请求时出错，未作出任何决定。",
      "batch.line": "批量中的某一行既不是查询也不是文件。",
      "batch.too_many_lines": "批量的行数超出上限。",
      "batch.reloaded": "读取批量时网关配置已更改：自所示行起的各行未作判定；请重新发送。",
      "io.read": "无法读取输入文件。",
      "io.write": "无法写出结果。",
      "usage.at": "--at 时间不符合 RFC 3339 格式。",
      "usage.audit": "mrgate log audit 需要 --config 或 --url；使用 --url 时还需要用于核对的密钥和证书。",
      "usage.trust_anchor": "需要提供信任锚。",
      "usage.witnesses": "--min-witnesses 要求的见证方多于 --witness-key 给出的数量（命令行）。",
      "translate.lossy": "转换会丢失信息：源文件含有模型无法容纳的内容，或目标格式无法承载。",
      "translate.status_unknown": "该凭证的状态记录在状态列表中，转换不读取状态列表，而目标格式必须写明状态。",
      "pki.demo": "无法写出演示用 PKI。",
      "pki.client": "无法签发客户端证书。",
      // reasons:zh:end
    },
    noFacts: "该文件不可信，因此不显示其内容。",
    noFactsRegistered: "登记簿仅持有依其认证机构通知记录的该证书状态：本网关未出口或承认过该证书的文件。",
    lookupLink: "在登记簿中查询该证书：",
    recordedNote: "由网关记录（{origin}）。",
    origin: {
      export: "出口的国内证书",
      "export-unsigned": "按出口商陈述出口的国内证书",
      recognition: "已承认的境外证书",
      notice: "依其认证机构通知记录的状态；未登记该证书的文件",
    },
    check: {
      format: "文件格式", signature: "签名", chain: "签名者证书链",
      accreditation: "认可与互认", standards: "标准", validity: "状态与日期",
    },
    outcome: { pass: "通过", fail: "未通过", skipped: "未核验" },
    fact: {
      number: "证书编号", holder: "获证组织", holder_credit_code: "统一社会信用代码",
      program: "认证项目", scope: "认证范围", standards: "认证依据标准", products: "产品",
      issue_date: "颁证日期", expiry_date: "有效期至", certification_body: "认证机构",
      accreditation: "认可", assessment_level: "互认级别",
    },
    level: {
      GlobalMRA: "属于 IAF MLA / ILAC MRA 互认范围",
      Accredited: "已认可（未声明互认）",
      Unspecified: "未声明认可",
    },
    receipt: {
      none: "该证书没有可用的回执。",
      checking: "正在本浏览器中验证回执……",
      ok: "本次决定已记入公开日志，并已在本浏览器中验证：第 {index} 条记录在日志中，且日志公布的检查点（大小 {published}）延续了回执所依据的检查点（大小 {size}）。",
      bad: "回执验证失败：{why}",
      unsupported: "本浏览器不支持 Ed25519 签名验证，未验证回执。",
      unchecked: "暂时无法验证回执：日志未应答（HTTP {status}）。请稍后再试。",
      index: "记录序号", tree: "签发时树大小", published: "公布的检查点大小", key: "日志密钥",
      kind: "决定", time: "记录时间", leaf: "叶哈希", seen: "本浏览器此前见到的检查点",
    },
    why: {
      decision: "回执记录的不是所显示的这一决定",
      leaf: "记录内容与回执中的叶哈希不符",
      inclusion: "包含证明无法推导出检查点的根哈希",
      signature: "检查点不是由日志密钥签名的",
      size: "回执的树大小与其检查点不符",
      consistency: "公布的检查点没有延续回执的检查点",
      history: "日志公布的检查点与本浏览器此前见到的检查点（大小 {seen}）不属于同一历史：日志呈现了两种不同的视图（两个检查点均保留在下方作为证据）",
      rekeyed: "日志现在使用的密钥或名称与本浏览器此前验证时不同：它可能正在开始另一段历史（两个检查点均保留在下方作为证据）",
      malformed: "回执或检查点格式有误",
    },
  },
};

const STORE_KEY = "mrgate.lang";
let lang = chooseLanguage();
let last = null; // the last result, re-rendered when the language changes

function chooseLanguage() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved === "zh" || saved === "en") return saved;
  } catch (_) { /* storage may be disabled; fall back to the browser's language */ }
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function t(path, vars) {
  let v = path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), TEXT[lang]);
  if (v === undefined) v = path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), TEXT.en);
  if (typeof v !== "string") return path;
  return v.replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] !== undefined ? String(vars[k]) : ""));
}

const $ = (id) => document.getElementById(id);

// Reason codes look like "x509.expired"; the map is keyed by exact code, then by prefix.
function reasonText(code) {
  const map = TEXT[lang].reason;
  return map[code] || map[code.split(".")[0]] || code;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title") + " — mrgate";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang").textContent = t("langButton");
  $("lang").setAttribute("aria-label", t("langHint"));
  if (last) render(last);
}

function formatDate(text) {
  if (!text) return "";
  const onlyDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const d = new Date(onlyDate ? text + "T00:00:00Z" : text);
  if (isNaN(d)) return text;
  const options = onlyDate
    ? { dateStyle: "long", timeZone: "UTC" }
    : { dateStyle: "long", timeStyle: "short" };
  return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", options).format(d);
}

// ---- rendering ----

function render(result) {
  $("error").hidden = true;
  const section = $("result");
  section.hidden = false;
  const headline = result.headline;
  const box = $("headline");
  box.className = "headline " + headline;
  box.dataset.verdict = headline;
  // A refusal leads with its first reason, so the headline alone says why.
  const failed = (result.checks || []).find((c) => c.outcome === "fail");
  const note = headline === "invalid" && failed ? reasonText(failed.reason) : t("headlineNote." + headline);
  box.replaceChildren(t("status." + headline), el("small", {}, note));

  const link = $("link");
  if (result.permalink) {
    $("permalink").firstElementChild.textContent = t(result.kind === "lookup" ? "linkLabel" : "lookupLink");
    link.href = result.permalink;
    link.textContent = new URL(result.permalink, location.href).href;
    $("permalink").hidden = false;
  } else {
    $("permalink").hidden = true;
  }

  const checks = $("checks");
  checks.replaceChildren();
  for (const c of result.checks) {
    const mark = c.outcome === "pass" ? "✓" : c.outcome === "fail" ? "✗" : "–";
    checks.append(el("li", { class: c.outcome, "data-check": c.check },
      el("span", { class: "mark", "aria-hidden": "true" }, mark),
      el("strong", {}, t("check." + c.check) !== "check." + c.check ? t("check." + c.check) : c.check),
      ": " + t("outcome." + c.outcome) + " — " + reasonText(c.reason),
      el("span", { class: "detail" }, (c.messageKey ? t(c.messageKey, { origin: t("origin." + c.origin) }) : c.message) + " [" + c.reason + "]")));
  }

  const facts = $("facts");
  facts.replaceChildren();
  const f = result.facts;
  if (!f) facts.append(el("dd", { class: "detail" }, t(result.noFactsKey || "noFacts")));
  if (f) {
    const add = (key, value) => {
      if (value == null || value === "" || (Array.isArray(value) && value.length === 0)) return;
      facts.append(el("dt", {}, t("fact." + key)), el("dd", { "data-fact": key }, Array.isArray(value) ? value.join("; ") : value));
    };
    add("number", f.number);
    add("holder", lang === "en" && f.holder_en ? f.holder_en : f.holder);
    add("holder_credit_code", f.holder_credit_code);
    add("program", f.program + " (" + f.program_code + ")");
    add("scope", lang === "en" && f.scope_en ? f.scope_en : f.scope);
    add("standards", f.standards);
    add("products", f.products);
    add("issue_date", formatDate(f.issue_date));
    add("expiry_date", formatDate(f.expiry_date));
    add("certification_body", (lang === "en" && f.certification_body_en ? f.certification_body_en : f.certification_body) + " (" + f.certification_body_id + ")");
    add("accreditation", f.accreditation ? f.accreditation.body + " " + f.accreditation.number : null);
    add("assessment_level", t("level." + f.assessment_level));
  }

  const history = $("history");
  history.replaceChildren();
  $("history-card").hidden = !result.history || result.history.length === 0;
  for (const h of result.history || []) {
    history.append(el("tr", {}, el("td", {}, t("status." + h.status)), el("td", {}, formatDate(h.since)), el("td", {}, h.actor)));
  }

  renderReceipt(result);
}

function renderReceipt(result) {
  const status = $("receipt-status");
  const details = $("receipt");
  details.replaceChildren();
  const r = result.receiptCheck;
  status.className = "receipt";
  if (!result.receipt) {
    status.textContent = t("receipt.none");
    status.dataset.state = "none";
    return;
  }
  const rc = result.receipt;
  const add = (key, value) => details.append(el("dt", {}, t("receipt." + key)), el("dd", {}, String(value)));
  add("index", rc.index);
  add("tree", rc.tree_size);
  if (!r) {
    status.textContent = t("receipt.checking");
    status.dataset.state = "checking";
    return;
  }
  status.dataset.state = r.state;
  if (r.state === "ok") {
    status.classList.add("ok");
    status.textContent = t("receipt.ok", { index: rc.index, size: rc.tree_size, published: r.published });
    add("published", r.published);
    add("key", r.keyName);
    add("kind", r.kind);
    add("time", formatDate(r.time));
    add("leaf", rc.leaf_hash);
  } else if (r.state === "unsupported") {
    status.textContent = t("receipt.unsupported");
  } else if (r.state === "unchecked") {
    status.textContent = t("receipt.unchecked", { status: r.status });
  } else {
    status.classList.add("bad");
    status.textContent = t("receipt.bad", { why: t("why." + r.why, { seen: r.evidence ? r.evidence.seenSize : "" }) });
    if (r.evidence) {
      details.append(el("dt", {}, t("receipt.seen")), el("dd", {}, el("pre", { "data-evidence": "seen" }, r.evidence.seen)));
      details.append(el("dt", {}, t("receipt.published")), el("dd", {}, el("pre", { "data-evidence": "published" }, r.evidence.published)));
    }
  }
}

function showError(message) {
  $("result").hidden = true;
  const e = $("error");
  e.textContent = message;
  e.hidden = false;
}

// ---- log receipts, checked here ----

const enc = new TextEncoder();
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
// A log entry's lines of field `k` (`kind recognition`, `input sha256:…`), their values.
const entryField = (text) => {
  const lines = text.split("\n");
  return (k) => lines.filter((l) => l.startsWith(k + " ")).map((l) => l.slice(k.length + 1));
};

// Whether a log entry's text records the decision the page shows: its kind and verdict one
// of those expected, and where given its actor and one of its inputs (the SHA-256 of the
// document sent). Found by attack: any genuine receipt, of any decision, was shown as this
// one's.
function recordsDecision(text, expected) {
  const field = entryField(text);
  const one = (k) => (field(k).length === 1 ? field(k)[0] : null);
  if (!expected.kinds.includes(one("kind")) || !expected.verdicts.includes(one("verdict"))) return false;
  if (expected.actor !== undefined && one("actor") !== expected.actor) return false;
  return expected.input === undefined || field("input").includes("sha256:" + expected.input);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

class ReceiptError extends Error {
  constructor(why, evidence) { super(why); this.why = why; this.evidence = evidence; }
}

// The last published checkpoint this browser verified, kept across visits with the log key
// and origin it was verified under: each new one must extend it (or it the new one), so a log
// that shows this browser one history today and another tomorrow is caught here, whoever
// else it shows what — also when it comes back under another key or origin, which would
// otherwise let it start a fresh history (the old checkpoint is kept as the evidence).
const SEEN_KEY = "mrgate.checkpoint";

class Unchecked extends Error {}

// A proof fetched from the gateway; a failed request (rate limit, 503) means the check could
// not be made now, never that the history forked.
async function fetchProof(from, to) {
  const res = await fetch(`/v1/log/proof/consistency?from=${from}&to=${to}`);
  if (!res.ok) throw new Unchecked(String(res.status));
  return ((await res.json()).hashes || []).map(b64);
}

async function checkSeen(publishedText, published, key) {
  let seen = null;
  try { seen = JSON.parse(localStorage.getItem(SEEN_KEY) || "null"); } catch (_) { seen = null; }
  const keyText = btoa(String.fromCharCode(...key.raw));
  if (seen && typeof seen.note === "string") {
    const evidence = { seen: seen.note, published: publishedText, seenSize: "" };
    if (seen.key !== keyText || seen.origin !== published.origin) throw new ReceiptError("rekeyed", evidence);
    const before = await verifyNote(seen.note, key);
    evidence.seenSize = before.size;
    const [older, newer] = before.size <= published.size ? [before, published] : [published, before];
    const hashes = newer.size > older.size ? await fetchProof(older.size, newer.size) : [];
    try {
      await verifyConsistency(older.size, newer.size, older.root, newer.root, hashes);
    } catch (_) {
      throw new ReceiptError("history", evidence);
    }
    if (before.size > published.size) return;
  }
  const record = { note: publishedText, key: keyText, origin: published.origin };
  try { localStorage.setItem(SEEN_KEY, JSON.stringify(record)); } catch (_) { /* not remembered */ }
}

// RFC 9162 §2.1.3.2: walk the audit path from the leaf up to the root.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) throw new ReceiptError("inclusion");
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new ReceiptError("inclusion");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(r, root)) throw new ReceiptError("inclusion");
}

// RFC 9162 §2.1.4.2: the old root and the new root both follow from one proof.
async function verifyConsistency(from, to, fromRoot, toRoot, proof) {
  // The empty tree is a prefix of every tree, when its root is the empty tree's (found by
  // review: any root passed, as it once did in the gateway's own check, ledger::merkle).
  if (from === 0) {
    const empty = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(0)));
    if (proof.length !== 0 || !equal(fromRoot, empty) || (to === 0 && !equal(toRoot, empty))) {
      throw new ReceiptError("consistency");
    }
    return;
  }
  if (from > to) throw new ReceiptError("consistency");
  if (from === to) {
    if (proof.length !== 0 || !equal(fromRoot, toRoot)) throw new ReceiptError("consistency");
    return;
  }
  const path = (from & (from - 1)) === 0 ? [fromRoot, ...proof] : proof.slice();
  if (path.length === 0) throw new ReceiptError("consistency");
  let fn = from - 1, sn = to - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ReceiptError("consistency");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(fr, fromRoot) || !equal(sr, toRoot)) throw new ReceiptError("consistency");
}

// The log key is PEM SPKI; an Ed25519 SPKI ends with the 32 raw key bytes.
async function logKey() {
  const pem = await (await fetch("/v1/log/key")).text();
  const der = b64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  const key = await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
  return { key, raw: der.slice(der.length - 32) };
}

// A C2SP signed note: "origin\nsize\nroot\n\n— name base64(keyid ‖ signature)\n".
async function verifyNote(note, logKey) {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new ReceiptError("malformed");
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = body.split("\n");
  const root = b64(rootText);
  if (!/^\d+$/.test(sizeText) || root.length !== 32) throw new ReceiptError("malformed");
  for (const line of note.slice(split + 2).split("\n")) {
    if (!line.startsWith("\u2014 ")) continue;
    // c2sp.org/signed-note: a key name has no spaces and no "+", so the first space ends it.
    const rest = line.slice(2);
    const space = rest.indexOf(" ");
    const name = rest.slice(0, space);
    if (space <= 0 || name.includes("+") || /\s/u.test(name)) throw new ReceiptError("malformed");
    const blob = b64(rest.slice(space + 1));
    if (blob.length !== 68) continue;
    const id = (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, 0x01), logKey.raw))).slice(0, 4);
    if (!equal(id, blob.slice(0, 4))) continue;
    if (await crypto.subtle.verify({ name: "Ed25519" }, logKey.key, blob.slice(4), enc.encode(body))) {
      return { origin, size: Number(sizeText), root, name };
    }
  }
  throw new ReceiptError("signature");
}

async function checkReceipt(receipt, expected) {
  let key;
  try {
    key = await logKey();
  } catch (_) {
    return { state: "unsupported" };
  }
  try {
    const entry = b64(receipt.entry);
    const leaf = await leafHash(entry);
    if (!equal(leaf, b64(receipt.leaf_hash))) throw new ReceiptError("leaf");
    const text = new TextDecoder().decode(entry);
    if (!recordsDecision(text, expected)) throw new ReceiptError("decision");
    const issued = await verifyNote(receipt.checkpoint, key);
    if (issued.size !== receipt.tree_size) throw new ReceiptError("size");
    await verifyInclusion(receipt.index, receipt.tree_size, leaf, receipt.hashes.map(b64), issued.root);
    // The receipt's checkpoint must be a prefix of what the log publishes now.
    const res = await fetch("/v1/log/checkpoint");
    // No published checkpoint now (a witnessed log before its first cosignature, a node
    // without its store): the receipt cannot be checked against it now.
    if (!res.ok) throw new Unchecked(String(res.status));
    const publishedText = await res.text();
    const published = await verifyNote(publishedText, key);
    await checkSeen(publishedText, published, key);
    if (published.origin !== issued.origin) throw new ReceiptError("consistency");
    // A witnessed log publishes a checkpoint once its witnesses cosigned it, so a fresh
    // receipt may be ahead of it: then the receipt's checkpoint must extend the published one.
    const [older, newer] = published.size <= issued.size ? [published, issued] : [issued, published];
    const hashes = newer.size > older.size ? await fetchProof(older.size, newer.size) : [];
    await verifyConsistency(older.size, newer.size, older.root, newer.root, hashes);
    const field = entryField(text);
    const [kind = "", time = ""] = [field("kind")[0], field("time")[0]];
    return { state: "ok", published: published.size, keyName: issued.name, kind, time };
  } catch (e) {
    if (e instanceof Unchecked) return { state: "unchecked", status: e.message };
    return { state: "bad", why: e instanceof ReceiptError ? e.why : "malformed", evidence: e.evidence };
  }
}

// ---- actions ----

async function show(result) {
  last = result;
  render(result);
  $("result").focus();
  if (result.receipt) {
    result.receiptCheck = await checkReceipt(result.receipt, result.expected);
    if (last === result) renderReceipt(result);
  }
}

async function problemText(response) {
  try {
    const p = await response.json();
    return p.detail || p.title || String(response.status);
  } catch (_) {
    return String(response.status);
  }
}

async function lookup(issuer, number) {
  if (!issuer || !number) return showError(t("needBoth"));
  const path = `/v1/certificates/${encodeURIComponent(issuer)}/${encodeURIComponent(number)}`;
  const permalink = `#lookup=${encodeURIComponent(issuer)}/${encodeURIComponent(number)}`;
  history.replaceState(null, "", permalink);
  const response = await fetch(path);
  if (response.status === 404) return showError(t("notFound", { issuer, number }));
  if (!response.ok) return showError(t("failed", { detail: await problemText(response) }));
  const c = await response.json();
  const validity = {
    check: "validity",
    outcome: c.headline === "valid" ? "pass" : "fail",
    reason: "status." + c.headline,
    messageKey: "recordedNote",
    origin: c.origin,
  };
  await show({
    kind: "lookup",
    headline: c.headline,
    checks: [validity],
    facts: c.facts,
    noFactsKey: c.origin === "notice" ? "noFactsRegistered" : undefined,
    history: c.history,
    receipt: c.receipt && c.receipt.entry ? c.receipt : null,
    // The receipt of the export or recognition that registered the certificate.
    expected: { kinds: ["export", "recognition"], verdicts: ["exported", "recognized"] },
    permalink,
  });
}

async function verify(documentBytes) {
  if (!documentBytes || documentBytes.length === 0) return showError(t("needDocument"));
  const response = await fetch("/v1/verify/public", { method: "POST", body: documentBytes });
  if (!response.ok) return showError(t("failed", { detail: await problemText(response) }));
  const v = await response.json();
  const headline = v.valid ? "valid" : v.status && v.status !== "valid" && v.status !== "unknown" ? v.status : "invalid";
  const permalink = v.valid && v.issuer && v.number ? `#lookup=${encodeURIComponent(v.issuer)}/${encodeURIComponent(v.number)}` : null;
  await show({
    kind: "verify",
    headline,
    checks: v.checks || [],
    facts: v.facts || null,
    history: [],
    receipt: v.receipt || null,
    // This verification's own entry: of this document, by the public, with this verdict.
    expected: {
      kinds: ["recognition"],
      verdicts: [v.valid ? "valid" : "invalid"],
      actor: "public",
      input: hex(await sha256(documentBytes)),
    },
    permalink,
  });
}

function openFromLocation() {
  const m = /^#lookup=([^/]+)\/(.+)$/.exec(location.hash);
  if (!m) return;
  const issuer = decodeURIComponent(m[1]);
  const number = decodeURIComponent(m[2]);
  $("issuer").value = issuer;
  $("number").value = number;
  lookup(issuer, number);
}

document.addEventListener("DOMContentLoaded", () => {
  applyLanguage();
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem(STORE_KEY, lang); } catch (_) { /* not remembered, still switched */ }
    applyLanguage();
  });
  $("lookup").addEventListener("submit", (e) => {
    e.preventDefault();
    lookup($("issuer").value.trim(), $("number").value.trim());
  });
  $("verify").addEventListener("submit", (e) => {
    e.preventDefault();
    verify(enc.encode($("document").value.trim()));
  });
  const readFile = async (file) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    // Show what was read when it is text; verify the exact bytes either way.
    $("document").value = new TextDecoder().decode(bytes);
    verify(bytes);
  };
  $("file").addEventListener("change", (e) => readFile(e.target.files[0]));
  const drop = $("drop");
  for (const target of [drop, $("document")]) {
    target.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    target.addEventListener("dragleave", () => drop.classList.remove("over"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      readFile(e.dataTransfer.files[0]);
    });
  }
  window.addEventListener("hashchange", openFromLocation);
  openFromLocation();
});
