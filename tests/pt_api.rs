//! Proficiency testing through the gateway: a joint round defined by one partner, results
//! from two partners' participants, the deadline, closing, and the signed report in each
//! form — and every way a round document or a submission is refused.

mod common;

use base64::Engine;
use common::gateway::{DEMO, Refusing, Response, call, call_with, config, domestic_certificate, token};
use mrgate::clock::{Clock, OffsetClock};
use mrgate::crypto::keys::SigningKey;
use mrgate::crypto::x509::read_certificates;
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::pt::exchange::{
    self, Assigned, Enrolment, HomogeneitySample, Item, Measurand, Round, Submission, SubmittedResult,
};
use mrgate::pt::stats::{self, Stop};
use mrgate::server::{App, Running, start};
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use time::OffsetDateTime;

fn signer(body: &str, name: &str) -> (SigningKey, Vec<CertificateDer<'static>>) {
    let dir = format!("{DEMO}/foreign/{body}");
    let key = SigningKey::from_pkcs8(&std::fs::read(format!("{dir}/{name}.key")).expect("key")).expect("pkcs8");
    let chain = read_certificates(&std::fs::read(format!("{dir}/{name}.pem")).expect("cert")).expect("pem");
    (key, chain)
}

fn signed_by(body: &str, text: &str) -> Vec<u8> {
    let (key, chain) = signer(body, "signer");
    mrgate::crypto::xmldsig::sign(text, &key, &chain).expect("sign").into_bytes()
}

fn measurand(id: &str, assigned: Assigned, sigma_pt: Option<f64>) -> Measurand {
    Measurand {
        id: id.into(),
        name: format!("{id} name"),
        unit: "mg/kg".into(),
        item: Some("S1".into()),
        assigned,
        sigma_pt,
        homogeneity: vec![],
    }
}

/// Moves the gateway's clock into the second after `deadline` (decisions are made to the
/// second): no test sleeps through a real deadline.
fn pass(clock: &OffsetClock, deadline: OffsetDateTime) {
    let left = deadline - clock.now() + time::Duration::milliseconds(1300);
    if left.is_positive() {
        clock.advance(left);
    }
}

/// A joint round of DAkkS with UKAS, closing `seconds` from now.
fn round(id: &str, seconds: i64) -> Round {
    Round {
        id: id.into(),
        scheme: "Heavy metals in soil".into(),
        provider: "dakks".into(),
        partners: vec!["dakks".into(), "ukas".into()],
        participants: enrolled(&[
            ("dakks", &["DE-1", "DE-2", "DE-3", "DE-4", "DE-REF"]),
            ("ukas", &["GB-1", "GB-2", "GB-3", "GB-4", "GB-5", "GB-REF"]),
        ]),
        deadline: (OffsetDateTime::now_utc() + time::Duration::seconds(seconds)).replace_nanosecond(0).expect("ns"),
        items: vec![Item { id: "S1".into(), description: "soil".into() }],
        measurands: vec![
            measurand("Pb", Assigned::AlgorithmA { stop: Stop::Converge }, None),
            Measurand {
                homogeneity: homogeneity_study(),
                ..measurand("Cd", Assigned::Reference { value: 2.0, u: 0.05 }, Some(0.2))
            },
            measurand("Cmp", Assigned::Bilateral { reference: "DE-REF".into() }, None),
        ],
    }
}

/// Laboratories enrolled, by the partner that submits for them.
fn enrolled(by_partner: &[(&str, &[&str])]) -> Vec<Enrolment> {
    let enrolment = |partner: &str, lab: &str| Enrolment { participant: lab.into(), partner: partner.into() };
    by_partner.iter().flat_map(|(partner, labs)| labs.iter().map(move |lab| enrolment(partner, lab))).collect()
}

/// The provider's homogeneity study for cadmium: three samples measured twice.
fn homogeneity_study() -> Vec<HomogeneitySample> {
    [("H1", [2.01, 2.03]), ("H2", [1.98, 2.0]), ("H3", [2.02, 2.02])]
        .into_iter()
        .map(|(id, results)| HomogeneitySample { id: id.into(), results: results.to_vec() })
        .collect()
}

fn result(participant: &str, measurand: &str, value: f64, u: Option<f64>, big_u: Option<f64>) -> SubmittedResult {
    SubmittedResult {
        participant: participant.into(),
        measurand: measurand.into(),
        value,
        u,
        expanded: big_u,
        k: big_u.map(|_| 2.0),
        method: Some("ICP-MS".into()),
    }
}

fn submission(round: &str, submitter: &str, results: Vec<SubmittedResult>) -> String {
    exchange::write_submission(&Submission { round: round.into(), submitter: submitter.into(), results })
}

/// A gateway whose clock the test moves.
async fn gateway() -> (Running, tempfile::TempDir, Arc<OffsetClock>) {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = Arc::new(OffsetClock::new());
    let app =
        App::load_with_clock(config(dir.path()), Arc::clone(&clock) as Arc<dyn mrgate::clock::Clock>).expect("app");
    let running = start(Arc::new(app)).await.expect("start");
    (running, dir, clock)
}

async fn post(running: &Running, path: &str, body: Vec<u8>, client: &str) -> Response {
    call(running.addr, "POST", path, body, Some(client), None).await
}

fn reason(r: &Response) -> String {
    r.json()["reason"].as_str().unwrap_or_default().to_string()
}

/// The size of the gateway's log, from its signed checkpoint's second line.
async fn log_size(running: &Running) -> u64 {
    let checkpoint = call(running.addr, "GET", "/v1/log/checkpoint", vec![], None, None).await;
    let text = String::from_utf8_lossy(&checkpoint.body).to_string();
    text.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("no log size in {text}"))
}

/// A refusal of a partner's signed document, logged as its step refused for `code` (found by
/// attack: PT refusals left no trace, where a recognition's and a notice's are logged).
fn refused_and_logged(r: &Response, status: u16, code: &str, kind: &str, partner: &str) -> Entry {
    refused(r, status, code);
    let entry = logged(&r.json()["receipt"]);
    assert_eq!(
        (
            entry.kind.as_str(),
            entry.actor.as_str(),
            entry.verdict.as_str(),
            entry.reasons.as_slice(),
            entry.outputs.len()
        ),
        (kind, format!("partner:{partner}").as_str(), "refused", &[code.to_string()][..], 0)
    );
    entry
}

/// The log entry a receipt carries.
fn logged(receipt: &serde_json::Value) -> Entry {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(receipt["entry"].as_str().unwrap_or_else(|| panic!("no entry in {receipt}")))
        .expect("base64");
    Entry::decode(&bytes).expect("entry")
}

