//! The Chinese national charsets a document may declare (GB18030, GBK, GB2312), held to
//! glibc's iconv — the decoder libxml2, and so xmllint and xmlsec1, read them with — pair by
//! pair: every two bytes after a lead byte, under each label. A pair the gateway reads must
//! be read as the same character by glibc, and a pair glibc refuses must be refused: else a
//! signature verifies over bytes other readers read otherwise (found by review: A3A0 was
//! read as U+3000, which glibc reads as U+E5E5, and GBK's additions passed under GB2312).

mod common;

/// What glibc's iconv reads each of `sequences` as under `label`: the characters, or
/// `None` when it refuses the sequence. One Python process calls iconv(3) through ctypes for
/// every sequence, given one per line in hex.
fn glibc_reads(label: &str, sequences: &[Vec<u8>]) -> Vec<Option<String>> {
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
for line in sys.stdin.read().split():
    src = bytes.fromhex(line)
    inbuf = ctypes.c_char_p(src); inleft = ctypes.c_size_t(len(src))
    dst = ctypes.create_string_buffer(16); outbuf = ctypes.cast(dst, ctypes.c_char_p); outleft = ctypes.c_size_t(16)
    libc.iconv(cd, None, None, None, None)
    r = libc.iconv(cd, ctypes.byref(inbuf), ctypes.byref(inleft), ctypes.byref(outbuf), ctypes.byref(outleft))
    ok = r != ctypes.c_size_t(-1).value and inleft.value == 0
    text = dst.raw[:16 - outleft.value].decode("utf-8") if ok else None
    out.append("-" if text is None else " ".join("%X" % ord(c) for c in text))
print("\n".join(out))
"#;
    use std::io::Write;
    let mut python = std::process::Command::new("python3")
        .args(["-c", script, label])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let hex: String =
        sequences.iter().map(|s| s.iter().map(|b| format!("{b:02X}")).collect::<String>() + "\n").collect();
    python.stdin.take().expect("stdin").write_all(hex.as_bytes()).expect("write");
    let out = python.wait_with_output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: Vec<Option<String>> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|read| {
            (read != "-").then(|| {
                read.split(' ')
                    .map(|c| char::from_u32(u32::from_str_radix(c, 16).expect("hex")).expect("char"))
                    .collect()
            })
        })
        .collect();
    assert_eq!(read.len(), sequences.len(), "{label}: one answer per sequence");
    read
}

/// What the gateway's reader reads the bytes as, in a document declared `label`.
fn mrgate_reads(label: &str, bytes: &[u8]) -> Option<String> {
    let mut doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a>").into_bytes();
    doc.extend_from_slice(bytes);
    doc.extend_from_slice(b"</a>");
    mrgate::xml::parse_document(&doc, &mrgate::xml::Limits::default()).ok().map(|d| d.root.text())
}

#[test]
fn every_pair_of_each_gb_label_is_read_as_glibc_reads_it_or_refused() {
    if !common::tool("python3") {
        return;
    }
    for label in ["GB18030", "GBK", "GB2312"] {
        let pairs: Vec<u16> =
            (0x81..=0xFE).flat_map(|lead| (0x40..=0xFE).map(move |trail| lead << 8 | trail)).collect();
        assert_eq!(pairs.len(), 126 * 191, "{label}");
        let sequences: Vec<Vec<u8>> = pairs.iter().map(|p| p.to_be_bytes().to_vec()).collect();
        let (mut read, mut stricter) = (0, Vec::new());
        for ((&pair, bytes), theirs) in pairs.iter().zip(&sequences).zip(glibc_reads(label, &sequences)) {
            let ours = mrgate_reads(label, bytes);
            match (ours, theirs) {
                (Some(a), Some(b)) => {
                    assert_eq!(a, b, "{label} {pair:04X}: read otherwise");
                    read += 1;
                }
                (Some(a), None) => panic!("{label} {pair:04X}: read as {a:?}, which glibc refuses"),
                (None, Some(b)) => stricter.push((pair, b)),
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

/// GB18030's four-byte sequences: every one of the BMP's part (first byte 0x81–0x84) and
/// beyond it up to 0x84 39 FE 39, a sample of the supplementary planes' (0x90–0xE3) and of
/// the first bytes no character has (0x85–0x8F, 0xE4–0xFE). Each the gateway reads is read
/// alike by glibc, and each glibc refuses is refused (found by attack: the sequences of
/// U+9FB4–U+9FBB and U+FE10–U+FE19, which GB18030-2005 gave two-byte codes, were read here
/// and refused by glibc, and a signed document holding one verified).
#[test]
fn every_four_byte_sequence_of_gb18030_is_read_as_glibc_reads_it_or_refused() {
    if !common::tool("python3") {
        return;
    }
    let (all, some): (Vec<u8>, Vec<u8>) = ((0x81..=0xFE).collect(), vec![0x81, 0x82, 0xC0, 0xFD, 0xFE]);
    let sequences: Vec<Vec<u8>> = (0x81..=0xFEu8)
        .flat_map(|first| {
            let thirds = if first <= 0x84 { all.clone() } else { some.clone() };
            (0x30..=0x39u8).flat_map(move |second| {
                let thirds = thirds.clone();
                thirds
                    .into_iter()
                    .flat_map(move |third| (0x30..=0x39u8).map(move |fourth| vec![first, second, third, fourth]))
            })
        })
        .collect();
    let (mut read, mut stricter) = (0, Vec::new());
    for (bytes, theirs) in sequences.iter().zip(glibc_reads("GB18030", &sequences)) {
        match (mrgate_reads("GB18030", bytes), theirs) {
            (Some(a), Some(b)) => {
                assert_eq!(a, b, "{bytes:02X?}: read otherwise");
                read += 1;
            }
            (Some(a), None) => panic!("{bytes:02X?}: read as {a:?}, which glibc refuses"),
            (None, Some(b)) => stricter.push((bytes, b)),
            (None, None) => {}
        }
    }
    // Refused here and read by glibc: only what reads as a private-use character, which the
    // gateway refuses in any text, or as U+FFFE or U+FFFF, which are no XML characters.
    let refused_anyway = |s: &str| s.chars().all(|c| ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{FFFE}');
    let unexplained: Vec<_> = stricter.iter().filter(|(_, s)| !refused_anyway(s)).take(20).collect();
    assert!(unexplained.is_empty(), "refused, read by glibc: {unexplained:02X?}");
    // The BMP's 39,420 sequences less the 18 re-coded ones and the private-use ones, and
    // 74 × 10 × 5 × 10 of the supplementary planes'.
    assert!(read > 39_000 + 30_000, "only {read} sequences read");
    eprintln!("GB18030 four-byte: {read} read alike, {} refused that glibc reads", stricter.len());
}
