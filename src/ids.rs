//! Domestic identifiers: Unified Social Credit Code, CNCA approval number, certificate
//! numbers, administrative division code, HS code, CCC product category, dates.
//!
//! Each type can only be built through its validating constructor, so a value of that type
//! is known to be well-formed. This module checks form only; whether a code is *registered*
//! is a question for the store and the trust list, never for this module.

use serde::{Serialize, Serializer};
use std::fmt;
use time::Date;
use time::macros::format_description;

/// Why an identifier or date was refused. Each variant has its own reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    #[error("credit code '{value}' must be 18 characters, has {len}")]
    CreditCodeLength { value: String, len: usize },
    #[error("credit code '{value}': character '{ch}' at position {position} is not in 0-9A-HJ-NPQRTUWXY")]
    CreditCodeCharset { value: String, ch: char, position: usize },
    #[error("credit code '{value}': positions 3-8 must be a 6-digit administrative division code")]
    CreditCodeDivision { value: String },
    #[error("credit code '{value}': organisation-code check character is '{found}', expected '{expected}' (GB 11714)")]
    CreditCodeOrgCheck { value: String, found: char, expected: char },
    #[error("credit code '{value}': check character is '{found}', expected '{expected}' (GB 32100)")]
    CreditCodeCheck { value: String, found: char, expected: char },
    #[error("approval number '{value}' does not match CNCA-R-YYYY-NNN (3 or 4 digits)")]
    ApprovalNo { value: String },
    #[error("body id '{value}' must be 1 to 64 of A-Z a-z 0-9 . _ - and not start with CNCA-")]
    ForeignBodyId { value: String },
    #[error("CCC certificate number '{value}' must be 16 digits (year, CB code, category, serial)")]
    CccNumberForm { value: String },
    #[error("CCC certificate number '{value}': year {year} is not plausible (2002 to 2099)")]
    CccNumberYear { value: String, year: u32 },
    #[error("CCC certificate number '{value}': product category '{category}' is not a valid 4-digit category")]
    CccNumberCategory { value: String, category: String },
    #[error("certificate number '{value}' must be 1 to 60 characters of A-Z 0-9 - /")]
    CertificateNoCharset { value: String },
    #[error("division code '{value}' must be 6 digits (GB/T 2260) with a non-zero province")]
    DivisionCode { value: String },
    #[error("HS code '{value}' must be 6 to 10 digits")]
    HsCode { value: String },
    #[error("CCC category '{value}' must be 4 digits, not 0000")]
    CccCategory { value: String },
    #[error("postal code '{value}' must be 6 digits")]
    PostCode { value: String },
    #[error("'{value}' is not a calendar date in YYYY-MM-DD form")]
    Date { value: String },
    #[error("expiry date {expiry} is not after issue date {issue}")]
    ExpiryBeforeIssue { issue: Date, expiry: Date },
}

impl IdError {
    /// Stable reason code, as listed in the README's reason-code table.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::CreditCodeLength { .. } => "id.credit_code.length",
            IdError::CreditCodeCharset { .. } => "id.credit_code.charset",
            IdError::CreditCodeDivision { .. } => "id.credit_code.division",
            IdError::CreditCodeOrgCheck { .. } => "id.credit_code.org_check_digit",
            IdError::CreditCodeCheck { .. } => "id.credit_code.check_digit",
            IdError::ApprovalNo { .. } => "id.approval_no",
            IdError::ForeignBodyId { .. } => "id.body_id",
            IdError::CccNumberForm { .. } => "id.ccc_number.form",
            IdError::CccNumberYear { .. } => "id.ccc_number.year",
            IdError::CccNumberCategory { .. } => "id.ccc_number.category",
            IdError::CertificateNoCharset { .. } => "id.certificate_no.charset",
            IdError::DivisionCode { .. } => "id.division_code",
            IdError::HsCode { .. } => "id.hs_code",
            IdError::CccCategory { .. } => "id.ccc_category",
            IdError::PostCode { .. } => "id.post_code",
            IdError::Date { .. } => "id.date",
            IdError::ExpiryBeforeIssue { .. } => "id.expiry_before_issue",
        }
    }
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// The 31 symbols of GB 32100-2015, in value order.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

string_newtype!(
    /// Unified Social Credit Code (统一社会信用代码, GB 32100-2015), both check characters verified.
    CreditCode
);

