use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The code of Aomori Prefecture itself (全国地方公共団体コード 02000 + check digit 1).
pub const PREFECTURE_CODE: MunicipalityCode = MunicipalityCode(*b"020001");

/// A 全国地方公共団体コード (JIS X 0402): five digits (two for the prefecture, three for the
/// municipality) and a check digit. The 5-digit form that many spreadsheets carry is accepted and
/// completed, because staff paste codes from sources that drop the check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MunicipalityCode([u8; 6]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MunicipalityCodeError {
    #[error("municipality code must be 5 or 6 ASCII digits, got {given:?}")]
    Malformed { given: String },
    #[error("municipality code {given} has check digit {found}, expected {expected}")]
    WrongCheckDigit {
        given: String,
        found: char,
        expected: char,
    },
    #[error("municipality code {given} has prefecture part {prefecture:02}, expected 01 to 47")]
    UnknownPrefecture { given: String, prefecture: u8 },
}

impl MunicipalityCodeError {
    /// The message shown to staff, in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Malformed { given } => {
                format!("地方公共団体コードは5桁または6桁の数字で入力してください（入力値: {given}）")
            }
            Self::WrongCheckDigit { given, expected, .. } => format!(
                "地方公共団体コード {given} の検査数字（6桁目）が正しくありません。正しくは {expected} です"
            ),
            Self::UnknownPrefecture { given, .. } => {
                format!("地方公共団体コード {given} の都道府県部分（先頭2桁）は01〜47です")
            }
        }
    }
}

impl MunicipalityCode {
    /// Parses a 6-digit code (verifying its check digit) or a 5-digit code (adding it).
    /// Surrounding white space is ignored; full-width digits are not accepted here because the
    /// import layer normalises width before calling this.
    pub fn parse(input: &str) -> Result<Self, MunicipalityCodeError> {
        let trimmed = input.trim();
        let malformed = || MunicipalityCodeError::Malformed {
            given: trimmed.to_owned(),
        };
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let digits: [u8; 5] = match trimmed.len() {
            5 | 6 => trimmed.as_bytes()[..5].try_into().map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        let prefecture = (digits[0] - b'0') * 10 + (digits[1] - b'0');
        if !(1..=47).contains(&prefecture) {
            return Err(MunicipalityCodeError::UnknownPrefecture {
                given: trimmed.to_owned(),
                prefecture,
            });
        }
        let expected = check_digit(&digits);
        if let Some(&found) = trimmed.as_bytes().get(5)
            && found != expected
        {
            return Err(MunicipalityCodeError::WrongCheckDigit {
                given: trimmed.to_owned(),
                found: char::from(found),
                expected: char::from(expected),
            });
        }
        let mut code = [0u8; 6];
        code[..5].copy_from_slice(&digits);
        code[5] = expected;
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The two-digit prefecture number (02 for Aomori).
    pub fn prefecture_number(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }

    /// True for a prefecture's own code (digits 3 to 5 are 000).
    pub fn is_prefecture(&self) -> bool {
        &self.0[2..5] == b"000"
    }

    /// The code of the prefecture this municipality belongs to.
    pub fn prefecture(&self) -> MunicipalityCode {
        let digits = [self.0[0], self.0[1], b'0', b'0', b'0'];
        let mut code = [0u8; 6];
        code[..5].copy_from_slice(&digits);
        code[5] = check_digit(&digits);
        MunicipalityCode(code)
    }
}

/// JIS X 0402: weights 6,5,4,3,2; the check digit is the last digit of 11 minus the remainder
/// modulo 11 (so a remainder of 0 gives 1 and a remainder of 1 gives 0, as in 新宿区 131041 and
/// むつ市 022080).
fn check_digit(digits: &[u8; 5]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = (11 - sum % 11) % 10;
    b'0' + u8::try_from(check).unwrap_or(0)
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MunicipalityCode({})", self.as_str())
    }
}

impl std::str::FromStr for MunicipalityCode {
    type Err = MunicipalityCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for MunicipalityCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MunicipalityCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_round_trip() {
        for code in ["020001", "022012", "022080", "024236", "131130", "131041"] {
            assert_eq!(MunicipalityCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn five_digit_form_is_completed() {
        assert_eq!(MunicipalityCode::parse("02208").unwrap().as_str(), "022080");
        assert_eq!(MunicipalityCode::parse(" 02201 ").unwrap().as_str(), "022012");
    }

    #[test]
    fn wrong_check_digit_names_the_expected_digit() {
        let error = MunicipalityCode::parse("022013").unwrap_err();
        assert_eq!(
            error,
            MunicipalityCodeError::WrongCheckDigit {
                given: "022013".into(),
                found: '3',
                expected: '2'
            }
        );
        assert!(error.message_ja().contains("正しくは 2"));
        assert!(error.to_string().contains("expected 2"));
    }

    #[test]
    fn malformed_input_is_rejected() {
        for bad in ["", "0220", "0220123", "02201a", "０２２０１２", "990001"] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn prefecture_of_a_city() {
        let city = MunicipalityCode::parse("022012").unwrap();
        assert_eq!(city.prefecture(), PREFECTURE_CODE);
        assert!(PREFECTURE_CODE.is_prefecture());
        assert!(!city.is_prefecture());
        assert_eq!(city.prefecture_number(), 2);
    }

    #[test]
    fn serde_uses_the_string_form() {
        let code: MunicipalityCode = serde_json::from_str("\"02201\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"022012\"");
        assert!(serde_json::from_str::<MunicipalityCode>("\"022019\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn every_five_digit_code_completes_to_a_valid_six_digit_code(n in 1000u32..47999) {
            let five = format!("{n:05}");
            let code = MunicipalityCode::parse(&five).unwrap();
            proptest::prop_assert_eq!(MunicipalityCode::parse(code.as_str()).unwrap(), code);
            for wrong in (0..10u8).map(|d| char::from(b'0' + d)) {
                if !code.as_str().ends_with(wrong) {
                    let candidate = format!("{five}{wrong}");
                    proptest::prop_assert!(MunicipalityCode::parse(&candidate).is_err());
                }
            }
        }
    }
}
