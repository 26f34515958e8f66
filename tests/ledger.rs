//! The transparency log: RFC 9162 tree heads against known answers, every inclusion and
//! consistency proof up to size 64 checked against a second, naive implementation written
//! here from the RFC's recursive definitions (and, in a 24,581-leaf tree, those across the
//! edges of the chunks the tree stores its levels in), tampering detected, receipts verified
//! offline, and a forked log caught by a consistency check.

use mrgate::ledger::MemoryLog;
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::ledger::merkle::{self, Hash, Tree};
use mrgate::ledger::receipt;
use ring::digest::{SHA256, digest};
use ring::signature::{Ed25519KeyPair, KeyPair};

// --- the naive reference implementation (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1) ---------------

fn h(bytes: &[u8]) -> Hash {
    digest(&SHA256, bytes).as_ref().try_into().expect("32 bytes")
}

fn naive_mth(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => h(b""),
        1 => h(&[&[0u8][..], &leaves[0]].concat()),
        n => {
            let k = (1usize << (usize::BITS - (n - 1).leading_zeros())) / 2;
            h(&[&[1u8][..], &naive_mth(&leaves[..k]), &naive_mth(&leaves[k..])].concat())
        }
    }
}

fn naive_path(m: usize, leaves: &[Vec<u8>]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = (1usize << (usize::BITS - (n - 1).leading_zeros())) / 2;
    if m < k {
        [naive_path(m, &leaves[..k]), vec![naive_mth(&leaves[k..])]].concat()
    } else {
        [naive_path(m - k, &leaves[k..]), vec![naive_mth(&leaves[..k])]].concat()
    }
}

fn naive_subproof(m: usize, leaves: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b { vec![] } else { vec![naive_mth(leaves)] };
    }
    let k = (1usize << (usize::BITS - (n - 1).leading_zeros())) / 2;
    if m <= k {
        [naive_subproof(m, &leaves[..k], b), vec![naive_mth(&leaves[k..])]].concat()
    } else {
        [naive_subproof(m - k, &leaves[k..], false), vec![naive_mth(&leaves[..k])]].concat()
    }
}

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("entry {i}").into_bytes()).collect()
}

fn tree_of(data: &[Vec<u8>]) -> Tree {
    let mut t = Tree::new();
    for d in data {
        t.append(d);
    }
    t
}

fn flip(mut h: Hash, bit: usize) -> Hash {
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

#[test]
fn known_tree_heads() {
    // The eight leaves of the Certificate Transparency reference tests; roots for sizes 1–8.
    let data: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x10],
        vec![0x20, 0x21],
        vec![0x30, 0x31],
        vec![0x40, 0x41, 0x42, 0x43],
        (0x50..0x58).collect(),
        (0x60..0x70).collect(),
    ];
    let expected = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let tree = tree_of(&data);
    for (size, hex) in expected.iter().enumerate() {
        let root = tree.root(size as u64 + 1).expect("root");
        let got: String = root.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&got, hex, "size {}", size + 1);
    }
    let empty: String = tree.root(0).expect("root").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[test]
