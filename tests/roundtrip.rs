//! Property tests: random valid certificates through every format.
//!
//! For each format F: parse(F, render(F, c)) equals c on every field not in F's loss report,
//! and rendering is stable (render(parse(render(c))) == render(c)). And from the domestic
//! side: cn → F → cn returns the same certificate except what F reported lost.

mod common;

use mrgate::formats::{self, Format};
use mrgate::ids::{
    ApprovalNo, BodyId, CccCategory, CertificateNo, CreditCode, DivisionCode, ForeignBodyId, HsCode, PostCode,
};
use mrgate::model::*;
use mrgate::xml::Limits;
use proptest::prelude::*;
use time::{Date, Duration};

const USCC: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Builds a credit code with correct check characters from 16 random choices.
fn credit_code(seed: &[usize]) -> CreditCode {
    let mut s: Vec<u8> = Vec::with_capacity(18);
    s.push(USCC[1 + seed[0] % 9]);
    s.push(USCC[1 + seed[1] % 3]);
    for &d in &seed[2..8] {
        s.push(b'0' + (d % 10) as u8);
    }
    for &d in &seed[8..16] {
        s.push(b"0123456789ABCDEFGHJKLMNPQRTUWXY"[d % 31]);
    }
    let org: u32 = s[8..16]
        .iter()
        .zip([3u32, 7, 9, 10, 5, 8, 4, 2])
        .map(|(&b, w)| if b.is_ascii_digit() { u32::from(b - b'0') * w } else { (u32::from(b - b'A') + 10) * w })
        .sum();
    s.push(match 11 - org % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    });
    let weights = [1u32, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: u32 =
        s.iter().zip(weights).map(|(b, w)| USCC.iter().position(|a| a == b).expect("alphabet") as u32 * w).sum();
    s.push(USCC[((31 - sum % 31) % 31) as usize]);
    CreditCode::parse(std::str::from_utf8(&s).expect("ascii")).expect("generated credit code")
}

fn zh_text() -> impl Strategy<Value = String> {
    "[\u{4e00}-\u{9fa5}]{2,12}"
}

/// Text with XML- and JSON-special characters, trimmed and non-empty.
fn en_text() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 ,.&<>\"'()/-]{0,30}[A-Za-z0-9.)]"
}

fn date() -> impl Strategy<Value = Date> {
    (2003i32..2040, 1u8..=12, 1u8..=28)
        .prop_map(|(y, m, d)| Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d).expect("date"))
}

fn standard() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GB/T 19001-2016/ISO 9001:2015".to_string()),
        Just("GB/T 24001-2016/ISO 14001:2015".to_string()),
        Just("GB 4706.1-2005".to_string()),
        Just("ISO/IEC 27001:2022".to_string()),
    ]
}

fn party() -> impl Strategy<Value = Party> {
    (zh_text(), proptest::option::of(zh_text())).prop_map(|(name, address)| Party { name, address })
}

fn product() -> impl Strategy<Value = Product> {
    (
        zh_text(),
        proptest::option::of(en_text()),
        proptest::option::of("[0-9]{6,10}"),
        proptest::option::of("0[1-9][0-9]{2}"),
    )
        .prop_map(|(name, model, hs, ccc)| Product {
            name,
            model,
            hs_code: hs.map(|h| HsCode::parse(&h).expect("hs")),
            ccc_category: ccc.map(|c| CccCategory::parse(&c).expect("ccc")),
        })
}

prop_compose! {
    fn holder()(
        name in zh_text(),
        name_en in proptest::option::of(en_text()),
        seed in proptest::collection::vec(0usize..1000, 16),
        id_kind in 0u8..4,
        registered in "[A-Z0-9]{5,12}",
        address in proptest::option::of((proptest::option::of("[1-6][1-5][0-9]{4}"), zh_text(), proptest::option::of("[0-9]{6}"))),
        foreign in proptest::bool::weighted(0.3),
    ) -> Holder {
        // A credit code is a domestic holder's; a registration id may be shaped like one.
        let (credit_code, registered_id) = match id_kind {
            0 if !foreign => (Some(credit_code(&seed)), None),
            0 | 1 => (None, Some(registered)),
            3 => (None, Some(credit_code(&seed).as_str().to_string())),
            _ => (None, None),
        };
        Holder {
            name,
            name_en,
            credit_code,
            registered_id,
            country: if foreign { "DE".into() } else { "CN".into() },
            address: address.map(|(division, text, post)| Address {
                division_code: division.map(|d| DivisionCode::parse(&d).expect("division")),
                text,
                post_code: post.map(|p| PostCode::parse(&p).expect("post")),
            }),
        }
    }
}