#[track_caller]
fn refused(r: &Response, status: u16, code: &str) {
    assert_eq!((r.status, reason(r).as_str()), (status, code), "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.content_type, "application/problem+json");
}

/// What `partner` is told of round `id` on each route that names a round: (the route, the
/// status, the reason, the detail), the id written `{id}` in the route and the detail.
async fn told_of_round(gw: &Running, id: &str, partner: &str) -> Vec<(String, u16, String, String)> {
    let results = signed_by(partner, &submission(id, partner, vec![result("X-1", "Pb", 1.0, None, None)]));
    let client = format!("partner-{partner}");
    let mut told = Vec::new();
    for (method, path, body) in [
        ("GET", format!("/v1/pt/rounds/{id}"), vec![]),
        ("GET", format!("/v1/pt/rounds/{id}/report"), vec![]),
        ("POST", format!("/v1/pt/rounds/{id}/results"), results),
        ("POST", format!("/v1/pt/rounds/{id}/results"), vec![]),
        ("POST", format!("/v1/pt/rounds/{id}/close"), vec![]),
    ] {
        let r = call(gw.addr, method, &path, body, Some(&client), None).await;
        let detail = r.json()["detail"].as_str().unwrap_or_default().replace(id, "{id}");
        told.push((format!("{method} {}", path.replace(id, "{id}")), r.status, reason(&r), detail));
    }
    told
}

/// A partner outside a round is told of it word for word what it is told of a round that
/// does not exist, on every route that names one, open, past its deadline and reported
/// alike, and nothing of its tries is logged (found by review: 403 `auth.not_in_round` for
/// another's round against 404 for an unknown id let a partner list the rounds defined,
/// and a close named the round's provider). A partner in the round is told why it may not
/// close it; the operator, which rounds there are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_learns_nothing_of_a_round_it_is_not_in() {
    let (gw, _dir, clock) = gateway().await;
    let def = round("JR-1", 6);
    let r = post(&gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&def)), "partner-dakks").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let before = log_size(&gw).await;

    let unknown = told_of_round(&gw, "JR-9", "anab").await;
    let routes = ["GET {id}", "GET {id}/report", "POST {id}/results", "POST {id}/results", "POST {id}/close"];
    let expected: Vec<_> = routes
        .iter()
        .map(|route| {
            let route = route.replace("{id}", "/v1/pt/rounds/{id}");
            (route, 404, "pt.round_unknown".to_string(), "no round '{id}' that 'anab' is in".to_string())
        })
        .collect();
    assert_eq!(unknown, expected);
    assert_eq!(told_of_round(&gw, "JR-1", "anab").await, unknown, "open");
    // The provider and a partner in the round are told otherwise: it is there.
    refused(&post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-dakks").await, 409, "pt.deadline_not_reached");
    let shown = call(gw.addr, "GET", "/v1/pt/rounds/JR-1", vec![], Some("partner-ukas"), None).await;
    assert_eq!(shown.status, 200);

    pass(&clock, def.deadline);
    assert_eq!(told_of_round(&gw, "JR-1", "anab").await, unknown, "past its deadline");
    assert_eq!(log_size(&gw).await, before, "an outsider's tries are not logged");
    // In the round, not its provider: refused for that.
    refused(&post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-ukas").await, 403, "auth.not_provider");
    let closed = post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-dakks").await;
    assert_eq!(closed.status, 201, "{}", String::from_utf8_lossy(&closed.body));
    assert_eq!(told_of_round(&gw, "JR-1", "anab").await, unknown, "reported");

    // The operator is told which rounds there are.
    let none = call(gw.addr, "GET", "/v1/pt/rounds/JR-9", vec![], Some("operator"), None).await;
    refused(&none, 404, "pt.round_unknown");
    assert_eq!(none.json()["detail"], "no round 'JR-9'");
    assert_eq!(call(gw.addr, "GET", "/v1/pt/rounds/JR-1", vec![], Some("operator"), None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joint_round_from_definition_to_signed_report() {
    let (gw, dir, clock) = gateway().await;
    let def = round("JR-1", 6);
    let r = post(&gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&def)), "partner-dakks").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], "JR-1");
    assert_eq!(r.json()["round"]["partners"], serde_json::json!(["dakks", "ukas"]));
    let defined = logged(&r.json()["receipt"]);

    let de = vec![
        result("DE-1", "Pb", 50.0, Some(0.9), None),
        result("DE-2", "Pb", 49.8, None, Some(2.0)),
        result("DE-3", "Pb", 50.6, Some(1.1), None),
        result("DE-4", "Pb", 58.9, None, None),
        result("DE-1", "Cd", 2.01, Some(0.04), None),
        result("DE-2", "Cd", 2.12, None, Some(0.1)),
        result("DE-3", "Cd", 1.98, None, None),
        result("DE-REF", "Cmp", 10.0, None, Some(0.2)),
    ];
    let gb = vec![
        result("GB-1", "Pb", 50.1, Some(0.8), None),
        result("GB-2", "Pb", 49.5, None, Some(1.8)),
        result("GB-3", "Pb", 47.9, None, None),
        result("GB-1", "Cd", 2.07, None, Some(0.08)),
        result("GB-2", "Cd", 2.65, Some(0.05), None),
        result("GB-REF", "Cmp", 10.3, None, Some(0.25)),
    ];
    let path = "/v1/pt/rounds/JR-1/results";
    let r = post(&gw, path, signed_by("dakks", &submission("JR-1", "dakks", de)), "partner-dakks").await;
    assert_eq!((r.status, r.json()["accepted"].as_u64()), (201, Some(8)), "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["replaced"], serde_json::json!([]));
    let r = post(&gw, path, signed_by("ukas", &submission("JR-1", "ukas", gb)), "partner-ukas").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    // DE-1 corrects its lead result: the new value replaces the old, which is reported.
    let fix = submission("JR-1", "dakks", vec![result("DE-1", "Pb", 51.2, Some(0.9), None)]);
    let r = post(&gw, path, signed_by("dakks", &fix), "partner-dakks").await;
    assert_eq!(r.status, 201);
    let replaced = &r.json()["replaced"];
    assert_eq!(replaced.as_array().map(Vec::len), Some(1), "{replaced}");
    assert_eq!(
        (replaced[0]["participant"].as_str(), replaced[0]["previous"]["value"].as_f64()),
        (Some("DE-1"), Some(50.0))
    );

    // UKAS may not submit for a DAkkS participant, submitted or not yet; nothing of that
    // submission is kept. Which partner enrolled it is not told before the round closes.
    for grabbed in ["DE-2", "DE-4"] {
        let grab = submission(
            "JR-1",
            "ukas",
            vec![result("GB-4", "Pb", 1.0, None, None), result(grabbed, "Pb", 1.0, None, None)],
        );
        let taken = post(&gw, path, signed_by("ukas", &grab), "partner-ukas").await;
        refused_and_logged(&taken, 403, "pt.participant_not_yours", "pt-results", "ukas");
        assert_eq!(
            taken.json()["detail"].as_str(),
            Some(format!("participant '{grabbed}' is not enrolled in round 'JR-1' under 'ukas'").as_str())
        );
    }

    // The round's state, for a partner in it: open, with the three submissions received.
    let shown = call(gw.addr, "GET", "/v1/pt/rounds/JR-1", vec![], Some("partner-ukas"), None).await;
    assert_eq!((shown.status, shown.json()["state"].as_str()), (200, Some("open")));
    let submitters: Vec<_> =
        shown.json()["submissions"].as_array().expect("subs").iter().map(|s| s["submitter"].clone()).collect();
    assert_eq!(submitters, ["dakks", "ukas", "dakks"]);
    refused(
        &call(gw.addr, "GET", "/v1/pt/rounds/JR-1", vec![], Some("partner-anab"), None).await,
        404,
        "pt.round_unknown",
    );
    refused(&call(gw.addr, "GET", "/v1/pt/rounds/JR-9", vec![], Some("operator"), None).await, 404, "pt.round_unknown");

    // Before the deadline the round cannot be closed, and there is no report.
    refused(&post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-dakks").await, 409, "pt.deadline_not_reached");
    let early = call(gw.addr, "GET", "/v1/pt/rounds/JR-1/report", vec![], Some("partner-ukas"), None).await;
    refused(&early, 404, "pt.report_missing");

    pass(&clock, def.deadline);
    let late = submission("JR-1", "ukas", vec![result("GB-5", "Pb", 50.0, None, None)]);
    let late = post(&gw, path, signed_by("ukas", &late), "partner-ukas").await;
    refused_and_logged(&late, 409, "pt.deadline_passed", "pt-results", "ukas");
    refused(&post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-ukas").await, 403, "auth.not_provider");

    let closed = post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-dakks").await;
    assert_eq!(closed.status, 201, "{}", String::from_utf8_lossy(&closed.body));
    let report = closed.json();
    refused(&post(&gw, "/v1/pt/rounds/JR-1/close", vec![], "partner-dakks").await, 409, "pt.round_closed");
    let shown = call(gw.addr, "GET", "/v1/pt/rounds/JR-1", vec![], Some("operator"), None).await;
    assert_eq!(shown.json()["state"], "reported");
    // Two decisions, logged in this order: the close (when results stopped being taken, of
    // which definition), then the report (from the definition and every submission).
    let (close, reported) = (logged(&report["close_receipt"]), logged(&report["receipt"]));
    // The close names the definition and the three submissions, in the order received; the
    // report is made from exactly those.
    let received: Vec<String> = shown.json()["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .map(|s| s["digest"].as_str().expect("digest").to_string())
        .collect();
    let named: Vec<String> = std::iter::once(defined.inputs[0].clone()).chain(received).collect();
    assert_eq!(
        (close.kind.as_str(), close.actor.as_str(), close.verdict.as_str(), &close.inputs, close.outputs.len()),
        ("pt-close", "partner:dakks", "closed", &named, 0)
    );
    assert_eq!(shown.json()["closed_at"].as_str(), Some(close.time.as_str()));
    assert_eq!(
        (reported.kind.as_str(), reported.verdict.as_str(), &reported.inputs),
        ("pt-report", "reported", &named)
    );
    assert_eq!(report["receipt"]["index"].as_u64(), report["close_receipt"]["index"].as_u64().map(|i| i + 1));

    // Lead: one consensus over both partners' participants, exactly as the statistics say.
    let pb = &report["measurands"][0];
    assert_eq!((pb["id"].as_str(), pb["outcome"].as_str()), (Some("Pb"), Some("evaluated")));
    let values = [51.2, 49.8, 50.6, 58.9, 50.1, 49.5, 47.9];
    let names = ["DE-1", "DE-2", "DE-3", "DE-4", "GB-1", "GB-2", "GB-3"];
    let inputs: Vec<stats::ParticipantResult> = names
        .iter()
        .zip(values)
        .map(|(p, v)| stats::ParticipantResult { participant: p.to_string(), result: v, u: None, expanded: None })
        .collect();
    let options = stats::Options { method: stats::Method::AlgorithmA, stop: Stop::Converge, sigma_pt: None };
    let expected = stats::evaluate(&inputs, &options).expect("stats");
    assert_eq!(pb["report"]["p"], 7);
    assert_eq!(pb["report"]["x_pt"].as_f64(), Some(expected.x_pt));
    assert_eq!(pb["report"]["s_star"].as_f64(), expected.s_star);
    assert_eq!(pb["report"]["u_x_pt"].as_f64(), Some(expected.u_x_pt));
    let scores = pb["report"]["results"].as_array().expect("scores");
    for s in scores {
        let e = expected.results.iter().find(|e| e.participant == s["participant"]).expect("participant");
        assert_eq!(s["z"].as_f64(), e.z, "{s}");
    }
    // DE-2 stated U = 2.0 (k = 2): ζ uses u = 1.0 and Eₙ uses U.
    let de2 = scores.iter().find(|s| s["participant"] == "DE-2").expect("DE-2");
    let d = 49.8 - expected.x_pt;
    // (To the last bits: the report computes √(a² + b²) as hypot, this line as written.)
    let within =
        |got: &serde_json::Value, want: f64| got.as_f64().is_some_and(|g| (g - want).abs() <= 1e-12 * want.abs());
    assert!(within(&de2["zeta"], d / (1.0f64.powi(2) + expected.u_x_pt.powi(2)).sqrt()), "{de2}");
    assert!(within(&de2["en"], d / (2.0f64.powi(2) + (2.0 * expected.u_x_pt).powi(2)).sqrt()), "{de2}");
    assert_eq!(scores.iter().find(|s| s["participant"] == "DE-4").expect("DE-4")["classification"], "unsatisfactory");

    // Cadmium against the reference value 2.0 ± 0.05 with σ_pt 0.2: z = (x − 2)/0.2.
    let cd = &report["measurands"][1]["report"];
    assert_eq!(
        (cd["x_pt"].as_f64(), cd["u_x_pt"].as_f64(), cd["sigma_pt"].as_f64()),
        (Some(2.0), Some(0.05), Some(0.2))
    );
    assert_eq!(cd["score_used"], "z");
    let gb2 = cd["results"].as_array().expect("cd").iter().find(|s| s["participant"] == "GB-2").cloned().expect("GB-2");
    assert_eq!(gb2["z"].as_f64(), Some((2.65 - 2.0) / 0.2));
    assert_eq!(gb2["classification"], "unsatisfactory");
    // The provider's homogeneity study, checked against that σ_pt (0.3 × 0.2), with the
    // names ISO 13528 Annex B uses; a measurand without a study has none.
    let table: Vec<Vec<f64>> = homogeneity_study().into_iter().map(|s| s.results).collect();
    let study = stats::homogeneity(&table, Some(0.2)).expect("study");
    assert_eq!(report["measurands"][1]["homogeneity"], serde_json::to_value(study).expect("json"));
    assert_eq!(report["measurands"][1]["homogeneity"]["sufficient"], true);
    assert_eq!(report["measurands"][1]["homogeneity"]["criterion"].as_f64(), Some(0.3 * 0.2));
    assert!(report["measurands"][0].get("homogeneity").is_none());

    // The two reference laboratories compared by Eₙ.
    let cmp = &report["measurands"][2];
    assert_eq!((cmp["outcome"].as_str(), cmp["reference"].as_str()), (Some("bilateral"), Some("DE-REF")));
    let en = (10.3 - 10.0) / (0.25f64.powi(2) + 0.2f64.powi(2)).sqrt();
    assert_eq!(cmp["rows"][0]["en"].as_f64(), Some(en));
    assert_eq!(cmp["rows"][0]["classification"], "satisfactory");
    assert_eq!(report["submissions"].as_array().map(Vec::len), Some(3));

    // The report in each form, to every partner in the round and the operator.
    let get = |client: &'static str, accept: &'static str| {
        let addr = gw.addr;
        async move { call_with(addr, "GET", "/v1/pt/rounds/JR-1/report", vec![], Some(client), &[("accept", accept)]).await }
    };
    let xml = get("partner-ukas", "application/xml").await;
    assert_eq!((xml.status, xml.content_type.as_str()), (200, "application/xml"));
    assert_eq!(common::verify_xml_signed(&xml.body, &format!("{DEMO}/ca.pem")), Ok(()), "the gateway signed it");
    let text = String::from_utf8_lossy(&xml.body);
    assert!(text.contains(&format!("<XPt>{}</XPt>", expected.x_pt)), "{text}");
    if common::tool("xmllint") {
        let (ok, out) = common::xmllint_schema("pt-exchange.xsd", &xml.body);
        assert!(ok, "{out}");
    }
    let csv = get("operator", "text/csv").await;
    assert_eq!((csv.status, csv.content_type.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8_lossy(&csv.body).to_string();
    assert_eq!(csv.lines().count(), 1 + 7 + 5 + 2, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("Cd,mg/kg,GB-2,ukas,2.65,0.05,,2,0.05,0.2,z,{},", (2.65 - 2.0) / 0.2))),
        "{csv}"
    );
    let json = get("partner-dakks", "application/json").await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json()["measurands"], report["measurands"]);
    refused(&get("partner-dakks", "image/png").await, 406, "http.not_acceptable");
    refused(&get("partner-anab", "application/json").await, 404, "pt.round_unknown");
    refused(&get("customs", "application/json").await, 403, "auth.role");

    // The receipt proves the signed XML was logged, offline, with the log's public key.
    let receipt = dir.path().join("receipt.json");
    std::fs::write(&receipt, serde_json::to_vec(&json.json()["receipt"]).expect("json")).expect("write");
    let document = dir.path().join("report.xml");
    std::fs::write(&document, &xml.body).expect("write");
    let out = common::mrgate(
        &[
            "log",
            "verify-receipt",
            "--log-key",
            &format!("{DEMO}/log.pub"),
            "--origin",
            "demo.mrgate.example/log",
            &receipt.to_string_lossy(),
            &document.to_string_lossy(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The report's receipt is public, as the log it proves an entry of.
    for client in [None, Some("customs"), Some("partner-anab"), Some("partner-ukas")] {
        let kept = call(gw.addr, "GET", "/v1/receipts/pt-report.JR-1", vec![], client, None).await;
        // After the definition, three submissions, the three refused, the close.
        assert_eq!((kept.status, &kept.json()["index"]), (200, &serde_json::json!(10)), "{client:?}");
    }
    // The report is served as the log records it: changed in the store behind the log's
    // back, it is not served at all (found by attack: a changed report was served under the
    // genuine receipt).
    {
        let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
        let change = |sql: &str| db.execute(sql, []).expect("change");
        change("UPDATE pt_round SET report_xml = CAST(CAST(report_xml AS TEXT) || ' ' AS BLOB) WHERE id = 'JR-1'");
        for accept in ["application/xml", "text/csv", "application/json"] {
            let r =
                call_with(gw.addr, "GET", "/v1/pt/rounds/JR-1/report", vec![], Some("operator"), &[("accept", accept)])
                    .await;
            assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("store.database")), "{accept}");
        }
        change("UPDATE pt_round SET report_xml = CAST(rtrim(CAST(report_xml AS TEXT), ' ') AS BLOB) WHERE id = 'JR-1'");
        let r = call_with(
            gw.addr,
            "GET",
            "/v1/pt/rounds/JR-1/report",
            vec![],
            Some("operator"),
            &[("accept", "application/xml")],
        )
        .await;
        assert_eq!(r.status, 200);
    }

    // The whole round decided again from the log alone (a copy: the gateway still runs).
    // Entries: 0 table, 1 trust list, 2 round, 3–5 the three submissions, 6–8 the three
    // refused (two taking another partner's laboratory, one late), 9 close, 10 report.
    use common::audit::{Case, audit, copy_of, each_caught, entry, found, keep, kept as kept_document, rewrite, sql};
    let data = copy_of(dir.path());
    let data = data.path();
    let clean = audit(data, None);
    assert_eq!(found(&clean), [], "{:#?}", clean.disagreements);
    assert_eq!((clean.entries, clean.re_derived), (11, 11), "{:#?}", clean.not_re_derived);
    // A report made from other results, signed with the gateway's own key at the report's
    // time: its signature is not its content.
    let report_entry = entry(data, 10);
    let signed_report = String::from_utf8(kept_document(data, &report_entry.outputs[0])).expect("utf8");
    let other = mrgate::crypto::xmldsig::unsigned_of(&signed_report).expect("placed").replace("51.2", "51.3");
    let (key, chain) = common::partners::signer("signing");
    let forged = mrgate::crypto::xmldsig::sign_at(&other, &key, &chain, &report_entry.time).expect("sign");
    let cases: Vec<Case> = vec![
        // The store's own table of results plays no part: the log's submissions do.
        (
            "the stored results",
            Box::new(|d| sql(d, "UPDATE pt_result SET result = replace(result, '51.2', '99.9')")),
            vec![],
        ),
        // Accepted all the same: the close and the report after it are not at fault.
        (
            "a replacement logged as none",
            Box::new(|d| rewrite(d, 5, |e| e.reasons.clear())),
            vec![(5, "audit.verdict")],
        ),
        (
            "a submission left out of the close",
            Box::new(|d| rewrite(d, 9, |e| drop(e.inputs.pop()))),
            vec![(9, "audit.verdict"), (10, "audit.verdict")],
        ),
        (
            "a submission's document changed",
            Box::new(|d| {
                let digest = entry(d, 4).inputs[0].clone();
                sql(
                    d,
                    &format!(
                        "UPDATE kept_document SET document = CAST(document || ' ' AS BLOB) WHERE digest = '{digest}'"
                    ),
                );
            }),
            vec![(4, "audit.document"), (9, "audit.verdict"), (10, "audit.verdict")],
        ),
        (
            "a report the results do not make",
            Box::new(move |d| {
                let forged = keep(d, forged.as_bytes());
                rewrite(d, 10, |e| e.outputs = vec![forged]);
            }),
            vec![(10, "audit.output")],
        ),
        (
            "a measurand reported as not evaluated",
            Box::new(|d| rewrite(d, 10, |e| e.reasons = vec!["pt.too_few_results".into()])),
            vec![(10, "audit.verdict")],
        ),
        (
            "closed by a partner that is not the provider",
            Box::new(|d| rewrite(d, 9, |e| e.actor = "partner:ukas".into())),
            vec![(9, "audit.verdict"), (10, "audit.verdict")],
        ),
        (
            "closed before the deadline",
            Box::new(move |d| rewrite(d, 9, |e| e.time = mrgate::decisions::rfc3339(def.deadline))),
            vec![(9, "audit.verdict"), (10, "audit.verdict")],
        ),
        (
            "results of a round the log never defined",
            Box::new(|d| rewrite(d, 2, |e| e.kind = "pt-results".into())),
            (2..=10).map(|i| (i, "audit.verdict")).collect(),
        ),
        // A refusal is decided again for its reason, and changes nothing after it.
        (
            "a refusal logged for another reason",
            Box::new(|d| rewrite(d, 8, |e| e.reasons = vec!["pt.round_closed".into()])),
            vec![(8, "audit.verdict")],
        ),
        (
            "a refused submission logged as accepted",
            Box::new(|d| {
                rewrite(d, 6, |e| {
                    e.verdict = "accepted".into();
                    e.reasons.clear();
                })
            }),
            vec![(6, "audit.verdict")],
        ),
        (
            "an accepted submission logged as refused",
            Box::new(|d| {
                rewrite(d, 4, |e| {
                    e.verdict = "refused".into();
                    e.reasons = vec!["pt.deadline_passed".into()];
                })
            }),
            vec![(4, "audit.verdict"), (9, "audit.verdict"), (10, "audit.verdict")],
        ),
    ];
    each_caught(data, cases);
    gw.task.abort();
}

/// A joint round enrols its laboratories, each under the partner that submits for it; a
/// round that enrols them takes results for them only, each from its own partner (the
/// provider included); a partner reads its own enrolments only while the round is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_are_enrolled_under_their_partners() {
    let (gw, _dir, _clock) = gateway().await;
    let define = |round: &Round| {
        let (addr, body) = (gw.addr, signed_by("dakks", &exchange::write_round(round)));
        async move { call(addr, "POST", "/v1/pt/rounds", body, Some("partner-dakks"), None).await }
    };
    let before = log_size(&gw).await;
    // A joint round that leaves its participants open: refused, and logged as refused with
    // its signed definition (no round came of it).
    let mut open = round("E-1", 600);
    open.participants.clear();
    let r = define(&open).await;
    refused_and_logged(&r, 422, "pt.participants_not_enrolled", "pt-round", "dakks");
    assert_eq!(
        r.json()["detail"].as_str(),
        Some(
            "round 'E-1' is joint (dakks, ukas): its definition enrols each participant under the partner that \
             submits for it (Participants)"
        )
    );
    assert_eq!(log_size(&gw).await, before + 1, "the refusal logged");
    // Enrolments that do not read: each refused with where and why, and logged. (One
    // enrolled twice is two elements of one id, which no signature covers: see
    // tests/pt_exchange.rs.)
    let text = exchange::write_round(&round("E-2", 600));
    let enrolment = "<Participant id=\"GB-1\" partner=\"ukas\"></Participant>";
    assert!(text.contains(enrolment), "{text}");
    for (changed, why) in [
        (
            text.replace(enrolment, "<Participant id=\"GB-1\" partner=\"anab\"></Participant>"),
            "/RoundDefinition/Participants/Participant: participant 'GB-1' is enrolled under 'anab', not a partner of the round",
        ),
        (
            text.replace(enrolment, "<Participant id=\"GB 1\" partner=\"ukas\"></Participant>"),
            "/RoundDefinition/Participants/Participant: id 'GB 1' is not an identifier (1–64 of A–Z a–z 0–9 . _ -)",
        ),
        (
            text.replace(enrolment, "<Participant id=\"GB-1\"></Participant>"),
            "/RoundDefinition/Participants/Participant: attribute 'partner' is missing",
        ),
        (
            text.replace(
                "<Participant id=\"DE-REF\" partner=\"dakks\">",
                "<Participant id=\"DE-REF\" partner=\"ukas\">",
            ),
            "/RoundDefinition/Measurands/Measurand: measurand 'Cmp': the reference laboratory 'DE-REF' is not enrolled under the provider 'dakks'",
        ),
        (
            text.replace(enrolment, "<Laboratory id=\"GB-1\" partner=\"ukas\"></Laboratory>"),
            "/RoundDefinition/Participants: unexpected element 'Laboratory' (expected only 'Participant')",
        ),
    ] {
        assert_ne!(changed, text, "{why}");
        let r = call(gw.addr, "POST", "/v1/pt/rounds", signed_by("dakks", &changed), Some("partner-dakks"), None).await;
        refused_and_logged(&r, 400, "pt.document", "pt-round", "dakks");
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(detail.ends_with(why), "{detail}\n  wanted the end: {why}");
    }
    assert_eq!(log_size(&gw).await, before + 6, "each refusal logged");

    // A joint round enrolling its laboratories.
    assert_eq!(define(&round("E-3", 600)).await.status, 201);
    let path = "/v1/pt/rounds/E-3/results";
    let post_as = |partner: &'static str, lab: &str| {
        let body = signed_by(partner, &submission("E-3", partner, vec![result(lab, "Pb", 1.0, None, None)]));
        let addr = gw.addr;
        async move { call(addr, "POST", path, body, Some(&format!("partner-{partner}")), None).await }
    };
    for (partner, lab, detail) in [
        // Nobody's, another partner's, or a case variant of its own: one answer, so that
        // trying codes tells a partner nothing of the others' enrolments.
        ("ukas", "GB-9", "participant 'GB-9' is not enrolled in round 'E-3' under 'ukas'"),
        ("ukas", "gb-1", "participant 'gb-1' is not enrolled in round 'E-3' under 'ukas'"),
        ("ukas", "DE-1", "participant 'DE-1' is not enrolled in round 'E-3' under 'ukas'"),
        (
            "ukas",
            "DE-REF",
            "participant 'DE-REF' is the reference laboratory of round 'E-3': only its provider 'dakks' submits for it",
        ),
        ("dakks", "GB-1", "participant 'GB-1' is not enrolled in round 'E-3' under 'dakks'"),
        ("dakks", "XX-9", "participant 'XX-9' is not enrolled in round 'E-3' under 'dakks'"),
    ] {
        let r = post_as(partner, lab).await;
        let code = if lab == "DE-REF" { "pt.reference_not_yours" } else { "pt.participant_not_yours" };
        refused(&r, 403, code);
        assert_eq!(r.json()["detail"].as_str(), Some(detail));
    }
    assert_eq!(post_as("ukas", "GB-1").await.status, 201);
    assert_eq!(post_as("dakks", "DE-1").await.status, 201);
    // UKAS reads its own enrolments; DAkkS, the provider, and the operator read them all.
    let enrolled_as = |client: &'static str| {
        let addr = gw.addr;
        async move {
            let shown = call(addr, "GET", "/v1/pt/rounds/E-3", vec![], Some(client), None).await.json();
            let labs = shown["round"]["participants"].as_array().cloned().unwrap_or_default();
            labs.iter().map(|e| e["participant"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(enrolled_as("partner-ukas").await, ["GB-1", "GB-2", "GB-3", "GB-4", "GB-5", "GB-REF"]);
    for client in ["partner-dakks", "operator"] {
        assert_eq!(enrolled_as(client).await.len(), 11, "{client}");
    }

    // A round of its provider alone may leave its participants open: any code it submits.
    let mut alone = round("E-4", 600);
    alone.partners = vec!["dakks".into()];
    alone.participants.clear();
    assert_eq!(define(&alone).await.status, 201);
    let alone_path = "/v1/pt/rounds/E-4/results";
    let any = signed_by("dakks", &submission("E-4", "dakks", vec![result("ANY-LAB", "Pb", 1.0, None, None)]));
    assert_eq!(call(gw.addr, "POST", alone_path, any, Some("partner-dakks"), None).await.status, 201);
    gw.task.abort();
}

/// Every way a round definition is refused, each with its status and reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_definitions_that_are_refused() {
    let (gw, _dir, _clock) = gateway().await;
    let text = exchange::write_round(&round("R-1", 600));
    let define = |body: Vec<u8>, client: &'static str| {
        let addr = gw.addr;
        async move { call(addr, "POST", "/v1/pt/rounds", body, Some(client), None).await }
    };
    // Well-formed but unsigned: invalid (422); not XML at all: malformed (400).
    refused(&define(text.clone().into_bytes(), "partner-dakks").await, 422, "dsig.no_signature");
    refused(&define(b"<RoundDefinition".to_vec(), "partner-dakks").await, 400, "xml.malformed");
    let signed = String::from_utf8(signed_by("dakks", &text)).expect("utf8");
    let tampered = signed.replace("Heavy metals in soil", "Heavy metals in water");
    refused(&define(tampered.into_bytes(), "partner-dakks").await, 422, "dsig.digest_mismatch");
    // UKAS's signer does not chain to DAkkS's anchors.
    let r = define(signed_by("ukas", &text), "partner-dakks").await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(reason(&r).starts_with("x509."), "{}", reason(&r));
    // The revoked DAkkS signer.
    let (key, chain) = signer("dakks", "revoked-signer");
    let revoked = mrgate::crypto::xmldsig::sign(&text, &key, &chain).expect("sign");
    refused(&define(revoked.into_bytes(), "partner-dakks").await, 422, "x509.revoked");
    // Signed by DAkkS, but presented by UKAS as its own round.
    refused(&define(signed_by("dakks", &text), "partner-ukas").await, 422, "x509.untrusted");
    let mut theirs = round("R-2", 600);
    theirs.provider = "ukas".into();
    theirs.partners = vec!["ukas".into()];
    theirs.participants = enrolled(&[("ukas", &["GB-1", "DE-REF"])]);
    refused(
        &define(signed_by("dakks", &exchange::write_round(&theirs)), "partner-dakks").await,
        403,
        "auth.not_your_body",
    );
    // A partner the list does not hold, or a body of it that is no accreditation body.
    for (stranger_id, name) in [("R-3", "nobody"), ("R-5", "ukas-cb")] {
        let mut stranger = round(stranger_id, 600);
        stranger.partners.push(name.into());
        let r = define(signed_by("dakks", &exchange::write_round(&stranger)), "partner-dakks").await;
        refused(&r, 422, "pt.partner_unknown");
        let detail = format!("partner '{name}' is not an accreditation body of the trust list");
        assert_eq!(r.json()["detail"].as_str(), Some(detail.as_str()));
    }
    refused(
        &define(signed_by("dakks", &exchange::write_round(&round("R-4", -60))), "partner-dakks").await,
        422,
        "pt.deadline_passed",
    );
    // Its namespace written with a character reference: refused, as the gateway tells a
    // round's kept documents (withheld while it is open) by their namespace as written.
    let escaped = text.replace("xmlns=\"urn:mrgate:pt-exchange:1\"", "xmlns=\"urn:mrgate:pt-exchange&#58;1\"");
    assert_ne!(escaped, text);
    let r = define(signed_by("dakks", &escaped), "partner-dakks").await;
    refused(&r, 400, "pt.document");
    assert_eq!(
        r.json()["detail"].as_str(),
        Some("a PT document writes its namespace 'urn:mrgate:pt-exchange:1' as it is, without character references")
    );
    let no_sigma = text.replace("<SigmaPt rule=\"robust\"/>", "").replace("<SigmaPt rule=\"robust\"></SigmaPt>", "");
    let r = define(signed_by("dakks", &no_sigma), "partner-dakks").await;
    refused(&r, 400, "pt.document");
    assert!(r.json()["detail"].as_str().unwrap_or_default().contains("'SigmaPt' is missing"), "{}", r.json());
    let malformed =
        define(b"<RoundDefinition xmlns=\"urn:mrgate:pt-exchange:1\"><Scheme>".to_vec(), "partner-dakks").await;
    assert_eq!(malformed.status, 400, "{}", String::from_utf8_lossy(&malformed.body));
    assert!(
        malformed.json()["detail"].as_str().unwrap_or_default().contains("the document: 1:59: not well-formed"),
        "{}",
        malformed.json()
    );
    refused(&define(signed_by("dakks", &text), "exporter").await, 403, "auth.role");
    // Accepted once; the same id again is a conflict.
    assert_eq!(define(signed_by("dakks", &text), "partner-dakks").await.status, 201);
    refused(&define(signed_by("dakks", &text), "partner-dakks").await, 409, "pt.round_exists");
    gw.task.abort();
}

/// Every way a results submission is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_that_are_refused() {
    let (gw, _dir, _clock) = gateway().await;
    let r = post(&gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&round("S-1", 600))), "partner-dakks")
        .await;
    assert_eq!(r.status, 201);
    let path = "/v1/pt/rounds/S-1/results";
    let one = |round: &str, submitter: &str, measurand: &str| {
        submission(round, submitter, vec![result("GB-1", measurand, 1.0, None, None)])
    };
    refused(
        &post(&gw, path, signed_by("ukas", &one("S-1", "ukas", "Hg")), "partner-ukas").await,
        422,
        "pt.measurand_unknown",
    );
    refused(
        &post(&gw, path, signed_by("ukas", &one("S-9", "ukas", "Pb")), "partner-ukas").await,
        422,
        "pt.round_mismatch",
    );
    refused(
        &post(&gw, path, signed_by("ukas", &one("S-1", "dakks", "Pb")), "partner-ukas").await,
        403,
        "auth.not_your_body",
    );
    refused(
        &post(&gw, path, signed_by("anab", &one("S-1", "anab", "Pb")), "partner-anab").await,
        404,
        "pt.round_unknown",
    );
    let unknown =
        post(&gw, "/v1/pt/rounds/S-404/results", signed_by("ukas", &one("S-404", "ukas", "Pb")), "partner-ukas");
    refused(&unknown.await, 404, "pt.round_unknown");
    let tampered = String::from_utf8(signed_by("ukas", &one("S-1", "ukas", "Pb"))).expect("utf8").replace(">1<", ">2<");
    refused(&post(&gw, path, tampered.into_bytes(), "partner-ukas").await, 422, "dsig.digest_mismatch");
    // Its namespace written with a character reference: refused, never kept as a document
    // that is no round's and so readable by every auditor while the round is open.
    let escaped = one("S-1", "ukas", "Pb").replace("urn:mrgate:pt-exchange:1", "urn:mrgate:pt-exchange&#58;1");
    let r = post(&gw, path, signed_by("ukas", &escaped), "partner-ukas").await;
    refused(&r, 400, "pt.document");
    let nan = one("S-1", "ukas", "Pb").replace("<Value>1</Value>", "<Value>NaN</Value>");
    let r = post(&gw, path, signed_by("ukas", &nan), "partner-ukas").await;
    refused(&r, 400, "pt.document");
    assert!(
        r.json()["detail"].as_str().unwrap_or_default().contains("'NaN' is not zero nor a finite number"),
        "{}",
        r.json()
    );
    // U and k each in range whose u = U/k is not: refused while the partner can still put it
    // right, not found at closing, where it left the whole measurand unevaluated for every
    // laboratory of the round (found by attack).
    let mut tiny = result("GB-1", "Pb", 10.05, None, Some(1e-100));
    tiny.k = Some(1e150);
    let r = post(&gw, path, signed_by("ukas", &submission("S-1", "ukas", vec![tiny])), "partner-ukas").await;
    refused(&r, 400, "pt.document");
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
    assert!(
        detail.ends_with("gives u = U/k = 1e-250, not zero nor within 1e-100 to 1e150 either side of it"),
        "{detail}"
    );
    refused(&call(gw.addr, "POST", path, vec![], Some("customs"), Some(&token())).await, 403, "auth.role");
    // The bilateral comparison's reference laboratory is the provider's (DAkkS's): UKAS may
    // not submit under its id, for that measurand or any other, alone or beside its own.
    for results in [
        vec![result("DE-REF", "Cmp", 9.0, None, Some(0.01))],
        vec![result("DE-REF", "Pb", 9.0, None, None)],
        vec![result("GB-1", "Cmp", 1.0, None, Some(0.1)), result("DE-REF", "Cd", 9.0, None, None)],
    ] {
        let r = post(&gw, path, signed_by("ukas", &submission("S-1", "ukas", results)), "partner-ukas").await;
        refused(&r, 403, "pt.reference_not_yours");
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert_eq!(
            detail,
            "participant 'DE-REF' is the reference laboratory of round 'S-1': only its provider 'dakks' submits for it"
        );
    }
    // Nothing refused was kept: the first accepted submission replaces nothing.
    let r = post(&gw, path, signed_by("ukas", &one("S-1", "ukas", "Pb")), "partner-ukas").await;
    assert_eq!((r.status, &r.json()["replaced"]), (201, &serde_json::json!([])));
    // The provider submits for its reference laboratory.
    let reference = submission("S-1", "dakks", vec![result("DE-REF", "Cmp", 1.0, None, Some(0.02))]);
    assert_eq!(post(&gw, path, signed_by("dakks", &reference), "partner-dakks").await.status, 201);
    gw.task.abort();
}

