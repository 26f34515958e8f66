//! UNTP credentials from other issuers than this gateway: DID and https ids, members the CN
//! model has no place for, and the loss report that names each of them. The reference
//! example and released instance are UNTP's own (`MRGATE_CORPUS/untp`); their CN
//! translations are checked with xmllint against the CN schema.

mod common;

use mrgate::formats::{self, Format, FormatError};
use mrgate::model::{ProgramCode, Status};
use mrgate::xml::Limits;
use serde_json::{Value, json};

fn untp_file(name: &str) -> Option<Vec<u8>> {
    let path = common::corpus()?.join("untp").join(name);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// A small credential from another issuer, with DID and https ids as UNTP's examples have.
fn other_issuer() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/"],
        "type": ["DigitalConformityCredential", "VerifiableCredential"],
        "id": "https://cab.example.de/credentials/7f1c",
        "issuer": {"type": ["CredentialIssuer"], "id": "did:web:cab.example.de", "name": "Beispiel Zertifizierung GmbH"},
        "validFrom": "2025-06-01T00:00:00+02:00",
        "validUntil": "2028-05-31T23:59:59+02:00",
        "credentialSubject": {
            "type": ["ConformityAttestation", "Attestation"],
            "id": "https://cab.example.de/attestations/QM-2025-0042",
            "description": "Design and manufacture of pumps",
            "assessorLevel": "3rdParty",
            "assessmentLevel": "GlobalMRA",
            "attestationType": "certification",
            "issuedToParty": {"id": "https://handelsregister.example/HRB-12345", "name": "Pumpen AG", "registeredId": "HRB 12345"},
            "scope": {"type": ["ConformityAssessmentScheme", "Standard"], "id": "https://cab.example.de/schemes/qms", "name": "QMS certification", "issuingParty": {"id": "https://cab.example.de", "name": "Beispiel Zertifizierung GmbH"}},
            "assessment": [{
                "type": ["ConformityAssessment", "Declaration"],
                "id": "https://cab.example.de/assessments/1",
                "conformance": true,
                "conformityTopic": "governance.compliance",
                "referenceStandard": {"type": ["Standard"], "id": "https://www.iso.org/standard/62085.html", "name": "ISO 9001:2015", "issuingParty": {"id": "https://www.iso.org", "name": "ISO"}}
            }]
        }
    })
}

fn read(value: &Value) -> Result<(mrgate::model::Certificate, Vec<String>), FormatError> {
    formats::read(Format::UntpDcc, &serde_json::to_vec(value).expect("json"), &Limits::default())
        .map(|(cert, loss)| (cert, loss.lost))
}

fn refused(value: &Value, code: &str, path: &str) {
    let err = read(value).expect_err("must be refused");
    assert_eq!((err.code(), err.path()), (code, Some(path)), "{err}");
    // `validate` finds it too, first.
    let all = formats::parse_all(Format::UntpDcc, &serde_json::to_vec(value).expect("json"), &Limits::default())
        .expect_err("must be refused");
    assert_eq!((all[0].code(), all[0].path()), (code, Some(path)), "{all:?}");
}

/// A verification or a recognition reads this gateway's profile only: another issuer's
/// credential is refused there (the register is keyed by the profile's ids), however well
/// it translates.
#[test]
fn another_issuers_credential_is_never_verified_as_one_of_ours() {
    let bytes = serde_json::to_vec(&other_issuer()).expect("json");
    assert!(read(&other_issuer()).is_ok());
    let err = formats::parse(Format::UntpDcc, &bytes, &Limits::default()).expect_err("not this profile");
    // In this profile an issuer DID is the gateway's, naming the body beside it; this one
    // names none.
    assert_eq!((err.code(), err.path()), ("format.missing", Some("/issuer/issuerAlsoKnownAs")), "{err}");
}

