//! The canonical certificate: one typed model that every wire format parses into and
//! renders from.
//!
//! It holds every field of the domestic CN certificate XML plus what the international
//! formats carry that CN XML does not (accreditation body country, IAF sectors, a foreign
//! holder's registration id, the credential's assessment level). Cross-field rules that
//! hold for every format live here ([`Certificate::check`]); trust decisions never do.

use crate::ids::{self, BodyId, CccCategory, CertificateNo, CreditCode, DivisionCode, HsCode, IdError, PostCode};
use serde::Serialize;
use time::Date;

/// 认证类别: the closed list of certification categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    ManagementSystem,
    Product,
    Service,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::ManagementSystem, Category::Product, Category::Service];

    pub fn zh(self) -> &'static str {
        match self {
            Category::ManagementSystem => "管理体系认证",
            Category::Product => "产品认证",
            Category::Service => "服务认证",
        }
    }

    pub fn from_zh(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.zh() == s)
    }

    /// The IAF CertSearch "Certification Type" wording.
    pub fn iaf(self) -> &'static str {
        match self {
            Category::ManagementSystem => "Management System",
            Category::Product => "Product",
            Category::Service => "Service",
        }
    }

    pub fn from_iaf(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.iaf() == s)
    }
}

/// The closed list of certification programme codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProgramCode {
    Qms,
    Ems,
    Ohsms,
    Isms,
    Enms,
    Fsms,
    Haccp,
    Itsms,
    Ccc,
    Product,
    Service,
}

impl ProgramCode {
    pub const ALL: [ProgramCode; 11] = [
        ProgramCode::Qms,
        ProgramCode::Ems,
        ProgramCode::Ohsms,
        ProgramCode::Isms,
        ProgramCode::Enms,
        ProgramCode::Fsms,
        ProgramCode::Haccp,
        ProgramCode::Itsms,
        ProgramCode::Ccc,
        ProgramCode::Product,
        ProgramCode::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProgramCode::Qms => "QMS",
            ProgramCode::Ems => "EMS",
            ProgramCode::Ohsms => "OHSMS",
            ProgramCode::Isms => "ISMS",
            ProgramCode::Enms => "EnMS",
            ProgramCode::Fsms => "FSMS",
            ProgramCode::Haccp => "HACCP",
            ProgramCode::Itsms => "ITSMS",
            ProgramCode::Ccc => "CCC",
            ProgramCode::Product => "PRODUCT",
            ProgramCode::Service => "SERVICE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The category a programme belongs to; a certificate that says otherwise is inconsistent.
    pub fn category(self) -> Category {
        match self {
            ProgramCode::Ccc | ProgramCode::Product => Category::Product,
            ProgramCode::Service => Category::Service,
            _ => Category::ManagementSystem,
        }
    }

    /// The programme of a certificate issued under another scheme than CNCA's (a UNTP
    /// credential from another issuer): a product certification when products were
    /// assessed (a product scheme may well name ISO 9001 for the factory), else the
    /// management-system programme whose ISO standard is assessed, else a service
    /// certification. It decides the accreditation scope a body is held to (ISO/IEC 17065
    /// or 17021-1). The scheme's own id is not carried (a translation reports it lost).
    pub fn of_foreign_scheme(standards: &[String], products_assessed: bool) -> Self {
        if products_assessed {
            return ProgramCode::Product;
        }
        MANAGEMENT_SYSTEMS
            .iter()
            .find(|(designation, _)| standards.iter().any(|s| names(s, designation)))
            .map_or(ProgramCode::Service, |(_, code)| *code)
    }

    /// Whether `standard` (a designation, or the international one its adoption stands
    /// for) is the standard this management-system programme certifies against; `None` for
    /// a programme whose standard this gateway does not know (HACCP, a product or service
    /// certification). A QMS certificate is certified against ISO 9001, an ITSMS one against
    /// ISO/IEC 20000-1: found by attack, a QMS certificate against ISO/IEC 20000-1 alone
    /// was recognized.
    pub fn certifies_against(self, standard: &str) -> Option<bool> {
        let mut own = MANAGEMENT_SYSTEMS.iter().filter(|(_, code)| *code == self).peekable();
        own.peek()?;
        Some(own.any(|(designation, _)| names(standard, designation)))
    }

    /// The ISO/IEC conformity-assessment standard a body certifying under this programme is
    /// accredited to: 17021-1 for management systems, 17065 for products and services.
    pub fn accreditation_scope(self) -> &'static str {
        match self.category() {
            Category::ManagementSystem => "ISO/IEC 17021-1",
            Category::Product | Category::Service => "ISO/IEC 17065",
        }
    }

