//! ISO 13528:2022 robust statistics and performance scores.
//!
//! - median, MADe (1.483·median|xᵢ − med|), nIQR (0.7413·IQR, quartiles by linear
//!   interpolation between order statistics, Hyndman–Fan type 7); the median method takes
//!   either as s* (`median`, `median-niqr`);
//! - Algorithm A (Annex C.3): x* = median, s* = MADe (sample SD if MADe is 0); repeat
//!   δ = 1.5·s*, clip, x* = mean, s* = 1.134·SD of the clipped values; stop by `converge`
//!   (|Δx*| and |Δs*| below 10⁻¹⁰·s*) or `iso2022` (no change in the third significant figure
//!   of s*, nor in x* at that figure's decimal place, between two successive updates). s* collapsing to 0 makes the round
//!   degenerate: no scores are computed from it. It collapses when the values the window
//!   leaves unclipped are all one value (then s* shrinks by a constant factor each update),
//!   or falls to rounding noise beside x*; both are detected as such, relative to the
//!   results themselves (`Collapse`), not by an absolute threshold;
//! - u(x_pt) = 1.25·s*/√p for a consensus value; z, z′ (used when u(x_pt) > 0.3·σ_pt), ζ, Eₙ;
//! - homogeneity (Annex B: s_x, s_w, s_s ≤ 0.3·σ_pt) and stability (|ȳ₁ − ȳ₂| ≤ 0.3·σ_pt).
//!
//! Inputs are checked here too (at least 3 results, finite values, non-negative
//! uncertainties), so no NaN ever reaches a score.

use serde::Serialize;

/// Why a round's numbers cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    #[error("{count} results; at least 3 are needed")]
    TooFew { count: usize },
    #[error("row {row} ({participant}): {what} is not a finite number")]
    NotFinite { row: usize, participant: String, what: &'static str },
    #[error(
        "row {row} ({participant}): {what} is not zero nor within {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e} either side of it, where a round's statistics could overflow or underflow"
    )]
    OutOfRange { row: usize, participant: String, what: &'static str },
    #[error("a statistic of the round is not finite ({0}): it is not reported")]
    Overflow(&'static str),
    #[error("row {row} ({participant}): {what} must not be negative")]
    Negative { row: usize, participant: String, what: &'static str },
    // `{0:e}`: a number as small as 1e-200 written out in full took 200 digits (found by
    // attack), and hid that the bound, not the sign, refused it.
    #[error("σ_pt must be a positive number within {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e}, is {0:e}")]
    SigmaPt(f64),
    #[error("Algorithm A did not converge in {0} iterations")]
    NoConvergence(usize),
    #[error("homogeneity: {0}")]
    Homogeneity(String),
    #[error("stability: {0}")]
    Stability(String),
    #[error("assigned value: {0}")]
    Assigned(String),
}

impl StatsError {
    pub fn code(&self) -> &'static str {
        match self {
            StatsError::TooFew { .. } => "pt.too_few",
            StatsError::NotFinite { .. } => "pt.not_finite",
            StatsError::OutOfRange { .. } => "pt.out_of_range",
            StatsError::Overflow(_) => "pt.overflow",
            StatsError::Negative { .. } => "pt.negative",
            StatsError::SigmaPt(_) => "pt.sigma_pt",
            StatsError::NoConvergence(_) => "pt.no_convergence",
            StatsError::Homogeneity(_) => "pt.homogeneity",
            StatsError::Stability(_) => "pt.stability",
            StatsError::Assigned(_) => "pt.assigned_value",
        }
    }
}

/// One participant's result, with its uncertainties when reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantResult {
    pub participant: String,
    pub result: f64,
    /// Standard uncertainty u(x).
    pub u: Option<f64>,
    /// Expanded uncertainty U(x).
    #[serde(rename = "U")]
    pub expanded: Option<f64>,
}

/// How the assigned value is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    AlgorithmA,
    /// x* the median, s* MADe.
    Median,
    /// x* the median, s* nIQR (the other simple estimator of ISO 13528 C.2).
    MedianNiqr,
}

impl Method {
    /// The method's name in documents, reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::AlgorithmA => "algorithm-a",
            Method::Median => "median",
            Method::MedianNiqr => "median-niqr",
        }
    }
}

