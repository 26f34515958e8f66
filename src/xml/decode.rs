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
    Gb18030,
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
                let good = std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default();
                Err(XmlError::BadEncoding { pos: end_pos(good), encoding: "UTF-8" })
            }
        },
        Declared::Gb18030 if had_utf8_bom => Err(XmlError::BadEncoding {
            pos: Pos { line: 1, column: 1 },
            encoding: "GB18030 (the document starts with a UTF-8 byte-order mark)",
        }),
        Declared::Gb18030 => {
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
            let text = decode_gb18030(body)?;
            // Private-use code points come out of byte pairs no GB18030 writer produces for text.
            if let Some(at) = text.find(|c: char| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
                return Err(XmlError::BadEncoding { pos: pos_at(&text, at), encoding: "GB18030" });
            }
            Ok(Cow::Owned(text))
        }
    }
}

fn end_pos(text: &str) -> Pos {
    pos_at(text, text.len())
}

fn decode_gb18030(body: &[u8]) -> Result<String, XmlError> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(body.len()).unwrap_or(body.len() * 3);
    let mut out = String::with_capacity(capacity);
    let mut src = body;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, true);
        src = &src[read..];
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(src.len() * 3 + 16),
            DecoderResult::Malformed(_, _) => {
                return Err(XmlError::BadEncoding { pos: end_pos(&out), encoding: "GB18030" });
            }
        }
    }
}

/// Reads `encoding="…"` from the XML declaration, if there is one.
fn declared_encoding(body: &[u8]) -> Result<Declared, XmlError> {
    if !body.starts_with(b"<?xml") {
        return Ok(Declared::Utf8);
    }
    let end = body.windows(2).take(512).position(|w| w == b"?>").ok_or_else(|| XmlError::Malformed {
        pos: Pos { line: 1, column: 1 },
        message: "the XML declaration is not closed".into(),
    })?;
    let decl = &body[..end];
    let Some(at) = find(decl, b"encoding") else {
        return Ok(Declared::Utf8);
    };
    let rest = &decl[at + b"encoding".len()..];
    let rest = trim_ascii_start(rest);
    let rest = rest.strip_prefix(b"=").map(trim_ascii_start).ok_or_else(bad_decl)?;
    let quote = *rest.first().ok_or_else(bad_decl)?;
    if quote != b'"' && quote != b'\'' {
        return Err(bad_decl());
    }
    let value_end = rest[1..].iter().position(|&b| b == quote).ok_or_else(bad_decl)?;
    let name = String::from_utf8_lossy(&rest[1..1 + value_end]).to_string();
    match name.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => Ok(Declared::Utf8),
        "GB18030" | "GBK" | "GB2312" | "CP936" => Ok(Declared::Gb18030),
        _ => Err(XmlError::UnsupportedEncoding { declared: name }),
    }
}

fn bad_decl() -> XmlError {
    XmlError::Malformed {
        pos: Pos { line: 1, column: 1 },
        message: "the encoding in the XML declaration cannot be read".into(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
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
}
