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

/// What a reader sees of a name, as a key (`trust build`'s check that no name names two
/// bodies): names [`same_name`] takes as one have one key, and so do names that are one to
/// a person though a certificate's names compare apart ([`same_name`] is exact but
/// for ASCII case and surrounding spaces). The name in compatibility form (NFKC: the
/// full-width `ＵＫＡＳ` is `UKAS`, the ligature `ﬁ` is `fi`), without the characters
/// that show nothing (U+200B, U+200D, U+2060, U+FEFF, the soft hyphen, variation selectors,
/// tag characters…), in lower case in every script, its spaces of every kind (U+00A0, U+3000)
/// one space between words. Found by attack: a zero-width space inside a name, or another
/// body's name in non-ASCII capitals, was taken as a name of its own.
pub fn look_alike_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let shown: String = name.nfkc().filter(|&c| !shows_nothing(c)).flat_map(char::to_lowercase).collect();
    shown.split_whitespace().collect::<Vec<_>>().join(" ")
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
/// nor a word mixing scripts ([`mixed_script_word`]), and is no other body's name as a
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
            if let Some(c) = name.chars().find(|&c| crate::model::is_hidden_control(c)) {
                return Err(format!(
                    "body '{id}': the name '{}' holds U+{:04X}, a control, format or invisible character",
                    shown(name),
                    u32::from(c)
                ));
            }
            if let Some(word) = mixed_script_word(name) {
                return Err(format!(
                    "body '{id}': the name '{}' mixes Latin, Greek or Cyrillic letters in the word '{word}', as a \
                     look-alike of another name does",
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

/// The first word of `name` (its compatibility form: a full-width letter is its letter)
/// whose letters come from more than one of the Latin, Greek and Cyrillic scripts: `Exаmple`
/// with a Cyrillic `а` looks like `Example` and compares apart, and no body's true name
/// mixes them inside a word (found by attack). A whole word in another script that looks
/// like a Latin one (Cyrillic `Сор`) is not caught; that needs Unicode's confusables data.
fn mixed_script_word(name: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization as _;
    #[derive(PartialEq, Clone, Copy)]
    enum Script {
        Latin,
        Greek,
        Cyrillic,
    }
    let script = |c: char| match c {
        'A'..='Z' | 'a'..='z' | '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => Some(Script::Latin),
        '\u{370}'..='\u{3FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{400}'..='\u{52F}' | '\u{1C80}'..='\u{1C8F}' | '\u{2DE0}'..='\u{2DFF}' | '\u{A640}'..='\u{A69F}' => {
            Some(Script::Cyrillic)
        }
        _ => None,
    };
    let shown: String = name.nfkc().collect();
    shown
        .split(|c: char| !c.is_alphanumeric())
        .find(|word| {
            let mut scripts = word.chars().filter(|c| c.is_alphabetic()).filter_map(script);
            scripts.next().is_some_and(|first| scripts.any(|s| s != first))
        })
        .map(str::to_string)
}