/// A submission's log entry says whether it replaces earlier results, and the store holds it
/// to that. Here a trigger makes every attempt meet a result that appeared meanwhile (as a
/// racing submission would): after its retries the gateway refuses with 409, and neither the
/// submission nor an entry is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_is_not_logged_as_replacing_nothing_when_it_replaces() {
    let (gw, dir, _clock) = gateway().await;
    let r =
        post(&gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&round("RC-1", 600))), "partner-dakks")
            .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let before = log_size(&gw).await;
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    db.execute_batch(
        "CREATE TRIGGER race AFTER INSERT ON pt_submission BEGIN
           INSERT OR IGNORE INTO pt_result (round, measurand, participant, submitter, submission, result)
           VALUES (NEW.round, 'Pb', 'GB-1', NEW.submitter, 'a racing submission', '{}');
         END;",
    )
    .expect("trigger");
    let path = "/v1/pt/rounds/RC-1/results";
    let results = || submission("RC-1", "ukas", vec![result("GB-1", "Pb", 1.0, None, None)]);
    let r = post(&gw, path, signed_by("ukas", &results()), "partner-ukas").await;
    refused(&r, 409, "pt.results_changed");
    assert_eq!(log_size(&gw).await, before);
    let shown = call(gw.addr, "GET", "/v1/pt/rounds/RC-1", vec![], Some("operator"), None).await;
    assert_eq!(shown.json()["submissions"], serde_json::json!([]));

    db.execute_batch("DROP TRIGGER race").expect("drop");
    let r = post(&gw, path, signed_by("ukas", &results()), "partner-ukas").await;
    assert_eq!(
        (r.status, &r.json()["replaced"]),
        (201, &serde_json::json!([])),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let index = r.json()["receipt"]["index"].as_u64().expect("index");
    assert_eq!(log_size(&gw).await, index + 1);
    gw.task.abort();
}