/// A credential that claims this gateway's profile anywhere (a subject or scheme id in its
/// URNs, an issuer URN) is held to all of it: a DID issuer does not let it drop its status
/// or its unknown members, and an URN issuer cannot name its subject by a URL.
#[test]
fn a_credential_claiming_the_profile_anywhere_is_held_to_all_of_it() {
    let ours = || -> Value {
        let cert = formats::parse(Format::CnXml, include_bytes!("data/cn-qms.xml"), &Limits::default()).expect("cn");
        serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json")
    };
    // A DID issuer over this profile's subject id, without its status: the profile's
    // issuer may be a did:web (the gateway's, naming the body beside it), but its status
    // is still required.
    let mut v = ours();
    v["issuer"]["id"] = "did:web:cab.example".into();
    v.as_object_mut().expect("object").remove("credentialStatus");
    let all = formats::parse_all(Format::UntpDcc, &serde_json::to_vec(&v).expect("json"), &Limits::default())
        .expect_err("refused");
    let found: Vec<Option<&str>> = all.iter().map(|e| e.path()).collect();
    assert_eq!(found, [Some("/credentialStatus")]);
    // This profile's issuer naming its subject by a URL.
    let mut v = ours();
    v["credentialSubject"]["id"] = "https://cab.example/certificates/04925Q10021R0M".into();
    refused(&v, "format.invalid", "/credentialSubject/id");
    // A scheme URN under another issuer's ids: read as this profile, whose DID issuer must
    // name the body beside it.
    let mut v = other_issuer();
    v["credentialSubject"]["scope"]["id"] = "urn:cn:cnca:program:QMS".into();
    refused(&v, "format.missing", "/issuer/issuerAlsoKnownAs");
    let mut v = other_issuer();
    v["issuer"]["id"] = "https://cab.example.de".into();
    v["credentialSubject"]["scope"]["id"] = "urn:cn:cnca:program:QMS".into();
    refused(&v, "format.invalid", "/issuer/id");
}

/// Another issuer's subject id names its certificate by its last path segment, exactly:
/// never upper-cased to fit, never from a query or a fragment — two ids are never one number.
#[test]
fn another_issuers_certificate_number_is_its_ids_last_segment_exactly() {
    let number = |id: &str| {
        let mut v = other_issuer();
        v["credentialSubject"]["id"] = id.into();
        read(&v).map(|(cert, _)| cert.number.as_str().to_string()).map_err(|e| (e.code(), e.path().map(String::from)))
    };
    assert_eq!(number("https://cab.example.de/certificates/2025/QM-7"), Ok("QM-7".to_string()));
    assert_eq!(number("did:example:cab:QM-8"), Ok("QM-8".to_string()));
    let subject = Some("/credentialSubject/id".to_string());
    assert_eq!(number("https://cab.example.de/certificates/qm-7"), Err(("id.certificate_no.charset", subject.clone())));
    assert_eq!(number("https://cab.example.de/certificates/QM-7#it"), Err(("format.invalid", subject.clone())));
    assert_eq!(number("https://cab.example.de/verify?cert=QM-7"), Err(("format.invalid", subject.clone())));
    assert_eq!(number("https://cab.example.de/certificates/"), Err(("id.certificate_no.charset", subject)));
}

#[test]
fn the_untp_reference_example_translates_with_its_losses_listed() {
    let Some(example) = untp_file("dcc-v0.6.0-refimpl-example-data.json") else { return };
    let rendered =
        formats::translate(Format::UntpDcc, Format::CnXml, &example, &Limits::default()).expect("translates");
    let cert = formats::parse(Format::CnXml, &rendered.bytes, &Limits::default()).expect("CN XML reads");
    assert_eq!(cert.number.as_str(), "12345");
    assert_eq!(cert.issuer_id(), "identifiers.example-company.com-12345");
    assert_eq!(cert.program_code, ProgramCode::Product);
    assert_eq!(cert.status, Status::Valid);
    assert_eq!(
        (mrgate::ids::format_date(cert.issue_date), mrgate::ids::format_date(cert.expiry_date)),
        // 12:00 UTC is 20:00 in Beijing: issued on the 15th there, and the last day its
        // validUntil covers whole is the day before.
        ("2024-03-15".to_string(), "2034-03-14".to_string())
    );
    // The holder's business-register number reads, but CN XML has no place for it.
    let (read, _) = formats::read(Format::UntpDcc, &example, &Limits::default()).expect("reads");
    assert_eq!(read.holder.registered_id.as_deref(), Some("90664869327"));
    assert!(rendered.loss.lost.contains(&"Holder/RegisteredId".to_string()));
    let expected = include_str!("data/untp-refimpl-to-cn-loss.txt");
    assert_eq!(rendered.loss.lost.join("\n") + "\n", expected);
    if common::tool("xmllint") {
        let (ok, out) = common::xmllint_schema("cn-certificate.xsd", &rendered.bytes);
        assert!(ok, "{out}");
    }
}