prop_compose! {
    fn certificate()(
        program_index in 0usize..ProgramCode::ALL.len(),
        serial in "[0-9]{6}",
        general_no in "[A-Z0-9][A-Z0-9/-]{0,20}[A-Z0-9]",
        status_index in 0usize..Status::ALL.len(),
        status_after in proptest::option::of(0i64..2000),
        issue in date(),
        original_back in proptest::option::of(0i64..3000),
        // Within the shortest programme's longest validity (three years).
        valid_days in 1i64..1096,
        cb_name in zh_text(),
        cb_name_en in proptest::option::of(en_text()),
        approval_back in 0i32..20,
        approval_serial in "[0-9]{3,4}",
        accreditation in proptest::option::of(("[A-Z]{3,5}", "[A-Z]{3,5} C[0-9]{3}-[MP]")),
        holder in holder(),
        standards in proptest::collection::vec(standard(), 1..4),
        scope_zh in zh_text(),
        scope_en in proptest::option::of(en_text()),
        sites in proptest::collection::vec(party(), 0..3),
        products in proptest::collection::vec(product(), 0..3),
        manufacturer in proptest::option::of(party()),
        factory in proptest::option::of(party()),
        program in zh_text(),
        foreign_cb in proptest::bool::weighted(0.2),
    ) -> Certificate {
        let program_code = ProgramCode::ALL[program_index];
        let number = if program_code == ProgramCode::Ccc {
            CertificateNo::parse_ccc(&format!("{}010701{serial}", issue.year())).expect("ccc")
        } else {
            CertificateNo::parse_general(&general_no).expect("general")
        };
        let accreditation = accreditation.map(|(body, number)| Accreditation { body, number, country: None });
        // A body is approved before it issues (the model's rule).
        let approval = format!("CNCA-R-{:04}-{approval_serial}", (issue.year() - approval_back).max(2000));
        // A CCC certificate is a CNCA-approved body's, its products of the number's category.
        let foreign_cb = foreign_cb && program_code != ProgramCode::Ccc;
        let mut products = products;
        if program_code == ProgramCode::Ccc {
            for p in &mut products {
                p.ccc_category = p.ccc_category.take().map(|_| CccCategory::parse("0701").expect("ccc"));
            }
        }
        Certificate {
            number,
            category: program_code.category(),
            program,
            program_code,
            status: Status::ALL[status_index],
            status_date: status_after.map(|d| issue + Duration::days(d)),
            issue_date: issue,
            original_issue_date: original_back.map(|d| issue - Duration::days(d)),
            expiry_date: issue + Duration::days(valid_days),
            certification_body: CertificationBody {
                name: cb_name,
                name_en: cb_name_en,
                id: if foreign_cb {
                    BodyId::Foreign(ForeignBodyId::parse("dakks-cb").expect("foreign id"))
                } else {
                    BodyId::Cnca(ApprovalNo::parse(&approval).expect("approval"))
                },
                accreditation: accreditation.clone(),
            },
            holder,
            standards,
            scope_zh,
            scope_en,
            sites,
            // Only a product certification assesses products (the model's rule).
            products: if program_code.category() == Category::Product { products } else { Vec::new() },
            manufacturer,
            factory,
            sectors: Vec::new(),
            assessment_level: AssessmentLevel::stated_by(accreditation.as_ref()),
        }
    }
}

