//! Staff accounts: creation, login with a TOTP second factor for province admins,
//! and second-factor enrolment.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;

use super::sessions::{Issued, STAFF, STAFF_ENROLLING, StaffSession};
use super::{App, FieldErrors, ServiceError, ServiceResult};
use crate::domain::{NewPassword, Role, StaffScope};
use crate::storage::{NewStaffRow, StaffRow, micros, new_id};

const LOGIN_FAILED: &str = "用户名或密码错误";
const TOTP_STEP: u64 = 30;

/// A staff login attempt.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StaffLogin {
    pub username: String,
    pub password: String,
    /// The six-digit code of the authenticator app (province admins).
    pub totp: Option<String>,
}

/// What a correct password leads to.
pub enum StaffLoginOutcome {
    /// Fully signed in.
    SignedIn(Issued),
    /// A province admin without a second factor: only enrolment is open.
    MustEnrol(Issued),
}

/// A new staff account.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    pub city: Option<String>,
    pub point: Option<String>,
}

/// A second factor being bound: what the authenticator app scans.
#[derive(Debug, Clone, Serialize)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
    /// The sealed secret, carried by the enrolment form until confirmed.
    pub sealed: String,
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<TOTP, ServiceError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        TOTP_STEP,
        secret,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| ServiceError::Internal(anyhow::anyhow!("totp: {e}")))
}

impl App {
    /// Role and scope of an account; `None` if its scope no longer exists.
    pub(crate) async fn staff_scope(
        &self,
        s: &StaffRow,
    ) -> ServiceResult<Option<(Role, StaffScope)>> {
        let Some(role) = Role::from_word(&s.role) else {
            return Ok(None);
        };
        let scope = match role {
            Role::ProvinceAdmin => StaffScope::Province,
            Role::CityOffice => match &s.city {
                Some(c) => StaffScope::City(c.clone()),
                None => return Ok(None),
            },
            Role::RegistrationPoint => {
                let Some(point) = &s.point else {
                    return Ok(None);
                };
                let Some(p) = self.db.point(point).await? else {
                    return Ok(None);
                };
                StaffScope::Point {
                    city: p.city,
                    county: p.county,
                    point: p.id,
                }
            }
        };
        Ok(Some((role, scope)))
    }