#[test]
fn the_released_instance_translates_and_strict_refuses_it() {
    let Some(instance) = untp_file("dcc-v0.6.0-instance.json") else { return };
    let rendered =
        formats::translate(Format::UntpDcc, Format::CnXml, &instance, &Limits::default()).expect("translates");
    for path in [
        "/credentialSubject/authorisation",
        "/credentialSubject/assessment/conformityTopic",
        "/credentialSubject/assessment/referenceStandard/issuingParty/name",
        "/issuer/id",
        "AssessmentLevel",
    ] {
        assert!(rendered.loss.lost.iter().any(|p| p == path), "{path} not in {:?}", rendered.loss.lost);
    }
    let out = common::mrgate(&["translate", "--strict", "--from", "untp-dcc", "--to", "cn-xml"], &instance);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing is written under --strict");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error[translate.lossy]: -: untp-dcc to cn-xml loses "), "{stderr}");
    assert!(stderr.contains("/credentialSubject/assessment/conformityTopic"), "{stderr}");
}

#[test]
fn another_issuers_credential_reads_with_did_and_https_ids() {
    let (cert, lost) = read(&other_issuer()).expect("reads");
    assert_eq!(cert.issuer_id(), "cab.example.de");
    assert_eq!(cert.number.as_str(), "QM-2025-0042");
    // ISO 9001 names the management-system programme; the scheme's own id is lost.
    assert_eq!(cert.program_code, ProgramCode::Qms);
    // No status mechanism named: valid for its validity period, as the VC data model says.
    assert_eq!(cert.status, Status::Valid);
    // Its dates are days in Beijing: midnight at +02:00 is 06:00 on 1 June there, its issue
    // date; 23:59:59 at +02:00 on 31 May 2028 is 05:59:59 on 1 June there, so 31 May is the
    // last day it covers whole.
    assert_eq!(mrgate::ids::format_date(cert.issue_date), "2025-06-01");
    assert_eq!(mrgate::ids::format_date(cert.expiry_date), "2028-05-31");
    assert_eq!(
        lost,
        [
            "/id",
            "/issuer/id",
            "/validFrom",
            "/validUntil",
            "/credentialSubject/id",
            "/credentialSubject/issuedToParty/id",
            "/credentialSubject/scope/id",
            "/credentialSubject/scope/issuingParty/id",
            "/credentialSubject/scope/issuingParty/name",
            "/credentialSubject/assessment/id",
            "/credentialSubject/assessment/referenceStandard/id",
            "/credentialSubject/assessment/referenceStandard/issuingParty/id",
            "/credentialSubject/assessment/referenceStandard/issuingParty/name",
        ]
    );
}

#[test]
fn another_issuers_ids_that_do_not_map_are_refused() {
    let mut v = other_issuer();
    v["issuer"]["id"] = "did:web:CNCA-R-2002-001".into();
    refused(&v, "id.body_id", "/issuer/id");
    let mut v = other_issuer();
    v["issuer"]["id"] = format!("did:web:{}.example", "a".repeat(64)).into();
    refused(&v, "id.body_id", "/issuer/id");
    let mut v = other_issuer();
    v["issuer"]["id"] = "urn:example:cab".into();
    refused(&v, "format.invalid", "/issuer/id");
    let mut v = other_issuer();
    v["credentialSubject"]["id"] = "urn:example:attestation:1".into();
    refused(&v, "format.invalid", "/credentialSubject/id");
    let mut v = other_issuer();
    v["credentialSubject"]["id"] = "https://cab.example.de/attestations/QM_2025".into();
    refused(&v, "id.certificate_no.charset", "/credentialSubject/id");
    let mut v = other_issuer();
    v["credentialSubject"]["scope"]["id"] = "urn:example:scheme".into();
    refused(&v, "format.invalid", "/credentialSubject/scope/id");
}

