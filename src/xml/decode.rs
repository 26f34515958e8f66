//! Turning document bytes into text according to the XML declaration.
//!
//! Domestic systems still write GB18030/GBK; everything else is UTF-8. The declaration is
//! read from the ASCII-compatible prefix, the named decoder is applied without replacement,
//! and the first byte that does not fit is reported with its line and column.

use super::{Pos, XmlError, pos_at};
use encoding_rs::{DecoderResult, GB18030};
use std::borrow::Cow;

/// Which decoder a document's declaration selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Utf8,
    /// Read with the GB18030 decoder, which reads GBK and GB2312 too, once the bytes are
    /// held to the charset named ([`Gb::first_illegal`]).
    Gb(Gb),
}

/// The Chinese national charsets a declaration may name, each a subset of the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gb {
    /// EUC-CN: two bytes, each 0xA1–0xFE (first at most 0xF7).
    Gb2312,
    /// GBK (and CP936): a first byte 0x81–0xFE, a second 0x40–0x7E or 0x80–0xFE.
    Gbk,
    /// GBK's pairs, and four bytes: 0x81–0xFE, 0x30–0x39, 0x81–0xFE, 0x30–0x39.
    Gb18030,
}

impl Gb {
    fn name(self) -> &'static str {
        match self {
            Gb::Gb2312 => "GB2312",
            Gb::Gbk => "GBK",
            Gb::Gb18030 => "GB18030",
        }
    }

    /// The pairs within the charset's byte ranges that it does not have, as ranges: those a
    /// later charset added there (GBK within GB2312's rows, GB18030 within GBK's), which the
    /// GB18030 decoder reads and the charset's own table (glibc's iconv, which libxml2 and
    /// so xmlsec1 decode with) refuses; and the pairs tables read as different characters.
    /// `tests/encodings.rs` holds every pair of each label to glibc's iconv.
    fn not_had(self) -> &'static [(u16, u16)] {
        match self {
            // GBK's additions in GB2312's rows; and A1A4, A1AA, which GB2312's tables read
            // as U+00B7 or U+30FB, U+2014 or U+2015.
            Gb::Gb2312 => &[
                (0xA1A4, 0xA1A4),
                (0xA1AA, 0xA1AA),
                (0xA2A1, 0xA2AA),
                (0xA2E3, 0xA2E3),
                (0xA3A0, 0xA3A0),
                (0xA6D9, 0xA6F5),
                (0xA8BB, 0xA8C0),
            ],
            // GB18030's additions in GBK's ranges (the euro sign, vertical forms, two
            // Latin letters, ideographic description characters, radicals); and A3A0.
            Gb::Gbk => &[
                (0xA2E3, 0xA2E3),
                (0xA3A0, 0xA3A0),
                (0xA6D9, 0xA6DF),
                (0xA6EC, 0xA6ED),
                (0xA6F3, 0xA6F3),
                (0xA8BC, 0xA8BC),
                (0xA8BF, 0xA8BF),
                (0xA989, 0xA995),
                (0xFE50, 0xFEA0),
            ],
            // Read as U+3000 by WHATWG's table and as U+E5E5 by glibc's: two byte strings
            // the gateway read as one signed text (found by review).
            Gb::Gb18030 => &[(0xA3A0, 0xA3A0)],
        }
    }

    /// Where the first byte sequence is that the charset does not have, if one is there.
    /// The GB18030 decoder (WHATWG's) reads more than XML 1.0 lets a document declared so
    /// hold (§4.3.3: bytes not legal in the declared encoding are a fatal error): a lone
    /// 0x80 as the euro sign (glibc reads it so under GBK; refused here under every label),
    /// GB18030's four-byte sequences under GBK, pairs the charset does not have
    /// ([`Gb::not_had`]) (found by review: xmllint and xmlsec1 refuse them, the gateway
    /// read them, and a signature verified over bytes libxml2 read otherwise).
    fn first_illegal(self, body: &[u8]) -> Option<usize> {
        let mut at = 0;
        while let Some(&first) = body.get(at) {
            if first < 0x80 {
                at += 1;
                continue;
            }
            let had = |second: u8| {
                let pair = u16::from_be_bytes([first, second]);
                !self.not_had().iter().any(|&(from, to)| (from..=to).contains(&pair))
            };
            let length = match (self, first, body.get(at + 1).copied()) {
                (Gb::Gb2312, 0xA1..=0xF7, Some(s @ 0xA1..=0xFE)) if had(s) => Some(2),
                (Gb::Gbk | Gb::Gb18030, 0x81..=0xFE, Some(s @ (0x40..=0x7E | 0x80..=0xFE))) if had(s) => Some(2),
                (Gb::Gb18030, 0x81..=0xFE, Some(second @ 0x30..=0x39)) => match (body.get(at + 2), body.get(at + 3)) {
                    (Some(&third @ 0x81..=0xFE), Some(&fourth @ 0x30..=0x39))
                        if four_bytes_had([first, second, third, fourth]) =>
                    {
                        Some(4)
                    }
                    _ => None,
                },
                _ => None,
            };
            match length {
                Some(n) => at += n,
                None => return Some(at),
            }
        }
        None
    }
}

