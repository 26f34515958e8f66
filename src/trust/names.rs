//! Names of the bodies of a trust list: how a certificate's names compare with them
//! ([`same_name`]), and what makes a list's names tell its bodies apart
//! ([`names_tell_bodies_apart`]: `trust build` writes no list, and the gateway installs
//! none, in which a name is another body's or looks like one).
//!
//! Nothing here reads a list or a certificate; it only compares names.

/// Whether two names are one, as names are compared: without the whitespace around them
/// (any Unicode whitespace: a no-break or ideographic space too), ASCII letters folded to
/// lower case, and nothing else (a full-width letter, a Cyrillic look-alike or a zero-width
/// space makes another name). Without allocating: every verification compares the names it
/// states with every body's of the list (a national list holds over a thousand).
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// What a reader sees of a name, as a key (`trust build`'s and the install's check that no
/// name names two bodies): names [`same_name`] takes as one have one key, and so do names
/// that are one to a person though a certificate's names compare apart ([`same_name`] is
/// exact but for ASCII case and surrounding spaces). The key is the name
/// - in compatibility form, decomposed (NFKD: the full-width `ＵＫＡＳ` is `UKAS`, the
///   ligature `ﬁ` is `fi`, `é` is `e` and a combining acute),
/// - without combining marks (`ė` and `e`, a dot above an `i`) and the characters that show
///   nothing (the zero-width (non-)joiner; the others no name holds),
/// - each character as the letter it is drawn as, in every script: its prototype in
///   Unicode's confusables data (the UTS #39 skeleton, [`unicode_security::skeleton`]:
///   Cyrillic `А` and Latin `A`, Greek `Ο` and `O`, Armenian `օ` and `o`, Cherokee `Ꮪ`, Lisu
///   `ꓢ` and `S`, `1`, `I` and `l`, `0` and `O`, `m` and `rn`, katakana `エ` and the
///   ideograph `工`, `士` and `土`…), and before it the few letters a reader takes for a
///   Latin one where that data keeps them apart (`also_drawn_as`),
/// - in lower case in every script, after its prototype: capitals and small letters each
///   as they look (Greek `Ν` is `N`, and `ν` is `v`),
/// - with `i` and the dotless `ı` as `l`, `rn` as `m` and `vv` as `w` (after lower case, so
///   that names `same_name` takes as one keep one key: `M`'s prototype is `M`, `m`'s `rn`),
/// - anything but letters and digits a space (a hyphen, a dot, a no-break or ideographic
///   space), the spaces between words one.
///
/// Found by attack: a zero-width space, non-ASCII capitals, a dotless i, a digit for a
/// letter, a combining dot or a hyphen for a space made a name of its own; found by review,
/// names wholly in Cyrillic, Greek, Armenian or Cherokee letters (rule sets 12 and 13), and
/// in letters of the scripts no table here named, until Unicode's data was read for all
/// (rule set 14: Lisu `ꓓꓮꓗꓗꓢ` stood beside `DAKKS`).
pub fn look_alike_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_normalization::char::is_combining_mark;
    let compatible = name
        .chars()
        // A lunate sigma is drawn as a `C`; its compatibility form is the sigma `Σ`, which
        // is not.
        .map(|c| match c {
            '\u{3F9}' => 'C',
            '\u{3F2}' => 'c',
            c => c,
        })
        .nfkd()
        .filter(|&c| !is_combining_mark(c) && !shows_nothing(c))
        .map(also_drawn_as)
        .collect::<String>();
    let folded = unicode_security::skeleton(&compatible)
        .filter(|&c| !is_combining_mark(c))
        // Again on the prototypes: every member of a group Unicode's data draws alike reads
        // as the letter one of them is taken for (found by review: Coptic `ⲕ`, whose
        // prototype is `к`'s, `ĸ`, kept `ⲕⲟⲣ` apart from `кор`).
        .map(also_drawn_as)
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'i' | '\u{131}' => 'l',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect::<String>();
    let folded = folded.replace("rn", "m").replace("vv", "w");
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The letter a reader takes a character for where Unicode's confusables data keeps them
/// apart; any other character as it is. That data draws these Cyrillic and Greek small
/// letters as small capitals or other letters (`в` as `ʙ`, `к` as `ĸ`, `т` as `ᴛ`, `β` as
/// `ß`), and holds no prototype for the others; in a name among Latin ones, each is read as
/// the Latin letter (rule set 12, found by review: `ιηη` beside `INN`). Read after the
/// compatibility form (the micro sign is `μ` then), and again on the prototypes, which
/// holds the whole group of each to that letter (`ʙ`, `ĸ`, `ᴛ`… here are prototypes). `ß`,
/// `β`'s prototype, is not read as `b`: German names write it.
fn also_drawn_as(c: char) -> char {
    match c {
        'Ԁ' => 'D',
        'в' | 'ь' | 'β' | 'ʙ' | 'ƅ' => 'b',
        'ε' | 'ꞓ' => 'e',
        'н' | 'ʜ' => 'h',
        'к' | 'κ' | 'ĸ' => 'k',
        'м' | 'ʍ' => 'm',
        'п' | 'π' => 'n',
        'т' | 'τ' | 'ᴛ' => 't',
        'μ' => 'u',
        'ω' => 'w',
        'χ' => 'x',
        // A katakana drawn as the ideograph (found by attack: 中国エ业 for 中国工业; Unicode's
        // data has the others).
        'ヌ' => '又',
        c => c,
    }
}

