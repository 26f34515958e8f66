//! W3C Bitstring Status List bits from untrusted text (`decode`: multibase base64url of a
//! GZIP stream, never inflated past its cap) and kept list versions (`Version::read`): an
//! answer or an error, never a panic; what reads, writes back to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::status_list::{Version, decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((set, length)) = decode(text) {
            assert!(set.iter().all(|&i| i < length));
            assert_eq!(decode(&encode(&set, length)), Ok((set, length)));
        }
    }
    if let Some(version) = Version::read(data) {
        assert_eq!(version.document(), data);
    }
});