impl CreditCode {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let len = value.chars().count();
        let v: &[u8; 18] = match value.as_bytes().try_into() {
            Ok(v) if len == 18 => v,
            _ => return Err(IdError::CreditCodeLength { value: value.into(), len }),
        };
        let mut values = [0u32; 18];
        for (i, (slot, &b)) in values.iter_mut().zip(v).enumerate() {
            *slot = USCC_ALPHABET.iter().position(|&a| a == b).ok_or(IdError::CreditCodeCharset {
                value: value.into(),
                ch: b as char,
                position: i + 1,
            })? as u32;
        }
        if !v[2..8].iter().all(u8::is_ascii_digit) {
            return Err(IdError::CreditCodeDivision { value: value.into() });
        }
        // Positions 9-17 are the GB 11714 organisation code; its check character is position 17.
        let org_sum: u32 = v[8..16]
            .iter()
            .zip(ORG_WEIGHTS)
            .map(|(&b, w)| {
                let n = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
                n * w
            })
            .sum();
        let org_expected = match 11 - org_sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('?'),
        };
        if v[16] as char != org_expected {
            return Err(IdError::CreditCodeOrgCheck {
                value: value.into(),
                found: v[16] as char,
                expected: org_expected,
            });
        }
        let sum: u32 = values[..17].iter().zip(USCC_WEIGHTS).map(|(n, w)| n * w).sum();
        // `sum % 31` is below 31, the alphabet's length; '?' is never a valid check character.
        let expected = USCC_ALPHABET.get(((31 - sum % 31) % 31) as usize).map_or('?', |&b| b as char);
        if v[17] as char != expected {
            return Err(IdError::CreditCodeCheck { value: value.into(), found: v[17] as char, expected });
        }
        Ok(Self(value.to_string()))
    }

    /// The 6-digit division code of the registering authority (positions 3-8).
    pub fn division(&self) -> &str {
        // `parse` admits only 18 ASCII characters, so the range is always there.
        self.0.get(2..8).unwrap_or_default()
    }
}

string_newtype!(
    /// CNCA approval number of a certification body, `CNCA-R-YYYY-NNN`.
    ApprovalNo
);

impl ApprovalNo {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = || IdError::ApprovalNo { value: value.into() };
        let rest = value.strip_prefix("CNCA-R-").ok_or_else(err)?;
        let (year, serial) = rest.split_once('-').ok_or_else(err)?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || !(3..=4).contains(&serial.len()) || !digits(serial) {
            return Err(err());
        }
        Ok(Self(value.to_string()))
    }

    /// The year CNCA approved the body (`CNCA-R-YYYY-NNN`).
    pub fn year(&self) -> Option<i32> {
        self.0.get(7..11).and_then(|y| y.parse().ok())
    }
}

string_newtype!(
    /// The id of a certification body outside the CNCA register, as the trust list names it
    /// (e.g. `dakks-cb`).
    ForeignBodyId
);

impl ForeignBodyId {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let ok = (1..=64).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && !value.starts_with("CNCA-");
        if !ok {
            return Err(IdError::ForeignBodyId { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }
}

/// A certification body's identity: its CNCA approval number, or a foreign body's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyId {
    Cnca(ApprovalNo),
    Foreign(ForeignBodyId),
}

impl BodyId {
    /// A value starting with `CNCA-` must be a valid approval number; anything else is a
    /// foreign body id.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if value.starts_with("CNCA-") {
            ApprovalNo::parse(value).map(BodyId::Cnca)
        } else {
            ForeignBodyId::parse(value).map(BodyId::Foreign)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            BodyId::Cnca(a) => a.as_str(),
            BodyId::Foreign(f) => f.as_str(),
        }
    }

    pub fn is_domestic(&self) -> bool {
        matches!(self, BodyId::Cnca(_))
    }
}

impl fmt::Display for BodyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for BodyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

string_newtype!(
    /// A certificate number: CCC's 16-digit structure, or 1-60 of `A-Z0-9-/` for the others.
    CertificateNo
);

