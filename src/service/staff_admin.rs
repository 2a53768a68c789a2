//! What a province admin does to staff accounts after creating them: disable,
//! enable, reset the second factor, change the scope. Each takes effect at the
//! account's next request and is written to the audit log.

use std::net::IpAddr;

use super::sessions::{STAFF, STAFF_ENROLLING, StaffSession};
use super::{App, FieldErrors, ServiceError, ServiceResult, StaffView};
use crate::domain::Role;
use crate::storage::{StaffRow, micros};

/// A new role and scope for an account.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScopeChange {
    pub role: String,
    /// City code, for a city office.
    pub city: Option<String>,
    /// Registration point id, for a registration point.
    pub point: Option<String>,
}

impl App {
    /// One staff account as a province admin sees it.
    pub async fn staff_member(&self, actor: &StaffSession, id: &str) -> ServiceResult<StaffView> {
        self.staff_list(actor)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(ServiceError::NotFound)
    }

    async fn other_staff(&self, actor: &StaffSession, id: &str) -> ServiceResult<StaffRow> {
        self.require_province_admin(actor)?;
        let row = self.db.staff(id).await?.ok_or(ServiceError::NotFound)?;
        if row.id == actor.staff.id {
            return Err(ServiceError::conflict(
                "own_account",
                "不能停用或更改自己的账号，请由其他管理员办理",
            ));
        }
        Ok(row)
    }

    async fn end_staff_sessions(&self, id: &str) -> ServiceResult<()> {
        self.db.delete_sessions_of(STAFF, id).await?;
        self.db.delete_sessions_of(STAFF_ENROLLING, id).await?;
        Ok(())
    }

    /// Disables (ending every session at once) or re-enables an account.
    pub async fn set_staff_disabled(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        id: &str,
        disabled: bool,
    ) -> ServiceResult<()> {
        let row = self.other_staff(actor, id).await?;
        self.db
            .set_staff_disabled(id, disabled, micros(self.clock.now()))
            .await?;
        if disabled {
            self.end_staff_sessions(id).await?;
        }
        let state = |d: bool| serde_json::json!({ "disabled": d });
        self.audit(
            &actor.staff.id,
            Some(address),
            if disabled {
                "staff.disable"
            } else {
                "staff.enable"
            },
            Some(id),
            Some(&state(row.disabled)),
            Some(&state(disabled)),
        )
        .await?;
        tracing::info!(staff = %id, disabled, "staff account state changed");
        Ok(())
    }

    /// Forgets an account's second factor and ends its sessions; a province
    /// admin binds an authenticator app again at the next sign-in.
    pub async fn reset_staff_totp(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        id: &str,
    ) -> ServiceResult<()> {
        let row = self.other_staff(actor, id).await?;
        self.db
            .clear_staff_totp(id, micros(self.clock.now()))
            .await?;
        self.end_staff_sessions(id).await?;
        let bound = |b: bool| serde_json::json!({ "totp_bound": b });
        self.audit(
            &actor.staff.id,
            Some(address),
            "staff.reset_totp",
            Some(id),
            Some(&bound(row.totp_secret_enc.is_some())),
            Some(&bound(false)),
        )
        .await?;
        tracing::info!(staff = %id, "second factor reset");
        Ok(())
    }

    /// Changes an account's role and its city or registration point.
    pub async fn change_staff_scope(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        id: &str,
        change: &ScopeChange,
    ) -> ServiceResult<()> {
        let row = self.other_staff(actor, id).await?;
        let lists = self.lists().await?;
        let mut e = FieldErrors::new();
        let role = Role::from_word(&change.role);
        let (mut city, mut point) = (None, None);
        match role {
            None => e.add("role", "请选择角色"),
            Some(Role::ProvinceAdmin) => {}
            Some(Role::CityOffice) => match change.city.as_deref().and_then(|c| lists.city(c)) {
                Some(c) => city = Some(c.code.clone()),
                None => e.add("city", "请选择所属地市"),
            },
            Some(Role::RegistrationPoint) => {
                match change.point.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => match self.db.point(p).await? {
                        Some(found) => {
                            city = Some(found.city);
                            point = Some(found.id);
                        }
                        None => e.add("point", "报名点不存在"),
                    },
                    None => e.add("point", "请选择报名点"),
                }
            }
        }
        e.into_result()?;
        let role = role.expect("checked above");
        self.db
            .set_staff_scope(
                id,
                role.as_str(),
                city.as_deref(),
                point.as_deref(),
                micros(self.clock.now()),
            )
            .await?;
        // A new role may need the second factor: the account signs in again.
        self.end_staff_sessions(id).await?;
        let before = serde_json::json!({ "role": row.role, "city": row.city, "point": row.point });
        let after = serde_json::json!({ "role": role.as_str(), "city": city, "point": point });
        self.audit(
            &actor.staff.id,
            Some(address),
            "staff.scope",
            Some(id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tracing::info!(staff = %id, role = %role.as_str(), "staff scope changed");
        Ok(())
    }
}