/// When Algorithm A stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// |Δx*| and |Δs*| both below 10⁻¹⁰·s*.
    Converge,
    /// No change between two updates in the third significant figure of s*, nor in x* at
    /// that figure's decimal place (ISO 13528's "equivalent figure").
    Iso2022,
}

/// The outcome of Algorithm A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Robust {
    pub x_star: f64,
    pub s_star: f64,
    pub iterations: usize,
    /// s* collapsed to 0: no scores may be computed.
    pub degenerate: bool,
}

pub fn median(values: &[f64]) -> f64 {
    median_in_place(&mut values.to_vec())
}

/// Median by selection (O(n)), reordering `v`.
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lower, upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        // The largest of the lower half is the other middle value.
        let lower_max = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower_max + upper) / 2.0
    }
}

/// MADe = 1.483 · median |xᵢ − median|.
pub fn made(values: &[f64]) -> f64 {
    let mut work = values.to_vec();
    let m = median_in_place(&mut work);
    for x in work.iter_mut() {
        *x = (*x - m).abs();
    }
    1.483 * median_in_place(&mut work)
}

/// Quantile by linear interpolation between order statistics (type 7).
/// NaN for no values, as [`median`] gives.
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let Some(last) = v.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    match (v.get(lo), v.get(hi)) {
        (Some(v_lo), Some(v_hi)) => v_lo + (h - lo as f64) * (v_hi - v_lo),
        _ => f64::NAN,
    }
}

/// nIQR = 0.7413 · (Q3 − Q1).
pub fn niqr(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    0.7413 * (quantile_sorted(&v, 0.75) - quantile_sorted(&v, 0.25))
}