    /// The cycle a certificate of this programme is valid for, in months, and the rule that
    /// says so: [`RENEWAL_LEAD`] more is the longest it may run after its issue date. A
    /// management system is certified for ISO/IEC 17021-1's three-year cycle; a CCC
    /// certificate is valid five years (CNCA's CCC implementation rules); ISO/IEC 17065 sets
    /// other product and service schemes no cycle: ten years, the longest a scheme this
    /// gateway knows gives (an EU type-examination certificate's), bounds them. Found by
    /// attack: certificates valid until 2099 or 9999 were recognized, exported as GlobalMRA
    /// and looked up "valid".
    pub fn longest_validity(self) -> (u32, &'static str) {
        match self {
            ProgramCode::Ccc => (60, "a CCC certificate's five years"),
            ProgramCode::Product | ProgramCode::Service => (120, "the ten years no product or service scheme exceeds"),
            _ => (36, "a management system's three-year cycle (ISO/IEC 17021-1)"),
        }
    }
}

/// Months a certificate may run beyond its cycle after its issue date: a renewal decided
/// before the cycle ends may run a whole cycle from its end (ISO/IEC 17021-1 §9.6.3.2.4 for
/// a recertification), so its issue date comes up to this much before the cycle starts.
pub const RENEWAL_LEAD: u32 = 6;

/// `date` moved `months` later, on the same day of the month or its last day when the month
/// is shorter (2024-02-29 and 12 months is 2025-02-28); `Date::MAX` past the calendar's end.
pub fn months_after(date: Date, months: u32) -> Date {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let (Ok(year), Ok(month)) = (i32::try_from(index.div_euclid(12)), u8::try_from(index.rem_euclid(12) + 1)) else {
        return Date::MAX;
    };
    let Ok(month) = time::Month::try_from(month) else { return Date::MAX };
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

/// The international standard each management-system programme certifies against.
const MANAGEMENT_SYSTEMS: [(&str, ProgramCode); 9] = [
    ("ISO 9001", ProgramCode::Qms),
    ("ISO 14001", ProgramCode::Ems),
    ("ISO 45001", ProgramCode::Ohsms),
    ("ISO/IEC 27001", ProgramCode::Isms),
    ("ISO 27001", ProgramCode::Isms),
    ("ISO 50001", ProgramCode::Enms),
    ("ISO 22000", ProgramCode::Fsms),
    ("ISO/IEC 20000-1", ProgramCode::Itsms),
    ("ISO 20000-1", ProgramCode::Itsms),
];

/// Whether `text` names the standard `designation` ("ISO 9001" names ISO 9001, not ISO
/// 90012).
fn names(text: &str, designation: &str) -> bool {
    text.match_indices(designation).any(|(at, _)| {
        !text.get(at + designation.len()..).and_then(|rest| rest.chars().next()).is_some_and(|c| c.is_ascii_digit())
    })
}

/// 证书状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    Suspended,
    Withdrawn,
    Cancelled,
    Expired,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Valid, Status::Suspended, Status::Withdrawn, Status::Cancelled, Status::Expired];

    pub fn zh(self) -> &'static str {
        match self {
            Status::Valid => "有效",
            Status::Suspended => "暂停",
            Status::Withdrawn => "撤销",
            Status::Cancelled => "注销",
            Status::Expired => "过期",
        }
    }

    pub fn from_zh(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.zh() == s)
    }

    /// Withdrawn and cancelled are final: nothing makes such a certificate valid again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Withdrawn | Status::Cancelled)
    }

    /// The status a decision holds a registered certificate to: the register's (notices
    /// included), unless the document its body signed states one further from in force — a
    /// withdrawal or cancellation (final) over any other, a suspension or an expiry over
    /// "valid". So a body's signed word that its certificate is not in force is never
    /// answered "valid" because the register has not heard it. The document's status date
    /// cannot tell whether a restoration came after it (an export registers at its own
    /// time, not at its document's), so an older document stating a suspension stays
    /// suspended: its holder presents the current one.
    pub fn held(registered: Status, stated: Status) -> Status {
        let distance = |s: Status| match s {
            Status::Valid => 0,
            Status::Suspended | Status::Expired => 1,
            Status::Withdrawn | Status::Cancelled => 2,
        };
        if distance(stated) > distance(registered) { stated } else { registered }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Suspended => "suspended",
            Status::Withdrawn => "withdrawn",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// IAF CertSearch certification status.
    pub fn iaf(self) -> &'static str {
        match self {
            Status::Valid => "Active",
            Status::Suspended => "Suspended",
            Status::Withdrawn => "Withdrawn",
            Status::Cancelled => "Cancelled",
            Status::Expired => "Expired",
        }
    }

    pub fn from_iaf(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.iaf() == s)
    }
}

/// UNTP `assessmentLevel`: set by the caller from the trust decision
/// ([`crate::recognition::assessment_level`]); a format reading a document without one
/// states what the document itself claims ([`AssessmentLevel::stated_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AssessmentLevel {
    /// The accreditation body is an MLA/MRA signatory for the certificate's scope.
    GlobalMRA,
    /// Accredited, with no mutual-recognition claim made.
    Accredited,
    /// No accreditation is claimed, nor known from a trust list.
    Unspecified,
}