/// A character that takes no place when a name is shown: what no name holds
/// ([`crate::model::is_hidden_control`], refused before), and the
/// zero-width non-joiner and joiner, which a name may hold.
fn shows_nothing(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}') || crate::model::is_hidden_control(c)
}

/// Refuses the names of a list's bodies (each body's id, its names in each language, its
/// trade names) unless they tell the bodies apart: every name has a letter or a digit,
/// holds no control, format or invisible character ([`crate::model::is_hidden_control`])
/// nor letters of two scripts (`mixed_scripts`), and is no other body's name as a
/// certificate's names are read ([`super::Provider::is_named`]) nor looks like one
/// ([`look_alike_key`]). Found by review: a trade name equal to another body's id let a CB
/// state that body's id as its name under "valid", and a name of a zero-width space alone
/// was written; found by attack: a body named like another but for a tag character was
/// installed, and its credentials verified "valid" under the other's name.
pub fn names_tell_bodies_apart<'a>(bodies: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Result<(), String> {
    let mut held: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for (id, names) in bodies {
        let mut own = std::collections::HashSet::new();
        for name in names {
            if !name.chars().any(char::is_alphanumeric) {
                return Err(format!("body '{id}': the name '{}' has no letter or digit", shown(name)));
            }
            if let Some(c) = crate::model::first_hidden(name) {
                return Err(format!(
                    "body '{id}': the name '{}' holds U+{:04X}, a control, format or invisible character",
                    shown(name),
                    u32::from(c)
                ));
            }
            // A radical or a stroke stands for a part of an ideograph, never in a name; one
            // without a compatibility form (`⺗` for `心`) would look like its ideograph
            // (found by attack).
            if let Some(c) = name.chars().find(|c| matches!(c, '\u{2E80}'..='\u{2FDF}' | '\u{31C0}'..='\u{31EF}')) {
                return Err(format!(
                    "body '{id}': the name '{}' holds U+{:04X}, a CJK radical or stroke, which a name does not write",
                    shown(name),
                    u32::from(c)
                ));
            }
            if let Some((a, b)) = mixed_scripts(name) {
                return Err(format!(
                    "body '{id}': the name '{}' mixes {a} and {b} letters, as a look-alike of another name does; \
                     a name in each script is a name of its own",
                    shown(name)
                ));
            }
            let key = look_alike_key(name);
            if !own.insert(key.clone()) {
                continue;
            }
            if let Some(other) = held.insert(key, id) {
                return Err(format!(
                    "body '{id}': the name '{}' is also a name of body '{other}', or looks like one",
                    shown(name)
                ));
            }
        }
    }
    Ok(())
}

