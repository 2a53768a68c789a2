//! The tamper-evident audit trail: writing entries, checking the chain, and
//! the province admin's viewer.
//!
//! Each entry's link is HMAC-SM3, under a key derived from the master key,
//! over the entry's canonical bytes and the link before it. Someone who can
//! write to the database but does not hold the master key can neither edit
//! an entry nor rebuild the chain after removing one.

use std::net::IpAddr;

use futures::TryStreamExt;
use serde_json::Value;

use super::{App, ServiceError, ServiceResult, StaffSession};
use crate::domain::Role;
use crate::storage::{AuditEntry, AuditFilter, AuditRow, from_micros, micros};

/// The link before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: a candidate, a staff member, or the platform itself.
#[derive(Debug, Clone)]
pub enum Actor {
    Candidate(String),
    Staff(String),
    System,
}

impl Actor {
    /// As stored: `candidate:<id>`, `staff:<id>` or `system`.
    pub fn stored(&self) -> String {
        match self {
            Actor::Candidate(id) => format!("candidate:{id}"),
            Actor::Staff(id) => format!("staff:{id}"),
            Actor::System => "system".into(),
        }
    }
}

/// One thing to write to the audit trail. Ids only in `action` and
/// `subject`; anything personal goes into `before`/`after`, which are sealed.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: Actor,
    pub address: Option<IpAddr>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub candidate: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> AuditEvent<'a> {
    /// An event with no address, subject or details yet.
    pub fn new(actor: Actor, action: &'a str) -> Self {
        Self {
            actor,
            address: None,
            action,
            subject: None,
            candidate: None,
            before: None,
            after: None,
        }
    }

    /// About one candidate (also the subject unless one is set).
    pub fn candidate(mut self, id: &'a str) -> Self {
        self.candidate = Some(id);
        self.subject = self.subject.or(Some(id));
        self
    }

    /// The object acted on, e.g. an application id.
    pub fn subject(mut self, id: &'a str) -> Self {
        self.subject = Some(id);
        self
    }

    /// The address the request came from.
    pub fn from(mut self, address: IpAddr) -> Self {
        self.address = Some(address);
        self
    }

    /// The state before and after.
    pub fn change(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// How the chain was found broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainBreak {
    /// An entry's content, number or link no longer matches its own link.
    Edited,
    /// An entry is gone (a gap in the numbers, or the end cut off).
    Missing,
    /// Entries were moved: an entry names as its predecessor one that comes later.
    Reordered,
    /// An entry was written beside the chain, without a number or link.
    Unchained,
}

impl ChainBreak {
    /// The English word the command line prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainBreak::Edited => "edited",
            ChainBreak::Missing => "missing",
            ChainBreak::Reordered => "reordered",
            ChainBreak::Unchained => "unchained",
        }
    }

    /// What the admin page says.
    pub fn label(self) -> &'static str {
        match self {
            ChainBreak::Edited => "记录被修改",
            ChainBreak::Missing => "记录被删除",
            ChainBreak::Reordered => "记录顺序被调换",
            ChainBreak::Unchained => "有未入链的记录",
        }
    }
}

/// The result of checking the chain.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    /// Entries checked (and found sound, when nothing is broken).
    pub checked: i64,
    /// The head's number and link, to be noted outside the database.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first break: the entry's number and how.
    pub broken: Option<(i64, ChainBreak)>,
}

/// One entry as the viewer shows it.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub address: String,
    pub action: String,
    pub subject: String,
    pub candidate: String,
    pub before: String,
    pub after: String,
}

/// A page of the viewer.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Entries per page of the viewer.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// The canonical bytes of an entry at `seq` after `prev`: a version tag, then
/// every field length-prefixed (absent and empty differ), so no two entries
/// encode alike.
pub fn canonical(seq: i64, prev: &str, e: &AuditEntry<'_>) -> Vec<u8> {
    let mut out = b"zikao-audit-v1\0".to_vec();
    out.extend_from_slice(&seq.to_be_bytes());
    put(&mut out, Some(prev));
    out.extend_from_slice(&e.at.to_be_bytes());
    for field in [
        Some(e.actor),
        e.address,
        Some(e.action),
        e.subject,
        e.candidate_id,
        e.before_enc.as_deref(),
        e.after_enc.as_deref(),
    ] {
        put(&mut out, field);
    }
    out
}