fn every_inclusion_proof_up_to_64() {
    let data = leaves(64);
    let tree = tree_of(&data);
    for size in 1..=64u64 {
        let root = tree.root(size).expect("root");
        assert_eq!(root, naive_mth(&data[..size as usize]), "root {size}");
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).expect("proof");
            assert_eq!(proof, naive_path(index as usize, &data[..size as usize]), "path {index}/{size}");
            let leaf = merkle::leaf_hash(&data[index as usize]);
            merkle::verify_inclusion(index, size, &leaf, &proof, &root).expect("verifies");
            // Any flipped bit in any proof hash, the leaf or the root is caught.
            for (i, p) in proof.iter().enumerate() {
                let mut bad = proof.clone();
                bad[i] = flip(*p, (index as usize * 7 + i) % 256);
                assert!(merkle::verify_inclusion(index, size, &leaf, &bad, &root).is_err());
            }
            assert!(merkle::verify_inclusion(index, size, &flip(leaf, 3), &proof, &root).is_err());
            assert!(merkle::verify_inclusion(index, size, &leaf, &proof, &flip(root, 200)).is_err());
            // The wrong index fails (unless the tree has a single leaf).
            if size > 1 {
                let wrong = (index + 1) % size;
                assert!(merkle::verify_inclusion(wrong, size, &leaf, &proof, &root).is_err(), "{wrong}/{size}");
            }
            // A truncated or extended proof fails.
            if !proof.is_empty() {
                assert!(merkle::verify_inclusion(index, size, &leaf, &proof[1..], &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(merkle::verify_inclusion(index, size, &leaf, &longer, &root).is_err());
        }
    }
    assert!(tree.inclusion_proof(64, 64).is_err());
    assert!(tree.inclusion_proof(0, 65).is_err());
}

#[test]
fn every_consistency_proof_up_to_64() {
    let data = leaves(64);
    let tree = tree_of(&data);
    for to in 1..=64u64 {
        let to_root = tree.root(to).expect("root");
        for from in 1..=to {
            let from_root = tree.root(from).expect("root");
            let proof = tree.consistency_proof(from, to).expect("proof");
            if from < to {
                assert_eq!(proof, naive_subproof(from as usize, &data[..to as usize], true), "{from}->{to}");
            }
            merkle::verify_consistency(from, to, &from_root, &to_root, &proof).expect("verifies");
            for (i, p) in proof.iter().enumerate() {
                let mut bad = proof.clone();
                bad[i] = flip(*p, i % 256);
                assert!(
                    merkle::verify_consistency(from, to, &from_root, &to_root, &bad).is_err(),
                    "{from}->{to} [{i}]"
                );
            }
            assert!(merkle::verify_consistency(from, to, &flip(from_root, 1), &to_root, &proof).is_err());
            assert!(merkle::verify_consistency(from, to, &from_root, &flip(to_root, 1), &proof).is_err());
            if from < to && from > 1 {
                assert!(merkle::verify_consistency(from - 1, to, &from_root, &to_root, &proof).is_err());
            }
        }
    }
    let five = tree.root(5).expect("root");
    // The empty tree is a prefix of every tree: an empty proof, checked against the empty
    // root; a hash more, or another root, is refused.
    assert_eq!(tree.consistency_proof(0, 5).expect("from the empty tree"), Vec::<merkle::Hash>::new());
    assert_eq!(merkle::verify_consistency(0, 5, &merkle::empty_root(), &five, &[]), Ok(()));
    assert_eq!(merkle::verify_consistency(0, 0, &merkle::empty_root(), &merkle::empty_root(), &[]), Ok(()));
    assert_eq!(
        merkle::verify_consistency(0, 0, &merkle::empty_root(), &five, &[]),
        Err(merkle::ProofError::RootMismatch)
    );
    assert_eq!(
        merkle::verify_consistency(0, 5, &merkle::empty_root(), &five, &[five]),
        Err(merkle::ProofError::WrongLength)
    );
    assert_eq!(merkle::verify_consistency(0, 5, &five, &five, &[]), Err(merkle::ProofError::RootMismatch));
    assert!(tree.consistency_proof(6, 5).is_err());
    assert!(tree.consistency_proof(0, 65).is_err());
}

/// The tree keeps each level in chunks of 4096 hashes: heads and proofs across their edges
/// (level 0 spans seven chunks here, level 1 three, level 2 two) agree with the naive
/// reference.
#[test]
fn heads_and_proofs_across_the_levels_chunk_edges() {
    const CHUNK: usize = mrgate::ledger::hashes::HashList::CHUNK;
    let n = 6 * CHUNK + 5;
    let data = leaves(n);
    let tree = tree_of(&data);
    assert_eq!(tree.size(), n as u64);
    let edges = [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 4 * CHUNK + 3, n - 1, n];
    for &size in &edges {
        let root = tree.root(size as u64).expect("root");
        assert_eq!(root, naive_mth(&data[..size]), "root {size}");
        for &index in edges.iter().filter(|&&i| i < size).chain(&[0]) {
            let proof = tree.inclusion_proof(index as u64, size as u64).expect("proof");
            assert_eq!(proof, naive_path(index, &data[..size]), "path {index}/{size}");
            let leaf = merkle::leaf_hash(&data[index]);
            merkle::verify_inclusion(index as u64, size as u64, &leaf, &proof, &root).expect("verifies");
            assert!(merkle::verify_inclusion(index as u64, size as u64, &flip(leaf, 9), &proof, &root).is_err());
        }
        for &from in edges.iter().filter(|&&f| f < size) {
            let proof = tree.consistency_proof(from as u64, size as u64).expect("proof");
            assert_eq!(proof, naive_subproof(from, &data[..size], true), "{from}->{size}");
            let from_root = tree.root(from as u64).expect("root");
            merkle::verify_consistency(from as u64, size as u64, &from_root, &root, &proof).expect("verifies");
            assert!(merkle::verify_consistency(from as u64, size as u64, &flip(from_root, 5), &root, &proof).is_err());
        }
    }
    assert_eq!(tree.leaf(n as u64 - 1), Some(merkle::leaf_hash(&data[n - 1])));
    assert_eq!(tree.leaf(n as u64), None);
}

/// Asks a tree that no longer holds old tiles, handing it each tile it names (recomputed
/// from `data`, as the durable log recomputes them from the store) until it answers; returns
/// the answer and how many tiles it needed.
fn with_tiles<T>(
    tree: &Tree,
    data: &[Vec<u8>],
    ask: impl Fn(&merkle::Tiles) -> Result<T, merkle::ProofError>,
) -> (Result<T, merkle::ProofError>, usize) {
    let mut tiles = merkle::Tiles::default();
    for read in 0..8 {
        match ask(&tiles) {
            Err(merkle::ProofError::TileNotHeld { tile }) => {
                let start = (tile * merkle::TILE) as usize;
                let leaves: Vec<Hash> =
                    data[start..start + merkle::TILE as usize].iter().map(|d| merkle::leaf_hash(d)).collect();
                tiles = tiles.with(tree.check_tile(tile, &leaves).expect("a tile of the right entries is accepted"));
            }
            answer => return (answer, read),
        }
    }
    panic!("more than 8 tiles asked for");
}

/// A tree that forgets the lower levels of old tiles (here: of every complete tile), and one
/// rebuilt from its tile roots, answer every head and proof exactly as the tree that holds
/// everything, reading back at most two tiles per answer.
#[test]
fn a_tree_that_forgets_old_tiles_answers_as_the_whole_tree() {
    let tile = merkle::TILE as usize;
    let n = 96 * tile + 5;
    let data = leaves(n);
    let whole = tree_of(&data);
    let mut forgetting = Tree::keeping_recent(0);
    for d in &data {
        forgetting.append(d);
    }
    assert_eq!(forgetting.held_from(), 96 * merkle::TILE);
    let roots: Vec<Hash> = (0..96).map(|t| whole.tile_root(t).expect("complete")).collect();
    let mut rebuilt = Tree::from_tile_roots(&roots, 0);
    for d in &data[96 * tile..] {
        rebuilt.append(d);
    }
    let edges = [1, 2, 255, 256, 257, 511, 4095, 4096, 4097, 24575, 24576, n - 1, n];
    for tree in [&forgetting, &rebuilt] {
        assert_eq!(tree.size(), n as u64);
        assert_eq!(tree.root(n as u64), whole.root(n as u64), "the newest head needs no tile");
        for &size in &edges {
            let (root, _) = with_tiles(tree, &data, |t| tree.root_with(size as u64, t));
            assert_eq!(root.ok(), whole.root(size as u64), "root {size}");
            for &index in edges.iter().filter(|&&i| i < size).chain(&[0, 300]) {
                let (leaf, _) = with_tiles(tree, &data, |t| tree.leaf_with(index as u64, t));
                assert_eq!(leaf.ok(), whole.leaf(index as u64), "leaf {index}");
                let (proof, read) =
                    with_tiles(tree, &data, |t| tree.inclusion_proof_with(index as u64, size as u64, t));
                assert_eq!(proof, whole.inclusion_proof(index as u64, size as u64), "path {index}/{size}");
                assert!(read <= 2, "path {index}/{size} read {read} tiles");
            }
            for &from in edges.iter().filter(|&&f| f < size) {
                let (proof, read) =
                    with_tiles(tree, &data, |t| tree.consistency_proof_with(from as u64, size as u64, t));
                assert_eq!(proof, whole.consistency_proof(from as u64, size as u64), "{from}->{size}");
                assert!(read <= 2, "{from}->{size} read {read} tiles");
            }
        }
    }
}

/// Without its tile a forgetting tree says which tile it needs, never a wrong hash; a tile
/// whose entries differ from what the tree committed, or that is short, is refused.
#[test]
fn a_forgotten_tile_is_named_and_a_wrong_one_refused() {
    let tile = merkle::TILE as usize;
    let data = leaves(3 * tile + 7);
    let mut tree = Tree::keeping_recent(0);
    for d in &data {
        tree.append(d);
    }
    let size = tree.size();
    assert_eq!(tree.leaf(10), None);
    assert_eq!(tree.inclusion_proof(10, size), Err(merkle::ProofError::TileNotHeld { tile: 0 }));
    assert_eq!(tree.consistency_proof(2 * tile as u64 + 1, size), Err(merkle::ProofError::TileNotHeld { tile: 2 }));
    // The recent leaves' proofs need no tile.
    let recent = 3 * tile as u64 + 1;
    assert_eq!(tree.inclusion_proof(recent, size), tree_of(&data).inclusion_proof(recent, size));
    let tile_1: Vec<Hash> = data[tile..2 * tile].iter().map(|d| merkle::leaf_hash(d)).collect();
    let mut altered = tile_1.clone();
    altered[17] = flip(altered[17], 0);
    let cases: [(u64, &[Hash], merkle::ProofError); 5] = [
        (1, &altered, merkle::ProofError::TileMismatch { tile: 1 }),
        (0, &tile_1, merkle::ProofError::TileMismatch { tile: 0 }),
        (1, &tile_1[..tile - 1], merkle::ProofError::TileMismatch { tile: 1 }),
        (1, &[&tile_1[..], &tile_1[..1]].concat(), merkle::ProofError::TileMismatch { tile: 1 }),
        // The incomplete last tile has no root to check against: the tree holds it anyway.
        (3, &tile_1, merkle::ProofError::IndexOutOfRange { index: 3 * merkle::TILE, size }),
    ];
    for (number, leaves, refused) in cases {
        assert_eq!(tree.check_tile(number, leaves).err(), Some(refused), "tile {number}");
    }
    assert_eq!(merkle::ProofError::TileMismatch { tile: 1 }.code(), "log.tile_mismatch");
}

fn key() -> Ed25519KeyPair {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("gen").as_ref()).expect("key")
}