/// Whether GB18030 as glibc's iconv reads it has this four-byte sequence (each byte in its
/// range): all but those of U+9FB4–U+9FBB and U+FE10–U+FE19, which GB18030-2005 gave
/// two-byte codes. The GB18030 decoder reads those sequences too, glibc refuses them (found
/// by attack: a signed document holding one verified here, and xmlsec1 refused it).
/// `tests/encodings.rs` holds every four-byte sequence of the BMP to glibc's iconv.
fn four_bytes_had(bytes: [u8; 4]) -> bool {
    let [a, b, c, d] = bytes.map(u32::from);
    // The sequence's place in GB18030's four-byte order, as its ranges table counts.
    let index = (a - 0x81) * 12_600 + (b - 0x30) * 1_260 + (c - 0x81) * 10 + (d - 0x30);
    !matches!(index, 19_057..=19_064 | 39_076..=39_085)
}

/// Decodes a document to UTF-8 text, honouring its declared encoding.
pub fn decode_document(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let (body, had_utf8_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(XmlError::UnsupportedEncoding { declared: "UTF-16".into() });
    }
    match declared_encoding(body)? {
        Declared::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(e) => {
                let good = body.get(..e.valid_up_to()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
                Err(XmlError::BadEncoding { pos: end_pos(good), encoding: "UTF-8" })
            }
        },
        Declared::Gb(_) if had_utf8_bom => Err(XmlError::BadEncoding {
            pos: Pos { line: 1, column: 1 },
            encoding: "GB18030 (the document starts with a UTF-8 byte-order mark)",
        }),
        Declared::Gb(charset) => {
            // GB18030 maps almost every byte sequence to some character, so UTF-8 bytes under a
            // GB18030 declaration would decode "successfully" into mojibake. Real GB18030 text
            // with Chinese characters is practically never valid UTF-8; when it is, the
            // declaration is wrong.
            if !body.is_ascii()
                && let Ok(as_utf8) = std::str::from_utf8(body)
            {
                let first = as_utf8.find(|c: char| !c.is_ascii()).unwrap_or(0);
                return Err(XmlError::BadEncoding {
                    pos: pos_at(as_utf8, first),
                    encoding: "GB18030 (the bytes are UTF-8)",
                });
            }
            if let Some(at) = charset.first_illegal(body) {
                // Positioned in the text before it, which is the charset's.
                let before = body.get(..at).map(|b| decode_gb18030(b, charset)).transpose()?.unwrap_or_default();
                return Err(XmlError::BadEncoding { pos: end_pos(&before), encoding: charset.name() });
            }
            let text = decode_gb18030(body, charset)?;
            // Private-use code points come out of byte pairs no GB18030 writer produces for text.
            if let Some(at) = text.find(|c: char| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
                return Err(XmlError::BadEncoding { pos: pos_at(&text, at), encoding: charset.name() });
            }
            Ok(Cow::Owned(text))
        }
    }
}

fn end_pos(text: &str) -> Pos {
    pos_at(text, text.len())
}

/// `body` read with the GB18030 decoder; an error names the `charset` declared.
fn decode_gb18030(body: &[u8], charset: Gb) -> Result<String, XmlError> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(body.len()).unwrap_or(body.len() * 3);
    let mut out = String::with_capacity(capacity);
    let mut src = body;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, true);
        // encoding_rs never reports more bytes read than it was given.
        let Some(rest) = src.get(read..) else {
            return Err(XmlError::BadEncoding { pos: end_pos(&out), encoding: charset.name() });
        };
        src = rest;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(src.len() * 3 + 16),
            DecoderResult::Malformed(_, _) => {
                return Err(XmlError::BadEncoding { pos: end_pos(&out), encoding: charset.name() });
            }
        }
    }
}