impl AssessmentLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentLevel::GlobalMRA => "GlobalMRA",
            AssessmentLevel::Accredited => "Accredited",
            AssessmentLevel::Unspecified => "Unspecified",
        }
    }

    /// The level a certificate states of itself, no trust list asked: `Accredited` when it
    /// names an accreditation, `Unspecified` when it names none (found by attack: a CN
    /// certificate without one became a UNTP credential stating "Accredited", and an IAF
    /// record stating "Unaccredited").
    pub fn stated_by(accreditation: Option<&Accreditation>) -> Self {
        if accreditation.is_some() { AssessmentLevel::Accredited } else { AssessmentLevel::Unspecified }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accreditation {
    /// Accreditation body, e.g. `CNAS`.
    pub body: String,
    /// The CB's accreditation number, e.g. `CNAS C001-M`.
    pub number: String,
    /// ISO 3166-1 alpha-2 country of the accreditation body (international formats only).
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificationBody {
    pub name: String,
    pub name_en: Option<String>,
    /// The CNCA approval number, or a foreign body's id from the trust list.
    pub id: BodyId,
    pub accreditation: Option<Accreditation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub division_code: Option<DivisionCode>,
    pub text: String,
    pub post_code: Option<PostCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub name: String,
    pub name_en: Option<String>,
    pub credit_code: Option<CreditCode>,
    /// A foreign holder's registration id, when it has no credit code.
    pub registered_id: Option<String>,
    /// ISO 3166-1 alpha-2: `CN` for every domestic certificate, and for a record that
    /// states none. The holder's, not its address's: a record may state a country and no
    /// address (found by attack: an IAF record's country was kept only with a street
    /// address, dropped without one, and its holder's registration id then read back as a
    /// Chinese credit code).
    pub country: String,
    pub address: Option<Address>,
}

/// A site or party with a name and a one-line address (sites, manufacturer, factory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub name: String,
    pub model: Option<String>,
    pub hs_code: Option<HsCode>,
    pub ccc_category: Option<CccCategory>,
}

/// An IAF technical sector (IAF ID 1 codes or CertSearch sector list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sector {
    pub code: String,
    pub name: Option<String>,
}

/// One certificate, whatever format it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub number: CertificateNo,
    pub category: Category,
    pub program: String,
    pub program_code: ProgramCode,
    pub status: Status,
    pub status_date: Option<Date>,
    pub issue_date: Date,
    pub original_issue_date: Option<Date>,
    pub expiry_date: Date,
    pub certification_body: CertificationBody,
    pub holder: Holder,
    /// The standards as written, e.g. `GB/T 19001-2016/ISO 9001:2015`.
    pub standards: Vec<String>,
    pub scope_zh: String,
    pub scope_en: Option<String>,
    pub sites: Vec<Party>,
    pub products: Vec<Product>,
    pub manufacturer: Option<Party>,
    pub factory: Option<Party>,
    pub sectors: Vec<Sector>,
    pub assessment_level: AssessmentLevel,
}

/// A cross-field rule a certificate breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("category '{category}' does not match programme {program}, which is '{expected}'")]
    CategoryMismatch { category: &'static str, program: &'static str, expected: &'static str },
    #[error("original issue date {original} is after issue date {issue}")]
    OriginalAfterIssue { original: Date, issue: Date },
    #[error("CCC certificate number year {year} is after the issue year {issue_year}")]
    CccYearAfterIssue { year: i32, issue_year: i32 },
    #[error(
        "issued {issue} and expiring {expiry}: valid longer than {why} and six months for a renewal decided before its end"
    )]
    ValidityTooLong { issue: Date, expiry: Date, why: &'static str },
    #[error("issued {issue}, in a year before {body} was approved ({year})")]
    IssuedBeforeApproval { issue: Date, body: String, year: i32 },
    #[error("status date {status} is before the issue date {issue}")]
    StatusBeforeIssue { status: Date, issue: Date },
    #[error(
        "CCC certificate number {number} is allotted for product category {number_category}, and product '{product}' is of category {product_category}"
    )]
    CccCategoryMismatch { number: String, number_category: String, product: String, product_category: String },
    #[error("a CCC certificate is issued by a body CNCA designated; '{body}' is not a CNCA-approved body")]
    CccNotDomestic { body: String },
    #[error("a certificate must name at least one standard")]
    NoStandards,
    #[error("the holder has both a credit code and a foreign registration id")]
    HolderTwoIds,
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error(
        "programme {program} is a {category} certification, which assesses no products, yet the certificate \
         lists {count} assessed product(s): only a product certification (CCC, PRODUCT) does"
    )]
    ProductsOutsideProductCertification { program: &'static str, category: &'static str, count: usize },
    #[error(
        "{field}: U+{code:04X} is a control, format or invisible character, which no text of a certificate holds \
         (it would make a page or a terminal show what the certificate does not say)"
    )]
    HiddenControl { field: &'static str, code: u32 },
    #[error("{field}: the text {why}; a certificate's text is one line, without white space at either end")]
    TextLayout { field: &'static str, why: &'static str },
}

