//! Files the gateway is told to read (a key, a certificate, a trust list, a configuration, the
//! log's high-water mark): read whole, and only when each is a regular file of a bounded size.
//!
//! Found by attack: a key named as `/dev/zero` or `/dev/urandom` grew the process to 23 GB
//! before the kernel killed it, and a FIFO hung the start past SIGTERM. This module never
//! opens what is not a regular file, and never reads past its bound.

use std::io::Read;
use std::path::Path;

/// The most bytes of a file a configuration names: a trust list of a whole federation is a
/// few MB.
pub const MAX_CONFIGURED_BYTES: u64 = 64 << 20;

/// The file at `path`, read whole: a regular file of at most `max` bytes. The error is the
/// system's (`NotFound` kept as it is, for a caller to whom a missing file means something),
/// or `InvalidInput` saying why the file is not read.
pub fn read(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let refused = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
    // Asked before opening it: opening a FIFO waits for a writer.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "not a regular file (a device, a FIFO or a socket)" };
        return Err(refused(format!("is {what}; name a file")));
    }
    if meta.len() > max {
        return Err(refused(format!("{} bytes: at most {max} are read", meta.len())));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(refused(format!("grew past {max} bytes while it was read")));
    }
    Ok(bytes)
}

/// A file a configuration names ([`read`] within [`MAX_CONFIGURED_BYTES`]); the error names
/// the path and says why.
pub fn configured(path: &Path) -> Result<Vec<u8>, String> {
    read(path, MAX_CONFIGURED_BYTES).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`configured`], as the UTF-8 text it must be (a configuration).
pub fn configured_text(path: &Path) -> Result<String, String> {
    String::from_utf8(configured(path)?)
        .map_err(|e| format!("{}: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}