/// Defines round `id` (provider DAkkS, a 3 s deadline), submits two DAkkS results, and waits
/// until its deadline has passed.
async fn past_deadline(gw: &Running, clock: &OffsetClock, id: &str) {
    let def = round(id, 3);
    let r = post(gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&def)), "partner-dakks").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let de = vec![result("DE-1", "Pb", 50.0, Some(0.9), None), result("DE-2", "Pb", 49.8, None, Some(2.0))];
    let path = format!("/v1/pt/rounds/{id}/results");
    let r = post(gw, &path, signed_by("dakks", &submission(id, "dakks", de)), "partner-dakks").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    pass(clock, def.deadline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_published_only_once_it_is_logged() {
    let (gw, dir, clock) = gateway().await;
    past_deadline(&gw, &clock, "LR-1").await;

    // The log's store refuses every new entry, as a failing disk would: a close that cannot
    // be logged does not close the round.
    let before = log_size(&gw).await;
    let refusing = Refusing::log(dir.path());
    let report = |client: &'static str| call(gw.addr, "GET", "/v1/pt/rounds/LR-1/report", vec![], Some(client), None);
    let state = || async { call(gw.addr, "GET", "/v1/pt/rounds/LR-1", vec![], Some("operator"), None).await.json() };
    refused(&post(&gw, "/v1/pt/rounds/LR-1/close", vec![], "partner-dakks").await, 503, "store.database");
    refused(&report("partner-dakks").await, 404, "pt.report_missing");
    assert_eq!((state().await["state"].as_str(), log_size(&gw).await), (Some("past-deadline"), before));
    drop(refusing);

    // Nor is a report logged that was not stored: storing what the close returns fails here,
    // and the report, stored with it in the same commit, is undone with its entry. The close
    // itself was logged and stands: the round is closing, at the logged time.
    let refusing = Refusing::writes(dir.path(), "INSERT ON decision");
    refused(&post(&gw, "/v1/pt/rounds/LR-1/close", vec![], "partner-dakks").await, 503, "store.database");
    refused(&report("partner-dakks").await, 404, "pt.report_missing");
    assert_eq!(log_size(&gw).await, before + 1);
    let close = call(gw.addr, "GET", &format!("/v1/log/entries?start={before}"), vec![], None, None).await.json();
    let close = logged(&close["entries"][0]);
    assert_eq!((close.kind.as_str(), close.verdict.as_str()), ("pt-close", "closed"));
    let closing = state().await;
    assert_eq!(
        (closing["state"].as_str(), closing["closed_at"].as_str()),
        (Some("closing"), Some(close.time.as_str()))
    );
    let late = submission("LR-1", "dakks", vec![result("DE-3", "Pb", 50.0, None, None)]);
    let late = post(&gw, "/v1/pt/rounds/LR-1/results", signed_by("dakks", &late), "partner-dakks").await;
    // Past the deadline (as every submission to a closed round is), whether closed or not.
    refused_and_logged(&late, 409, "pt.deadline_passed", "pt-results", "dakks");

    // Once the store takes writes again, closing again publishes the report with its
    // receipt; the close is not logged twice, and the report keeps the first closing time.
    drop(refusing);
    let closed = post(&gw, "/v1/pt/rounds/LR-1/close", vec![], "partner-dakks").await;
    assert_eq!(closed.status, 201, "{}", String::from_utf8_lossy(&closed.body));
    let receipt = closed.json()["receipt"].clone();
    // After the close and the late submission refused.
    assert_eq!((receipt["index"].as_u64(), closed.json().get("close_receipt")), (Some(before + 2), None));
    assert_eq!(closed.json()["closed"].as_str(), Some(close.time.as_str()));
    let published = report("partner-dakks").await;
    assert_eq!(published.status, 200);
    assert_eq!(published.json()["receipt"], receipt);
    assert_eq!(log_size(&gw).await, before + 3);
}

/// Two closes at once: one closes and reports, the other is refused, and the log holds one
/// close and one report whatever the interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_closes_log_one_close_and_one_report() {
    let (gw, _dir, clock) = gateway().await;
    past_deadline(&gw, &clock, "CR-1").await;
    let before = log_size(&gw).await;
    let (a, b) = tokio::join!(
        post(&gw, "/v1/pt/rounds/CR-1/close", vec![], "partner-dakks"),
        post(&gw, "/v1/pt/rounds/CR-1/close", vec![], "partner-dakks")
    );
    let (won, lost) = if a.status == 201 { (a, b) } else { (b, a) };
    assert_eq!(won.status, 201, "{}", String::from_utf8_lossy(&won.body));
    refused(&lost, 409, "pt.round_closed");
    assert_eq!(log_size(&gw).await, before + 2);
    let entries = call(gw.addr, "GET", &format!("/v1/log/entries?start={before}"), vec![], None, None).await.json();
    let kinds: Vec<String> = (0..2).map(|i| logged(&entries["entries"][i]).kind).collect();
    assert_eq!(kinds, ["pt-close", "pt-report"]);
}

