//! The Chinese national charsets a document may declare (GB18030, GBK, GB2312), held to
//! glibc's iconv — the decoder libxml2, and so xmllint and xmlsec1, read them with — pair by
//! pair: every two bytes after a lead byte, under each label. A pair the gateway reads must
//! be read as the same character by glibc, and a pair glibc refuses must be refused: else a
//! signature verifies over bytes other readers read otherwise (found by review: A3A0 was
//! read as U+3000, which glibc reads as U+E5E5, and GBK's additions passed under GB2312).

mod common;

use std::collections::HashMap;

/// What glibc's iconv reads each pair as under `label`: the characters, or `None` when it
/// refuses the pair. One Python process calls iconv(3) through ctypes for every pair.
fn glibc_reads(label: &str) -> HashMap<u16, Option<String>> {
    let script = r#"
import ctypes, ctypes.util, sys
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.iconv_open.restype = ctypes.c_void_p
libc.iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.iconv.restype = ctypes.c_size_t
libc.iconv.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t),
                       ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
cd = libc.iconv_open(b"UTF-8", sys.argv[1].encode())
assert cd != ctypes.c_void_p(-1).value, "iconv_open"
out = []
for lead in range(0x81, 0xFF):
    for trail in range(0x40, 0xFF):
        src = bytes([lead, trail])
        inbuf = ctypes.c_char_p(src); inleft = ctypes.c_size_t(2)
        dst = ctypes.create_string_buffer(16); outbuf = ctypes.cast(dst, ctypes.c_char_p); outleft = ctypes.c_size_t(16)
        libc.iconv(cd, None, None, None, None)
        r = libc.iconv(cd, ctypes.byref(inbuf), ctypes.byref(inleft), ctypes.byref(outbuf), ctypes.byref(outleft))
        ok = r != ctypes.c_size_t(-1).value and inleft.value == 0
        text = dst.raw[:16 - outleft.value].decode("utf-8") if ok else None
        out.append("%04X %s" % (lead << 8 | trail, "-" if text is None else " ".join("%X" % ord(c) for c in text)))
print("\n".join(out))
"#;
    let out = std::process::Command::new("python3").args(["-c", script, label]).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let (pair, read) = line.split_once(' ').expect("a pair and what it reads");
            let chars = (read != "-").then(|| {
                read.split(' ')
                    .map(|c| char::from_u32(u32::from_str_radix(c, 16).expect("hex")).expect("char"))
                    .collect()
            });
            (u16::from_str_radix(pair, 16).expect("hex"), chars)
        })
        .collect()
}

/// What the gateway's reader reads the pair as, in a document declared `label`.
fn mrgate_reads(label: &str, pair: u16) -> Option<String> {
    let mut doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a>").into_bytes();
    doc.extend_from_slice(&pair.to_be_bytes());
    doc.extend_from_slice(b"</a>");
    mrgate::xml::parse_document(&doc, &mrgate::xml::Limits::default()).ok().map(|d| d.root.text())
}

#[test]
fn every_pair_of_each_gb_label_is_read_as_glibc_reads_it_or_refused() {
    if !common::tool("python3") {
        return;
    }
    for label in ["GB18030", "GBK", "GB2312"] {
        let glibc = glibc_reads(label);
        assert_eq!(glibc.len(), 126 * 191, "{label}");
        let (mut read, mut stricter) = (0, Vec::new());
        for (&pair, theirs) in &glibc {
            let ours = mrgate_reads(label, pair);
            match (&ours, theirs) {
                (Some(a), Some(b)) => {
                    assert_eq!(a, b, "{label} {pair:04X}: read otherwise");
                    read += 1;
                }
                (Some(a), None) => panic!("{label} {pair:04X}: read as {a:?}, which glibc refuses"),
                (None, Some(b)) => stricter.push((pair, b.clone())),
                (None, None) => {}
            }
        }
        stricter.sort();
        // Refused here and read by glibc: only what its table reads as a private-use
        // character (which the gateway refuses in any text); a document whose bytes are
        // UTF-8 (a declaration that does not say what the bytes are); and GB18030's six pairs
        // the GB18030 decoder reads as private-use characters where glibc reads the
        // supplementary ideographs GB18030-2005 moved them to; and GB2312's A1A4 and A1AA,
        // which its tables read as different characters (glibc's as U+30FB and U+2015, the
        // GB18030 decoder's as U+00B7 and U+2014).
        let private = |s: &str| s.chars().all(|c| ('\u{E000}'..='\u{F8FF}').contains(&c));
        let utf8 = |pair: u16| std::str::from_utf8(&pair.to_be_bytes()).is_ok();
        let moved: &[u16] = match label {
            "GB18030" => &[0xFE51, 0xFE52, 0xFE53, 0xFE6C, 0xFE76, 0xFE91],
            "GB2312" => &[0xA1A4, 0xA1AA],
            _ => &[],
        };
        let unexplained: Vec<_> =
            stricter.iter().filter(|(p, s)| !private(s) && !utf8(*p) && !moved.contains(p)).take(20).collect();
        assert!(unexplained.is_empty(), "{label}: refused, read by glibc: {unexplained:04X?}");
        // Every pair of the charset but those a UTF-8 body refuses: GB2312 has 7,445, GBK
        // 21,886, GB18030's two-byte part as many.
        let least = if label == "GB2312" { 6_000 } else { 19_000 };
        assert!(read > least, "{label}: only {read} pairs read");
        eprintln!("{label}: {read} pairs read alike, {} refused that glibc reads", stricter.len());
    }
}