/// Clears from a certificate every field a loss report names. An unknown path fails the
/// test: every path a renderer can report must mean something here.
fn erase(mut c: Certificate, lost: &[String]) -> Certificate {
    for path in lost {
        match path.as_str() {
            "StatusDate" => c.status_date = None,
            "OriginalIssueDate" => c.original_issue_date = None,
            "Holder/NameEn" => c.holder.name_en = None,
            "Holder/RegisteredId" => c.holder.registered_id = None,
            "Holder/Address/DivisionCode" => {
                if let Some(a) = &mut c.holder.address {
                    a.division_code = None;
                }
            }
            "Holder/Address/PostCode" => {
                if let Some(a) = &mut c.holder.address {
                    a.post_code = None;
                }
            }
            // Without its text the address is gone as a whole.
            "Holder/Address/Text" => c.holder.address = None,
            "Holder/Country" => c.holder.country = "CN".into(),
            "CertificationBody/Accreditation/Country" => {
                if let Some(a) = &mut c.certification_body.accreditation {
                    a.country = None;
                }
            }
            "Sites/Site/Address" => c.sites.iter_mut().for_each(|s| s.address = None),
            "Products/Product/Name" => c.products.clear(),
            "Products/Product/Model" => c.products.iter_mut().for_each(|p| p.model = None),
            "Products/Product/HSCode" => c.products.iter_mut().for_each(|p| p.hs_code = None),
            "Products/Product/CCCCategory" => c.products.iter_mut().for_each(|p| p.ccc_category = None),
            "Manufacturer/Name" => c.manufacturer = None,
            "Manufacturer/Address" => {
                if let Some(m) = &mut c.manufacturer {
                    m.address = None;
                }
            }
            "Factory/Name" => c.factory = None,
            "Factory/Address" => {
                if let Some(f) = &mut c.factory {
                    f.address = None;
                }
            }
            "Sectors" => c.sectors.clear(),
            other => panic!("loss report names an unknown path: {other}"),
        }
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_format_round_trips_what_it_does_not_report_lost(cert in certificate()) {
        prop_assert!(cert.check().is_ok(), "generator made an invalid certificate: {:?}", cert.check());
        for format in Format::ALL {
            let rendered = formats::render(format, &cert);
            let back = formats::parse(format, &rendered.bytes, &Limits::default())
                .map_err(|e| TestCaseError::fail(format!("{format}: {e}\n{}", String::from_utf8_lossy(&rendered.bytes))))?;
            prop_assert_eq!(&back, &erase(cert.clone(), &rendered.loss.lost), "{}", format);
            // From an already-parsed tree (recognition's path) the same certificate is read;
            // a JSON format has no tree to read.
            let tree = mrgate::xml::parse(&rendered.bytes, &Limits::default());
            match (format, tree) {
                (Format::CnXml | Format::IafXml, Ok(root)) => {
                    let from_tree = formats::parse_tree(format, &root);
                    prop_assert_eq!(from_tree.as_ref(), Ok(&back), "{}", format);
                }
                (Format::UntpDcc | Format::IafJson, tree) => {
                    prop_assert!(tree.is_err(), "{} parsed as XML", format);
                    let root = mrgate::xml::parse(b"<x/>", &Limits::default()).expect("xml");
                    let refused = formats::parse_tree(format, &root).map_err(|e| e.to_string());
                    prop_assert_eq!(refused, Err(format!("/: {format} is not an XML format")));
                }
                (_, Err(e)) => prop_assert!(false, "{}: {}", format, e),
            }
            // Stable: rendering what was parsed gives the same bytes.
            prop_assert_eq!(formats::render(format, &back).bytes, rendered.bytes, "{} not stable", format);
        }
    }

    #[test]
    fn cn_to_international_to_cn_keeps_every_carried_field(cert in certificate()) {
        // Start from what CN XML carries of the random certificate: the domestic original.
        let cn = formats::render(Format::CnXml, &cert);
        let domestic = formats::parse(Format::CnXml, &cn.bytes, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for format in [Format::UntpDcc, Format::IafXml, Format::IafJson] {
            let out = formats::render(format, &domestic);
            let intl = formats::parse(format, &out.bytes, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back_bytes = formats::render(Format::CnXml, &intl);
            let back = formats::parse(Format::CnXml, &back_bytes.bytes, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, erase(domestic.clone(), &out.loss.lost), "cn -> {} -> cn", format);
        }
    }

    #[test]
    fn assessment_level_and_sectors_travel_where_they_can(cert in certificate(), mra in any::<bool>()) {
        let mut cert = cert;
        cert.assessment_level = if mra { AssessmentLevel::GlobalMRA } else { AssessmentLevel::Accredited };
        cert.sectors = vec![Sector { code: "19".into(), name: Some("Electrical and optical equipment".into()) }];
        let untp = formats::parse(Format::UntpDcc, &formats::render(Format::UntpDcc, &cert).bytes, &Limits::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(untp.assessment_level, cert.assessment_level);
        let iaf = formats::parse(Format::IafXml, &formats::render(Format::IafXml, &cert).bytes, &Limits::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(iaf.sectors, cert.sectors.clone());
        prop_assert!(formats::render(Format::CnXml, &cert).loss.lost.contains(&"Sectors".to_string()));
    }
}

/// A certificate that names no accreditation states none in any format, read from any: its
/// UNTP credential says `Unspecified` where its IAF record says `Unaccredited` (found by
/// attack: the credential said `Accredited`), and one naming an accreditation says
/// `Accredited` in both.
#[test]
fn a_certificate_without_accreditation_states_none_in_every_format() {
    let good = include_str!("data/cn-qms.xml");
    let start = good.find("<Accreditation>").expect("the fixture names one");
    let end = good.find("</Accreditation>").expect("its end") + "</Accreditation>".len();
    let without = format!("{}{}", &good[..start], &good[end..]);
    for (doc, level, status) in [(without.as_str(), "Unspecified", "Unaccredited"), (good, "Accredited", "Accredited")]
    {
        let cert = formats::parse(Format::CnXml, doc.as_bytes(), &Limits::default()).expect("CN XML");
        assert_eq!(cert.assessment_level.as_str(), level);
        let untp: serde_json::Value =
            serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("credential");
        assert_eq!(untp["credentialSubject"]["assessmentLevel"], level);
        let iaf = String::from_utf8(formats::render(Format::IafXml, &cert).bytes).expect("record");
        assert!(iaf.contains(&format!("<accreditation_status>{status}</accreditation_status>")), "{iaf}");
        for format in Format::ALL {
            let back = formats::parse(format, &formats::render(format, &cert).bytes, &Limits::default()).expect("back");
            assert_eq!(back.assessment_level.as_str(), level, "{format}");
        }
    }
}

/// A change to a credential the UNTP schema allows, whether the CN model can hold it, and
/// (when it cannot) the loss-report path naming it; and whether this gateway's own profile
/// reads it (it refuses a member it does not read, where another issuer's may carry one).
struct Change {
    name: &'static str,
    lost: Option<&'static str>,
    in_profile: bool,
    apply: fn(&mut serde_json::Value, &str),
}

/// Changes another issuer's credential may well carry. Each lost one the reader must
/// report by exactly its path; each held one must change the certificate read.
const CHANGES: [Change; 13] = [
    Change {
        name: "credential id",
        lost: Some("/id"),
        in_profile: true,
        apply: |v, t| v["id"] = format!("https://cab.example/credentials/{}", t.len()).into(),
    },
    Change {
        name: "conformity topic",
        lost: Some("/credentialSubject/assessment/conformityTopic"),
        in_profile: true,
        apply: |v, _| v["credentialSubject"]["assessment"][0]["conformityTopic"] = "environment.energy".into(),
    },
    Change {
        name: "assessment id",
        lost: Some("/credentialSubject/assessment/id"),
        in_profile: true,
        apply: |v, _| v["credentialSubject"]["assessment"][0]["id"] = "https://cab.example/assessments/1".into(),
    },
    Change {
        name: "status id",
        lost: Some("/credentialStatus/id"),
        in_profile: true,
        apply: |v, _| v["credentialStatus"]["id"] = "https://cab.example/status/1".into(),
    },
    Change {
        name: "standard's issuing party",
        lost: Some("/credentialSubject/assessment/referenceStandard/issuingParty/name"),
        in_profile: true,
        apply: |v, t| {
            v["credentialSubject"]["assessment"][0]["referenceStandard"]["issuingParty"]["name"] =
                format!("Body {t}").into()
        },
    },
    Change {
        name: "scheme's issuing party",
        lost: Some("/credentialSubject/scope/issuingParty/name"),
        in_profile: true,
        apply: |v, t| v["credentialSubject"]["scope"]["issuingParty"]["name"] = format!("Owner {t}").into(),
    },
    Change {
        name: "time of validFrom",
        lost: Some("/validFrom"),
        in_profile: true,
        apply: |v, _| {
            let from = v["validFrom"].as_str().unwrap_or_default().replace("T00:00:00", "T09:30:15");
            v["validFrom"] = from.into();
        },
    },
    Change {
        name: "assessment date",
        lost: Some("/credentialSubject/assessment/assessmentDate"),
        in_profile: false,
        apply: |v, _| v["credentialSubject"]["assessment"][0]["assessmentDate"] = "2024-03-15".into(),
    },
    Change {
        name: "holder description",
        lost: Some("/credentialSubject/issuedToParty/description"),
        in_profile: false,
        apply: |v, t| v["credentialSubject"]["issuedToParty"]["description"] = t.into(),
    },
    Change {
        name: "another context",
        lost: Some("/@context"),
        in_profile: false,
        apply: |v, _| {
            if let Some(list) = v["@context"].as_array_mut() {
                list.push("https://cab.example/context.jsonld".into());
            }
        },
    },
    Change {
        name: "holder name",
        lost: None,
        in_profile: true,
        apply: |v, t| v["credentialSubject"]["issuedToParty"]["name"] = t.into(),
    },
    Change {
        name: "scope",
        lost: None,
        in_profile: true,
        apply: |v, t| v["credentialSubject"]["description"] = format!("范围 {t}").into(),
    },
    Change {
        name: "types reordered",
        lost: None,
        in_profile: true,
        apply: |v, _| v["type"] = serde_json::json!(["VerifiableCredential", "DigitalConformityCredential"]),
    },
];

/// The credential as another issuer would write it: a DID issuer, https subject and
/// scheme ids.
fn as_another_issuers(value: &mut serde_json::Value, number: &str) {
    value["issuer"]["id"] = "did:web:cab.example".into();
    value["credentialSubject"]["id"] = format!("https://cab.example/certificates/{number}").into();
    value["credentialSubject"]["scope"]["id"] = "https://cab.example/schemes/1".into();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// For credentials valid against the UNTP schema (ours, or as another issuer writes
    /// them, changed the ways credentials differ): read → write → read loses exactly what
    /// the first read's loss report lists, and nothing else — the second read reports
    /// nothing and reads the same. A change this gateway's profile does not read is
    /// refused in it, never ignored.
    #[test]
    fn untp_read_write_read_loses_exactly_what_is_reported(
        cert in certificate(),
        other in any::<bool>(),
        chosen in proptest::collection::vec(any::<bool>(), CHANGES.len()),
        text in en_text(),
    ) {
        let Some(validator) = common::dcc_validator() else { return Ok(()) };
        // Another issuer's number is its subject id's last path segment.
        prop_assume!(!other || !cert.number.as_str().contains('/'));
        let mut value: serde_json::Value = serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
        let read_value = |value: &serde_json::Value| {
            formats::read(Format::UntpDcc, &serde_json::to_vec(value).expect("json"), &Limits::default())
        };
        // What converting to another issuer's ids loses, before any change.
        let mut expected: Vec<String> = Vec::new();
        if other {
            as_another_issuers(&mut value, cert.number.as_str());
            let (_, baseline) = read_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for path in ["/issuer/id", "/credentialSubject/id", "/credentialSubject/scope/id"] {
                prop_assert!(baseline.lost.iter().any(|p| p == path), "{} not in {:?}", path, baseline.lost);
            }
            expected = baseline.lost;
        }
        let applied: Vec<&Change> = CHANGES.iter().zip(&chosen).filter(|(_, on)| **on).map(|(c, _)| c).collect();
        for change in &applied {
            (change.apply)(&mut value, &text);
        }
        let errors = common::schema_errors(&validator, &value);
        prop_assert!(errors.is_empty(), "the changed credential must stay schema-valid: {:?}", errors);

        if !other && applied.iter().any(|c| !c.in_profile) {
            let refused = read_value(&value).map(drop).map_err(|e| e.to_string());
            // A member it does not read, or a context it does not write.
            let refused_so = |e: &String| e.ends_with("unexpected field") || e.ends_with("\"] in this profile");
            prop_assert!(refused.as_ref().is_err_and(refused_so), "{:?}", refused);
            return Ok(());
        }
        let (read, loss) = read_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        expected.extend(applied.iter().filter_map(|c| c.lost).map(String::from));
        expected.sort_unstable();
        expected.dedup();
        let mut reported = loss.lost.clone();
        reported.sort_unstable();
        prop_assert_eq!(reported, expected, "changes: {:?}", applied.iter().map(|c| c.name).collect::<Vec<_>>());
        if applied.iter().any(|c| c.name == "holder name") {
            prop_assert_eq!(&read.holder.name, &text);
        }

        let written = formats::render(Format::UntpDcc, &read).bytes;
        let (again, loss) = formats::read(Format::UntpDcc, &written, &Limits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(loss.is_empty(), "a written credential reads back whole: {:?}", loss.lost);
        prop_assert_eq!(again, read);
    }
}
