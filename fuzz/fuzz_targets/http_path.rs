//! Request paths: percent-decoding each segment, the route's metrics label, the check of a
//! query's parameters against its route, and C2SP tile paths. Never a panic; a decoded
//! segment encodes back to what was sent, up to the case of the escapes; a query is refused
//! (400) exactly when a model of the rule says so; a tile path that parses has exactly the
//! spelling it was read from.
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
    for method in [hyper::Method::GET, hyper::Method::POST] {
        let _ = mrgate::server::route_label(&method, text);
    }
    // The query check, against a model of it: segments decoded as the router decodes them;
    // a query is refused exactly when its route (by the same label the metrics use) is not
    // the page's and one of its parameters, its name decoded, is not one the route takes
    // (`QUERY_PARAMETERS`); a path that is no route is left to its 404.
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let Some(segments) = path.trim_start_matches('/').split('/').map(percent_decode).collect::<Option<Vec<_>>>()
    else {
        return;
    };
    // A decoded `/` would split differently once joined again for the label.
    if segments.iter().any(|s| s.contains('/')) {
        return;
    }
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let decoded_path = format!("/{}", segments.join("/"));
    for method in [hyper::Method::GET, hyper::Method::POST] {
        let refusal = mrgate::server::unknown_query_parameter(&method, &segments, query);
        let label = mrgate::server::route_label(&method, &decoded_path);
        let template = label.split_once(' ').map(|(_, t)| t);
        let takes: &[&str] = mrgate::server::QUERY_PARAMETERS
            .iter()
            .find(|(m, t, _)| *m == method.as_str() && Some(*t) == template)
            .map_or(&[], |(_, _, names)| names);
        let names = query.split('&').filter(|kv| !kv.is_empty()).map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k));
        let unknown = names.map(|n| percent_decode(n).unwrap_or_else(|| n.to_string())).any(|n| !takes.contains(&n.as_str()));
        let expected = template.is_some_and(|t| t != "/" && t != "/page/{asset}") && unknown;
        assert_eq!(refusal.is_some(), expected, "{method} {text}");
        if let Some(refusal) = refusal {
            assert_eq!(refusal.status(), hyper::StatusCode::BAD_REQUEST);
        }
    }
    if let Ok(tile) = mrgate::ledger::tile_path::TilePath::parse(text) {
        assert_eq!(tile.path(), text);
    }
});
