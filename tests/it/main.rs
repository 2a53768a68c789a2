//! Integration tests: each starts the real server on port 0 with a fresh database,
//! once on SQLite and once on PostgreSQL.

mod harness;

mod accounts_api;
mod admin_pages;
mod pages;