fn sample_sd(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Rounds to three significant figures, for the ISO 13528:2022 stopping rule.
fn three_figures(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor();
    let scale = 10f64.powf(2.0 - magnitude);
    (x * scale).round() / scale
}

/// `x` rounded at the decimal place of `s`'s third significant figure: "the equivalent
/// figure" in the robust average of ISO 13528's stopping rule (Annex C). Its own third
/// significant figure was compared before (found by attack): x* ≈ 100.9 beside s* ≈ 2.6
/// was held to the unit, not to the hundredth, and Algorithm A stopped while x* still moved.
fn at_figure_of(x: f64, s: f64) -> f64 {
    if s == 0.0 || !s.is_finite() || !x.is_finite() {
        return x;
    }
    // Within range (|x| ≤ 1e150, s ≥ 1e-100) x·scale stays below 1e253: finite.
    let scale = 10f64.powf(2.0 - s.abs().log10().floor());
    (x * scale).round() / scale
}

const MAX_ITERATIONS: usize = 10_000;

/// s* at or below this fraction of |x*| (or of where it started) is rounding noise, not a
/// spread: a few units in the last place, where no difference between results is real.
const NOISE: f64 = 8.0 * f64::EPSILON;

/// Watches Algorithm A for a collapse: once every value the window leaves unclipped is one
/// and the same value, each update is the last one scaled (the clipped values sit at
/// x* ± 1.5·s*, so x* − value and s* change by one factor together) and s* shrinks by the
/// same factor every time, towards 0 — however slowly, and whatever the level or unit of
/// the results. Seen twice in a row with that factor below 1, the round is degenerate: the
/// iteration would only approach s* = 0, x* = that value. (A criterion relative to where s*
/// started would also flag rounds whose s* is legitimately tiny beside a far outlier.)
#[derive(Debug, Default)]
struct Collapse {
    ratio: Option<f64>,
}

impl Collapse {
    /// Whether the update with `identical_inside` and s* changed by `ratio` shows the
    /// collapse (the same factor below 1 as the update before).
    fn falls(&mut self, identical_inside: bool, ratio: f64) -> bool {
        if !identical_inside || ratio >= 1.0 {
            self.ratio = None;
            return false;
        }
        let settled = self.ratio.is_some_and(|r| (r - ratio).abs() <= 1e-12);
        self.ratio = Some(ratio);
        settled
    }
}

/// Algorithm A (ISO 13528:2022, C.3).
pub fn algorithm_a(values: &[f64], stop: Stop) -> Result<Robust, StatsError> {
    if values.len() < 3 {
        return Err(StatsError::TooFew { count: values.len() });
    }
    let p = values.len() as f64;
    // The iteration runs on the results' deviations from their median: results equal to it
    // become exactly 0, so a collapse shows as one, not hidden in the rounding of values far
    // from zero. x* is `c` plus the iteration's x.
    let c = median(values);
    let deviations: Vec<f64> = values.iter().map(|v| v - c).collect();
    let mut x = 0.0;
    let mut s = made(&deviations);
    if s == 0.0 {
        s = sample_sd(&deviations);
    }
    if s == 0.0 || !s.is_finite() {
        return Ok(Robust { x_star: c, s_star: 0.0, iterations: 0, degenerate: true });
    }
    // Where s* started: a spread it falls to within rounding of is none (a round whose
    // x* is near 0 has no level to measure rounding by).
    let start = s;
    let mut previous: Option<(f64, f64)> = None;
    let mut collapse = Collapse::default();
    for iteration in 1..=MAX_ITERATIONS {
        let delta = 1.5 * s;
        let (lo, hi) = (x - delta, x + delta);
        // One pass: sums of the clipped values' deviations from the current x*, which keeps
        // the variance formula numerically stable; and the range of the values left
        // unclipped.
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        let (mut inside_min, mut inside_max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in &deviations {
            if (lo..=hi).contains(&v) {
                inside_min = inside_min.min(v);
                inside_max = inside_max.max(v);
            }
            let d = v.clamp(lo, hi) - x;
            sum += d;
            sum_sq += d * d;
        }
        let new_x = x + sum / p;
        // sum·(sum/p), not sum²/p: |sum| reaches p times the largest deviation, and its
        // square could overflow where sum_sq (at most p times the largest square) does not.
        let variance = (sum_sq - sum * (sum / p)) / (p - 1.0);
        // Checked before it is held at zero: an overflow (∞ − ∞ is NaN) must not read as a
        // collapsed s*.
        if !(variance.is_finite() && new_x.is_finite()) {
            return Err(StatsError::Overflow("the robust standard deviation s*"));
        }
        let variance = variance.max(0.0);
        let new_s = 1.134 * variance.sqrt();
        let degenerate = |x_star: f64| Ok(Robust { x_star, s_star: 0.0, iterations: iteration, degenerate: true });
        // s* gone, or fallen to rounding noise beside x* or where it started: nothing it
        // could score is real.
        if new_s == 0.0 || new_s <= NOISE * (c + new_x).abs().max(start) {
            return degenerate(c + new_x);
        }
        if collapse.falls(inside_min == inside_max, new_s / s) {
            return degenerate(c + inside_min);
        }
        let done = match stop {
            Stop::Converge => (new_x - x).abs() < 1e-10 * new_s && (new_s - s).abs() < 1e-10 * new_s,
            // The starting values are not an update: compare two successive updates only.
            // Figures are of x* itself, not of its distance from the median.
            Stop::Iso2022 => previous.is_some_and(|(px, ps): (f64, f64)| {
                at_figure_of(c + px, new_s) == at_figure_of(c + new_x, new_s)
                    && three_figures(ps) == three_figures(new_s)
            }),
        };
        previous = Some((new_x, new_s));
        x = new_x;
        s = new_s;
        if done {
            return Ok(Robust { x_star: c + x, s_star: s, iterations: iteration, degenerate: false });
        }
    }
    Err(StatsError::NoConvergence(MAX_ITERATIONS))
}

/// The largest magnitude a number may have in a PT round: squares of such numbers, and sums
/// of millions of them, stay finite, so no statistic overflows (results of 1e308 would,
/// and a report would carry `inf`, which its own schema refuses).
pub const MAX_MAGNITUDE: f64 = 1e150;

/// The smallest magnitude a number other than zero may have in a PT round: the squares of
/// the deviations between such numbers stay normal doubles for any spread doubles can tell
/// apart (about 1e-16 of their level: 1e-100 · 1e-16 squared is 1e-232), so Algorithm A
/// neither drifts nor collapses. Found by review: results of about 1e-160 gave a wrong s*
/// reported as right, and from 1e-161 a spread of 10 % was taken for a collapsed s*; at
/// 1e-150 (rule set 9), a relative spread of 1e-12 still was (rule set 10). No measured
/// quantity comes near it.
pub const MIN_MAGNITUDE: f64 = 1e-100;

/// Whether `x` may enter a PT round: finite, and zero or within [`MIN_MAGNITUDE`] to
/// [`MAX_MAGNITUDE`] either side of it. The one rule for every reader of PT numbers
/// (exchange XML, CSV) and for the statistics.
pub fn in_range(x: f64) -> bool {
    x.is_finite() && x.abs() <= MAX_MAGNITUDE && (x == 0.0 || x.abs() >= MIN_MAGNITUDE)
}

/// A PT number written as text (a result, an uncertainty, a coverage factor, in exchange XML
/// or CSV): a decimal or scientific number [`in_range`]. A number too small to be held, which
/// reads as zero, is refused as `1e-101` is (found by attack: `1e-400` was read as 0 while
/// `1e-101` was refused).
pub fn read_number(text: &str) -> Option<f64> {
    let n = text.parse::<f64>().ok().filter(|&n| in_range(n))?;
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let written_zero = !mantissa.bytes().any(|b| matches!(b, b'1'..=b'9'));
    (n != 0.0 || written_zero).then_some(n)
}

/// u = U/k, the standard uncertainty an expanded uncertainty states, when it may enter a
/// round ([`in_range`]). U and k each in range can divide to a u outside it (U = 1e-100 with
/// k = 1e150), which closing would refuse for the whole measurand, every laboratory's
/// scores with it: found by attack, one partner's result left a joint round's measurand
/// unevaluated. Every reader of a submission holds U and k to it.
pub fn standard_from_expanded(big_u: f64, k: f64) -> Option<f64> {
    let u = big_u / k;
    in_range(u).then_some(u)
}

/// Checks results before any statistic: count, finiteness, uncertainties.
pub fn check_results(results: &[ParticipantResult]) -> Result<(), StatsError> {
    if results.len() < 3 {
        return Err(StatsError::TooFew { count: results.len() });
    }
    for (i, r) in results.iter().enumerate() {
        let row = i + 1;
        let who = || r.participant.clone();
        if !r.result.is_finite() {
            return Err(StatsError::NotFinite { row, participant: who(), what: "result" });
        }
        if !in_range(r.result) {
            return Err(StatsError::OutOfRange { row, participant: who(), what: "result" });
        }
        for (value, what) in [(r.u, "u"), (r.expanded, "U")] {
            if let Some(v) = value {
                if !v.is_finite() {
                    return Err(StatsError::NotFinite { row, participant: who(), what });
                }
                if !in_range(v) {
                    return Err(StatsError::OutOfRange { row, participant: who(), what });
                }
                if v < 0.0 {
                    return Err(StatsError::Negative { row, participant: who(), what });
                }
            }
        }
    }
    Ok(())
}

/// Satisfactory, questionable or unsatisfactory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Satisfactory,
    Questionable,
    Unsatisfactory,
}

/// |z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory.
pub fn classify_z(z: f64) -> Classification {
    let a = z.abs();
    if a <= 2.0 {
        Classification::Satisfactory
    } else if a < 3.0 {
        Classification::Questionable
    } else {
        Classification::Unsatisfactory
    }
}

/// |Eₙ| ≤ 1 satisfactory, otherwise unsatisfactory.
pub fn classify_en(en: f64) -> Classification {
    if en.abs() <= 1.0 { Classification::Satisfactory } else { Classification::Unsatisfactory }
}

/// Which score classifies the participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreUsed {
    Z,
    ZPrime,
}