/// A character that changes how text around it shows, or shows nothing, rather than
/// showing itself. No certificate's text holds one (found by review: a holder named with
/// CSI sequences verified "valid" and was signed into an export; found by attack: tag
/// characters carried hidden text into a signed credential, and a body of a trust list was
/// named like another but for a variation selector). XML 1.0 allows them all, so the
/// reader does not refuse them; C0 controls are the readers' to refuse
/// ([`crate::xml::is_xml_char`]). They are:
/// - C1 controls (U+0080–U+009F; U+009B starts a terminal's escape sequence as ESC [ does);
/// - Unicode's format characters (category Cf: bidirectional ones such as U+202E, which
///   turns a name around, zero-width ones such as U+200B, tag characters), but for the
///   zero-width non-joiner and joiner (U+200C, U+200D), which Persian and Indic names and
///   emoji need;
/// - the other default-ignorable code points (Unicode's DerivedCoreProperties: the
///   combining grapheme joiner, Hangul fillers, variation selectors, and the unassigned
///   ones a font shows as nothing);
/// - the line and paragraph separators (U+2028, U+2029) and the braille blank (U+2800),
///   which show as a line break or a space that is neither;
/// - DEL, the noncharacters (U+FDD0–U+FDEF and the last two of each plane) and the
///   private-use areas, whose glyphs are a font's choice.
pub fn is_hidden_control(c: char) -> bool {
    matches!(c,
        // C1 controls.
        '\u{80}'..='\u{9F}'
        // Format characters (Cf), U+200C and U+200D aside; U+2065 is unassigned between
        // them, default-ignorable (found by attack).
        | '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{890}'..='\u{891}'
        | '\u{8E2}' | '\u{180E}' | '\u{200B}' | '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}'
        // Other default-ignorable code points.
        | '\u{34F}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180D}' | '\u{180F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'
        | '\u{E0002}'..='\u{E001F}' | '\u{E0080}'..='\u{E0FFF}'
        // Separators and blanks that show as what they are not (U+16FE4, a filler).
        | '\u{2028}' | '\u{2029}' | '\u{2800}' | '\u{16FE4}'
        // DEL, which XML 1.0 allows and a terminal acts on (found by attack).
        | '\u{7F}'
        // Noncharacters, and the private-use areas, whose glyphs are whatever a font makes
        // them (found by attack: U+FDD0 and U+10FFFF were signed into an export).
        | '\u{FDD0}'..='\u{FDEF}' | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..
    ) || (u32::from(c) & 0xFFFE) == 0xFFFE
}

/// The first [`is_hidden_control`] character in `text`, if any: the one test every text a
/// certificate, a credential or a trust list carries is put to.
pub fn first_hidden(text: &str) -> Option<char> {
    // Every hidden character is U+007F or above: ASCII text without DEL (most of a
    // credential: base64, URIs, dates) holds none, which is checked a word at a time rather
    // than character by character (this walk was 6% of the gateway's CPU per verification).
    if text.is_ascii() && memchr::memchr(0x7F, text.as_bytes()).is_none() {
        return None;
    }
    text.chars().find(|&c| is_hidden_control(c))
}

impl ModelError {
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::Id(e) => e.code(),
            ModelError::CategoryMismatch { .. } => "model.category_mismatch",
            ModelError::OriginalAfterIssue { .. } => "model.original_after_issue",
            ModelError::CccYearAfterIssue { .. } => "model.ccc_year_after_issue",
            ModelError::ValidityTooLong { .. } => "model.validity_too_long",
            ModelError::IssuedBeforeApproval { .. } => "model.issued_before_approval",
            ModelError::StatusBeforeIssue { .. } => "model.status_before_issue",
            ModelError::CccCategoryMismatch { .. } => "model.ccc_category_mismatch",
            ModelError::CccNotDomestic { .. } => "model.ccc_not_domestic",
            ModelError::NoStandards => "model.no_standards",
            ModelError::HolderTwoIds => "model.holder_two_ids",
            ModelError::Empty { .. } => "model.empty",
            ModelError::ProductsOutsideProductCertification { .. } => "model.products_outside_product_certification",
            ModelError::HiddenControl { .. } => "model.hidden_control",
            ModelError::TextLayout { .. } => "model.text_layout",
        }
    }
}

/// The date a certificate's dates are read in: China's (UTC+8), the register's own.
pub fn china_date(at: time::OffsetDateTime) -> Date {
    // Past 9999-12-31 in China (an instant read from a hostile log, say) is its last day,
    // never a panic.
    at.checked_to_offset(time::macros::offset!(+8)).map_or(Date::MAX, |t| t.date())
}

/// Why a certificate is not in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotInForce {
    Expired {
        on: Date,
    },
    NotYetValid {
        from: Date,
    },
    /// Its day has begun, but not the instant it states it is valid from (a credential's
    /// `validFrom`).
    NotYetValidAt {
        from: time::OffsetDateTime,
    },
    Status(Status),
}

impl NotInForce {
    pub fn code(&self) -> String {
        match self {
            NotInForce::Expired { .. } => "validity.expired".into(),
            NotInForce::NotYetValid { .. } | NotInForce::NotYetValidAt { .. } => "validity.not_yet_valid".into(),
            NotInForce::Status(s) => format!("status.{}", s.as_str()),
        }
    }

