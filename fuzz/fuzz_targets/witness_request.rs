//! The witness's add-checkpoint: the request form read from untrusted bytes, and the
//! witness's answer to them. Never a panic; a request that reads encodes back to exactly its
//! bytes; the witness cosigns only a checkpoint of the log it watches that extends the one it
//! cosigned before (a proof with any bit flipped is refused), and a cosignature it answers
//! verifies.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mrgate::ledger::MemoryLog;
use mrgate::ledger::cosignature::Witness;
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::witness::cosigner::{Cosigner, WatchedLog};
use mrgate::witness::request::AddCheckpoint;
use mrgate::witness::state::State;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::LazyLock;

const ORIGIN: &str = "fuzz.mrgate.example/log";
const NAME: &str = "witness.fuzz.mrgate.example/w1";
/// The size the witness has cosigned before each input.
const COSIGNED: u64 = 5;

/// An Ed25519 key from a fixed seed (PKCS#8 v1).
fn key(seed: u8) -> Ed25519KeyPair {
    let mut der = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend_from_slice(&[seed; 32]);
    mrgate::witness::key::from_pkcs8(&der).expect("a fixed key")
}

/// The watched log at sizes COSIGNED..COSIGNED+16, all over the same entries.
static LOGS: LazyLock<Vec<MemoryLog>> = LazyLock::new(|| {
    (0..16)
        .map(|extra| {
            let mut log = MemoryLog::new(ORIGIN, key(7));
            for i in 0..COSIGNED + extra {
                let entry = Entry {
                    kind: "export".into(),
                    time: "2026-11-26T00:00:00Z".into(),
                    actor: "fuzz".into(),
                    inputs: vec![document_digest(&i.to_be_bytes())],
                    outputs: vec![],
                    rules: Default::default(),
                    verdict: "valid".into(),
                    reasons: vec![],
                };
                log.append(&entry).expect("append");
            }
            log
        })
        .collect()
});

fn witness() -> Cosigner {
    let first = LOGS.first().expect("logs");
    let vkey = mrgate::ledger::checkpoint::verifier_key(ORIGIN, key(7).public_key().as_ref()).expect("vkey");
    let logs = vec![WatchedLog::new(ORIGIN, &vkey).expect("log")];
    let witness = Cosigner::new(NAME, key(9), logs, State::in_memory().expect("state")).expect("witness");
    let genesis = AddCheckpoint { old: 0, proof: vec![], checkpoint: first.checkpoint() }.encode();
    witness.add_checkpoint(&genesis, 1).expect("the first checkpoint");
    witness
}

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = AddCheckpoint::parse(data) {
        assert_eq!(request.encode(), data);
    }
    let witness = witness();
    answer(&witness, data);
    // The log's own checkpoints, the input choosing the size, the old size and bits of the
    // proof to flip.
    if let [grow, old, flips @ ..] = data {
        let log = &LOGS[usize::from(*grow) % LOGS.len()];
        let old = u64::from(*old) % (log.size() + 2);
        let proof = if old == 0 || old > log.size() {
            vec![]
        } else {
            log.tree().consistency_proof(old, log.size()).expect("proof")
        };
        let mut flipped = proof.clone();
        for (i, f) in flips.iter().enumerate().take(64) {
            if let Some(hash) = flipped.get_mut(i % proof.len().max(1)) {
                hash[usize::from(*f) % 32] ^= 1 << (f >> 5);
            }
        }
        let body = AddCheckpoint { old, proof: flipped.clone(), checkpoint: log.checkpoint() }.encode();
        let cosigned = answer(&witness, &body);
        if flipped != proof {
            assert!(!cosigned, "a flipped proof was accepted");
        }
        if old == COSIGNED {
            assert_eq!(cosigned, flipped == proof, "the right proof from the size cosigned is cosigned");
        }
    }
});

/// The witness's answer to `body`: whether it cosigned. A cosignature must verify, and the
/// record must then be the checkpoint cosigned.
fn answer(witness: &Cosigner, body: &[u8]) -> bool {
    match witness.add_checkpoint(body, 2) {
        Ok(line) => {
            let request = AddCheckpoint::parse(body).expect("a cosigned request reads");
            let client = Witness::from_verifier_key(&witness.verifier_key()).expect("vkey");
            assert_eq!(client.cosigned(&format!("{}{line}", request.checkpoint)), Some(2));
            let latest = witness.latest(ORIGIN).expect("state").expect("latest");
            assert_eq!(latest.note, request.checkpoint);
            assert!(latest.size >= COSIGNED);
            true
        }
        Err(refusal) => {
            assert!([400, 403, 404, 409, 422].contains(&refusal.status()), "{refusal}");
            false
        }
    }
}