/// The encoding the XML declaration names (UTF-8 when there is no declaration or it names
/// none).
fn declared_encoding(body: &[u8]) -> Result<Declared, XmlError> {
    let Some(name) = read_declaration(body)? else {
        return Ok(Declared::Utf8);
    };
    match name.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => Ok(Declared::Utf8),
        "GB18030" => Ok(Declared::Gb(Gb::Gb18030)),
        "GBK" | "CP936" => Ok(Declared::Gb(Gb::Gbk)),
        "GB2312" => Ok(Declared::Gb(Gb::Gb2312)),
        _ => Err(XmlError::UnsupportedEncoding { declared: name }),
    }
}

/// The pseudo-attributes of the XML declaration, in the only order XML 1.0 allows.
const PSEUDO_ATTRIBUTES: [&str; 3] = ["version", "encoding", "standalone"];

/// Reads the XML declaration at the start of a document, if there is one, as XML 1.0 writes
/// it (production 23): `version`, then optionally `encoding`, then optionally `standalone`,
/// each once and nothing else. A declaration the parser would skip must still be right:
/// `gncoding="GBK"` read as no encoding at all would decode GBK bytes as UTF-8. Returns
/// the encoding it names.
fn read_declaration(body: &[u8]) -> Result<Option<String>, XmlError> {
    let is_declaration = body.starts_with(b"<?xml") && body.get(5).is_some_and(|b| b"? \t\r\n".contains(b));
    if !is_declaration {
        return Ok(None);
    }
    let end = body.windows(2).take(512).position(|w| w == b"?>").ok_or_else(|| XmlError::Malformed {
        pos: Pos { line: 1, column: 1 },
        message: "the XML declaration is not closed".into(),
    })?;
    // Every `rest` below is a suffix of `decl`, so `end - rest.len()` is where it starts in `body`.
    let Some(mut rest) = body.get(..end).and_then(|decl| decl.strip_prefix(b"<?xml")) else {
        return Err(XmlError::Malformed {
            pos: Pos { line: 1, column: 1 },
            message: "the XML declaration is not closed".into(),
        });
    };
    let at = |rest: &[u8]| end - rest.len();
    let bad = |at: usize, message: String| XmlError::Malformed { pos: ascii_pos(body, at), message };
    let mut last: Option<usize> = None;
    let mut encoding = None;
    loop {
        let after_space = skip_whitespace(rest);
        let had_space = after_space.len() < rest.len();
        rest = after_space;
        if rest.is_empty() {
            break;
        }
        if !had_space {
            return Err(bad(
                at(rest),
                "the XML declaration's pseudo-attributes must be separated by whitespace".into(),
            ));
        }
        let name_len = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count().max(1);
        let (name, after_name) = rest.split_at_checked(name_len).unwrap_or((rest, &[]));
        let name = String::from_utf8_lossy(name).to_string();
        let Some(which) = PSEUDO_ATTRIBUTES.iter().position(|p| *p == name) else {
            return Err(bad(
                at(rest),
                format!("'{name}' is not allowed in the XML declaration (version, encoding, standalone)"),
            ));
        };
        if last.map_or(which != 0, |l| which <= l) {
            let message = match last {
                None => "the XML declaration must begin with version".to_string(),
                Some(_) => format!("'{name}' is out of order or repeated (version, encoding, standalone, each once)"),
            };
            return Err(bad(at(rest), message));
        }
        rest = skip_whitespace(after_name);
        let Some(after_eq) = rest.strip_prefix(b"=") else {
            return Err(bad(at(rest), format!("'{name}' in the XML declaration lacks '='")));
        };
        rest = skip_whitespace(after_eq);
        let [quote @ (b'"' | b'\''), quoted @ ..] = rest else {
            return Err(bad(at(rest), format!("the value of '{name}' in the XML declaration is not quoted")));
        };
        let Some((value, after_value)) = split_once_at(quoted, *quote) else {
            return Err(bad(at(rest), format!("the value of '{name}' in the XML declaration is not closed")));
        };
        let fits = match which {
            0 => value.strip_prefix(b"1.").is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit)),
            1 => {
                value.first().is_some_and(u8::is_ascii_alphabetic)
                    && value.iter().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
            }
            _ => value == b"yes" || value == b"no",
        };
        if !fits {
            let expected = match which {
                0 => "1.0",
                1 => "an encoding name",
                _ => "yes or no",
            };
            let found = String::from_utf8_lossy(value);
            return Err(bad(at(quoted), format!("{name}=\"{found}\" in the XML declaration: expected {expected}")));
        }
        if which == 1 {
            encoding = Some(String::from_utf8_lossy(value).to_string());
        }
        last = Some(which);
        rest = after_value;
    }
    if last.is_none() {
        return Err(bad(at(rest), "the XML declaration must begin with version".into()));
    }
    Ok(encoding)
}