    /// Creates a staff account (by the command line, or by a province admin who is
    /// then written to the audit log).
    pub async fn create_staff(
        &self,
        input: &NewStaff,
        by: Option<(&StaffSession, IpAddr)>,
    ) -> ServiceResult<String> {
        let mut e = FieldErrors::new();
        let username = input.username.trim().to_ascii_lowercase();
        let username_ok = (3..=32).contains(&username.len())
            && username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !username_ok {
            e.add("username", "用户名应为3至32位字母、数字或 _ . -");
        }
        let display_name = input.display_name.trim();
        if display_name.chars().count() > 30 {
            e.add("display_name", "姓名不能超过30个字");
        }
        let password = e.check("password", NewPassword::parse(&input.password, None, None));
        let role = Role::from_word(&input.role);
        let lists = self.lists().await?;
        let (mut city, mut point) = (None, None);
        match role {
            None => e.add("role", "请选择角色"),
            Some(Role::ProvinceAdmin) => {}
            Some(Role::CityOffice) => match input.city.as_deref().and_then(|c| lists.city(c)) {
                Some(c) => city = Some(c.code.clone()),
                None => e.add("city", "请选择所属地市"),
            },
            Some(Role::RegistrationPoint) => {
                match input.point.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => match self.db.point(p).await? {
                        Some(row) => {
                            city = Some(row.city);
                            point = Some(row.id);
                        }
                        None => e.add("point", "报名点不存在"),
                    },
                    None => e.add("point", "请选择报名点"),
                }
            }
        }
        e.into_result()?;
        let role = role.expect("checked above");
        let password = password.expect("checked above");
        let row = NewStaffRow {
            id: new_id(),
            username: username.clone(),
            display_name: if display_name.is_empty() {
                username.clone()
            } else {
                display_name.into()
            },
            password_hash: self
                .passwords
                .hash(password.expose())
                .await
                .map_err(ServiceError::Internal)?,
            role: role.as_str().into(),
            city,
            point,
            totp_secret_enc: None,
            now: micros(self.clock.now()),
        };
        if !self.db.insert_staff(&row).await? {
            return Err(ServiceError::field("username", "该用户名已被使用"));
        }
        if let Some((actor, address)) = by {
            let after = serde_json::json!({
                "username": row.username, "role": row.role, "city": row.city, "point": row.point,
            });
            self.audit(
                &actor.staff.id,
                Some(address),
                "staff.create",
                Some(&row.id),
                None,
                Some(&after),
            )
            .await?;
        }
        tracing::info!(staff = %row.id, role = %row.role, "staff account created");
        Ok(row.id)
    }

    /// Signs a staff member in; province admins also need their second factor.
    pub async fn login_staff(
        &self,
        input: &StaffLogin,
        address: IpAddr,
    ) -> ServiceResult<StaffLoginOutcome> {
        self.check_address(address)?;
        let username = input.username.trim().to_ascii_lowercase();
        if username.is_empty() || input.password.is_empty() {
            let mut e = FieldErrors::new();
            if username.is_empty() {
                e.add("username", "请输入用户名");
            }
            if input.password.is_empty() {
                e.add("password", "请输入密码");
            }
            return Err(ServiceError::Invalid(e));
        }
        let key = self.keys.blind_index("staff_login", &username);
        self.check_lock(&key).await?;
        let account = self.db.staff_by_username(&username).await?;
        let ok = self
            .passwords
            .verify(
                &input.password,
                account.as_ref().map(|a| a.password_hash.as_str()),
            )
            .await
            .map_err(ServiceError::Internal)?;
        let Some(account) = account.filter(|_| ok) else {
            return Err(self.fail_login("staff", &key, LOGIN_FAILED).await);
        };
        // Told only to whoever knows the password, so it reveals nothing to a guesser.
        if account.disabled {
            return Err(ServiceError::Unauthorized {
                code: "account_disabled",
                message: "该账号已停用，请联系省招考中心管理员".into(),
                fields: FieldErrors::new(),
            });
        }
        if account.role == Role::ProvinceAdmin.as_str() {
            let Some(sealed) = &account.totp_secret_enc else {
                self.db.clear_failures(&key).await?;
                let issued = self.issue_session(STAFF_ENROLLING, &account.id).await?;
                return Ok(StaffLoginOutcome::MustEnrol(issued));
            };
            let code = input.totp.as_deref().unwrap_or("").trim();
            if code.is_empty() {
                return Err(ServiceError::Unauthorized {
                    code: "totp_required",
                    message: "请输入动态验证码".into(),
                    fields: {
                        let mut f = FieldErrors::new();
                        f.add("totp", "请输入身份验证器上的6位动态验证码");
                        f
                    },
                });
            }
            let secret = self.keys.decrypt(&format!("totp:{}", account.id), sealed)?;
            if !self.check_totp(&account, &secret, code).await? {
                return Err(self
                    .fail_login("staff", &key, "动态验证码错误或已使用")
                    .await);
            }
        }
        self.db.clear_failures(&key).await?;
        let issued = self.issue_session(STAFF, &account.id).await?;
        tracing::info!(staff = %account.id, "staff signed in");
        Ok(StaffLoginOutcome::SignedIn(issued))
    }

    /// Verifies a code against a base32 secret, allowing one step of drift and
    /// refusing a code of a step already used.
    async fn check_totp(
        &self,
        account: &StaffRow,
        secret_b32: &str,
        code: &str,
    ) -> ServiceResult<bool> {
        let bytes = Secret::Encoded(secret_b32.to_owned())
            .to_bytes()
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("totp secret: {e:?}")))?;
        let t = totp(bytes, &self.province.info.platform_name, &account.username)?;
        let now = self.clock.now().timestamp().max(0) as u64;
        let step = now / TOTP_STEP;
        for candidate in [step.saturating_sub(1), step, step + 1] {
            if crate::crypto::same(&t.generate(candidate * TOTP_STEP), code) {
                return Ok(self.db.use_totp_step(&account.id, candidate as i64).await?);
            }
        }
        Ok(false)
    }

    /// A fresh second-factor secret for an enrolling admin.
    ///
    /// With `sealed` (the form of a mistyped code), the secret already shown is
    /// kept, so the authenticator app need not scan again.
    pub fn begin_totp_enrolment(
        &self,
        session: &StaffSession,
        sealed: Option<&str>,
    ) -> ServiceResult<TotpEnrolment> {
        let label = format!("totp-pending:{}", session.staff.id);
        let encoded = match sealed.and_then(|s| self.keys.decrypt(&label, s).ok()) {
            Some(known) => known,
            None => Secret::generate_secret().to_encoded().to_string(),
        };
        let bytes = Secret::Encoded(encoded.clone())
            .to_bytes()
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("{e:?}")))?;
        let t = totp(
            bytes,
            &self.province.info.platform_name,
            &session.staff.username,
        )?;
        Ok(TotpEnrolment {
            otpauth_url: t.get_url(),
            sealed: self
                .keys
                .encrypt(&format!("totp-pending:{}", session.staff.id), &encoded),
            secret_base32: encoded,
        })
    }

    /// Binds the second factor once the admin shows a correct code; ends the
    /// enrolment session and returns a full one.
    pub async fn finish_totp_enrolment(
        &self,
        session: &StaffSession,
        sealed: &str,
        code: &str,
    ) -> ServiceResult<Issued> {
        let secret = self
            .keys
            .decrypt(&format!("totp-pending:{}", session.staff.id), sealed)
            .map_err(|_| ServiceError::field("totp", "绑定信息已失效，请刷新页面重新扫描"))?;
        if !self
            .check_totp(&session.staff, &secret, code.trim())
            .await?
        {
            return Err(ServiceError::field(
                "totp",
                "动态验证码不正确，请核对手机时间后重试",
            ));
        }
        let sealed = self
            .keys
            .encrypt(&format!("totp:{}", session.staff.id), &secret);
        self.db
            .set_staff_totp(&session.staff.id, &sealed, micros(self.clock.now()))
            .await?;
        self.db.delete_session(&session.token_hash).await?;
        tracing::info!(staff = %session.staff.id, "second factor bound");
        self.issue_session(STAFF, &session.staff.id).await
    }

    /// Binds a known secret (demo accounts and tests); no code is checked.
    pub async fn bind_totp_secret(&self, staff_id: &str, secret_base32: &str) -> ServiceResult<()> {
        let sealed = self
            .keys
            .encrypt(&format!("totp:{staff_id}"), secret_base32);
        Ok(self
            .db
            .set_staff_totp(staff_id, &sealed, micros(self.clock.now()))
            .await?)
    }
}

