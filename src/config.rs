//! The typed configuration: defaults, then a TOML file, then `ZIKAO_*` variables.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting of a node. Unknown keys are refused so a typo cannot pass silently.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// `sqlite://…` (the default, under `data_dir`) or `postgres://…`.
    pub database_url: Option<String>,
    /// Where the embedded database, uploaded files and generated keys live.
    pub data_dir: PathBuf,
    /// The 32-byte master key as 64 hex characters; every data-protection key is
    /// derived from it. When unset, a key file in `data_dir` is made on first start.
    pub secret_key: Option<Secret>,
    /// A province data file replacing the built-in Shanxi data.
    pub province_file: Option<PathBuf>,
    /// The address candidates reach the platform at; `https://` marks cookies Secure.
    pub public_url: String,
    /// Trust the left-most address of `X-Forwarded-For` (only behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Largest number of database connections of this node.
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before it is
    /// answered 503 系统繁忙 (with Retry-After), in seconds.
    pub database_wait_seconds: u64,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Login attempts one address may make per minute (a school or carrier may put
    /// thousands of candidates behind one address).
    pub login_attempts_per_address_per_minute: u32,
    /// Font files for the 登记表 PDF (a CJK font); empty: Debian's Noto CJK or
    /// WenQuanYi Micro Hei where installed.
    pub pdf_fonts: Vec<PathBuf>,
    /// Directory of the face models (`shape_predictor_5_face_landmarks.dat`,
    /// `dlib_face_recognition_resnet_model_v1.dat`). Without them every identity
    /// case goes to the registration point's review.
    pub face_models_dir: PathBuf,
    /// Where uploaded and generated files live: `local` (under `data_dir/files`,
    /// the default) or `s3` (an S3-compatible object store, shared by nodes).
    pub file_store: FileBackend,
    /// `file_store = "s3"`: the endpoint, e.g. `http://127.0.0.1:9000`; unset
    /// for Amazon S3 itself.
    pub s3_endpoint: Option<String>,
    /// `file_store = "s3"`: the bucket (it must exist).
    pub s3_bucket: Option<String>,
    /// `file_store = "s3"`: the region the endpoint expects.
    pub s3_region: String,
    /// `file_store = "s3"`: the access key id.
    pub s3_access_key_id: Option<String>,
    /// `file_store = "s3"`: the secret access key.
    pub s3_secret_access_key: Option<Secret>,
    /// `file_store = "s3"`: a key prefix inside the bucket, so several
    /// platforms (or test runs) can share one bucket; empty for none.
    pub s3_prefix: String,
    /// A bearer token that lets a scraper on another machine read `/metrics`;
    /// unset, `/metrics` answers only requests from this machine that came
    /// through no proxy.
    pub metrics_token: Option<Secret>,
    /// How much lower than the request handlers the threads of work a person
    /// waits for run (password hashes, PDFs), as a nice increment (0–19).
    pub nice_interactive: i32,
    /// The same for photo and face checks (bulk work that fills the cores
    /// while nothing else needs them).
    pub nice_bulk: i32,
}

/// The file store's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileBackend {
    Local,
    S3,
}

/// Where `scripts/setup` puts the face models.
pub const DEFAULT_FACE_MODELS_DIR: &str = "/usr/local/share/zikao/face-models";

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("data"),
            secret_key: None,
            province_file: None,
            public_url: "http://127.0.0.1:8080".into(),
            trust_forwarded_for: false,
            database_max_connections: 16,
            database_wait_seconds: 5,
            log_format: LogFormat::Text,
            login_attempts_per_address_per_minute: 600,
            pdf_fonts: vec![],
            face_models_dir: PathBuf::from(DEFAULT_FACE_MODELS_DIR),
            file_store: FileBackend::Local,
            s3_endpoint: None,
            s3_bucket: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_prefix: String::new(),
            metrics_token: None,
            nice_interactive: 5,
            nice_bulk: 10,
        }
    }
}

impl Config {
    /// Reads defaults, then `file` (or `ZIKAO_CONFIG`) if given, then `ZIKAO_*`.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let from_env = std::env::var_os("ZIKAO_CONFIG").map(PathBuf::from);
        if let Some(path) = file.map(Path::to_path_buf).or(from_env) {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("ZIKAO_").ignore(&["config"]));
        figment.extract().map_err(Box::new)
    }

    /// The database URL, defaulting to `zikao.db` in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("zikao.db").display()
            ),
        }
    }

    /// Whether cookies carry the Secure flag (the platform is served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// A configuration secret: deserialised normally, never printed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns its own error type
    fn file_then_environment_and_unknown_keys_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "z.toml",
                "listen = \"0.0.0.0:9000\"\nsecret_key = \"abc\"\n",
            )?;
            jail.set_env("ZIKAO_DATA_DIR", "/srv/zikao");
            let c = Config::load(Some(Path::new("z.toml"))).expect("loads");
            assert_eq!(c.listen, "0.0.0.0:9000");
            assert_eq!(c.data_dir, PathBuf::from("/srv/zikao"));
            assert!(!format!("{c:?}").contains("abc"));

            jail.create_file("bad.toml", "listne = \"0.0.0.0:9000\"\n")?;
            assert!(Config::load(Some(Path::new("bad.toml"))).is_err());
            jail.set_env("ZIKAO_LISTNE", "x");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}