/// One participant's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub participant: String,
    pub result: f64,
    pub z: Option<f64>,
    pub z_prime: Option<f64>,
    pub zeta: Option<f64>,
    pub en: Option<f64>,
    pub classification: Option<Classification>,
    pub en_classification: Option<Classification>,
}

/// Options of a round's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Options {
    pub method: Method,
    pub stop: Stop,
    /// σ_pt fixed by the scheme; `None` uses the round's robust s*.
    pub sigma_pt: Option<f64>,
}

/// A round's evaluation: everything needed to reproduce the numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub method: Method,
    pub stop: Stop,
    pub p: usize,
    pub x_pt: f64,
    pub u_x_pt: f64,
    /// The round's robust standard deviation; `None` when the evaluation does not rest on it
    /// (a reference or formulation value and a fixed σ_pt) and it could not be computed.
    pub s_star: Option<f64>,
    pub sigma_pt: f64,
    pub score_used: ScoreUsed,
    pub degenerate: bool,
    pub iterations: usize,
    pub results: Vec<Scored>,
}

/// Where the assigned value x_pt and its uncertainty come from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum AssignedValue {
    /// The round's robust mean (Algorithm A) or median; u(x_pt) = 1.25·s*/√p.
    Consensus,
    /// A reference value with its standard uncertainty (e.g. a certified reference material).
    Reference { value: f64, u: f64 },
    /// A formulation value with its standard uncertainty (the amount put into the item).
    Formulation { value: f64, u: f64 },
}