impl CertificateNo {
    /// Validates a CCC (强制性产品认证) certificate number.
    pub fn parse_ccc(value: &str) -> Result<Self, IdError> {
        let (Some(year), Some(category)) = (value.get(..4), value.get(6..10)) else {
            return Err(IdError::CccNumberForm { value: value.into() });
        };
        if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::CccNumberForm { value: value.into() });
        }
        let year: u32 = year.parse().unwrap_or(0);
        if !(2002..=2099).contains(&year) {
            return Err(IdError::CccNumberYear { value: value.into(), year });
        }
        if category == "0000" {
            return Err(IdError::CccNumberCategory { value: value.into(), category: category.into() });
        }
        Ok(Self(value.to_string()))
    }

    /// Validates any other certificate number.
    pub fn parse_general(value: &str) -> Result<Self, IdError> {
        let ok = (1..=60).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'/');
        if !ok {
            return Err(IdError::CertificateNoCharset { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }

    /// For a CCC number: the year it was allotted in.
    pub fn ccc_year(&self) -> Option<i32> {
        self.0.get(..4).filter(|_| self.0.len() == 16).and_then(|y| y.parse().ok())
    }

    /// For a CCC number: the product category it was allotted for (its 7th to 10th digits).
    pub fn ccc_category(&self) -> Option<&str> {
        self.0.get(6..10).filter(|_| self.0.len() == 16)
    }
}

/// The characters of a certificate number (`A-Z0-9-/`) that an eye takes for another,
/// and the one it takes each for: letters read as digits in the fonts certificates and
/// customs screens use, and U as V ([`NUMBER_SEPARATORS`] are dropped). Ours, for the
/// characters a number may hold, not Unicode's confusables data (made for text of every
/// script). A number is compared with the register, one CB's numbers at a time, whatever
/// their holders: folding too much refuses an unsigned export, or suspends the exporter's
/// word when its CB first registers a number read alike (its CB's signed document is still
/// taken, and its body's notice may restore it); folding too little lets one number pass
/// for another. Pairs of letters read as one (RN as M, VV as W) are not folded: each
/// character is read as one character. The stores index this very folding
/// ([`number_skeleton_sql`]): changing it is a new rule set and a new index.
pub const NUMBER_LOOK_ALIKES: &[(char, char)] = &[
    ('O', '0'),
    ('Q', '0'),
    ('D', '0'),
    ('I', '1'),
    ('L', '1'),
    ('Z', '2'),
    ('S', '5'),
    ('G', '6'),
    ('B', '8'),
    ('U', 'V'),
];

/// The separators a certificate number may hold: an eye does not count them, nor tell one
/// from the other (`A-0001`, `A0001`, `A/0001-` and `A--0001` read as one number), so they
/// are no part of its skeleton.
pub const NUMBER_SEPARATORS: &[char] = &['-', '/'];

/// A certificate number as an eye reads it: each character of [`NUMBER_LOOK_ALIKES`] as the
/// one it is taken for, [`NUMBER_SEPARATORS`] not counted. Two numbers of one CB with the
/// same skeleton read as one number on a printed certificate or a customs screen (rule set
/// 26, [`crate::decisions::export`]).
pub fn number_skeleton(number: &str) -> String {
    let read = |c: char| NUMBER_LOOK_ALIKES.iter().find(|(from, _)| *from == c).map_or(c, |(_, to)| *to);
    number.chars().filter(|c| !NUMBER_SEPARATORS.contains(c)).map(read).collect()
}

/// [`number_skeleton`] as SQL over `column` (nested `replace`, which SQLite and PostgreSQL
/// both have): the expression the stores index, and their look-alike reads query by, written
/// exactly so, for an index on an expression serves only a query of the same expression.
pub fn number_skeleton_sql(column: &str) -> String {
    let dropped = NUMBER_SEPARATORS.iter().map(|c| (*c, String::new()));
    let read = NUMBER_LOOK_ALIKES.iter().map(|(from, to)| (*from, to.to_string()));
    dropped.chain(read).fold(column.to_string(), |sql, (from, to)| format!("replace({sql}, '{from}', '{to}')"))
}

string_newtype!(
    /// GB/T 2260 administrative division code: 6 digits.
    DivisionCode
);

impl DivisionCode {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let ok = value.len() == 6
            && value.bytes().all(|b| b.is_ascii_digit())
            && value.get(..2).is_some_and(|province| province >= "11");
        if !ok {
            return Err(IdError::DivisionCode { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }
}

string_newtype!(
    /// Harmonized System code as used by Chinese customs: 6 to 10 digits.
    HsCode
);

impl HsCode {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if !(6..=10).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::HsCode { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }
}

string_newtype!(
    /// CCC product category (强制性产品认证目录 category code): 4 digits.
    CccCategory
);

impl CccCategory {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) || value == "0000" {
            return Err(IdError::CccCategory { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }
}

string_newtype!(
    /// Chinese postal code: 6 digits.
    PostCode
);

impl PostCode {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::PostCode { value: value.into() });
        }
        Ok(Self(value.to_string()))
    }
}

/// Whether a certificate may have `day` as a date: from 0001-01-01 on. Year 0 is no year a
/// certificate may have, and a UNTP credential cannot state it (found by review: a CN XML
/// date of year 0 translated into a credential the gateway could not read back). The one
/// rule for every date and instant a certificate states.
pub fn is_certificate_day(day: Date) -> bool {
    day.year() >= 1
}

/// Parses a `YYYY-MM-DD` calendar date (no time, no zone) a certificate may have
/// ([`is_certificate_day`]).
pub fn parse_date(value: &str) -> Result<Date, IdError> {
    let fmt = format_description!("[year]-[month]-[day]");
    if value.len() != 10 {
        return Err(IdError::Date { value: value.into() });
    }
    Date::parse(value, &fmt)
        .ok()
        .filter(|d| is_certificate_day(*d))
        .ok_or_else(|| IdError::Date { value: value.into() })
}

/// Parses a `YYYYMMDD` calendar date, as IAF CertSearch writes them ([`is_certificate_day`]).
pub fn parse_compact_date(value: &str) -> Result<Date, IdError> {
    let fmt = format_description!("[year][month][day]");
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::Date { value: value.into() });
    }
    Date::parse(value, &fmt)
        .ok()
        .filter(|d| is_certificate_day(*d))
        .ok_or_else(|| IdError::Date { value: value.into() })
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Formats a date as `YYYYMMDD`.
pub fn format_compact_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Checks that a certificate expires after it was issued.
pub fn check_validity_period(issue: Date, expiry: Date) -> Result<(), IdError> {
    if expiry <= issue {
        return Err(IdError::ExpiryBeforeIssue { issue, expiry });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folding, its SQL and the stores' index are one: the SQL folds as the code does
    /// (no character is folded to one that is folded again, so the order of the `replace`s
    /// does not matter), and both stores' migrations index exactly this expression.
    #[test]
    fn a_numbers_skeleton_is_one_folding_in_code_and_sql() {
        assert_eq!(number_skeleton("O4925Q1OO21ROM"), "04925010021R0M");
        assert_eq!(number_skeleton("A/BDGILOQSUZ-"), "A80611005V2");
        assert_eq!(number_skeleton("--A/0-0/01"), "A0001");
        assert_eq!(number_skeleton("CEFHJKMNPRTVWXY0123456789"), "CEFHJKMNPRTVWXY0123456789");
        for (from, to) in NUMBER_LOOK_ALIKES {
            assert!(!NUMBER_LOOK_ALIKES.iter().any(|(f, _)| f == to), "{from} → {to} is folded again");
            assert!(!NUMBER_SEPARATORS.contains(from) && !NUMBER_SEPARATORS.contains(to));
        }
        let sql = number_skeleton_sql("number");
        assert_eq!(sql.matches("replace(").count(), NUMBER_LOOK_ALIKES.len() + NUMBER_SEPARATORS.len());
        assert!(sql.contains("replace(replace(number, '-', ''), '/', ''), 'O', '0')"), "{sql}");
        assert!(sql.ends_with("'B', '8'), 'U', 'V')"), "{sql}");
        for migration in [include_str!("store/sqlite.rs"), include_str!("store/postgres.rs")] {
            let index = format!("CREATE INDEX certificate_look_alike ON certificate (issuer, {sql});");
            assert_eq!(migration.matches(&index).count(), 1);
        }
    }

    #[test]
    fn known_good_credit_codes_pass() {
        for code in [
            "91310110666007217T",
            "91310115591693856A",
            "91440305158813992J",
            "91320583091141705R",
            "913301068698797368",
        ] {
            CreditCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }

    #[test]
    fn credit_code_failures_have_their_own_codes() {
        let code = |s: &str| CreditCode::parse(s).unwrap_err().code();
        assert_eq!(code("91310110666007217"), "id.credit_code.length");
        assert_eq!(code("91310110666007217I"), "id.credit_code.charset");
        assert_eq!(code("9131011066600721 T"), "id.credit_code.charset");
        assert_eq!(code("91310110666007217U"), "id.credit_code.check_digit");
        // Change the organisation code's check character (position 17) and recompute nothing.
        assert_eq!(code("91310110666007218T"), "id.credit_code.org_check_digit");
        assert_eq!(code("91A10110666007217T"), "id.credit_code.division");
        assert_eq!(code("中文中文中文"), "id.credit_code.length");
    }

    #[test]
    fn credit_code_check_digit_error_names_expected_char() {
        let err = CreditCode::parse("91310110666007217U").unwrap_err();
        assert_eq!(err, IdError::CreditCodeCheck { value: "91310110666007217U".into(), found: 'U', expected: 'T' });
    }

    #[test]
    fn approval_numbers() {
        assert!(ApprovalNo::parse("CNCA-R-2002-001").is_ok());
        assert!(ApprovalNo::parse("CNCA-R-2017-1234").is_ok());
        for bad in ["CNCA-R-2002-01", "CNCA-R-02-001", "CNCA-F-2002-001", "CNCA-R-2002-00001", "CNCA-R-2002-0a1"] {
            assert_eq!(ApprovalNo::parse(bad).unwrap_err().code(), "id.approval_no", "{bad}");
        }
    }

    #[test]
    fn ccc_numbers() {
        let n = CertificateNo::parse_ccc("2025010701734562").unwrap();
        assert_eq!(n.ccc_year(), Some(2025));
        assert_eq!(CertificateNo::parse_ccc("202501070173456").unwrap_err().code(), "id.ccc_number.form");
        assert_eq!(CertificateNo::parse_ccc("20250107017345A2").unwrap_err().code(), "id.ccc_number.form");
        assert_eq!(CertificateNo::parse_ccc("1999010701734562").unwrap_err().code(), "id.ccc_number.year");
        assert_eq!(CertificateNo::parse_ccc("2025010000734562").unwrap_err().code(), "id.ccc_number.category");
    }

    #[test]
    fn general_certificate_numbers() {
        assert!(CertificateNo::parse_general("00124Q38817R2M").is_ok());
        assert!(CertificateNo::parse_general("CQC-2024/001").is_ok());
        for bad in ["", "abc", "12 34", "编号1", &"A".repeat(61)] {
            assert_eq!(CertificateNo::parse_general(bad).unwrap_err().code(), "id.certificate_no.charset", "{bad}");
        }
    }

    #[test]
    fn small_codes() {
        assert!(DivisionCode::parse("440305").is_ok());
        assert_eq!(DivisionCode::parse("44030").unwrap_err().code(), "id.division_code");
        assert_eq!(DivisionCode::parse("000000").unwrap_err().code(), "id.division_code");
        assert!(HsCode::parse("8418102000").is_ok());
        assert!(HsCode::parse("841810").is_ok());
        assert_eq!(HsCode::parse("84181").unwrap_err().code(), "id.hs_code");
        assert_eq!(HsCode::parse("84181020001").unwrap_err().code(), "id.hs_code");
        assert!(CccCategory::parse("0701").is_ok());
        assert_eq!(CccCategory::parse("701").unwrap_err().code(), "id.ccc_category");
        assert_eq!(PostCode::parse("51805").unwrap_err().code(), "id.post_code");
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(parse_date("2024-02-29").unwrap()), "2024-02-29");
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "2024-01-01T00:00", "20240101", "0000-06-18", "0000-12-31"]
        {
            assert_eq!(parse_date(bad).unwrap_err().code(), "id.date", "{bad}");
        }
        // Year 1 is the first a certificate may have, in both spellings; year 0 is none.
        assert_eq!(format_date(parse_date("0001-01-01").unwrap()), "0001-01-01");
        assert_eq!(parse_compact_date("00000620").unwrap_err().code(), "id.date");
        assert_eq!(format_compact_date(parse_compact_date("00010101").unwrap()), "00010101");
        assert_eq!(format_compact_date(parse_compact_date("20240229").unwrap()), "20240229");
        assert_eq!(parse_compact_date("20230229").unwrap_err().code(), "id.date");
        let a = parse_date("2024-06-18").unwrap();
        assert_eq!(check_validity_period(a, a).unwrap_err().code(), "id.expiry_before_issue");
        assert!(check_validity_period(a, parse_date("2027-06-17").unwrap()).is_ok());
    }
}