/// A submission that lands between the close's read of the round and its commit (written
/// here by the test while it holds the store's write lock, so the close waits for it) makes
/// the store refuse that close; the gateway reads the round again, and the close it logs
/// names the late submission too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_names_a_submission_that_landed_meanwhile() {
    let (gw, dir, clock) = gateway().await;
    past_deadline(&gw, &clock, "RR-1").await;
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    db.execute_batch("BEGIN IMMEDIATE").expect("write lock");
    let close = tokio::spawn(call(gw.addr, "POST", "/v1/pt/rounds/RR-1/close", vec![], Some("partner-dakks"), None));
    // Long enough for the close to read the round and wait on the lock.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let late = document_digest(b"a late submission");
    db.execute(
        "INSERT INTO pt_submission (round, submitter, digest, received, document)
         VALUES ('RR-1', 'ukas', ?1, '2026-11-26T00:00:00Z', x'')",
        [&late],
    )
    .expect("insert");
    db.execute_batch("COMMIT").expect("release");
    let closed = close.await.expect("close task");
    assert_eq!(closed.status, 201, "{}", String::from_utf8_lossy(&closed.body));
    let entry = logged(&closed.json()["close_receipt"]);
    assert_eq!((entry.inputs.len(), entry.inputs.last()), (3, Some(&late)), "{:?}", entry.inputs);
    assert_eq!(logged(&closed.json()["receipt"]).inputs, entry.inputs);
}

