//! Integration tests: each starts the real server on port 0 with a fresh database,
//! once on SQLite and once on PostgreSQL.

mod harness;
mod photos;

mod accounts_api;
mod identity_api;
mod identity_calibration;