    pub fn message(&self) -> String {
        match self {
            NotInForce::Expired { on } => format!("expired on {}", ids::format_date(*on)),
            NotInForce::NotYetValid { from } => format!("not valid before {}", ids::format_date(*from)),
            NotInForce::NotYetValidAt { from } => format!(
                "not valid before {}",
                from.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
            ),
            NotInForce::Status(s) => format!("status {} ({})", s.as_str(), s.zh()),
        }
    }
}

impl Certificate {
    /// Whether the certificate's dates hold on `day` (a date in China, [`china_date`]).
    pub fn dates_hold(&self, day: Date) -> Result<(), NotInForce> {
        if day > self.expiry_date {
            Err(NotInForce::Expired { on: self.expiry_date })
        } else if day < self.issue_date {
            Err(NotInForce::NotYetValid { from: self.issue_date })
        } else {
            Ok(())
        }
    }

    /// Whether the certificate is in force on `day` with `status` (the register's when it
    /// holds one, which overrides the document's): its dates hold, then its status is valid.
    /// The one validity rule: recognition, export and the command line use it.
    pub fn in_force(&self, status: Status, day: Date) -> Result<(), NotInForce> {
        self.dates_hold(day)?;
        if status == Status::Valid { Ok(()) } else { Err(NotInForce::Status(status)) }
    }

