//! Exports of applications and identity reviews for the back office: rows
//! read from the database one at a time and handed on through a bounded
//! channel, so an export of any size holds only a few rows in memory.

use futures::channel::mpsc;
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};

use super::{App, ServiceError, ServiceResult, StaffSession};
use crate::domain::{
    CandidateKind, IdentityState, Role, StaffScope, TransferState, mask, mask_phone,
};
use crate::storage::{
    DbResult, IdentityExportRow, ScopeFilter, TransferExportRow, from_micros, micros,
};

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// 省际转出 applications.
    Transfers,
    /// Candidates' identity verification.
    IdentityReviews,
}

impl ExportKind {
    /// Each kind belongs to the work of a role: transfer-outs to the city
    /// offices, identity reviews to the registration points; the province
    /// admin has both.
    pub fn open_to(self, role: Role) -> bool {
        match self {
            ExportKind::Transfers => matches!(role, Role::ProvinceAdmin | Role::CityOffice),
            ExportKind::IdentityReviews => {
                matches!(role, Role::ProvinceAdmin | Role::RegistrationPoint)
            }
        }
    }

    /// The file name without its extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            ExportKind::Transfers => "transfers",
            ExportKind::IdentityReviews => "identity-reviews",
        }
    }

    /// The sheet name and title.
    pub fn title(self) -> &'static str {
        match self {
            ExportKind::Transfers => "省际转出申请",
            ExportKind::IdentityReviews => "身份认证",
        }
    }

    /// The Chinese column headers.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            ExportKind::Transfers => &[
                "申请编号",
                "姓名",
                "身份证号",
                "手机号",
                "准考证号",
                "地市",
                "区县",
                "转入省",
                "转出原因",
                "转入地准考证号",
                "状态",
                "申请时间",
                "提交时间",
                "确认时间",
                "审核结果",
                "审核意见",
                "审核时间",
            ],
            ExportKind::IdentityReviews => &[
                "考生编号",
                "姓名",
                "身份证号",
                "手机号",
                "准考证号",
                "考生类型",
                "地市",
                "区县",
                "认证状态",
                "注册时间",
                "最近更新时间",
            ],
        }
    }
}

/// The filters of an export, as the queues have them.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// A state word (application state, or identity state).
    pub state: Option<String>,
    /// A city code (within the staff member's scope).
    pub city: Option<String>,
}

/// The rows of an export, arriving as they are read.
pub type ExportRows = BoxStream<'static, ServiceResult<Vec<String>>>;

/// Hands a database error that stopped an export to its reader, as the last row.
async fn report<R>(mut tx: mpsc::Sender<DbResult<R>>, e: sqlx::Error) {
    tracing::error!(error = %e, "export stopped by a database error");
    let _ = tx.send(Err(e)).await;
}

/// Rows buffered between the database and the writer.
const BUFFERED_ROWS: usize = 64;

impl App {
    /// The storage filter of a staff member's scope plus the chosen filters;
    /// a city outside the scope matches nothing.
    pub(crate) fn scoped_filter(
        &self,
        staff: &StaffSession,
        city: Option<&str>,
        state: Option<&str>,
    ) -> ScopeFilter {
        let mut f = ScopeFilter {
            state: state.map(str::to_owned),
            city: city.map(str::to_owned),
            ..Default::default()
        };
        match &staff.scope {
            StaffScope::Province => {}
            StaffScope::City(c) => {
                if f.city.as_deref().is_some_and(|x| x != c) {
                    // Another city's rows are never shown: ask for an impossible county.
                    f.county = Some(String::new());
                }
                f.city = Some(c.clone());
            }
            StaffScope::Point { county, .. } => {
                f.county = Some(county.clone());
            }
        }
        f
    }

