//! What a person may call themselves, their organisation or a workshop: text cleaned the same
//! way everywhere it enters (the join form, the name fix, the workshop's title).
//!
//! [`clean`] normalises to NFC (so "é" typed two ways is one name), removes bidirectional
//! controls (a right-to-left override can make a name read as another one on every screen),
//! trims whitespace and invisible characters at both ends, and calls a text without a single
//! visible character empty (a name of zero-width spaces, a byte-order mark or tag characters
//! shows as nothing).

use unicode_normalization::UnicodeNormalization;

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty (nor only invisible characters)")]
    Empty,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("contains control characters")]
    Control,
}

/// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no visible space on their own.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}' // soft hyphen
                | '\u{034F}' // combining grapheme joiner
                | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
                | '\u{180E}' // Mongolian vowel separator
                | '\u{200B}'..='\u{200D}' // zero-width space, non-joiner, joiner
                | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                | '\u{FEFF}' // byte-order mark
                | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

/// Variation selectors: invisible alone, but part of an emoji at the end of a name ("👩‍⚕️"),
/// so they are never trimmed, only not counted as something to see.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// The cleaned text, at most `max` characters; `required` refuses an empty result.
pub fn clean(value: &str, max: usize, required: bool) -> Result<String, TextError> {
    let normal: String = value.nfc().filter(|&c| !is_bidi_control(c)).collect();
    if normal.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    let trimmed = normal.trim_matches(is_invisible);
    let nothing_visible = trimmed
        .chars()
        .all(|c| is_invisible(c) || is_variation_selector(c));
    if nothing_visible && (required || !trimmed.is_empty()) {
        return if required {
            Err(TextError::Empty)
        } else {
            Ok(String::new())
        };
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass_trimmed() {
        assert_eq!(clean("  Anna  ", 80, true).unwrap(), "Anna");
        assert_eq!(clean("OCMW Gent", 80, false).unwrap(), "OCMW Gent");
        assert_eq!(clean("", 80, false).unwrap(), "");
        assert_eq!(clean("Zoë 👩‍⚕️", 80, true).unwrap(), "Zoë 👩‍⚕️");
    }

    #[test]
    fn one_name_however_it_was_typed() {
        // "é" as one code point and as "e" + combining acute.
        assert_eq!(clean("Ren\u{e9}", 80, true), clean("Rene\u{301}", 80, true));
        assert_eq!(clean("Rene\u{301}", 80, true).unwrap(), "Ren\u{e9}");
    }

    #[test]
    fn invisible_only_is_empty() {
        for v in [
            "\u{200B}\u{200B}",
            "\u{FEFF}",
            "\u{E0041}\u{E0042}",
            " \u{2060} \u{00AD} ",
            "\u{202E}",
            "\u{FE0F}\u{200B}",
        ] {
            assert_eq!(clean(v, 80, true), Err(TextError::Empty), "{v:?}");
        }
    }

    #[test]
    fn bidi_overrides_are_stripped() {
        assert_eq!(clean("Anna\u{202E}reteP", 80, true).unwrap(), "AnnareteP");
        assert_eq!(clean("\u{2067}x\u{2069}", 80, true).unwrap(), "x");
    }

    #[test]
    fn control_and_length_refused() {
        assert_eq!(clean("a\u{7}b", 80, true), Err(TextError::Control));
        assert_eq!(clean("a\nb", 80, true), Err(TextError::Control));
        assert_eq!(
            clean(&"x".repeat(81), 80, true),
            Err(TextError::TooLong(80))
        );
        assert!(clean(&"é".repeat(80), 80, true).is_ok());
    }
}