fn entry(i: usize, document: &[u8]) -> Entry {
    Entry {
        kind: "export".into(),
        time: format!("2026-11-26T05:{:02}:00Z", i % 60),
        actor: "exporter".into(),
        inputs: vec![document_digest(document)],
        outputs: vec![document_digest(format!("output {i}").as_bytes())],
        rules: mrgate::ledger::entry::Rules::V2 {
            trust_list: None,
            equivalence_table: Some(mrgate::ledger::entry::RuleVersion {
                sequence: 1,
                digest: document_digest(b"table 1"),
            }),
            crls: None,
            rule_set: Some("1".into()),
        },
        verdict: "valid".into(),
        reasons: vec!["export.ok".into()],
    }
}

#[test]
fn receipts_verify_offline_and_catch_tampering() {
    let log_key = key();
    let public = log_key.public_key().as_ref().to_vec();
    let mut log = MemoryLog::new("mrgate.example/log", log_key);
    for i in 0..10 {
        log.append(&entry(i, format!("doc {i}").as_bytes())).expect("append");
    }
    let r = log.receipt(4).expect("receipt");
    let v = receipt::verify(&r, &public, Some(b"doc 4")).expect("valid receipt");
    assert_eq!((v.index, v.checkpoint.size, v.log_key_name.as_str()), (4, 10, "mrgate.example/log"));
    // Another document is not what this entry covers.
    assert_eq!(
        receipt::verify(&r, &public, Some(b"doc 5")).expect_err("other doc").code(),
        "log.document_not_in_entry"
    );
    // A tampered entry.
    let mut tampered = r.clone();
    let text =
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &r.entry).expect("b64"))
            .expect("utf8");
    tampered.entry = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        text.replace("verdict valid", "verdict invalid"),
    );
    assert_eq!(receipt::verify(&tampered, &public, None).expect_err("tampered").code(), "log.leaf_mismatch");
    // The same entry claimed at another position (reordering).
    let mut moved = r.clone();
    moved.index = 5;
    assert_eq!(receipt::verify(&moved, &public, None).expect_err("moved").code(), "log.root_mismatch");
    // Another log key.
    assert_eq!(
        receipt::verify(&r, key().public_key().as_ref(), None).expect_err("key").code(),
        "log.checkpoint_signature"
    );
    // A receipt whose size disagrees with its checkpoint.
    let mut size = r.clone();
    size.tree_size = 9;
    assert_eq!(receipt::verify(&size, &public, None).expect_err("size").code(), "log.size_mismatch");
}

