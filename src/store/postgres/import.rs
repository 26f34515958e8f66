//! Moving up: every table of an embedded (SQLite) store copied into an empty PostgreSQL
//! store, in one transaction, with binary `COPY`.
//!
//! What it must never do: copy into a database that already holds anything (two registers
//! or two logs would be merged), or leave a partial copy behind (it is all or nothing).
//! The log's hash index is not copied: it is derived, and the log rebuilds it at start.

use super::{COMMIT_LOCK, Conn, PostgresStore};
use crate::store::StoreError;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// What a column holds (any of them may be NULL where the schema allows it).
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Bytes,
    Int,
}
use Kind::{Bytes, Int, Text};

/// The tables copied, parents before children, with their columns as both stores name them.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "certificate",
        &[
            ("issuer", Text),
            ("number", Text),
            ("holder_credit_code", Text),
            ("origin", Text),
            ("status", Text),
            ("document", Bytes),
            ("recorded_at", Text),
            ("signer", Text),
            ("signer_at", Text),
        ],
    ),
    (
        "status_event",
        &[
            ("seq", Int),
            ("issuer", Text),
            ("number", Text),
            ("status", Text),
            ("since", Text),
            ("actor", Text),
            ("reference", Text),
        ],
    ),
    ("notice", &[("body", Text), ("jti", Text), ("issuer", Text), ("number", Text), ("iat", Int), ("action", Text)]),
    ("decision", &[("id", Text), ("kind", Text), ("json", Text), ("log_index", Int)]),
    ("trust_list", &[("sequence", Int), ("digest", Text), ("installed_at", Text), ("document", Bytes)]),
    (
        "equivalence_table",
        &[("sequence", Int), ("digest", Text), ("label", Text), ("installed_at", Text), ("document", Bytes)],
    ),
    ("kept_document", &[("digest", Text), ("document", Bytes)]),
    ("exported_document", &[("issuer", Text), ("number", Text), ("digest", Text)]),
    // The status-list slots and what is published (found by review: a migration left them
    // behind, and the lists published after it revoked nothing any credential had named).
    ("status_slot", &[("issuer", Text), ("number", Text), ("list", Int), ("idx", Int)]),
    ("superseded_status_slot", &[("list", Int), ("idx", Int), ("issuer", Text), ("number", Text)]),
    ("publication", &[("what", Text), ("digest", Text)]),
    (
        "pt_round",
        &[
            ("id", Text),
            ("provider", Text),
            ("definition", Bytes),
            ("defined_at", Text),
            ("closed_at", Text),
            ("report_xml", Bytes),
            ("report_json", Text),
            ("report_csv", Text),
        ],
    ),
    (
        "pt_submission",
        &[
            ("seq", Int),
            ("round", Text),
            ("submitter", Text),
            ("digest", Text),
            ("received", Text),
            ("document", Bytes),
        ],
    ),
    (
        "pt_result",
        &[
            ("round", Text),
            ("measurand", Text),
            ("participant", Text),
            ("submitter", Text),
            ("submission", Text),
            ("result", Text),
        ],
    ),
    (
        "pt_result_replaced",
        &[
            ("seq", Int),
            ("round", Text),
            ("measurand", Text),
            ("participant", Text),
            ("submitter", Text),
            ("submission", Text),
            ("result", Text),
        ],
    ),
    ("log_entry", &[("idx", Int), ("entry", Bytes)]),
    ("log_tile", &[("tile", Int), ("root", Bytes)]),
];

/// Tables whose `seq` PostgreSQL numbers itself: after the copy it goes on from the largest.
const NUMBERED: &[&str] = &["status_event", "pt_submission", "pt_result_replaced"];

/// One value read from SQLite.
enum Cell {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Int(Option<i64>),
}

impl Cell {
    fn read(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Self> {
        Ok(match kind {
            Text => Cell::Text(row.get(i)?),
            Bytes => Cell::Bytes(row.get(i)?),
            Int => Cell::Int(row.get(i)?),
        })
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Cell::Text(v) => v,
            Cell::Bytes(v) => v,
            Cell::Int(v) => v,
        }
    }
}

fn pg_type(kind: Kind) -> Type {
    match kind {
        Text => Type::TEXT,
        Bytes => Type::BYTEA,
        Int => Type::INT8,
    }
}

/// Rows per table, in copy order.
pub type RowCounts = Vec<(&'static str, u64)>;

impl PostgresStore {
    /// Copies every table of the SQLite store open on `source` (at the embedded store's
    /// newest schema; read in one transaction, so from one snapshot) into this store, which
    /// must hold nothing yet. All or nothing; returns the rows copied per table.
    pub fn import_sqlite(&self, source: &rusqlite::Connection) -> Result<RowCounts, StoreError> {
        let snapshot = source.unchecked_transaction()?;
        let copied = self.pool.run(async |c| {
            c.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({COMMIT_LOCK})")).await?;
            let copied = copy_all(c, &snapshot).await;
            match copied {
                Ok(counts) => c.batch("COMMIT").await.map(|()| counts),
                Err(e) => {
                    super::rollback(c).await;
                    Err(e)
                }
            }
        });
        snapshot.finish()?;
        copied
    }

    /// Rows per table of this store, in the order [`PostgresStore::import_sqlite`] copies.
    pub fn row_counts(&self) -> Result<RowCounts, StoreError> {
        self.pool.run(async |c| {
            let mut counts = Vec::with_capacity(TABLES.len());
            for (table, _) in TABLES {
                let n: i64 = c.client.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[]).await?.try_get(0)?;
                counts.push((*table, n as u64));
            }
            Ok(counts)
        })
    }
}

async fn copy_all(c: &mut Conn, source: &rusqlite::Connection) -> Result<RowCounts, StoreError> {
    for (table, _) in TABLES {
        let held: bool =
            c.client.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[]).await?.try_get(0)?;
        if held {
            return Err(StoreError::Database(format!(
                "the PostgreSQL store is not empty (table {table} holds rows): a store is copied only into an empty one"
            )));
        }
    }
    let size: i64 = source.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |r| r.get(0))?;
    if size > 0 {
        let per: i64 = c.query_one("SELECT entries FROM log_partitioning", &[]).await?.try_get(0)?;
        super::log_partitions(c, 0, size - 1, per).await?;
    }
    let mut counts = Vec::with_capacity(TABLES.len());
    for (table, columns) in TABLES {
        let names = columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
        let types: Vec<Type> = columns.iter().map(|(_, kind)| pg_type(*kind)).collect();
        let sink = c.client.copy_in(&format!("COPY {table} ({names}) FROM STDIN (FORMAT binary)")).await?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        let mut writer = std::pin::pin!(writer);
        let mut read = source.prepare(&format!("SELECT {names} FROM {table}"))?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let cells = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| Cell::read(row, i, *kind))
                .collect::<Result<Vec<_>, _>>()?;
            let params: Vec<&(dyn ToSql + Sync)> = cells.iter().map(Cell::param).collect();
            writer.as_mut().write(&params).await?;
        }
        counts.push((*table, writer.finish().await?));
    }
    for table in NUMBERED {
        c.client
            .batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'seq'), COALESCE(MAX(seq), 0) + 1, false) FROM {table}"
            ))
            .await?;
    }
    Ok(counts)
}
