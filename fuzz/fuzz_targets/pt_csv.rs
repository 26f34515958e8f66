//! PT results tables (CSV) from untrusted text: both readers, and the statistics of whatever
//! reads: an error with a reason, or a report whose every number is finite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::pt::{csv, stats};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = csv::read_submission(text);
    let Ok(results) = csv::read_results(text) else { return };
    for method in [stats::Method::AlgorithmA, stats::Method::Median] {
        let options = stats::Options { method, stop: stats::Stop::Converge, sigma_pt: None };
        if let Ok(report) = stats::evaluate(&results, &options) {
            for v in [report.x_pt, report.u_x_pt, report.s_star, report.sigma_pt] {
                assert!(v.is_finite(), "{report:?}");
            }
            let _ = csv::write_report(&report);
        }
    }
});