#[test]
fn another_issuers_status_and_claims_are_never_read_loosely() {
    // A status mechanism the reader does not know is never read as valid.
    let mut v = other_issuer();
    v["credentialStatus"] = json!({"id": "https://cab.example.de/status/1#9", "type": "RevocationList2020Status"});
    refused(&v, "format.invalid", "/credentialStatus/type");
    // Status-list entries are read, and what they say is not carried: the loss report
    // names them (the lists are the issuer's; a translation refuses such a credential:
    // `a_credential_whose_status_is_in_lists_is_not_translated`).
    let entry = json!({"id": "https://cab.example.de/status/1#94567", "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "94567", "statusListCredential": "https://cab.example.de/status/1"});
    let mut v = other_issuer();
    v["credentialStatus"] = entry.clone();
    let (_, lost) = read(&v).expect("read");
    assert!(lost.iter().any(|p| p.starts_with("/credentialStatus")), "{lost:?}");
    v["credentialStatus"] = json!([entry.clone(), {"type": "BitstringStatusListEntry", "statusPurpose": "message", "statusListIndex": "3", "statusListCredential": "https://cab.example.de/status/2", "statusSize": 2}]);
    assert!(read(&v).is_ok(), "another issuer's purposes and members are as open as the specification");
    for (member, value, path) in [
        ("statusListIndex", json!("-1"), "/credentialStatus/0/statusListIndex"),
        ("statusListIndex", json!("12345678901"), "/credentialStatus/0/statusListIndex"),
        ("statusListIndex", json!(7), "/credentialStatus/0/statusListIndex"),
        ("statusListCredential", json!("http://cab.example.de/status/1"), "/credentialStatus/0/statusListCredential"),
    ] {
        let mut e = entry.clone();
        e[member] = value;
        v["credentialStatus"] = json!([e]);
        let err = read(&v).expect_err("refused");
        assert_eq!(err.path(), Some(path), "{member}: {err}");
    }
    // A status list entry beside a status of another type: every entry must be one.
    v["credentialStatus"] = json!([entry, {"id": "x", "type": "CertificationRegisterStatus", "statusValue": "valid"}]);
    refused(&v, "format.invalid", "/credentialStatus/1/type");
    let mut v = other_issuer();
    v["credentialSubject"]["assessment"][0]["conformance"] = false.into();
    refused(&v, "format.invalid", "/credentialSubject/assessment/0/conformance");
    let mut v = other_issuer();
    v["credentialSubject"]["attestationType"] = "declaration".into();
    refused(&v, "format.invalid", "/credentialSubject/attestationType");
    let mut v = other_issuer();
    v.as_object_mut().expect("object").remove("validUntil");
    refused(&v, "format.missing", "/validUntil");
    let mut v = other_issuer();
    v["credentialSubject"]["assessment"][0].as_object_mut().expect("object").remove("referenceStandard");
    refused(&v, "format.missing", "/credentialSubject/assessment/referenceStandard");
    let mut v = other_issuer();
    v["credentialSubject"]["assessment"][0]["type"] = json!(["Declaration"]);
    refused(&v, "format.invalid", "/credentialSubject/assessment/0/type");
    // The credential itself must state its types; a nested object has the schema's default.
    let mut v = other_issuer();
    v.as_object_mut().expect("object").remove("type");
    refused(&v, "format.missing", "/type");
    let mut v = other_issuer();
    v["credentialSubject"]["assessment"][0].as_object_mut().expect("object").remove("type");
    assert!(read(&v).is_ok());
}

/// Bitstring Status List entries at `index` of the lists `lists` (URLs).
fn list_entries(lists: &[&str], index: u32) -> Value {
    let purposes = ["revocation", "suspension"];
    lists
        .iter()
        .zip(purposes)
        .map(|(list, purpose)| {
            json!({"id": format!("{list}#{index}"), "type": "BitstringStatusListEntry", "statusPurpose": purpose,
                   "statusListIndex": index.to_string(), "statusListCredential": list})
        })
        .collect()
}

/// A credential whose status is in status lists states none of its own, and a translation
/// reads no lists: it refuses the credential rather than write "valid" into a format that
/// states a status — one of this gateway's exports and another issuer's credential alike.
#[test]
fn a_credential_whose_status_is_in_lists_is_not_translated() {
    let limits = Limits::default();
    let cn = formats::parse(Format::CnXml, include_bytes!("data/cn-qms.xml"), &limits).expect("cn");
    let mut own: Value = serde_json::from_slice(&formats::render(Format::UntpDcc, &cn).bytes).expect("json");
    let gateway =
        ["https://gw.example/v1/status-lists/1/revocation", "https://gw.example/v1/status-lists/1/suspension"];
    own["credentialStatus"] = list_entries(&gateway, 94567);
    let mut foreign = other_issuer();
    foreign["credentialStatus"] = list_entries(&["https://cab.example.de/status/1"], 3)[0].clone();
    // Two entries in one list are named once.
    let mut twice = other_issuer();
    twice["credentialStatus"] = json!([
        list_entries(&["https://cab.example.de/status/1"], 3)[0].clone(),
        list_entries(&["https://cab.example.de/status/1"], 4)[0].clone(),
    ]);
    // Under an alias its own context defines, or the full IRI: an entry all the same.
    let mut aliased = other_issuer();
    aliased["@context"]
        .as_array_mut()
        .expect("context")
        .push(json!({"cs": "https://www.w3.org/2018/credentials#credentialStatus"}));
    aliased["cs"] = list_entries(&["https://cab.example.de/status/1"], 3)[0].clone();
    let mut by_iri = other_issuer();
    by_iri["https://www.w3.org/2018/credentials#credentialStatus"] = json!([{
        "type": ["StatusList2021Entry"], "statusPurpose": "revocation", "statusListIndex": "1",
        "statusListCredential": "https://cab.example.de/lists/1"
    }]);
    // (A list named with a control character in it is no credential at all: the reader
    // refuses it where it stands, `intl_errors.rs::json_text_holds_only_characters_xml_allows`.)
    // Many lists: three named, the rest counted.
    let mut many = other_issuer();
    many["credentialStatus"] =
        (0..40).map(|i| list_entries(&[format!("https://cab.example.de/status/{i}").as_str()], 3)[0].clone()).collect();
    let cases = [
        (own, "/credentialStatus/0", gateway.join(", ")),
        (foreign, "/credentialStatus", "https://cab.example.de/status/1".to_string()),
        (twice, "/credentialStatus/0", "https://cab.example.de/status/1".to_string()),
        (aliased, "/cs", "https://cab.example.de/status/1".to_string()),
        (
            by_iri,
            "/https:~1~1www.w3.org~12018~1credentials#credentialStatus/0",
            "https://cab.example.de/lists/1".to_string(),
        ),
        (
            many,
            "/credentialStatus/0",
            "https://cab.example.de/status/0, https://cab.example.de/status/1, https://cab.example.de/status/2 and 37 more"
                .to_string(),
        ),
    ];
    for (credential, path, lists) in &cases {
        let bytes = serde_json::to_vec(credential).expect("json");
        // It reads: a recognition asks the register for the status the lists keep.
        let (read, _) = formats::read(Format::UntpDcc, &bytes, &limits).expect("reads");
        assert_eq!(read.status, Status::Valid, "the model's placeholder, never written out");
        for to in [Format::CnXml, Format::IafXml, Format::IafJson, Format::UntpDcc] {
            let err = formats::translate(Format::UntpDcc, to, &bytes, &limits).expect_err("refused");
            assert_eq!((err.code(), err.path(), err.pos()), ("translate.status_unknown", Some(*path), None));
            assert_eq!(
                err.to_string(),
                format!(
                    "{path}: the credential's status is in status lists ({lists}), which a translation does not \
                     read; {to} states a status, and it would be a guess (the lists tell it; for this gateway's \
                     own exports, POST /v1/verify asks its register)"
                )
            );
        }
        // The command line: exit 1, nothing written, the loss report not written either.
        let dir = tempfile::tempdir().expect("tmp");
        let report = dir.path().join("loss.json");
        let report_arg = report.to_str().expect("utf8");
        let out =
            common::mrgate(&["translate", "--from", "untp-dcc", "--to", "cn-xml", "--loss-report", report_arg], &bytes);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty(), "nothing is written");
        assert!(!report.exists(), "no loss report for a refused translation");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!(
                "error[translate.status_unknown]: -: {path}: the credential's status is in status lists ({lists})"
            )),
            "{stderr}"
        );
        // `validate` reads it, and says its status is unknown, not valid.
        let out = common::mrgate(&["validate", "--format", "untp-dcc", "--at", "2026-01-01"], &bytes);
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert_eq!(
            (out.status.code(), &report["certificate"]["status"], &report["in_force"], &report["findings"][0]["code"]),
            (Some(0), &json!("unknown"), &json!(false), &json!("status.unknown")),
            "{report}"
        );
    }
    // A status of its own (this profile's type) or none at all (another issuer's, valid for
    // its validity period as the VC data model has it): translated, the status written.
    let untp = formats::render(Format::UntpDcc, &cn).bytes;
    let rendered = formats::translate(Format::UntpDcc, Format::CnXml, &untp, &limits).expect("own status");
    assert_eq!(formats::parse(Format::CnXml, &rendered.bytes, &limits).expect("cn").status, cn.status);
    let none = serde_json::to_vec(&other_issuer()).expect("json");
    let rendered = formats::translate(Format::UntpDcc, Format::CnXml, &none, &limits).expect("no status mechanism");
    assert_eq!(formats::parse(Format::CnXml, &rendered.bytes, &limits).expect("cn").status, Status::Valid);
    for bytes in [untp, none] {
        let out = common::mrgate(&["validate", "--format", "untp-dcc", "--at", "2026-01-01"], &bytes);
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert_eq!(
            (&report["certificate"]["status"], &report["in_force"]),
            (&json!("valid"), &json!(true)),
            "{report}"
        );
    }
}