/// A round closes only when its report can be signed: with the gateway's signing
/// certificate expired, the close is refused (503 `signing.not_in_force`), nothing is
/// logged, and the round stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_does_not_close_when_its_report_cannot_be_signed() {
    let (dir, keys) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("keys"));
    let now = OffsetDateTime::now_utc();
    let hour = time::Duration::hours(1);
    let cfg = common::gateway::with_signer_valid(config(dir.path()), keys.path(), now - hour, now + hour);
    let clock = Arc::new(OffsetClock::new());
    let app = App::load_with_clock(cfg, Arc::clone(&clock) as Arc<dyn mrgate::clock::Clock>).expect("app");
    let gw = start(Arc::new(app)).await.expect("start");
    let def = round("SR-1", 6);
    let r = post(&gw, "/v1/pt/rounds", signed_by("dakks", &exchange::write_round(&def)), "partner-dakks").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    clock.advance(2 * hour);
    let size = log_size(&gw).await;
    let closed = post(&gw, "/v1/pt/rounds/SR-1/close", vec![], "partner-dakks").await;
    refused(&closed, 503, "signing.not_in_force");
    assert_eq!(log_size(&gw).await, size);
    let shown = call(gw.addr, "GET", "/v1/pt/rounds/SR-1", vec![], Some("partner-dakks"), None).await;
    assert_eq!((shown.status, &shown.json()["closed_at"]), (200, &serde_json::Value::Null), "{}", shown.json());
    gw.task.abort();
}

