//! Hot path of translation: parse a ~3 KB CN certificate, render UNTP and IAF XML, and parse
//! UNTP back (what verification does with every credential).
//! `cargo bench --bench formats`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mrgate::formats::{self, Format};
use mrgate::model::Party;
use mrgate::xml::Limits;
use std::hint::black_box;

/// A realistic ~3 KB certificate: the test fixture with an English scope and twelve sites.
fn three_kb_certificate() -> Vec<u8> {
    let base = include_str!("../tests/data/cn-qms.xml");
    let mut cert = formats::parse(Format::CnXml, base.as_bytes(), &Limits::default()).expect("fixture");
    cert.scope_en = Some("Software development and technical services, including system integration".into());
    cert.holder.name_en = Some("Shanghai Example Technology Co., Ltd.".into());
    for i in 1..=12 {
        cert.sites.push(Party {
            name: format!("第{i}生产基地（示例）"),
            address: Some(format!("上海市浦东新区张江高科技园区示例路{i}号{i}幢")),
        });
    }
    formats::render(Format::CnXml, &cert).bytes
}

fn bench(c: &mut Criterion) {
    let doc = three_kb_certificate();
    let limits = Limits::default();
    let cert = formats::parse(Format::CnXml, &doc, &limits).expect("parse");
    let mut g = c.benchmark_group("formats");
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("parse_cn_xml_{}B", doc.len()), |b| {
        b.iter(|| formats::parse(Format::CnXml, black_box(&doc), &limits).expect("parse"))
    });
    g.bench_function("render_untp_dcc", |b| b.iter(|| formats::render(Format::UntpDcc, black_box(&cert))));
    // What `/v1/verify` reads out of every UNTP credential's payload.
    let untp = formats::render(Format::UntpDcc, &cert).bytes;
    g.bench_function(format!("parse_untp_dcc_{}B", untp.len()), |b| {
        b.iter(|| formats::parse(Format::UntpDcc, black_box(&untp), &limits).expect("parse"))
    });
    g.bench_function("render_iaf_xml", |b| b.iter(|| formats::render(Format::IafXml, black_box(&cert))));
    g.bench_function("parse_cn_render_untp_and_iaf", |b| {
        b.iter(|| {
            let c = formats::parse(Format::CnXml, black_box(&doc), &limits).expect("parse");
            (formats::render(Format::UntpDcc, &c), formats::render(Format::IafXml, &c))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