#[test]
fn a_foreign_schemes_programme_is_worked_out_from_its_standards() {
    let of = |standards: &[&str], products| {
        ProgramCode::of_foreign_scheme(&standards.iter().map(|s| s.to_string()).collect::<Vec<_>>(), products)
    };
    assert_eq!(of(&["ISO 9001:2015"], false), ProgramCode::Qms);
    assert_eq!(of(&["EN ISO 14001:2015"], false), ProgramCode::Ems);
    assert_eq!(of(&["ISO/IEC 27001:2022"], false), ProgramCode::Isms);
    assert_eq!(of(&["ISO 27001:2013"], false), ProgramCode::Isms);
    assert_eq!(of(&["ISO/IEC 20000-1:2018"], false), ProgramCode::Itsms);
    // ISO 90012 is not ISO 9001.
    assert_eq!(of(&["ISO 90012"], false), ProgramCode::Service);
    // Products assessed make a product scheme, whatever management-system standard it
    // names beside (a factory's ISO 9001): the body is held to ISO/IEC 17065.
    assert_eq!(of(&["IEC 62133-2:2017"], true), ProgramCode::Product);
    assert_eq!(of(&["ISO 9001:2015", "EN 60335-1"], true), ProgramCode::Product);
    assert_eq!(ProgramCode::Product.accreditation_scope(), "ISO/IEC 17065");
}