    /// Starts an export: the rows come through the returned channel while a
    /// task reads them. Province admins get whole 身份证号 and phone numbers;
    /// every other role gets them masked.
    pub fn export(
        &self,
        staff: &StaffSession,
        kind: ExportKind,
        filter: &ExportFilter,
    ) -> ServiceResult<ExportRows> {
        if !kind.open_to(staff.role) {
            return Err(ServiceError::forbidden(
                "forbidden",
                "您的角色不能导出这类数据",
            ));
        }
        let state = filter.state.as_deref().filter(|s| !s.is_empty());
        let known = match kind {
            ExportKind::Transfers => state.is_none_or(|s| TransferState::from_word(s).is_some()),
            ExportKind::IdentityReviews => {
                state.is_none_or(|s| IdentityState::from_word(s).is_some())
            }
        };
        if !known {
            return Err(ServiceError::field("state", "请选择有效的状态"));
        }
        let f = self.scoped_filter(
            staff,
            filter.city.as_deref().filter(|c| !c.is_empty()),
            state,
        );
        let whole = staff.role == Role::ProvinceAdmin;
        let app = self.clone();
        let db = self.db.clone();
        let rows = match kind {
            ExportKind::Transfers => {
                let now = micros(self.clock.now());
                let (tx, rx) = mpsc::channel(BUFFERED_ROWS);
                tokio::spawn(async move {
                    if let Err(e) = db.export_transfers(&f, tx.clone()).await {
                        report(tx, e).await;
                    }
                });
                rx.map(move |r| {
                    r.map_err(ServiceError::from)
                        .and_then(|r| app.transfer_cells(&r, whole, now))
                })
                .boxed()
            }
            ExportKind::IdentityReviews => {
                let (tx, rx) = mpsc::channel(BUFFERED_ROWS);
                tokio::spawn(async move {
                    if let Err(e) = db.export_identities(&f, tx.clone()).await {
                        report(tx, e).await;
                    }
                });
                rx.map(move |r| {
                    r.map_err(ServiceError::from)
                        .and_then(|r| app.identity_cells(&r, whole))
                })
                .boxed()
            }
        };
        Ok(rows)
    }

    fn personal(&self, column: &str, sealed: Option<&str>, whole: bool) -> ServiceResult<String> {
        let Some(sealed) = sealed else {
            return Ok(String::new());
        };
        let clear = self.keys.decrypt(column, sealed)?;
        Ok(match (whole, column) {
            (true, _) => clear,
            (false, "phone") => mask_phone(&clear),
            (false, _) => mask(&clear),
        })
    }

    fn city_and_county(&self, city: &str, county: &str) -> (String, String) {
        match self.province.county(county) {
            Some((c, k)) => (c.name.clone(), k.name.clone()),
            None => (
                self.province
                    .city(city)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| city.to_owned()),
                county.to_owned(),
            ),
        }
    }

    fn transfer_cells(
        &self,
        r: &TransferExportRow,
        whole: bool,
        now: i64,
    ) -> ServiceResult<Vec<String>> {
        let time = |t: Option<i64>| {
            t.map(|t| crate::clock::china_minute(from_micros(t)))
                .unwrap_or_default()
        };
        let (city, county) = self.city_and_county(&r.city, &r.county);
        // A draft of a closed window reads as abandoned, as everywhere else.
        let state = TransferState::from_word(&r.state).map(|s| {
            if s.abandons_at_close() && now >= r.window_end {
                TransferState::Abandoned
            } else {
                s
            }
        });
        let target = self
            .province
            .target_provinces()
            .find(|p| p.code == r.target_province)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| r.target_province.clone());
        let reason = self
            .province
            .transfer_reason(&r.reason)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| r.reason.clone());
        let decision = r
            .decision
            .as_deref()
            .and_then(crate::domain::Decision::from_word)
            .map(|d| d.label().to_owned())
            .unwrap_or_default();
        Ok(vec![
            r.id.clone(),
            r.name.clone(),
            self.personal("id_number", Some(&r.id_number_enc), whole)?,
            self.personal("phone", r.phone_enc.as_deref(), whole)?,
            r.ticket.clone().unwrap_or_default(),
            city,
            county,
            target,
            reason,
            r.target_ticket.clone(),
            state.map(|s| s.label().to_owned()).unwrap_or_default(),
            time(Some(r.created_at)),
            time(r.submitted_at),
            time(r.confirmed_at),
            decision,
            r.decision_reason.clone().unwrap_or_default(),
            time(r.decided_at),
        ])
    }

    fn identity_cells(&self, r: &IdentityExportRow, whole: bool) -> ServiceResult<Vec<String>> {
        let time = |t: i64| crate::clock::china_minute(from_micros(t));
        let (city, county) = self.city_and_county(&r.city, &r.county);
        let kind = CandidateKind::from_word(&r.kind).map_or("", |k| k.label());
        Ok(vec![
            r.id.clone(),
            r.name.clone(),
            self.personal("id_number", Some(&r.id_number_enc), whole)?,
            self.personal("phone", r.phone_enc.as_deref(), whole)?,
            r.ticket.clone().unwrap_or_default(),
            kind.to_owned(),
            city,
            county,
            IdentityState::from_word(&r.identity_state)
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
            time(r.created_at),
            time(r.updated_at),
        ])
    }
}
