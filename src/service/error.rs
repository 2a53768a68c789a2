//! The one error type of the services, mapped to pages and to JSON by the web layers.

use std::collections::BTreeMap;

/// Field name → Chinese message shown beside that field.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a message for a field (the first one wins).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Runs a parse, recording its error under `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// The message of a field, or "" for templates.
    pub fn msg(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    /// Whether a field has a message.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(Invalid)` when any field has a message.
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self))
        }
    }

    /// The messages.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

/// What went wrong in a service call; the message is safe to show, the cause of
/// `Internal` goes to the log only.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("提交的信息有误，请按提示修改")]
    Invalid(FieldErrors),
    #[error("{message}")]
    Unauthorized {
        code: &'static str,
        message: String,
        fields: FieldErrors,
    },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("未找到相关内容")]
    NotFound,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    TooManyRequests {
        retry_after_secs: u64,
        message: String,
    },
    #[error("系统繁忙，请稍后再试")]
    Unavailable,
    #[error("系统内部错误，请稍后再试")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    /// A 403 with a code and message.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Invalid input on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut f = FieldErrors::new();
        f.add(field, message);
        Self::Invalid(f)
    }

    /// The machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_fields",
            Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. } => code,
            Self::NotFound => "not_found",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// The same error, with an internal one whose cause is a database outage
    /// turned into [`ServiceError::Unavailable`].
    pub fn outage_aware(self) -> Self {
        match self {
            Self::Internal(cause) if chain_is_outage(&cause) => {
                tracing::error!(error = %cause, "database unavailable");
                Self::Unavailable
            }
            e => e,
        }
    }

    /// The field messages, if any.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            Self::Invalid(f) | Self::Unauthorized { fields: f, .. } => Some(f),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        if is_outage(&e) {
            tracing::error!(error = %e, "database unavailable");
            Self::Unavailable
        } else {
            Self::Internal(e.into())
        }
    }
}

/// Whether a database error means "the database cannot serve now" (the pool
/// timed out or closed, the connection broke, the server is shutting down or
/// full, SQLite is busy) rather than a fault of the request: such requests get
/// 503 with Retry-After, and the same request succeeds once it is back.
pub fn is_outage(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            // PostgreSQL: class 08 (connection exception), 57P01‥57P03 (admin
            // shutdown, crash shutdown, cannot connect now), 53300 (too many
            // connections). SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6) and
            // their extended codes.
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || matches!(code.parse::<u32>().map(|c| c & 0xFF), Ok(5 | 6))
                    && db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        }
        _ => false,
    }
}

/// Whether an error's chain holds a database outage (for causes wrapped in
/// `anyhow` on their way up).
pub fn chain_is_outage(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(is_outage))
}

impl From<crate::crypto::CryptoError> for ServiceError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        Self::Internal(e.into())
    }
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;
