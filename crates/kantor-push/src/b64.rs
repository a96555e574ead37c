//! base64url without padding (RFC 4648 §5), the encoding of every key in Web Push.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use crate::PushError;

/// Encodes without padding; decodes with or without it, because some browsers and libraries
/// hand out padded keys.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

pub(crate) fn decode(text: &str, field: &'static str) -> Result<Vec<u8>, PushError> {
    ENGINE
        .decode(text.trim())
        .map_err(|_| PushError::InvalidBase64 { field })
}

/// Decodes into exactly `N` bytes.
pub(crate) fn decode_array<const N: usize>(
    text: &str,
    field: &'static str,
) -> Result<[u8; N], PushError> {
    let bytes = decode(text, field)?;
    let actual = bytes.len();
    bytes.try_into().map_err(|_| PushError::InvalidKeyLength {
        field,
        expected: N,
        actual,
    })
}