/// While a round is open its documents — the definition and every partner's results — are
/// the operator's alone to read from the log's kept documents: not a partner outside the
/// round, not one in it (it would read the others' results before sending its own), not
/// customs. Once the round closes, whoever may audit reads them. A remote audit meanwhile
/// counts the round's steps as withheld and is otherwise clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_rounds_documents_are_the_operators_until_it_closes() {
    let (gw, dir, clock) = gateway().await;
    let definition = signed_by("dakks", &exchange::write_round(&round("OPEN-1", 3)));
    assert_eq!(post(&gw, "/v1/pt/rounds", definition.clone(), "partner-dakks").await.status, 201);
    let results = signed_by("ukas", &submission("OPEN-1", "ukas", vec![result("GB-1", "Pb", 1.0, None, None)]));
    assert_eq!(post(&gw, "/v1/pt/rounds/OPEN-1/results", results.clone(), "partner-ukas").await.status, 201);
    let kept = |d: &[u8]| format!("/v1/log/documents/{}", mrgate::crypto::sha256_hex(d));
    let read = |document: Vec<u8>, who: &'static str| {
        let path = kept(&document);
        async move { call(gw.addr, "GET", &path, vec![], Some(who), None).await }
    };
    for document in [&definition, &results] {
        for who in ["partner-dakks", "partner-ukas", "partner-anab", "customs"] {
            let r = read(document.clone(), who).await;
            refused(&r, 403, "pt.round_open");
            let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
            assert!(
                detail.ends_with("is a document of a PT round that is open: the operator's to read until it closes"),
                "{detail}"
            );
        }
        let r = read(document.clone(), "operator").await;
        assert_eq!((r.status, r.body.as_slice()), (200, document.as_slice()));
    }

    // The definition as `GET /v1/pt/rounds/{id}` shows it: whole to its provider and the
    // operator; to the other partner, no reference value and no homogeneity study (what its
    // laboratories are scored against) until the round closes.
    let measurands = |who: &'static str| async move {
        let r = call(gw.addr, "GET", "/v1/pt/rounds/OPEN-1", vec![], Some(who), None).await;
        assert_eq!(r.status, 200, "{who}");
        r.json()["round"]["measurands"].clone()
    };
    let cd = |m: &serde_json::Value| (m[1]["assigned"].clone(), m[1]["homogeneity"].as_array().map(Vec::len));
    let whole = (serde_json::json!({"method": "reference", "value": 2.0, "u": 0.05}), Some(3));
    for who in ["partner-dakks", "operator"] {
        assert_eq!(cd(&measurands(who).await), whole, "{who}");
    }
    let other = measurands("partner-ukas").await;
    assert_eq!(cd(&other), (serde_json::json!({"method": "reference", "withheld": true}), None));
    assert_eq!(other[0]["assigned"], serde_json::json!({"method": "algorithm-a", "stop": "converge"}));
    assert_eq!(other[2]["assigned"], serde_json::json!({"method": "bilateral", "reference": "DE-REF"}));

    // A document that only holds the PT namespace's bytes (here in a comment after a
    // certificate) is no round's: customs' verification of it keeps it readable to every
    // auditor, so no decision can be hidden from an audit that way (found by review).
    let disguised = [domestic_certificate(), b"<!-- urn:mrgate:pt-exchange:1 -->\n".to_vec()].concat();
    let verified = call(gw.addr, "POST", "/v1/verify", disguised.clone(), Some("customs"), None).await;
    assert_eq!(verified.status, 200, "{}", String::from_utf8_lossy(&verified.body));
    for who in ["partner-ukas", "partner-anab", "customs"] {
        let r = read(disguised.clone(), who).await;
        assert_eq!((r.status, r.body.as_slice()), (200, disguised.as_slice()), "{who}");
    }

    // A remote audit as customs: the two steps withheld, the rest decided again.
    let url = format!("https://localhost:{}", gw.addr.port());
    let mut args: Vec<String> =
        ["log", "audit", "--url", &url, "--origin", "demo.mrgate.example/log"].iter().map(|s| s.to_string()).collect();
    for (flag, file) in [
        ("--ca", "ca.pem"),
        ("--log-key", "log.pub"),
        ("--operator-anchor", "ca.pem"),
        ("--signer", "trust-list-operator.pem"),
        ("--gateway-certificate", "signing.pem"),
        ("--client-cert", "clients/customs.pem"),
        ("--client-key", "clients/customs.key"),
    ] {
        args.extend([flag.to_string(), format!("{DEMO}/{file}")]);
    }
    let audit = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || common::mrgate(&args.iter().map(String::as_str).collect::<Vec<_>>(), b""))
    };
    let out = audit(args.clone()).await.expect("audit");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("entries 5\nre-derived 3\nnot re-derived 2\ndisagreements 0\n"), "{stdout}");
    assert!(stdout.contains("not re-derived: 2 PT round open, documents withheld\n"), "{stdout}");

    // Closed, the round's documents are for whoever may audit; exporters still may not.
    pass(&clock, OffsetDateTime::now_utc() + time::Duration::seconds(3));
    assert_eq!(post(&gw, "/v1/pt/rounds/OPEN-1/close", vec![], "partner-dakks").await.status, 201);
    for document in [&definition, &results] {
        for who in ["partner-dakks", "partner-ukas", "partner-anab", "customs", "operator"] {
            let r = read(document.clone(), who).await;
            assert_eq!((r.status, r.body.as_slice()), (200, document.as_slice()), "{who}");
        }
        assert_eq!(read(document.clone(), "exporter").await.status, 403);
    }
    assert_eq!(cd(&measurands("partner-ukas").await), whole);
    let out = audit(args).await.expect("audit");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("entries 7\nre-derived 7\nnot re-derived 0\ndisagreements 0\n"), "{stdout}");
    // A gateway withholding as an open round's what is no round's document, or a round's
    // the log closes, hides nothing from the audit: each is a disagreement. Entries: 2 round,
    // 3 results, 4 the verification, 5 close, 6 report.
    let digest = |d: &[u8]| mrgate::crypto::sha256_hex(d);
    let data = common::audit::copy_of(dir.path());
    let hidden = common::audit::audit_withholding(data.path(), &[digest(&disguised)]);
    assert_eq!(common::audit::found(&hidden), [(4, "audit.document")], "{:#?}", hidden.disagreements);
    assert!(hidden.disagreements[0].detail.ends_with("but the entry is a recognition"), "{:#?}", hidden.disagreements);
    let closed = common::audit::audit_withholding(data.path(), &[digest(&definition)]);
    assert_eq!(
        common::audit::found(&closed),
        [(5, "audit.document"), (6, "audit.document")],
        "{:#?}",
        closed.disagreements
    );
    gw.task.abort();
}

