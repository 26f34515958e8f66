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
/// - in lower case in every script,
/// - with the letters and digits a font draws alike as one: `i` (a capital `I` too), the
///   dotless `ı`, `ǀ`, `l` and `1`; `0` and `o`; `rn` and `m`, `vv` and `w`; Cyrillic,
///   Greek, Armenian and Cherokee letters drawn as Latin ones (`А` and `A`, `Ο` and `O`,
///   `օ` and `o`, `Ꮪ` and `S`…); katakana
///   drawn as an ideograph (`エ` and `工`, `カ` and `力`, `ロ` and `口`, `ー` and `一`…),
/// - anything but letters and digits a space (a hyphen, a dot, a no-break or ideographic
///   space), the spaces between words one.
///
/// Found by attack: a zero-width space, non-ASCII capitals, a dotless i, a digit for a
/// letter, a combining dot or a hyphen for a space made a name of its own.
pub fn look_alike_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_normalization::char::is_combining_mark;
    let folded = name
        .nfkd()
        .filter(|&c| !is_combining_mark(c) && !shows_nothing(c))
        .map(drawn_as_latin)
        .flat_map(char::to_lowercase)
        // After lower case, so that names `same_name` takes as one keep one key: `I` is `i`
        // by then, and joins `l` with it.
        .map(|c| match c {
            'i' | 'l' | '1' | '\u{131}' | '\u{1C0}' => 'l',
            '0' => 'o',
            // Katakana and hiragana drawn as the ideographs beside them (found by attack:
            // 中国エ业 for 中国工业).
            'エ' => '工',
            'カ' => '力',
            'ロ' => '口',
            'ー' | 'ㅡ' => '一',
            'ニ' => '二',
            'ハ' => '八',
            'ト' => '卜',
            'タ' => '夕',
            'ヌ' => '又',
            'ム' => '厶',
            'ヘ' => 'へ',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect::<String>();
    // Pairs of letters drawn as one (`rn` as `m`, `vv` as `w`).
    let folded = folded.replace("rn", "m").replace("vv", "w");
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Latin letter a Cyrillic, Greek, Armenian or Cherokee one is drawn as; any other
/// character as it is. A name written wholly in one script has no second script for
/// `mixed_scripts` to find: found by review, a body named `ԁаккѕ` in Cyrillic letters only
/// would have stood beside `dakks` (rule set 12), and `ᎠᎪᏦᏦᏚ` in Cherokee ones until rule
/// set 13. Capitals and small letters each as they look — Greek `Ν` is `N` but `ν` is `v`,
/// Cyrillic `Н` is `H` but `п` is `n` — so this is read before lower case (found by review:
/// mapped after it, `ιηη` kept apart from `INN`). The pairs are those Unicode's confusables
/// data maps to one Latin letter, and a few it maps to a small capital a reader takes for
/// the letter (`в`, `м`, `т`).
fn drawn_as_latin(c: char) -> char {
    match c {
        // Cyrillic capitals.
        'А' => 'A',
        'В' => 'B',
        'С' => 'C',
        'Ԁ' => 'D',
        'Е' => 'E',
        'Н' | 'Һ' => 'H',
        'І' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'О' => 'O',
        'Р' => 'P',
        'Ԛ' => 'Q',
        'Ѕ' => 'S',
        'Т' => 'T',
        'Ԝ' => 'W',
        'Х' => 'X',
        'У' | 'Ү' => 'Y',
        'Ь' => 'b',
        // Cyrillic small letters.
        'а' => 'a',
        'в' | 'ь' => 'b',
        'с' => 'c',
        'ԁ' => 'd',
        'е' => 'e',
        'һ' | 'н' => 'h',
        'і' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' => 'n',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'ԝ' => 'w',
        'х' => 'x',
        'у' | 'ү' => 'y',
        // Greek capitals.
        'Α' => 'A',
        'Β' => 'B',
        'Ϲ' => 'C',
        'Ε' => 'E',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Χ' => 'X',
        'Υ' => 'Y',
        'Ζ' => 'Z',
        // Greek small letters (the micro sign is `μ` after NFKD).
        'α' => 'a',
        'β' => 'b',
        'ϲ' => 'c',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'η' => 'n',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'μ' | 'υ' => 'u',
        'ν' => 'v',
        'ω' => 'w',
        'χ' => 'x',
        'γ' => 'y',
        // Armenian letters (rule set 13: `հօոց` is `hong`).
        'Օ' => 'O',
        'Տ' => 'S',
        'Ս' => 'U',
        'ք' => 'f',
        'ց' => 'g',
        'հ' => 'h',
        'ո' | 'ռ' => 'n',
        'օ' => 'o',
        'գ' | 'զ' => 'q',
        'ս' => 'u',
        'ա' => 'w',
        // Cherokee letters (rule set 13: `ᎠᎪᏦᏦᏚ` is `DAKKS`), capitals and the small letters
        // the data names.
        'Ꭺ' => 'A',
        'Ᏼ' => 'B',
        'Ꮯ' => 'C',
        'Ꭰ' => 'D',
        'Ꭼ' => 'E',
        'Ꮐ' | 'Ᏻ' => 'G',
        'Ꮋ' => 'H',
        'Ꭻ' => 'J',
        'Ꮶ' => 'K',
        'Ꮮ' => 'L',
        'Ꮇ' => 'M',
        'Ꮲ' => 'P',
        'Ꭱ' | 'Ꮢ' => 'R',
        'Ꮥ' | 'Ꮪ' => 'S',
        'Ꭲ' => 'T',
        'Ꮩ' => 'V',
        'Ꮃ' | 'Ꮤ' => 'W',
        'Ꭹ' | 'Ꮍ' => 'Y',
        'Ꮓ' => 'Z',
        'Ꮟ' => 'b',
        'Ꮷ' => 'd',
        'Ꮒ' => 'h',
        'Ꭵ' | 'ꭵ' => 'i',
        'ꮯ' => 'c',
        'ꮁ' => 'r',
        'ꮪ' => 's',
        'ꮩ' => 'v',
        'ꮃ' => 'w',
        'ꮓ' => 'z',
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