/// Evaluates a round with a consensus assigned value.
pub fn evaluate(results: &[ParticipantResult], options: &Options) -> Result<Report, StatsError> {
    evaluate_with(results, options, AssignedValue::Consensus)
}

/// Evaluates a round against an assigned value from `assigned`. The robust statistics are
/// always computed and reported; they decide x_pt only for a consensus value and σ_pt only
/// when the scheme fixes none. A collapsed s* makes the round degenerate only when x_pt or
/// σ_pt depends on it.
pub fn evaluate_with(
    results: &[ParticipantResult],
    options: &Options,
    assigned: AssignedValue,
) -> Result<Report, StatsError> {
    check_results(results)?;
    if let Some(s) = options.sigma_pt
        && !(in_range(s) && s > 0.0)
    {
        return Err(StatsError::SigmaPt(s));
    }
    let values: Vec<f64> = results.iter().map(|r| r.result).collect();
    let p = values.len();
    let depends_on_s = assigned == AssignedValue::Consensus || options.sigma_pt.is_none();
    let robust = match options.method {
        Method::AlgorithmA => algorithm_a(&values, options.stop),
        Method::Median | Method::MedianNiqr => {
            let x = median(&values);
            let s = if options.method == Method::Median { made(&values) } else { niqr(&values) };
            // No spread, or none beside rounding noise: nothing to score with.
            let degenerate = s == 0.0 || s <= NOISE * x.abs();
            Ok(Robust { x_star: x, s_star: if degenerate { 0.0 } else { s }, iterations: 0, degenerate })
        }
    };
    let robust = match robust {
        Ok(robust) => robust,
        // Neither x_pt nor σ_pt rests on the robust statistics (a reference or formulation
        // value, a fixed σ_pt): the round is scored without them whatever kept them from
        // being computed (Algorithm A not converging, fewer results than it takes), and s*
        // is not reported (found by attack: results on which Algorithm A did not converge
        // left a measurand with a reference value and a fixed σ_pt unscored).
        Err(_) if !depends_on_s => Robust { x_star: f64::NAN, s_star: f64::NAN, iterations: 0, degenerate: false },
        Err(e) => return Err(e),
    };
    let (x_pt, u_x_pt) = match assigned {
        AssignedValue::Consensus => (robust.x_star, 1.25 * robust.s_star / (p as f64).sqrt()),
        AssignedValue::Reference { value, u } | AssignedValue::Formulation { value, u } => {
            if !in_range(value) || !in_range(u) || u < 0.0 {
                return Err(StatsError::Assigned(format!(
                    "value {value} with u {u}: both must be zero or finite within {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e} either side of it, u not negative"
                )));
            }
            (value, u)
        }
    };
    let sigma_pt = options.sigma_pt.unwrap_or(robust.s_star);
    let degenerate = robust.degenerate && depends_on_s;
    let use_prime = u_x_pt > 0.3 * sigma_pt;
    let score_used = if use_prime { ScoreUsed::ZPrime } else { ScoreUsed::Z };
    // A degenerate round gives no scores; nor does σ_pt = 0 (from a degenerate s*).
    let scoring = !degenerate && sigma_pt > 0.0;
    let scored: Vec<Scored> = results
        .iter()
        .map(|r| {
            let d = r.result - x_pt;
            let z = scoring.then(|| d / sigma_pt);
            // √(a² + b²) as hypot: squaring would underflow to 0 for tiny values (a division
            // by zero) and overflow for huge ones.
            let z_prime = scoring.then(|| d / sigma_pt.hypot(u_x_pt));
            let zeta = r.u.filter(|_| scoring).map(|u| d / u.hypot(u_x_pt));
            let en = r.expanded.filter(|_| scoring).map(|big_u| d / big_u.hypot(2.0 * u_x_pt));
            let used = if use_prime { z_prime } else { z };
            Scored {
                participant: r.participant.clone(),
                result: r.result,
                z,
                z_prime,
                zeta: zeta.filter(|v| v.is_finite()),
                en: en.filter(|v| v.is_finite()),
                classification: used.map(classify_z),
                en_classification: en.filter(|v| v.is_finite()).map(classify_en),
            }
        })
        .collect();
    // Bounded inputs keep every statistic finite; should one not be all the same, the round
    // is refused rather than reported with inf or NaN.
    let s_star = Some(robust.s_star).filter(|s| !s.is_nan() || depends_on_s);
    let statistics = [("x_pt", x_pt), ("u(x_pt)", u_x_pt), ("s*", s_star.unwrap_or(0.0)), ("σ_pt", sigma_pt)];
    if let Some((name, _)) = statistics.iter().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::Overflow(name));
    }
    let scores_finite = |s: &Scored| [s.z, s.z_prime].into_iter().flatten().all(f64::is_finite);
    if !scored.iter().all(scores_finite) {
        return Err(StatsError::Overflow("a z or z′ score"));
    }
    Ok(Report {
        method: options.method,
        stop: options.stop,
        p,
        x_pt,
        u_x_pt,
        s_star,
        sigma_pt,
        score_used,
        degenerate,
        iterations: robust.iterations,
        results: scored,
    })
}

