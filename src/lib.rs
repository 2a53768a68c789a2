//! 自考信息服务平台: the online service platform of a provincial Self-study
//! Examination office: candidate accounts and identity, applications such as the
//! inter-provincial transfer-out, and the staff back office.

pub mod api;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod crypto;
pub mod domain;
pub mod media;
pub mod metrics;
pub mod pdf;
pub mod province;
pub mod service;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod web;