    /// The registered facts in which `other` differs from `self`: everything but the status
    /// (which notices change), its date and the assessment level (which the gateway derives).
    /// Empty when `other` says the same of the same certificate.
    pub fn changed_facts(&self, other: &Certificate) -> Vec<&'static str> {
        let (a, b) = (self, other);
        let differs = [
            ("number", a.number != b.number),
            ("programme", a.category != b.category || a.program != b.program || a.program_code != b.program_code),
            ("certification body", a.certification_body != b.certification_body),
            ("holder", a.holder != b.holder),
            ("scope", a.scope_zh != b.scope_zh || a.scope_en != b.scope_en),
            ("standards", a.standards != b.standards),
            (
                "dates",
                a.issue_date != b.issue_date
                    || a.expiry_date != b.expiry_date
                    || a.original_issue_date != b.original_issue_date,
            ),
            ("sites", a.sites != b.sites),
            ("products", a.products != b.products),
            ("manufacturer", a.manufacturer != b.manufacturer),
            ("factory", a.factory != b.factory),
            ("sectors", a.sectors != b.sectors),
        ];
        differs.into_iter().filter(|(_, d)| *d).map(|(name, _)| name).collect()
    }

    /// Whether this (signed) version, stating other facts than `held`, the registered one,
    /// is a newer issue: issued after it. The one rule of which of two versions with other
    /// facts stands: a registration replaces the registered version only with a newer issue
    /// (`register.older_document` otherwise), and a verification holds a document to the
    /// registered version unless it is one (`register.superseded`). Not on the same day
    /// either (rule set 21): two versions of one day cannot be told apart by their dates, and
    /// a registration taking either would let a superseded one, still validly signed, roll
    /// the register back to its facts — and every export of them verify again (found by
    /// attack: a CB's same-day correction undone by exporting its first version again).
    /// `Err` says why.
    pub fn may_replace(&self, held: &Certificate) -> Result<(), String> {
        if self.issue_date < held.issue_date {
            return Err(format!(
                "this document was issued {}, before the registered version ({}): a superseded document does not \
                 replace a newer one",
                self.issue_date, held.issue_date
            ));
        }
        if self.issue_date == held.issue_date {
            return Err(format!(
                "this document was issued {}, the day the registered version was, and states other facts: two \
                 versions of one day cannot be told apart, so neither replaces the other; the certificate's body \
                 issues the corrected version with a later issue date",
                self.issue_date
            ));
        }
        Ok(())
    }

    /// Checks the rules that tie fields together. Formats call it after parsing, so that a
    /// certificate from any format obeys the same rules.
    pub fn check(&self) -> Result<(), ModelError> {
        ids::check_validity_period(self.issue_date, self.expiry_date)?;
        let (months, why) = self.program_code.longest_validity();
        if self.expiry_date > months_after(self.issue_date, months + RENEWAL_LEAD) {
            return Err(ModelError::ValidityTooLong { issue: self.issue_date, expiry: self.expiry_date, why });
        }
        if let BodyId::Cnca(approval) = &self.certification_body.id
            && let Some(year) = approval.year()
            && self.issue_date.year() < year
        {
            let body = approval.as_str().to_string();
            return Err(ModelError::IssuedBeforeApproval { issue: self.issue_date, body, year });
        }
        // A day's slack: a status date is a calendar date where it was set, the issue date
        // China's (a credential's validFrom late in the day west of China is the next day
        // there; found by review).
        if let Some(status) = self.status_date
            && status.next_day().is_some_and(|next| next < self.issue_date)
        {
            return Err(ModelError::StatusBeforeIssue { status, issue: self.issue_date });
        }
        let expected = self.program_code.category();
        if self.category != expected {
            return Err(ModelError::CategoryMismatch {
                category: self.category.zh(),
                program: self.program_code.as_str(),
                expected: expected.zh(),
            });
        }
        // What was assessed decides the accreditation a CB is held to (ISO/IEC 17065 for
        // products, 17021-1 for management systems): a management-system certificate
        // listing products would be held to the other (found by review: a product
        // certificate stated as QMS passed under a CB whose 17065 membership was suspended).
        if !self.products.is_empty() && expected != Category::Product {
            return Err(ModelError::ProductsOutsideProductCertification {
                program: self.program_code.as_str(),
                category: expected.iaf(),
                count: self.products.len(),
            });
        }
        if let Some(original) = self.original_issue_date
            && original > self.issue_date
        {
            return Err(ModelError::OriginalAfterIssue { original, issue: self.issue_date });
        }
        if let Some(year) = self.number.ccc_year()
            && self.program_code == ProgramCode::Ccc
            && year > self.issue_date.year()
        {
            return Err(ModelError::CccYearAfterIssue { year, issue_year: self.issue_date.year() });
        }
        if self.program_code == ProgramCode::Ccc {
            if !self.certification_body.id.is_domestic() {
                return Err(ModelError::CccNotDomestic { body: self.certification_body.id.as_str().to_string() });
            }
            let allotted = self.number.ccc_category().unwrap_or_default();
            let other = self.products.iter().find_map(|p| {
                p.ccc_category.as_ref().filter(|c| c.as_str() != allotted).map(|c| (p.name.clone(), c.as_str()))
            });
            if let Some((product, category)) = other {
                return Err(ModelError::CccCategoryMismatch {
                    number: self.number.as_str().to_string(),
                    number_category: allotted.to_string(),
                    product,
                    product_category: category.to_string(),
                });
            }
        }
        if self.holder.credit_code.is_some() && self.holder.registered_id.is_some() {
            return Err(ModelError::HolderTwoIds);
        }
        if self.standards.is_empty() {
            return Err(ModelError::NoStandards);
        }
        for (field, value) in [
            ("Program", &self.program),
            ("CertificationBody/Name", &self.certification_body.name),
            ("Holder/Name", &self.holder.name),
            ("Scope", &self.scope_zh),
        ] {
            if value.trim().is_empty() {
                return Err(ModelError::Empty { field });
            }
        }
        self.texts_show_themselves()
    }

    /// Refuses a text of the certificate holding a [`is_hidden_control`] character, a line
    /// break, or white space at either end: every text a format carries, as each is shown
    /// on a page, in a verdict and in an export, and as every format's schema allows it
    /// (`\S(.*\S)?`). Found by attack: a JSON record's name with spaces and a line feed
    /// around it became CN XML its schema refuses, and came back from it trimmed, changed
    /// with no loss reported; a name with a line break inside was rendered likewise.
    fn texts_show_themselves(&self) -> Result<(), ModelError> {
        let cb = &self.certification_body;
        let h = &self.holder;
        let one = |field: &'static str, text: Option<&str>| -> Result<(), ModelError> {
            let Some(text) = text else { return Ok(()) };
            if let Some(c) = first_hidden(text) {
                return Err(ModelError::HiddenControl { field, code: u32::from(c) });
            }
            let space = crate::xml::is_xml_space;
            if text.starts_with(space) || text.ends_with(space) {
                return Err(ModelError::TextLayout { field, why: "begins or ends with white space" });
            }
            if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
                return Err(ModelError::TextLayout { field, why: "holds a line break" });
            }
            Ok(())
        };
        one("Program", Some(&self.program))?;
        one("CertificationBody/Name", Some(&cb.name))?;
        one("CertificationBody/NameEn", cb.name_en.as_deref())?;
        if let Some(a) = &cb.accreditation {
            one("CertificationBody/Accreditation/Body", Some(&a.body))?;
            one("CertificationBody/Accreditation/Number", Some(&a.number))?;
        }
        one("Holder/Name", Some(&h.name))?;
        one("Holder/NameEn", h.name_en.as_deref())?;
        one("Holder/RegisteredId", h.registered_id.as_deref())?;
        one("Holder/Address", h.address.as_ref().map(|a| a.text.as_str()))?;
        for s in &self.standards {
            one("Standards/Standard", Some(s))?;
        }
        one("Scope", Some(&self.scope_zh))?;
        one("ScopeEn", self.scope_en.as_deref())?;
        for p in self.sites.iter().chain(&self.manufacturer).chain(&self.factory) {
            one("Party/Name", Some(&p.name))?;
            one("Party/Address", p.address.as_deref())?;
        }
        for p in &self.products {
            one("Products/Product/Name", Some(&p.name))?;
            one("Products/Product/Model", p.model.as_deref())?;
        }
        for s in &self.sectors {
            one("Sectors/Sector/Code", Some(&s.code))?;
            one("Sectors/Sector/Name", s.name.as_deref())?;
        }
        Ok(())
    }

    /// Validates a certificate number against the programme's numbering rule.
    pub fn parse_number(program: ProgramCode, value: &str) -> Result<CertificateNo, IdError> {
        if program == ProgramCode::Ccc { CertificateNo::parse_ccc(value) } else { CertificateNo::parse_general(value) }
    }

    /// The issuer key used for look-ups: the CB's CNCA approval number or foreign body id.
    pub fn issuer_id(&self) -> &str {
        self.certification_body.id.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn fixture() -> Certificate {
        crate::formats::parse(
            crate::formats::Format::CnXml,
            include_bytes!("../tests/data/cn-qms.xml"),
            &crate::xml::Limits::default(),
        )
        .expect("fixture")
    }

    /// A version with other facts replaces the registered one only when issued after it:
    /// not before it, nor on its day (rule set 21), each refusal saying which.
    #[test]
    fn only_a_later_issue_replaces_the_registered_version() {
        let held = fixture();
        let mut other = held.clone();
        other.scope_en = Some("Another scope".into());
        other.issue_date = held.issue_date.next_day().expect("a day");
        assert_eq!(other.may_replace(&held), Ok(()));
        other.issue_date = held.issue_date;
        let same_day = other.may_replace(&held).expect_err("the same day");
        assert!(same_day.contains("the day the registered version was"), "{same_day}");
        other.issue_date = held.issue_date.previous_day().expect("a day");
        let before = other.may_replace(&held).expect_err("the day before");
        assert!(before.contains("before the registered version"), "{before}");
    }

    /// The ASCII shortcut finds what the character-by-character walk finds: DEL in ASCII
    /// text, a hidden character after ASCII or between other letters, and nothing in ASCII
    /// or in text whose every character shows.
    #[test]
    fn first_hidden_finds_the_first_hidden_character_past_any_ascii() {
        let long_ascii = "Ab0 +/=:-_.~".repeat(40);
        let cases = [
            ("", None),
            ("ISO 9001:2015 https://example.org/a?b=c", None),
            (long_ascii.as_str(), None),
            ("\u{7F}", Some('\u{7F}')),
            ("granted\u{7F}", Some('\u{7F}')),
            ("中国质量认证中心 CQC", None),
            ("ＣＮＡＳ\u{200D}", None),
            ("abc\u{200B}def", Some('\u{200B}')),
            ("中\u{202E}文\u{FEFF}", Some('\u{202E}')),
            ("é\u{85}", Some('\u{85}')),
            ("x\u{E000}", Some('\u{E000}')),
            ("x\u{10FFFF}", Some('\u{10FFFF}')),
        ];
        for (text, expected) in cases {
            assert_eq!(first_hidden(text), expected, "{text:?}");
            assert_eq!(first_hidden(text), text.chars().find(|&c| is_hidden_control(c)), "{text:?}");
        }
        let late = format!("{long_ascii}\u{7F}");
        assert_eq!(first_hidden(&late), Some('\u{7F}'));
    }

    /// The validity rule at its edges: both dates are days the certificate is in force.
    #[test]
    fn in_force_at_the_edges_of_its_dates_and_only_when_valid() {
        let c = fixture();
        assert_eq!((c.issue_date, c.expiry_date), (date!(2025 - 01 - 10), date!(2028 - 01 - 09)));
        let cases = [
            (Status::Valid, date!(2025 - 01 - 10), Ok(())),
            (Status::Valid, date!(2028 - 01 - 09), Ok(())),
            (Status::Valid, date!(2025 - 01 - 09), Err("validity.not_yet_valid".to_string())),
            (Status::Valid, date!(2028 - 01 - 10), Err("validity.expired".to_string())),
            (Status::Suspended, date!(2026 - 01 - 01), Err("status.suspended".to_string())),
            (Status::Withdrawn, date!(2026 - 01 - 01), Err("status.withdrawn".to_string())),
            // The dates decide first: an expired suspended certificate is expired.
            (Status::Suspended, date!(2029 - 01 - 01), Err("validity.expired".to_string())),
        ];
        for (status, day, expected) in cases {
            assert_eq!(c.in_force(status, day).map_err(|e| e.code()), expected, "{status:?} on {day}");
        }
        // China's date: 16:00 UTC is already the next day there.
        assert_eq!(china_date(datetime!(2028-01-09 16:00 UTC)), date!(2028 - 01 - 10));
        assert_eq!(china_date(datetime!(2028-01-09 15:59 UTC)), date!(2028 - 01 - 09));
    }

    #[test]
    fn months_after_keeps_the_day_or_takes_the_months_last() {
        assert_eq!(months_after(date!(2024 - 06 - 18), 36), date!(2027 - 06 - 18));
        assert_eq!(months_after(date!(2024 - 02 - 29), 12), date!(2025 - 02 - 28));
        assert_eq!(months_after(date!(2024 - 08 - 31), 42), date!(2028 - 02 - 29));
        assert_eq!(months_after(date!(2025 - 12 - 15), 1), date!(2026 - 01 - 15));
        assert_eq!(months_after(Date::MAX, 1), Date::MAX);
    }

    /// A certificate is valid no longer than its programme allows (found by attack:
    /// expiries in 2099 and 9999 were recognized and exported): to the day, on both sides.
    #[test]
    fn a_certificate_is_valid_no_longer_than_its_programme_allows() {
        let with = |program: ProgramCode, issue: Date, expiry: Date| {
            let mut c = fixture();
            c.program_code = program;
            c.category = program.category();
            c.issue_date = issue;
            c.status_date = Some(issue);
            c.expiry_date = expiry;
            c.check().err().map(|e| e.code())
        };
        let issue = date!(2025 - 01 - 10);
        // A management system: three years and six months at most.
        assert_eq!(with(ProgramCode::Qms, issue, date!(2028 - 01 - 09)), None);
        assert_eq!(with(ProgramCode::Qms, issue, date!(2028 - 07 - 10)), None);
        assert_eq!(with(ProgramCode::Qms, issue, date!(2028 - 07 - 11)), Some("model.validity_too_long"));
        assert_eq!(with(ProgramCode::Isms, issue, date!(2099 - 12 - 31)), Some("model.validity_too_long"));
        assert_eq!(with(ProgramCode::Qms, issue, Date::MAX), Some("model.validity_too_long"));
        // A service: ten years.
        assert_eq!(with(ProgramCode::Service, issue, date!(2035 - 07 - 10)), None);
        assert_eq!(with(ProgramCode::Service, issue, date!(2035 - 07 - 11)), Some("model.validity_too_long"));
        // CCC: five years and six months.
        let ccc = |expiry: Date| {
            let mut c = fixture();
            c.program_code = ProgramCode::Ccc;
            c.category = Category::Product;
            c.number = CertificateNo::parse_ccc("2025010701734562").expect("number");
            c.expiry_date = expiry;
            c.check().err().map(|e| e.code())
        };
        assert_eq!(ccc(date!(2030 - 07 - 10)), None);
        assert_eq!(ccc(date!(2030 - 07 - 11)), Some("model.validity_too_long"));
        let e = {
            let mut c = fixture();
            c.expiry_date = date!(2058 - 01 - 09);
            c.check().expect_err("too long").to_string()
        };
        assert_eq!(
            e,
            "issued 2025-01-10 and expiring 2058-01-09: valid longer than a management system's three-year cycle \
             (ISO/IEC 17021-1) and six months for a renewal decided before its end"
        );
    }

    /// Dates a certificate cannot state: issued in a year before its body was approved,
    /// a status set before the certificate was issued. The edges are allowed.
    #[test]
    fn a_certificate_is_issued_after_its_body_and_before_its_status() {
        let mut c = fixture();
        assert_eq!(c.certification_body.id.as_str(), "CNCA-R-2017-049");
        c.issue_date = date!(2017 - 01 - 01);
        c.status_date = Some(c.issue_date);
        c.expiry_date = date!(2019 - 12 - 31);
        assert_eq!(c.check(), Ok(()));
        c.issue_date = date!(2016 - 12 - 31);
        c.status_date = Some(c.issue_date);
        assert_eq!(c.check().map_err(|e| e.code()), Err("model.issued_before_approval"));
        assert_eq!(
            c.check().map_err(|e| e.to_string()),
            Err("issued 2016-12-31, in a year before CNCA-R-2017-049 was approved (2017)".into())
        );
        // A foreign body's id says no year.
        c.certification_body.id = BodyId::parse("dakks-cb").expect("id");
        assert_eq!(c.check(), Ok(()));

        let mut c = fixture();
        c.status_date = Some(date!(2025 - 01 - 08));
        assert_eq!(c.check().map_err(|e| e.code()), Err("model.status_before_issue"));
        // A day before is a calendar date west of China on the day it issued there.
        c.status_date = Some(date!(2025 - 01 - 09));
        assert_eq!(c.check(), Ok(()));
        c.status_date = Some(date!(2025 - 01 - 10));
        assert_eq!(c.check(), Ok(()));
    }

    /// A CCC certificate: a CNCA-approved body's, its products of the category its number
    /// was allotted for.
    #[test]
    fn a_ccc_certificate_is_a_designated_bodys_for_its_numbers_category() {
        let ccc = |body: &str, categories: &[Option<&str>]| {
            let mut c = fixture();
            c.program_code = ProgramCode::Ccc;
            c.category = Category::Product;
            c.number = CertificateNo::parse_ccc("2025010701734562").expect("number");
            c.expiry_date = date!(2030 - 01 - 09);
            c.certification_body.id = BodyId::parse(body).expect("id");
            c.products = categories
                .iter()
                .map(|cat| Product {
                    name: "电线".into(),
                    model: None,
                    hs_code: None,
                    ccc_category: cat.map(|c| CccCategory::parse(c).expect("category")),
                })
                .collect();
            c.check().map_err(|e| e.code())
        };
        assert_eq!(ccc("CNCA-R-2002-001", &[Some("0701"), None]), Ok(()));
        assert_eq!(ccc("CNCA-R-2002-001", &[Some("0701"), Some("1101")]), Err("model.ccc_category_mismatch"));
        assert_eq!(ccc("CNCA-R-2002-001", &[Some("0702")]), Err("model.ccc_category_mismatch"));
        assert_eq!(ccc("dakks-cb", &[Some("0701")]), Err("model.ccc_not_domestic"));
        assert_eq!(ccc("dakks-cb", &[]), Err("model.ccc_not_domestic"));
    }
}
