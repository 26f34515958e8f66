//! Request paths: percent-decoding each segment, the route's metrics label, the check of a
//! query's parameters against its route, and C2SP tile paths. Never a panic; a decoded
//! segment encodes back to what was sent, up to the case of the escapes; a refused query is
//! a 400 and an empty one never is; a tile path that parses has exactly the spelling it
//! was read from.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::server::http::percent_decode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for segment in text.split('/') {
        if let Some(decoded) = percent_decode(segment)
            && !segment.contains('%')
        {
            assert_eq!(decoded, segment);
        }
    }
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    for method in [hyper::Method::GET, hyper::Method::POST] {
        let _ = mrgate::server::route_label(&method, text);
        if let Some(refusal) = mrgate::server::unknown_query_parameter(&method, &segments, query) {
            assert_eq!(refusal.status(), hyper::StatusCode::BAD_REQUEST);
            assert!(!query.is_empty());
        }
    }
    if let Ok(tile) = mrgate::ledger::tile_path::TilePath::parse(text) {
        assert_eq!(tile.path(), text);
    }
});