/// A refused step's document withheld from an audit (a refused definition opened no round,
/// so its document stays the operator's) is no open round's: the audit still holds every
/// later step to the rounds the log defined. Found by review: it was taken for an open
/// round's, and from then on a step for a round the log never defined went unchecked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_steps_withheld_document_leaves_later_steps_checked() {
    use common::audit::{audit_withholding, copy_of, entry, found, rewrite};
    let (gw, dir, _clock) = gateway().await;
    let before = log_size(&gw).await;
    let defined = signed_by("dakks", &exchange::write_round(&round("W-1", 600)));
    assert_eq!(post(&gw, "/v1/pt/rounds", defined, "partner-dakks").await.status, 201);
    // A definition refused (its deadline passed), logged with its document kept.
    let late = signed_by("dakks", &exchange::write_round(&round("W-2", -60)));
    let refused_definition = post(&gw, "/v1/pt/rounds", late.clone(), "partner-dakks").await;
    refused_and_logged(&refused_definition, 422, "pt.deadline_passed", "pt-round", "dakks");
    let results = signed_by("ukas", &submission("W-1", "ukas", vec![result("GB-1", "Pb", 1.0, None, None)]));
    assert_eq!(post(&gw, "/v1/pt/rounds/W-1/results", results, "partner-ukas").await.status, 201);
    gw.task.abort();
    let (defined_at, refused_at, submitted_at) = (before, before + 1, before + 2);
    let data = copy_of(dir.path());
    let data = data.path();
    let withheld = vec![mrgate::crypto::sha256_hex(&late)];
    assert_eq!(entry(data, refused_at).inputs, withheld);
    // Honest: the refused step is counted withheld, the rest decided again.
    let clean = audit_withholding(data, &withheld);
    assert_eq!(found(&clean), [], "{:#?}", clean.disagreements);
    assert_eq!(clean.not_re_derived.values().sum::<u64>(), 1, "{:#?}", clean.not_re_derived);
    // The round's definition made no definition: the submission after the withheld refusal
    // is for a round the log never defined, and said so.
    rewrite(data, defined_at, |e| e.kind = "pt-results".into());
    let report = audit_withholding(data, &withheld);
    assert_eq!(
        found(&report),
        [(defined_at, "audit.verdict"), (submitted_at, "audit.verdict")],
        "{:#?}",
        report.disagreements
    );
}
