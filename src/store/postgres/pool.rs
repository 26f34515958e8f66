//! Connections to PostgreSQL for a synchronous store: a small pool of `tokio-postgres`
//! clients whose connection tasks (the sockets) run on a runtime the pool owns, one worker
//! thread named `mrgate-postgres`.
//!
//! The store is called from the server's blocking pool, from the log's committer thread
//! and from the command line, none of them a runtime worker. Each call drives its client's
//! futures on the calling thread with `futures_executor::block_on`: those futures only talk
//! to the connection task over channels, so they need no runtime of their own, and unlike a
//! client that starts a runtime per call (the `postgres` crate) nothing here panics when
//! called from inside a runtime (it would only block that thread, as any store call does).
//!
//! What it must never do: hand out a connection in the middle of a transaction. A call
//! that leaves one in an unknown state marks it broken and it is closed, not pooled again.

use crate::store::StoreError;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

/// How long a call waits for a free connection before it fails.
const WAIT_FOR_CONNECTION: std::time::Duration = std::time::Duration::from_secs(30);

/// Parameters of a statement.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One connection, with the statements prepared on it.
pub(super) struct Conn {
    pub(super) client: Client,
    statements: HashMap<&'static str, Statement>,
    /// Its state is unknown (a rollback failed): closed rather than pooled again.
    pub(super) broken: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("statements", &self.statements.len()).field("broken", &self.broken).finish()
    }
}

impl Conn {
    /// `sql` prepared once per connection and kept.
    async fn statement(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).await?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    pub(super) async fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql).await?;
        Ok(self.client.query(&s, params).await?)
    }

    pub(super) async fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>, StoreError> {
        let s = self.statement(sql).await?;
        Ok(self.client.query_opt(&s, params).await?)
    }

    pub(super) async fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row, StoreError> {
        let s = self.statement(sql).await?;
        Ok(self.client.query_one(&s, params).await?)
    }

    /// Rows changed.
    pub(super) async fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64, StoreError> {
        let s = self.statement(sql).await?;
        Ok(self.client.execute(&s, params).await?)
    }

    /// Statements without parameters, in one round trip (`BEGIN`, `SAVEPOINT`, DDL).
    pub(super) async fn batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql).await?)
    }
}

/// The connections, at most `max` open at once.
pub(super) struct Pool {
    config: Config,
    state: Mutex<PoolState>,
    freed: Condvar,
    max: usize,
    /// Runs the connections' tasks; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("max", &self.max).finish_non_exhaustive()
    }
}

impl Pool {
    pub(super) fn new(config: Config, max: usize) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mrgate-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(format!("cannot start the PostgreSQL client: {e}")))?;
        Ok(Self {
            config,
            state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
            max: max.max(1),
            runtime: Some(runtime),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, PoolState>, StoreError> {
        self.state.lock().map_err(|_| StoreError::Database("the connection pool lock is poisoned".into()))
    }

    /// A connection: an idle one, a new one while fewer than `max` are open, or the next one
    /// freed.
    fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let deadline = std::time::Instant::now() + WAIT_FOR_CONNECTION;
        let mut state = self.lock()?;
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    // The server closed it while it was idle (a restart): forget it.
                    state.open = state.open.saturating_sub(1);
                    continue;
                }
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn) }),
                    Err(e) => {
                        if let Ok(mut state) = self.lock() {
                            state.open = state.open.saturating_sub(1);
                        }
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return Err(StoreError::Database(format!(
                    "no PostgreSQL connection was free within {} s",
                    WAIT_FOR_CONNECTION.as_secs()
                )));
            };
            state = self
                .freed
                .wait_timeout(state, left)
                .map_err(|_| StoreError::Database("the connection pool lock is poisoned".into()))?
                .0;
        }
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        let runtime = self.runtime.as_ref().ok_or_else(|| StoreError::Database("the store is closing".into()))?;
        let config = self.config.clone();
        let connecting = runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            // Ends when the client is dropped or the server goes away (the client then
            // answers every call with an error, and `is_closed`).
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        let client = futures_executor::block_on(connecting)
            .map_err(|e| StoreError::Database(format!("connecting to PostgreSQL: {e}")))?
            .map_err(|e| StoreError::Database(format!("connecting to PostgreSQL: {}", super::why(&e))))?;
        Ok(Conn { client, statements: HashMap::new(), broken: false })
    }

    /// Runs `f` with a connection, on the calling thread.
    pub(super) fn run<T>(&self, f: impl AsyncFnOnce(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut pooled = self.get()?;
        let conn = pooled.conn.as_mut().ok_or_else(|| StoreError::Database("no connection".into()))?;
        futures_executor::block_on(f(conn))
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut state) = self.state.lock() {
            state.idle.clear();
        }
        // Without waiting: a store may be dropped on a runtime's thread, where waiting for
        // another runtime to finish panics.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A connection lent out; back to the pool when dropped, unless it is broken or closed.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if let Ok(mut state) = self.pool.state.lock() {
            if conn.broken || conn.client.is_closed() {
                state.open = state.open.saturating_sub(1);
            } else {
                state.idle.push(conn);
            }
        }
        self.pool.freed.notify_one();
    }
}
