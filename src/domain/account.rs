//! Enumerations of accounts: candidates' kinds and identity states, staff roles.

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case word used in storage and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The Chinese label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Reads the snake_case word back.
            pub fn from_word(s: &str) -> Option<Self> {
                match s { $($word => Some($name::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use word_enum;

word_enum!(
    /// 性别, derived from the 身份证号.
    Gender { Male = "male" / "男", Female = "female" / "女" }
);

word_enum!(
    /// How a candidate came to the platform.
    CandidateKind { New = "new" / "新考生", Enrolled = "enrolled" / "在籍考生" }
);

word_enum!(
    /// Where a candidate stands in identity verification (DESIGN §2).
    IdentityState {
        AwaitingIdentity = "awaiting_identity" / "待身份认证",
        UnderReview = "under_review" / "人工审核中",
        Verified = "verified" / "已认证",
    }
);

word_enum!(
    /// A staff member's role (DESIGN §1).
    Role {
        ProvinceAdmin = "province_admin" / "省招考中心",
        CityOffice = "city_office" / "地市自考办",
        RegistrationPoint = "registration_point" / "报名点",
    }
);

/// What a staff member may see: everything, one city, or one registration point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffScope {
    Province,
    City(String),
    Point {
        city: String,
        county: String,
        point: String,
    },
}

impl StaffScope {
    /// Whether a candidate of `city`/`county` is within this scope.
    pub fn covers(&self, city: &str, county: &str) -> bool {
        match self {
            StaffScope::Province => true,
            StaffScope::City(c) => c == city,
            StaffScope::Point { county: k, .. } => k == county,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_word(r.as_str()), Some(*r));
        }
        assert_eq!(
            IdentityState::from_word("verified"),
            Some(IdentityState::Verified)
        );
        assert_eq!(IdentityState::from_word("Verified"), None);
    }

    #[test]
    fn scope_covers_only_its_own() {
        let city = StaffScope::City("1401".into());
        assert!(city.covers("1401", "140105"));
        assert!(!city.covers("1402", "140212"));
        let point = StaffScope::Point {
            city: "1401".into(),
            county: "140105".into(),
            point: "140105".into(),
        };
        assert!(point.covers("1401", "140105"));
        assert!(!point.covers("1401", "140106"));
    }
}