#[test]
fn a_forked_log_is_detected() {
    // An operator that rewrites history keeps its key: both logs sign with the same key.
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
    let signer = || Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
    let public = signer().public_key().as_ref().to_vec();
    let mut honest = MemoryLog::new("mrgate.example/log", signer());
    for i in 0..5 {
        honest.append(&entry(i, b"d")).expect("append");
    }
    let old = honest.checkpoint();
    honest.append(&entry(5, b"honest")).expect("append");
    let proof = honest.consistency(5, 6).expect("proof");
    receipt::verify_consistency(&old, &honest.checkpoint(), &proof, &public).expect("honest growth verifies");
    // The rewritten log replaces entry 3 and grows to the same size.
    let mut rewritten = MemoryLog::new("mrgate.example/log", signer());
    for i in 0..6 {
        rewritten.append(&entry(i, if i == 3 { b"forged" } else { b"d" })).expect("append");
    }
    let forged_proof = rewritten.consistency(5, 6).expect("proof");
    let err = receipt::verify_consistency(&old, &rewritten.checkpoint(), &forged_proof, &public).expect_err("fork");
    assert_eq!(err.code(), "log.root_mismatch");
}

#[test]
fn verify_receipt_command() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");
    let pkcs8 =
        rustls_pki_types::pem::PemObject::from_pem_slice(&std::fs::read(format!("{demo}/log.key")).expect("key"))
            .map(|k: rustls_pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
            .expect("pkcs8");
    let log_key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("ed25519");
    let mut log = MemoryLog::new("demo.mrgate.example/log", log_key);
    for i in 0..3 {
        log.append(&entry(i, format!("doc {i}").as_bytes())).expect("append");
    }
    let dir = tempfile::tempdir().expect("tmp");
    let write = |name: &str, content: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p.to_string_lossy().to_string()
    };
    let old = write("old.note", log.checkpoint().as_bytes());
    let r = write("r.json", &serde_json::to_vec(&log.receipt(1).expect("r")).expect("json"));
    let doc = write("doc", b"doc 1");
    let other = write("other", b"doc 2");
    let run =
        |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_mrgate")).args(args).output().expect("run");
    let pubkey = format!("{demo}/log.pub");
    assert_eq!(
        run(&["log", "verify-receipt", "--log-key", &pubkey, "--origin", ORIGIN, &r, &doc]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["log", "verify-receipt", "--log-key", &pubkey, "--origin", ORIGIN, &r, &other]).status.code(),
        Some(1)
    );
    assert_eq!(run(&["log", "verify-receipt", "--log-key", &pubkey, "--origin", ORIGIN, &doc]).status.code(), Some(2));
    // Logged as the one who asked, or not: a decision logged as someone else's (the public
    // page's, whose documents are not kept) escapes the audit of one's own decisions.
    let as_actor = |actor: &str| {
        run(&["log", "verify-receipt", "--log-key", &pubkey, "--origin", ORIGIN, "--actor", actor, &r, &doc])
    };
    assert_eq!(as_actor("exporter").status.code(), Some(0));
    for other in ["public", "exporter:demo-exporter", "Exporter", ""] {
        let out = as_actor(other);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!((out.status.code(), report["reason"].as_str()), (Some(1), Some("log.actor")), "{other}: {report}");
        assert_eq!(report["entry"]["actor"], "exporter");
    }
    // Of the decision shown, or not: a receipt proves its entry is in the log, whatever the
    // entry says was decided (found by attack: an invalid verification's receipt verified
    // "valid": true).
    let as_decided = |flags: &[&str]| {
        let mut args = vec!["log", "verify-receipt", "--log-key", pubkey.as_str(), "--origin", ORIGIN];
        args.extend_from_slice(flags);
        args.extend([r.as_str(), doc.as_str()]);
        run(&args)
    };
    assert_eq!(as_decided(&["--kind", "export", "--verdict", "valid"]).status.code(), Some(0));
    for (flags, says) in [
        (&["--kind", "recognition"][..], "the entry records the kind 'export', not 'recognition'"),
        (&["--verdict", "invalid"][..], "the entry records the verdict 'valid', not 'invalid'"),
        (&["--kind", "export", "--verdict", "exported"][..], "the entry records the verdict 'valid', not 'exported'"),
        (&["--verdict", ""][..], "the entry records the verdict 'valid', not ''"),
    ] {
        let out = as_decided(flags);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!((out.status.code(), report["reason"].as_str()), (Some(1), Some("log.decision_other")), "{flags:?}");
        assert_eq!(report["message"], says);
    }
    log.append(&entry(3, b"doc 3")).expect("append");
    let new = write("new.note", log.checkpoint().as_bytes());
    let proof = write("p.json", &serde_json::to_vec(&log.consistency(3, 4).expect("p")).expect("json"));
    assert_eq!(
        run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", ORIGIN, &old, &new, &proof]).status.code(),
        Some(0)
    );
    // Given in the wrong order: refused, and no evidence of a fork (found by review).
    let swapped = run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", ORIGIN, &new, &old, &proof]);
    let report: serde_json::Value = serde_json::from_slice(&swapped.stdout).expect("json");
    assert_eq!((swapped.status.code(), report["valid"].as_bool()), (Some(1), Some(false)), "{report}");
    assert_eq!(report.get("evidence"), None, "{report}");
    // A checkpoint that does not verify (its root changed under its signature) is said to,
    // and is no evidence either.
    let note = log.checkpoint();
    let root = note.lines().nth(2).expect("root line").to_string();
    let forged =
        write("forged.note", note.replacen(&root, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1).as_bytes());
    let out = run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", ORIGIN, &old, &forged, &proof]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report["message"].as_str().is_some_and(|m| m.starts_with("the new checkpoint: ")), "{report}");
    assert_eq!(report.get("evidence"), None, "{report}");
    // The log's empty tree (size 0) is a prefix of every tree: an empty proof verifies.
    let empty = MemoryLog::new(ORIGIN, Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("ed25519"));
    let zero = write("zero.note", empty.checkpoint().as_bytes());
    let none = write("p0.json", br#"{"from":0,"to":4,"hashes":[]}"#);
    let out = run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", ORIGIN, &zero, &new, &none]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // A larger checkpoint the log signed that the proof does not lead to is reported with
    // both checkpoints: the log could not show them one history.
    let bad = write("bad.json", br#"{"from":3,"to":4,"hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}"#);
    let out = run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", ORIGIN, &old, &new, &bad]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report["evidence"]["old"].as_str().is_some_and(|n| n.starts_with(ORIGIN)), "{report}");
    // Asked of another origin, the same two checkpoints are refused as another log's, before
    // the proof: no split-view evidence is reported against the origin asked about.
    let out =
        run(&["log", "verify-consistency", "--log-key", &pubkey, "--origin", "other.example/log", &new, &old, &proof]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!((out.status.code(), report["reason"].as_str()), (Some(1), Some("log.other_log")), "{report}");
    assert_eq!(report.get("evidence"), None);

    // The key alone does not say which log: another log signed with the same key (the
    // durability self-test's), or this log's checkpoint under another key name, is
    // refused for the origin given; and the origin must be given.
    let key_again = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("ed25519");
    let mut torture = MemoryLog::new("mrgate.test/torture-log", key_again);
    for i in 0..3 {
        torture.append(&entry(i, format!("doc {i}").as_bytes())).expect("append");
    }
    let theirs = write("theirs.json", &serde_json::to_vec(&torture.receipt(1).expect("r")).expect("json"));
    let mut renamed = log.receipt(1).expect("r");
    let body = renamed.checkpoint.split_once("\n\n").expect("note").0.to_string();
    let cp = mrgate::ledger::checkpoint::Checkpoint::verify(&renamed.checkpoint, &public_of(&pkcs8)).expect("cp").0;
    let key_again = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("ed25519");
    renamed.checkpoint = cp.sign("other.example/log", &key_again);
    assert!(renamed.checkpoint.starts_with(&body));
    let renamed = write("renamed.json", &serde_json::to_vec(&renamed).expect("json"));
    for (receipt, origin, name) in
        [(&theirs, "mrgate.test/torture-log", "mrgate.test/torture-log"), (&renamed, ORIGIN, "other.example/log")]
    {
        let out = run(&["log", "verify-receipt", "--log-key", &pubkey, "--origin", ORIGIN, receipt, &doc]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!((out.status.code(), report["reason"].as_str()), (Some(1), Some("log.other_log")), "{report}");
        let message = format!("the checkpoint is of log '{origin}', signed as '{name}', not of '{ORIGIN}'");
        assert_eq!(report["message"], message.as_str());
    }
    let out = run(&["log", "verify-receipt", "--log-key", &pubkey, &r, &doc]);
    assert_eq!(out.status.code(), Some(2), "--origin is required");
}

const ORIGIN: &str = "demo.mrgate.example/log";

fn public_of(pkcs8: &[u8]) -> Vec<u8> {
    use ring::signature::KeyPair;
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).expect("ed25519").public_key().as_ref().to_vec()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any tree size, any number of recent leaves kept, any proof: a tree that forgets old
    /// tiles (rebuilt from tile roots or grown leaf by leaf) answers as the whole tree.
    #[test]
    fn a_forgetting_tree_answers_any_proof_as_the_whole_tree(
        n in 1usize..2500,
        recent in proptest::prop_oneof![proptest::strategy::Just(0u64), 1u64..600],
        picks in proptest::collection::vec((proptest::prelude::any::<u64>(), proptest::prelude::any::<u64>()), 8),
    ) {
        let data = leaves(n);
        let whole = tree_of(&data);
        let mut grown = Tree::keeping_recent(recent);
        for d in &data {
            grown.append(d);
        }
        let tiles = whole.complete_tiles();
        let roots: Vec<Hash> = (0..tiles).map(|t| whole.tile_root(t).expect("complete")).collect();
        let mut rebuilt = Tree::from_tile_roots(&roots, recent);
        for d in &data[(tiles * merkle::TILE) as usize..] {
            rebuilt.append(d);
        }
        for tree in [&grown, &rebuilt] {
            proptest::prop_assert_eq!(tree.root(n as u64), whole.root(n as u64));
            for &(a, b) in &picks {
                let size = 1 + b % n as u64;
                let index = a % size;
                let (proof, _) = with_tiles(tree, &data, |t| tree.inclusion_proof_with(index, size, t));
                proptest::prop_assert_eq!(proof, whole.inclusion_proof(index, size));
                let from = 1 + a % size;
                let (proof, _) = with_tiles(tree, &data, |t| tree.consistency_proof_with(from, size, t));
                proptest::prop_assert_eq!(proof, whole.consistency_proof(from, size));
            }
        }
    }
}