/// A staff account as listed to a province admin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    /// The city or registration point the account is limited to.
    pub scope_label: String,
    pub totp_bound: bool,
    pub disabled: bool,
    /// City code of a city office or registration point; empty otherwise.
    pub city: String,
    /// Registration point id; empty otherwise.
    pub point: String,
}

impl App {
    /// Refuses anyone but a province admin.
    pub fn require_province_admin(&self, actor: &StaffSession) -> ServiceResult<()> {
        if actor.role == Role::ProvinceAdmin {
            Ok(())
        } else {
            Err(ServiceError::forbidden(
                "forbidden",
                "仅省招考中心管理员可以办理此项",
            ))
        }
    }

    /// The label of a scope, e.g. 太原市 or 太原市小店区自学考试报名点.
    pub fn scope_label(&self, scope: &StaffScope) -> String {
        let lists = self.lists_snapshot();
        match scope {
            StaffScope::Province => self.province.info.name.clone(),
            StaffScope::City(c) => lists.city_name(c),
            StaffScope::Point { county, .. } => format!("{}报名点", lists.place(county)),
        }
    }

    /// Every staff account (province admins only).
    pub async fn staff_list(&self, actor: &StaffSession) -> ServiceResult<Vec<StaffView>> {
        self.require_province_admin(actor)?;
        // Refreshes the lists the scope labels are drawn from.
        self.lists().await?;
        let mut out = vec![];
        for s in self.db.all_staff().await? {
            let scope = self.staff_scope(&s).await?;
            let role = Role::from_word(&s.role);
            out.push(StaffView {
                id: s.id.clone(),
                username: s.username.clone(),
                display_name: s.display_name.clone(),
                role: s.role.clone(),
                role_label: role.map(|r| r.label().to_owned()).unwrap_or_default(),
                scope_label: scope
                    .map(|(_, sc)| self.scope_label(&sc))
                    .unwrap_or_default(),
                totp_bound: s.totp_secret_enc.is_some(),
                disabled: s.disabled,
                city: s.city.clone().unwrap_or_default(),
                point: s.point.clone().unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