fn put(out: &mut Vec<u8>, field: Option<&str>) {
    match field {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

impl App {
    /// Writes one entry to the audit trail.
    pub async fn record(&self, event: AuditEvent<'_>) -> ServiceResult<()> {
        let actor = event.actor.stored();
        let address = event.address.map(|a| a.to_string());
        let seal = |v: &Option<Value>| {
            v.as_ref()
                .map(|v| self.keys.encrypt("audit", &v.to_string()))
        };
        let entry = AuditEntry {
            at: micros(self.clock.now()),
            actor: &actor,
            address: address.as_deref(),
            action: event.action,
            subject: event.subject,
            candidate_id: event.candidate,
            before_enc: seal(&event.before),
            after_enc: seal(&event.after),
        };
        let link = |seq: i64, prev: &str| self.keys.audit_link(&canonical(seq, prev, &entry));
        self.db.append_audit(&entry, &link).await?;
        Ok(())
    }

    /// Writes one entry for a staff action (`actor` is the staff id).
    pub async fn audit(
        &self,
        actor: &str,
        address: Option<IpAddr>,
        action: &str,
        subject: Option<&str>,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> ServiceResult<()> {
        let mut event = AuditEvent::new(Actor::Staff(actor.to_owned()), action)
            .change(before.cloned(), after.cloned());
        event.address = address;
        event.subject = subject;
        self.record(event).await
    }

    /// Links the entries written before the chain existed; run once at start.
    pub async fn seal_audit_chain(&self) -> ServiceResult<()> {
        let link = |row: &AuditRow, prev: &str| {
            self.keys
                .audit_link(&canonical(row.seq, prev, &row.entry()))
        };
        let sealed = self.db.seal_unlinked_audit(GENESIS, &link).await?;
        if sealed > 0 {
            tracing::info!(
                entries = sealed,
                "audit entries from before the chain linked"
            );
        }
        Ok(())
    }

    /// Checks every entry of the chain, in order, reading them as a stream.
    pub async fn verify_audit(&self) -> ServiceResult<ChainCheck> {
        let head = self.db.audit_head().await?;
        let mut check = ChainCheck {
            checked: 0,
            head_seq: head.seq,
            head_hash: head.hash.clone(),
            broken: None,
        };
        let mut prev = GENESIS.to_owned();
        let mut expected = 1;
        let mut rows = self.db.audit_chain(head.seq);
        while let Some(row) = rows.try_next().await? {
            if let Some(b) = self.check_entry(&row, expected, &prev).await? {
                check.broken = Some(b);
                return Ok(check);
            }
            prev = row.hash.clone().unwrap_or_default();
            expected = row.seq + 1;
            check.checked += 1;
        }
        drop(rows);
        check.broken = if expected <= head.seq {
            Some((expected, ChainBreak::Missing))
        } else if prev != head.hash {
            Some((head.seq, ChainBreak::Edited))
        } else if self
            .db
            .audit_unchained(self.db.audit_head().await?.seq)
            .await?
            > 0
        {
            Some((head.seq + 1, ChainBreak::Unchained))
        } else {
            None
        };
        Ok(check)
    }

    async fn check_entry(
        &self,
        row: &AuditRow,
        expected: i64,
        prev: &str,
    ) -> ServiceResult<Option<(i64, ChainBreak)>> {
        if row.seq != expected {
            return Ok(Some((expected, ChainBreak::Missing)));
        }
        let (Some(stored_prev), Some(hash)) = (&row.prev_hash, &row.hash) else {
            return Ok(Some((row.seq, ChainBreak::Unchained)));
        };
        if stored_prev != prev {
            if let Some(at) = self.db.audit_seq_of(stored_prev).await?
                && at > row.seq
            {
                return Ok(Some((row.seq, ChainBreak::Reordered)));
            }
            let own = self
                .keys
                .audit_link(&canonical(row.seq, stored_prev, &row.entry()));
            let kind = match crate::crypto::same(&own, hash) {
                // A sound entry whose predecessor is not the one before it.
                true => (row.seq - 1, ChainBreak::Missing),
                false => (row.seq, ChainBreak::Edited),
            };
            return Ok(Some(kind));
        }
        let own = self
            .keys
            .audit_link(&canonical(row.seq, prev, &row.entry()));
        if !crate::crypto::same(&own, hash) {
            return Ok(Some((row.seq, ChainBreak::Edited)));
        }
        Ok(None)
    }

    /// A page of the viewer, newest first, with the details opened (province
    /// admin only).
    pub async fn audit_page(
        &self,
        staff: &StaffSession,
        filter: &AuditFilter,
        page: i64,
    ) -> ServiceResult<AuditPage> {
        self.require_audit_access(staff)?;
        let page = page.max(1);
        let (rows, total) = self
            .db
            .audit_page(filter, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE)
            .await?;
        let lines = rows.iter().map(|r| self.audit_line(r)).collect();
        Ok(AuditPage {
            lines,
            total,
            page,
            pages: ((total + AUDIT_PAGE_SIZE - 1) / AUDIT_PAGE_SIZE).max(1),
        })
    }

    /// Checks the chain for the admin page.
    pub async fn verify_audit_for(&self, staff: &StaffSession) -> ServiceResult<ChainCheck> {
        self.require_audit_access(staff)?;
        self.verify_audit().await
    }

    fn require_audit_access(&self, staff: &StaffSession) -> ServiceResult<()> {
        if staff.role != Role::ProvinceAdmin {
            return Err(ServiceError::forbidden(
                "forbidden",
                "只有省招考中心可以查看审计日志",
            ));
        }
        Ok(())
    }

    /// An entry with its details opened; a detail that does not open says so.
    pub(crate) fn audit_line(&self, r: &AuditRow) -> AuditLine {
        let open = |v: &Option<String>| match v {
            None => String::new(),
            Some(s) => self
                .keys
                .decrypt("audit", s)
                .unwrap_or_else(|_| "（无法解密）".into()),
        };
        AuditLine {
            seq: r.seq,
            at: crate::clock::china_minute(from_micros(r.at)),
            actor: r.actor.clone(),
            address: r.address.clone().unwrap_or_default(),
            action: r.action.clone(),
            subject: r.subject.clone().unwrap_or_default(),
            candidate: r.candidate_id.clone().unwrap_or_default(),
            before: open(&r.before_enc),
            after: open(&r.after_enc),
        }
    }
}