/// A name as a message shows it: each control, format or invisible character written
/// `\u{..}`, the zero-width (non-)joiner too (`escape_debug` leaves a variation selector
/// after a letter as it is).
fn shown(name: &str) -> String {
    name.chars()
        .map(|c| match c.is_control() || crate::model::is_hidden_control(c) || matches!(c, '\u{200C}' | '\u{200D}') {
            true => c.escape_unicode().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// The first two scripts `name` mixes (in its compatibility form: a full-width letter is
/// its letter), among the letters outside Chinese, Japanese and Korean ones, which names
/// mix with Latin letters (`CQC 中国质量认证中心`): a Cyrillic `а` in `Exаmple`, a Cherokee
/// `Ꮪ` for an `S`, an Armenian `օ` for an `o`, a Cyrillic word among Latin ones — how a
/// look-alike of another name is made (found by attack). A body named in two scripts gives
/// each as a name of its own. A name wholly in another script that looks like a Latin one
/// (Cyrillic `Сор`) is not refused here: [`look_alike_key`] reads it as the Latin name.
fn mixed_scripts(name: &str) -> Option<(&'static str, &'static str)> {
    use unicode_normalization::UnicodeNormalization as _;
    let mut first: Option<&'static str> = None;
    for c in name.nfkc().filter(|c| c.is_alphanumeric()) {
        let Some(script) = script(c) else { continue };
        match first {
            None => first = Some(script),
            Some(f) if f != script => return Some((f, script)),
            Some(_) => {}
        }
    }
    None
}

/// A letter's script, by the blocks that hold it: `None` for Chinese, Japanese and Korean,
/// which mix with any; an unnamed block answers "another script" (each block apart would be
/// finer, and would still refuse the same names mixed with Latin).
fn script(c: char) -> Option<&'static str> {
    Some(match c {
        // Digits are no script's in ASCII, and are their script's elsewhere (an Oriya or an
        // Arabic-Indic zero in `CNCA-R-2002-001`: found by attack).
        '0'..='9' => return None,
        'A'..='Z' | 'a'..='z' | '\u{AA}' | '\u{BA}' | '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => "Latin",
        '\u{2C60}'..='\u{2C7F}' | '\u{A720}'..='\u{A7FF}' => "Latin",
        // Phonetic letters and small capitals are Latin in form but no name writes them: `ɑ`
        // for `a`, `ɡ` for `g`, `ᴄʜɪɴᴀ` for `CHINA` (found by attack).
        '\u{250}'..='\u{2AF}' | '\u{1D00}'..='\u{1DBF}' | '\u{AB30}'..='\u{AB6F}' => "phonetic",
        '\u{370}'..='\u{3FF}' | '\u{1F00}'..='\u{1FFF}' => "Greek",
        '\u{400}'..='\u{52F}' | '\u{1C80}'..='\u{1C8F}' | '\u{2DE0}'..='\u{2DFF}' | '\u{A640}'..='\u{A69F}' => {
            "Cyrillic"
        }
        '\u{530}'..='\u{58F}' | '\u{FB13}'..='\u{FB17}' => "Armenian",
        '\u{13A0}'..='\u{13FF}' | '\u{AB70}'..='\u{ABBF}' => "Cherokee",
        '\u{1100}'..='\u{11FF}'
        | '\u{3040}'..='\u{31BF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}' => return None,
        _ => "another script",
    })
}

#[cfg(test)]
mod tests {
    use super::{look_alike_key, same_name};
    use proptest::prelude::*;

    /// Names [`same_name`] takes as one have one look-alike key, whatever Unicode's
    /// confusables data draws a letter as in one case and not the other (`M` is `M`, `m` is
    /// `rn`; `I` is `l`, `i` is `i`): without it, a name in capitals would be a name of its
    /// own beside the same name in small letters.
    #[test]
    fn names_compared_as_one_have_one_key() {
        let config = ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() };
        proptest!(config, |(name in "[ -~]{0,24}", upper in proptest::collection::vec(any::<bool>(), 24), pad in "[ \t\u{A0}\u{3000}]{0,2}")| {
            let other: String = name
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let other = format!("{pad}{other}{pad}");
            prop_assert!(same_name(&name, &other));
            prop_assert_eq!(look_alike_key(&name), look_alike_key(&other), "{:?} {:?}", name, other);
        });
    }
}