/// The signature of a signed CN XML document is dropped by any rendering; a translation
/// says so. The UNTP assessment level has no place in CN XML or IAF.
#[test]
fn a_dropped_signature_and_assessment_level_are_reported() {
    let cn = include_bytes!("data/cn-qms.xml");
    let signed = common::mrgate(
        &["sign", "--format", "cn-xml", "--key", "certs/demo/signing.key", "--cert", "certs/demo/signing.pem"],
        cn,
    );
    assert_eq!(signed.status.code(), Some(0), "{}", String::from_utf8_lossy(&signed.stderr));
    let lost =
        |from, to, bytes: &[u8]| formats::translate(from, to, bytes, &Limits::default()).expect("translates").loss.lost;
    assert_eq!(lost(Format::CnXml, Format::CnXml, &signed.stdout), ["Signature"]);
    assert_eq!(lost(Format::CnXml, Format::CnXml, cn), Vec::<String>::new());
    assert!(lost(Format::CnXml, Format::IafXml, &signed.stdout).contains(&"Signature".to_string()));
    assert!(!lost(Format::CnXml, Format::IafXml, cn).contains(&"AssessmentLevel".to_string()));

    let untp =
        formats::render(Format::UntpDcc, &formats::parse(Format::CnXml, cn, &Limits::default()).expect("cn")).bytes;
    for to in [Format::CnXml, Format::IafXml, Format::IafJson] {
        assert!(lost(Format::UntpDcc, to, &untp).contains(&"AssessmentLevel".to_string()), "{to}");
    }
    assert_eq!(lost(Format::UntpDcc, Format::UntpDcc, &untp), Vec::<String>::new());
}