/// Eₙ for a bilateral comparison of two laboratories (one taken as reference).
pub fn en_bilateral(x: f64, big_u_x: f64, reference: f64, big_u_ref: f64) -> Option<f64> {
    let denom = big_u_x.hypot(big_u_ref);
    // A score that is not finite (a difference far beyond uncertainties near zero) is no
    // score: left unscored, as a consensus Eₙ is, never written as `inf`.
    Some((x - reference) / denom).filter(|en| denom > 0.0 && en.is_finite())
}

/// Homogeneity (ISO 13528 Annex B.3): g items, each measured m times. The names are the
/// Annex's: s_x of the item means, s_w within items, s_s between them; sufficient when
/// s_s ≤ 0.3·σ_pt (B.2.2). Without σ_pt there is no criterion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Homogeneity {
    pub g: usize,
    pub m: usize,
    /// The general mean (of the item means).
    pub mean: f64,
    pub s_x: f64,
    pub s_w: f64,
    pub s_s: f64,
    pub criterion: Option<f64>,
    pub sufficient: Option<bool>,
}

/// The homogeneity check of `items` (each item's replicate results), against σ_pt when given.
pub fn homogeneity(items: &[Vec<f64>], sigma_pt: Option<f64>) -> Result<Homogeneity, StatsError> {
    let g = items.len();
    if g < 2 {
        return Err(StatsError::Homogeneity(format!("{g} items; at least 2 are needed")));
    }
    let m = items.first().map_or(0, Vec::len);
    if let Some((i, item)) = items.iter().enumerate().find(|(_, i)| i.len() != m) {
        return Err(StatsError::Homogeneity(format!(
            "item {} has {} replicates, the first {m}: every item needs the same number",
            i + 1,
            item.len()
        )));
    }
    if m < 2 {
        return Err(StatsError::Homogeneity(format!("{m} replicate per item; at least 2 are needed")));
    }
    if !items.iter().flatten().all(|v| in_range(*v)) {
        return Err(StatsError::Homogeneity(format!(
            "every result must be zero or a finite number within {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e} either side of it"
        )));
    }
    if let Some(s) = sigma_pt.filter(|s| !(in_range(*s) && *s > 0.0)) {
        return Err(StatsError::SigmaPt(s));
    }
    // Taken from one of the results first: a study's results share their leading digits,
    // and summing them whole lost the spread to rounding (found by attack: results about
    // 1e12 apart by 1e-3 gave s_s 3.1e-4 for an exact 6.1e-5, which decided `sufficient`).
    // Each difference from a nearby value is exact, and the spread does not move with it.
    let origin = items.first().and_then(|i| i.first()).copied().unwrap_or(0.0);
    let means: Vec<f64> = items.iter().map(|i| i.iter().map(|v| v - origin).sum::<f64>() / m as f64).collect();
    let mean = origin + means.iter().sum::<f64>() / g as f64;
    let s_x = sample_sd(&means);
    let within: f64 = items
        .iter()
        .zip(&means)
        .map(|(i, mean)| i.iter().map(|v| (v - origin - mean).powi(2)).sum::<f64>() / (m as f64 - 1.0))
        .sum::<f64>()
        / g as f64;
    let s_w = within.sqrt();
    let s_s = (s_x.powi(2) - s_w.powi(2) / m as f64).max(0.0).sqrt();
    let criterion = sigma_pt.map(|s| 0.3 * s);
    Ok(Homogeneity { g, m, mean, s_x, s_w, s_s, criterion, sufficient: criterion.map(|c| s_s <= c) })
}

