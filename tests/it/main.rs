//! Integration tests: each starts the real server on port 0 with a fresh database,
//! once on SQLite and once on PostgreSQL.

mod fixtures;
mod harness;
mod photos;

mod accounts_api;
mod admin_console;
mod admin_lists;
mod admin_pages;
mod attacks;
mod audit;
mod backup;
mod cli;
mod corrections;
mod crash;
mod data_export;
mod exports;
mod form_pdf;
mod handoff;
mod identity_api;
mod identity_calibration;
mod identity_pages;
mod metrics;
mod nodes;
mod object_store;
mod outage;
mod pages;
mod query_center;
mod records_cli;
mod records_import;
mod staff_matrix;
mod sweep;
mod transfer_api;
mod transfer_pages;
