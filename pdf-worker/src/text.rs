//! Right-to-left text for a layout engine that only sets glyphs left to right.
//!
//! genpdf neither shapes nor reorders: it prints characters one after the other, left to right,
//! each as its nominal glyph. Arabic written that way is unreadable (letters in logical order,
//! each in its isolated form). So text holding right-to-left characters is shaped here first
//! (every letter replaced by its contextual presentation form, lam-alef ligatures formed) and
//! then put in visual order by the Unicode Bidirectional Algorithm, line by line as given.
//! Text without right-to-left characters passes through untouched.

use unicode_bidi::{BidiClass, BidiInfo, bidi_class};

fn is_rtl(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::R | BidiClass::AL)
}

/// `text` as it is to be printed left to right.
pub(crate) fn visual(text: &str) -> String {
    if !text.chars().any(is_rtl) {
        return text.to_owned();
    }
    let shaped = ar_reshaper::reshape_line(text);
    let bidi = BidiInfo::new(&shaped, None);
    bidi.paragraphs.iter().map(|paragraph| bidi.reorder_line(paragraph, paragraph.range.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_to_right_text_is_untouched() {
        assert_eq!(visual("Zahlwerk Müller GmbH, 請求書"), "Zahlwerk Müller GmbH, 請求書");
    }

    #[test]
    fn arabic_is_shaped_and_put_in_visual_order() {
        // "سلام": seen, lam, alef, meem. Shaped, seen is initial and lam-alef a ligature;
        // in visual order the last letter comes first.
        let shaped = visual("سلام");
        assert_eq!(shaped, "\u{FEE1}\u{FEFC}\u{FEB3}");
        // Embedded in left-to-right text, only the Arabic run is reversed.
        let mixed = visual("Shop سلام GmbH");
        assert!(mixed.starts_with("Shop ") && mixed.ends_with(" GmbH"), "{mixed}");
        assert!(mixed.contains("\u{FEE1}\u{FEFC}\u{FEB3}"), "{mixed}");
    }
}