/// Stability (ISO 13528 Annex B.5): the mean of the results of one occasion (say the
/// homogeneity study) against another's (the stability study); stable when they differ by
/// at most 0.3·σ_pt (B.17).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stability {
    pub mean_1: f64,
    pub mean_2: f64,
    pub difference: f64,
    pub criterion: f64,
    pub stable: bool,
}

/// The stability check of the results of two occasions against σ_pt.
pub fn stability(first: &[f64], second: &[f64], sigma_pt: f64) -> Result<Stability, StatsError> {
    if first.is_empty() || second.is_empty() {
        return Err(StatsError::Stability("each occasion needs at least one result".into()));
    }
    if !first.iter().chain(second).all(|v| in_range(*v)) {
        return Err(StatsError::Stability(format!(
            "every result must be zero or a finite number within {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e} either side of it"
        )));
    }
    if !(in_range(sigma_pt) && sigma_pt > 0.0) {
        return Err(StatsError::SigmaPt(sigma_pt));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mean_1, mean_2) = (mean(first), mean(second));
    let difference = (mean_1 - mean_2).abs();
    let criterion = 0.3 * sigma_pt;
    Ok(Stability { mean_1, mean_2, difference, criterion, stable: difference <= criterion })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers as written: zero however written, numbers in range, and none that is out of
    /// range, not finite, or too small to hold (which reads as zero).
    #[test]
    fn numbers_are_read_in_range_or_not_at_all() {
        for (text, n) in [("0", 0.0), ("-0", -0.0), ("0.000", 0.0), ("0e-400", 0.0), ("+1.5", 1.5), (".5", 0.5)] {
            assert_eq!(read_number(text).map(f64::to_bits), Some(f64::to_bits(n)), "{text}");
        }
        for (text, n) in [("1e-100", 1e-100), ("-1E150", -1e150), ("2.5e3", 2500.0)] {
            assert_eq!(read_number(text), Some(n), "{text}");
        }
        for text in ["1e-400", "-1e-400", "0.001e-400", "1e-101", "1e151", "1e400", "inf", "NaN", "1,5", " 1", ""] {
            assert_eq!(read_number(text), None, "{text}");
        }
    }

    #[test]
    fn three_significant_figures() {
        assert_eq!(three_figures(123456.0), 123000.0);
        assert_eq!(three_figures(0.0012345), 0.00123);
        assert_eq!(three_figures(-9.996), -10.0);
        // x* at the place of s*'s third figure.
        assert_eq!(at_figure_of(100.8684, 2.58), 100.87);
        assert_eq!(at_figure_of(1000.444, 0.5), 1000.444);
        assert_eq!(at_figure_of(1000.4444, 0.5), 1000.444);
        assert_eq!(at_figure_of(-9.996, 1.0), -10.0);
        assert_eq!(at_figure_of(123456.0, 7000.0), 123460.0);
    }

    #[test]
    fn median_made_niqr_by_hand() {
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(median(&v), 3.0);
        // |dev| = 2,1,0,1,97 → median 1.
        assert!((made(&v) - 1.483).abs() < 1e-12);
        // Q1 = 2, Q3 = 4 (type 7) → IQR 2.
        assert!((niqr(&v) - 1.4826).abs() < 1e-12);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    /// Results near the bound (±1e150) give the statistics of the same results scaled
    /// down, scaled up: an intermediate square that overflowed read as a collapsed s*.
    #[test]
    fn algorithm_a_is_the_same_at_the_bound_as_scaled_down() {
        let mut unit = vec![0.0; 30_001];
        unit.extend(std::iter::repeat_n(1.0, 30_000));
        let scaled: Vec<f64> = unit.iter().map(|v| v * MAX_MAGNITUDE).collect();
        for stop in [Stop::Converge, Stop::Iso2022] {
            let small = algorithm_a(&unit, stop).expect("unit results");
            let large = algorithm_a(&scaled, stop).expect("results at the bound");
            assert!(!small.degenerate && !large.degenerate, "{small:?} {large:?}");
            assert!(small.s_star > 0.5, "{small:?}");
            assert!((large.s_star / MAX_MAGNITUDE - small.s_star).abs() <= 1e-9 * small.s_star, "{small:?} {large:?}");
            assert!((large.x_star / MAX_MAGNITUDE - small.x_star).abs() <= 1e-9, "{small:?} {large:?}");
            assert_eq!(large.iterations, small.iterations);
        }
    }

    /// At the smallest magnitude, Algorithm A on results spread by any amount doubles can
    /// tell apart (down to about 1e-15 of their level) gives the s* of the same results
    /// scaled up, to the precision the spread leaves: the squares of their deviations stay
    /// normal numbers (at 1e-150, the bound of rule set 9, a relative spread of 1e-12 was
    /// taken for a collapsed s*).
    #[test]
    fn algorithm_a_keeps_its_precision_at_the_smallest_magnitude() {
        for spread in [1e-3, 1e-6, 1e-8, 1e-10, 1e-12] {
            let unit: Vec<f64> = [0.0, 1.0, -1.0, 0.5, -0.3, 0.8, 2.5].iter().map(|d| 2.0 + d * spread).collect();
            let tiny: Vec<f64> = unit.iter().map(|v| v * MIN_MAGNITUDE).collect();
            assert!(tiny.iter().all(|&v| in_range(v)), "{tiny:?}");
            let (a, b) =
                (algorithm_a(&unit, Stop::Converge).expect("unit"), algorithm_a(&tiny, Stop::Converge).expect("tiny"));
            assert!(!b.degenerate, "{spread:e}: {b:?}");
            // The unit results themselves resolve their spread to about 1e-16 / spread.
            let tolerance = 1e-9f64.max(1e-14 / spread);
            let relative = (b.s_star / MIN_MAGNITUDE - a.s_star).abs() / a.s_star;
            assert!(
                relative <= tolerance,
                "spread {spread:e}: s* {:e} against {:e} ({relative:e})",
                b.s_star / MIN_MAGNITUDE,
                a.s_star
            );
        }
    }

    /// A result other than zero below 1e-100 is refused, as one above 1e150 is (found by
    /// review: results of about 1e-160 gave a wrong s*, and below it no scores; at 1e-150, a
    /// small spread none); at the bound, the statistics are those of the same results
    /// scaled up.
    #[test]
    fn results_below_the_smallest_magnitude_are_refused() {
        for (x, ok) in [
            (0.0, true),
            (1e-100, true),
            (-1e-100, true),
            (9.99e-101, false),
            (1e-150, false),
            (-1e-160, false),
            (f64::MIN_POSITIVE, false),
        ] {
            assert_eq!(in_range(x), ok, "{x:e}");
        }
        let unit = [1.0, 1.1, 0.9, 1.05, 0.97];
        let tiny: Vec<f64> = unit.iter().map(|v| v * 1e-99).collect();
        let (small, scaled) =
            (algorithm_a(&unit, Stop::Converge).expect("unit"), algorithm_a(&tiny, Stop::Converge).expect("tiny"));
        assert!(!scaled.degenerate, "{scaled:?}");
        assert!((scaled.s_star / 1e-99 - small.s_star).abs() <= 1e-9 * small.s_star, "{small:?} {scaled:?}");
    }

    /// A bilateral Eₙ that is not finite is no score; a finite one is exact.
    #[test]
    fn a_bilateral_en_is_finite_or_none() {
        assert_eq!(en_bilateral(1.5, 0.3, 1.0, 0.4), Some(1.0));
        assert_eq!(en_bilateral(1e150, 1e-300, 1.0, 0.0), None);
        assert_eq!(en_bilateral(-1e150, 0.0, 1e150, 1e-300), None);
        assert_eq!(en_bilateral(1.0, 0.0, 1.0, 0.0), None, "no uncertainty at all");
        assert_eq!(en_bilateral(1.0, 0.0, 2.0, 0.0), None);
    }
}
