//! C2SP tlog-tiles resource paths: `<L>/<N>[.p/<W>]` for a tile of hashes at level `L`,
//! `entries/<N>[.p/<W>]` for an entry bundle. `N` is written in groups of three digits, all
//! but the last prefixed with `x` (`x001/x234/067` for 1,234,067); `W`, a partial tile's
//! width, is 1 to 255; without it a tile is full (256).
//!
//! Parsing is strict: a path has exactly one spelling, so a cache keyed by path never holds
//! one tile twice, and what does not parse is refused rather than guessed at.

use super::merkle::TILE;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Hashes at this level (level 0: leaf hashes).
    Hashes(u8),
    /// Entries, each after its length.
    Entries,
}

/// A parsed tile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    pub kind: TileKind,
    pub index: u64,
    /// How many hashes or entries: [`TILE`] for a full tile.
    pub width: u64,
}

/// The highest level a tile may name (the spec's bound).
pub const MAX_LEVEL: u8 = 63;

impl TilePath {
    /// Reads `path` (what follows `tile/`).
    pub fn parse(path: &str) -> Result<Self, String> {
        let (kind, rest) = match path.split_once('/') {
            Some(("entries", rest)) => (TileKind::Entries, rest),
            Some((level, rest)) => {
                let level: u8 = canonical_number(level).and_then(|l| u8::try_from(l).ok()).ok_or("bad level")?;
                if level > MAX_LEVEL {
                    return Err(format!("level {level} is above {MAX_LEVEL}"));
                }
                (TileKind::Hashes(level), rest)
            }
            None => return Err("a tile path is <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]".into()),
        };
        let (index_path, width) = match rest.split_once(".p/") {
            Some((index, w)) => {
                let w = canonical_number(w).ok_or("bad partial width")?;
                if w == 0 || w >= TILE {
                    return Err(format!("a partial width is 1 to {}", TILE - 1));
                }
                (index, w)
            }
            None => (rest, TILE),
        };
        let groups: Vec<&str> = index_path.split('/').collect();
        let mut index: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let digits = if last { Some(*group) } else { group.strip_prefix('x') };
            let digits = digits.filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()));
            let value: u64 = digits.and_then(|d| d.parse().ok()).ok_or("the index is groups of three digits")?;
            if i == 0 && value == 0 && !last {
                return Err("the index has a leading zero group".into());
            }
            index = index.checked_mul(1000).and_then(|n| n.checked_add(value)).ok_or("the index is too large")?;
        }
        Ok(Self { kind, index, width })
    }

    /// The path's one spelling.
    pub fn path(&self) -> String {
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(format!("{:03}", n % 1000));
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        groups.reverse();
        let last = groups.len() - 1;
        let index: Vec<String> =
            groups.into_iter().enumerate().map(|(i, g)| if i < last { format!("x{g}") } else { g }).collect();
        let kind = match self.kind {
            TileKind::Hashes(level) => level.to_string(),
            TileKind::Entries => "entries".into(),
        };
        let partial = if self.width < TILE { format!(".p/{}", self.width) } else { String::new() };
        format!("{kind}/{}{partial}", index.join("/"))
    }
}

/// A decimal number without leading zeros (or `0`).
fn canonical_number(text: &str) -> Option<u64> {
    let canonical =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write_one_spelling() {
        for (path, kind, index, width) in [
            ("0/000", TileKind::Hashes(0), 0, 256),
            ("0/001.p/5", TileKind::Hashes(0), 1, 5),
            ("1/x001/x234/067", TileKind::Hashes(1), 1_234_067, 256),
            ("entries/x001/000.p/255", TileKind::Entries, 1000, 255),
            ("63/999", TileKind::Hashes(63), 999, 256),
        ] {
            let parsed = TilePath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(parsed, TilePath { kind, index, width }, "{path}");
            assert_eq!(parsed.path(), path);
        }
        for bad in [
            "",
            "0",
            "0/",
            "0/1",
            "0/0001",
            "0/x000/001",
            "0/001/002",
            "0/x1/002",
            "00/000",
            "64/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/05",
            "0/000.p/",
            "entries/",
            "entries/abc",
            "-1/000",
            "0/000/",
            "0/x18446744073709551/615",
            "0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