/// Where byte `at` of the declaration is: before it, everything that was read is ASCII.
fn ascii_pos(body: &[u8], at: usize) -> Pos {
    let before = body.get(..at).unwrap_or(body);
    let line = before.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
    Pos { line, column }
}

/// `b` without the XML whitespace it starts with.
fn skip_whitespace(mut b: &[u8]) -> &[u8] {
    while let [c, tail @ ..] = b
        && b" \t\r\n".contains(c)
    {
        b = tail;
    }
    b
}

/// The bytes before the first `sep` and those after it; `None` when there is no `sep`.
fn split_once_at(b: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = b.iter().position(|c| *c == sep)?;
    let (head, tail) = b.split_at_checked(i)?;
    Some((head, tail.get(1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_declared_and_encoded_decodes() {
        let (bytes, _, _) = GB18030.encode("<?xml version=\"1.0\" encoding=\"GB18030\"?><a>中文</a>");
        assert_eq!(decode_document(&bytes).unwrap(), "<?xml version=\"1.0\" encoding=\"GB18030\"?><a>中文</a>");
    }

    #[test]
    fn utf8_bytes_declared_gbk_are_rejected() {
        let doc = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<a>中文</a>";
        let err = decode_document(doc.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            XmlError::BadEncoding { pos: Pos { line: 2, column: 4 }, encoding: "GB18030 (the bytes are UTF-8)" }
        );
    }

    #[test]
    fn truncated_gb18030_is_rejected() {
        let (mut bytes, _, _) = GB18030.encode("<?xml version=\"1.0\" encoding=\"GB18030\"?><a>中");
        bytes.to_mut().push(0x81);
        let err = decode_document(&bytes).unwrap_err();
        assert!(matches!(err, XmlError::BadEncoding { encoding: "GB18030", .. }), "{err:?}");
    }

    #[test]
    fn gbk_bytes_declared_utf8_are_rejected_with_position() {
        let (gbk, _, _) = GB18030.encode("中文");
        let mut doc = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>".to_vec();
        doc.extend_from_slice(&gbk);
        let err = decode_document(&doc).unwrap_err();
        assert_eq!(err, XmlError::BadEncoding { pos: Pos { line: 2, column: 4 }, encoding: "UTF-8" });
    }

    #[test]
    fn unknown_encoding_is_named() {
        let err = decode_document(b"<?xml version='1.0' encoding='EBCDIC'?><a/>").unwrap_err();
        assert_eq!(err, XmlError::UnsupportedEncoding { declared: "EBCDIC".into() });
    }

    #[test]
    fn declarations_as_xml_writes_them_are_read() {
        for (doc, text) in [
            (&b"<?xml version=\"1.0\"?><a/>"[..], "<?xml version=\"1.0\"?><a/>"),
            (b"<?xml version='1.1' encoding='utf-8' standalone='no' ?><a/>", ""),
            (b"<?xml\n  version = \"1.0\"\n  encoding=\"UTF-8\"?>\n<a/>", ""),
            (b"<?xml-stylesheet href='s.xsl'?><a/>", ""),
            (b"<a/>", ""),
        ] {
            let decoded = decode_document(doc).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(doc)));
            if !text.is_empty() {
                assert_eq!(decoded, text);
            }
        }
        let (gbk, _, _) = GB18030.encode("<?xml version=\"1.0\" encoding=\"GBK\" standalone=\"yes\"?><a>中</a>");
        assert_eq!(
            decode_document(&gbk).unwrap(),
            "<?xml version=\"1.0\" encoding=\"GBK\" standalone=\"yes\"?><a>中</a>"
        );
    }

    #[test]
    fn a_declaration_xml_does_not_allow_is_refused_where_it_goes_wrong() {
        let malformed = |pos: (u32, u32), message: &str| XmlError::Malformed {
            pos: Pos { line: pos.0, column: pos.1 },
            message: message.into(),
        };
        for (doc, expected) in [
            (
                &b"<?xml version=\"1.0\" gncoding=\"GBK\"?><a/>"[..],
                malformed((1, 21), "'gncoding' is not allowed in the XML declaration (version, encoding, standalone)"),
            ),
            (b"<?xml encoding=\"UTF-8\"?><a/>", malformed((1, 7), "the XML declaration must begin with version")),
            (b"<?xml ?><a/>", malformed((1, 7), "the XML declaration must begin with version")),
            (
                b"<?xml version=\"1.0\" standalone=\"no\" encoding=\"GBK\"?><a/>",
                malformed((1, 37), "'encoding' is out of order or repeated (version, encoding, standalone, each once)"),
            ),
            (
                b"<?xml version=\"1.0\" version=\"1.0\"?><a/>",
                malformed((1, 21), "'version' is out of order or repeated (version, encoding, standalone, each once)"),
            ),
            (
                b"<?xml version=\"1.0\"encoding=\"GBK\"?><a/>",
                malformed((1, 20), "the XML declaration's pseudo-attributes must be separated by whitespace"),
            ),
            (
                b"<?xml version=\"2.0\"?><a/>",
                malformed((1, 16), "version=\"2.0\" in the XML declaration: expected 1.0"),
            ),
            (
                b"<?xml version=\"1.0\"\n encoding=\"\"?><a/>",
                malformed((2, 12), "encoding=\"\" in the XML declaration: expected an encoding name"),
            ),
            (
                b"<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
                malformed((1, 33), "standalone=\"maybe\" in the XML declaration: expected yes or no"),
            ),
            (
                b"<?xml version=1.0?><a/>",
                malformed((1, 15), "the value of 'version' in the XML declaration is not quoted"),
            ),
            (b"<?xml version\"1.0\"?><a/>", malformed((1, 14), "'version' in the XML declaration lacks '='")),
            (
                b"<?xml version=\"1.0?><a/>",
                malformed((1, 15), "the value of 'version' in the XML declaration is not closed"),
            ),
            (b"<?xml version=\"1.0\" <a/>", malformed((1, 1), "the XML declaration is not closed")),
        ] {
            assert_eq!(decode_document(doc).unwrap_err(), expected, "{}", String::from_utf8_lossy(doc));
        }
    }

    /// Each label reads only its charset's bytes, as libxml2 (glibc's iconv) does: GB18030's
    /// four bytes under GBK, GBK's pairs and the two pairs GB2312's tables disagree on under
    /// GB2312 are refused where they stand, and a lone 0x80 under any label (glibc reads it
    /// as the euro sign under GBK; the gateway is stricter); the charset's own read.
    /// `tests/encodings.rs` holds every pair to glibc.
    #[test]
    fn each_gb_label_reads_its_own_charset_only() {
        let doc = |label: &str, body: &[u8]| {
            let mut d = format!("<?xml version=\"1.0\" encoding=\"{label}\"?>\n<a>x").into_bytes();
            d.extend_from_slice(body);
            d.extend_from_slice(b"</a>");
            d
        };
        let refused = |encoding| XmlError::BadEncoding { pos: Pos { line: 2, column: 5 }, encoding };
        for (label, body, encoding) in [
            ("GB18030", &b"\x80"[..], "GB18030"),
            ("GB18030", b"\xff\xa1", "GB18030"),
            ("GB18030", b"\x81\x30\x81", "GB18030"),
            ("GB18030", b"\x81\x30\x81\x7f", "GB18030"),
            ("GBK", b"\x80", "GBK"),
            ("gbk", b"\x81\x30\x81\x30", "GBK"),
            ("CP936", b"\x81\x30\x81\x30", "GBK"),
            ("GBK", b"\x81\x7f", "GBK"),
            ("GB2312", b"\x80", "GB2312"),
            ("GB2312", b"\x81\x40", "GB2312"),
            ("GB2312", b"\xa1\xa4", "GB2312"),
            ("GB2312", b"\xa1\xaa", "GB2312"),
            ("GB2312", b"\xd6\xd0\xa1\xa1\x80", "GB2312"),
            ("GB2312", b"\x81\x30\x81\x30", "GB2312"),
        ] {
            let mut expected = refused(encoding);
            if body.starts_with(b"\xd6\xd0") {
                // After 中 and an ideographic space.
                expected = XmlError::BadEncoding { pos: Pos { line: 2, column: 7 }, encoding };
            }
            assert_eq!(decode_document(&doc(label, body)), Err(expected), "{label} {body:x?}");
        }
        for (label, body, text) in [
            ("GB18030", &b"\x81\x30\x81\x30"[..], "\u{80}"),
            ("GB18030", b"\xa1\xa4\xa1\xaa", "\u{b7}\u{2014}"),
            ("GBK", b"\xa1\xa4\x81\x40\xd6\xd0", "\u{b7}\u{4e02}中"),
            ("GB2312", b"\xd6\xd0\xce\xc4\xa1\xa1", "中文\u{3000}"),
        ] {
            let bytes = doc(label, body);
            let read = decode_document(&bytes).unwrap_or_else(|e| panic!("{label} {body:x?}: {e}"));
            assert!(read.ends_with(&format!("<a>x{text}</a>")), "{label}: {read}");
        }
    }
}
