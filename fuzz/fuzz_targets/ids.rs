//! Every identifier parser on untrusted text, and the credit code's two check characters
//! against a second, naive implementation written from DESIGN.md (differential).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::ids;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100-2015 as DESIGN.md states it, written apart from `ids`.
fn naive_credit_code(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let Some(values) = chars.iter().map(|c| ALPHABET.find(*c)).collect::<Option<Vec<usize>>>() else { return false };
    if !chars[2..8].iter().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let org_weights = [3, 7, 9, 10, 5, 8, 4, 2];
    let org: usize =
        chars[8..16].iter().zip(org_weights).map(|(c, w)| w * c.to_digit(36).map_or(0, |d| d as usize)).sum();
    let org_check = match 11 - org % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n as u32, 10).unwrap_or('?'),
    };
    if chars[16] != org_check {
        return false;
    }
    let mut weight = 1;
    let mut sum = 0;
    for v in &values[..17] {
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    ALPHABET.chars().nth((31 - sum % 31) % 31) == Some(chars[17])
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    assert_eq!(ids::CreditCode::parse(text).is_ok(), naive_credit_code(text), "credit code '{text}'");
    let _ = ids::ApprovalNo::parse(text);
    let _ = ids::ForeignBodyId::parse(text);
    let _ = ids::BodyId::parse(text);
    let _ = ids::parse_date(text);
    let _ = ids::parse_compact_date(text);
    let _ = ids::CertificateNo::parse_ccc(text);
    let _ = ids::CertificateNo::parse_general(text);
    let _ = mrgate::pt::exchange::valid_id(text);
});
