//! PT tables (CSV) from untrusted text: every reader, and the statistics of whatever reads:
//! an error with a reason, or a report whose every number is finite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::pt::{csv, stats};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = csv::read_submission(text);
    if let Ok(items) = csv::read_homogeneity(text)
        && let Ok(h) = stats::homogeneity(&items, Some(1.0))
    {
        for v in [h.mean, h.s_x, h.s_w, h.s_s] {
            assert!(v.is_finite(), "{h:?}");
        }
    }
    if let Ok((first, second)) = csv::read_stability(text)
        && let Ok(s) = stats::stability(&first, &second, 1.0)
    {
        assert!(s.difference.is_finite(), "{s:?}");
    }
    let Ok(results) = csv::read_results(text) else { return };
    for method in [stats::Method::AlgorithmA, stats::Method::Median, stats::Method::MedianNiqr] {
        for stop in [stats::Stop::Converge, stats::Stop::Iso2022] {
            let options = stats::Options { method, stop, sigma_pt: None };
            if let Ok(report) = stats::evaluate(&results, &options) {
                // A consensus rests on s*: it is always reported here (NaN fails if not).
                for v in [report.x_pt, report.u_x_pt, report.s_star.unwrap_or(f64::NAN), report.sigma_pt] {
                    assert!(v.is_finite(), "{report:?}");
                }
                let _ = csv::write_report(&report);
            }
        }
    }
});
