//! 身份证号: the 18-character resident identity number of GB 11643.

use std::fmt;

use chrono::NaiveDate;

/// Weights of the ISO 7064 MOD 11-2 check of GB 11643.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0‥10.
const CHECK: [u8; 11] = *b"10X98765432";
/// Leading two digits that name a province-level division (GB/T 2260), plus the
/// codes used for residence permits of Hong Kong, Macao and Taiwan residents.
const PROVINCE_PREFIXES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// A valid 身份证号; the only way to get one is [`ResidentId::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// Why a string is not a valid 身份证号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("身份证号应为18位")]
    Length,
    #[error("身份证号前17位应为数字，最后一位为数字或X")]
    Characters,
    #[error("身份证号的地区代码不正确")]
    Region,
    #[error("身份证号中的出生日期不正确")]
    BirthDate,
    #[error("身份证号中的出生日期不能晚于今天")]
    FutureBirthDate,
    #[error("身份证号校验位不正确，请核对后重新输入")]
    Checksum,
}

impl ResidentId {
    /// Parses a 身份证号, reading a lower-case `x` as `X`; `today` (China time)
    /// bounds the birth date.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, ResidentIdError> {
        let s = input.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(ResidentIdError::Length);
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(ResidentIdError::Characters);
        }
        if !PROVINCE_PREFIXES.contains(&&s[..2]) {
            return Err(ResidentIdError::Region);
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .map_err(|_| ResidentIdError::BirthDate)?;
        if birth < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date") {
            return Err(ResidentIdError::BirthDate);
        }
        if birth > today {
            return Err(ResidentIdError::FutureBirthDate);
        }
        if bytes[17] != check_character(&bytes[..17]) {
            return Err(ResidentIdError::Checksum);
        }
        Ok(Self(s))
    }

    /// The full number; only for storage, matching and those allowed to see it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the holder is male: the parity of the sequence number's last
    /// digit (odd for men, even for women).
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// Date of birth encoded in positions 7‥14.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse")
    }

    /// The number masked for display, e.g. `1401**********123X`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks all but the first four and last four characters of an identifier.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..4].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 8));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits.
pub fn check_character(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    /// Builds a valid number from its first 17 digits.
    fn with_check(first17: &str) -> String {
        let c = check_character(first17.as_bytes()) as char;
        format!("{first17}{c}")
    }

    #[test]
    fn accepts_valid_numbers_and_derives_gender_and_birth() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert!(!id.is_male());
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        let male = ResidentId::parse(&with_check("14010520000101001"), today()).unwrap();
        assert!(male.is_male());
    }

    #[test]
    fn reads_lower_case_x_as_upper() {
        let id = ResidentId::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn each_rule_broken_once() {
        let valid = with_check("14010519900307123");
        assert!(ResidentId::parse(&valid, today()).is_ok());
        let wrong_check = {
            let mut s = valid.clone();
            let last = s.pop().unwrap();
            s.push(if last == '0' { '1' } else { '0' });
            s
        };
        let cases: &[(&str, ResidentIdError)] = &[
            ("1401051990030712", ResidentIdError::Length),
            ("1401051990030712345", ResidentIdError::Length),
            ("14010519900307123A", ResidentIdError::Characters),
            ("1401051990030712X3", ResidentIdError::Characters),
            ("14010519900307１23X", ResidentIdError::Characters),
            (&with_check("99010519900307123"), ResidentIdError::Region),
            (&with_check("14010519900230123"), ResidentIdError::BirthDate),
            (&with_check("14010519901301123"), ResidentIdError::BirthDate),
            (&with_check("14010518991231123"), ResidentIdError::BirthDate),
            (
                &with_check("14010520270101123"),
                ResidentIdError::FutureBirthDate,
            ),
            (&wrong_check, ResidentIdError::Checksum),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ResidentId::parse(input, today()).unwrap_err(),
                *expected,
                "{input}"
            );
        }
    }

    #[test]
    fn leap_day_is_a_real_date() {
        assert!(ResidentId::parse(&with_check("14010520000229123"), today()).is_ok());
        assert_eq!(
            ResidentId::parse(&with_check("14010519000229123"), today()).unwrap_err(),
            ResidentIdError::BirthDate
        );
    }

    #[test]
    fn masks_the_middle_and_hides_it_from_debug() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }
}
