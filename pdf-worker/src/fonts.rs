//! The fonts compiled into the worker, the choice of font for each character, and the subsets
//! of them that one document embeds.
//!
//! genpdf sets each string in one font and embeds every font it is given, whole. So a document
//! is prepared in two steps: [`FontPlan::for_text`] picks, for every character the document
//! holds, the first face of the fallback chain (Noto Sans, Noto Sans Arabic, Droid Sans Fallback,
//! NanumSquare) that has a glyph for it; then each face the document needs is cut down to just
//! those characters' glyphs (allsorts' subsetter, with a Unicode cmap so genpdf can still map
//! characters to glyphs). A one-page invoice embeds a few kilobytes of font instead of the
//! megabytes the faces weigh whole.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font::read_cmap_subtable;
use allsorts::font_data::FontData as FontFile;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use allsorts::tables::FontTableProvider;
use allsorts::tables::cmap::Cmap;
use allsorts::tag;
use genpdf::fonts::{FontData, FontFamily};

use crate::PdfError;

/// A script's faces. Faces without a bold cut use the regular one for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Script {
    /// Latin, Greek, Cyrillic and the figures and punctuation every document uses.
    Latin,
    Arabic,
    /// Han ideographs and Japanese kana.
    Cjk,
    Hangul,
}

/// The fallback chain, in the order characters are looked up.
pub(crate) const SCRIPTS: [Script; 4] = [Script::Latin, Script::Arabic, Script::Cjk, Script::Hangul];

struct Face {
    bytes: &'static [u8],
    /// Character → glyph id, read once from the face's cmap.
    cmap: OnceLock<HashMap<u32, u16>>,
}

impl Face {
    const fn new(bytes: &'static [u8]) -> Self {
        Self { bytes, cmap: OnceLock::new() }
    }

    fn cmap(&self) -> &HashMap<u32, u16> {
        self.cmap.get_or_init(|| read_cmap(self.bytes).unwrap_or_default())
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.cmap().get(&u32::from(c)).copied().filter(|&gid| gid != 0)
    }
}

static LATIN_REGULAR: Face = Face::new(notosans::REGULAR_TTF);
static LATIN_BOLD: Face = Face::new(notosans::BOLD_TTF);
static ARABIC_REGULAR: Face = Face::new(include_bytes!("../fonts/NotoSansArabic-Regular.ttf"));
static ARABIC_BOLD: Face = Face::new(include_bytes!("../fonts/NotoSansArabic-Bold.ttf"));
static CJK: Face = Face::new(include_bytes!("../fonts/DroidSansFallbackFull.ttf"));
static HANGUL_REGULAR: Face = Face::new(include_bytes!("../fonts/NanumSquareR.ttf"));
static HANGUL_BOLD: Face = Face::new(include_bytes!("../fonts/NanumSquareB.ttf"));

impl Script {
    fn faces(self) -> (&'static Face, &'static Face) {
        match self {
            Self::Latin => (&LATIN_REGULAR, &LATIN_BOLD),
            Self::Arabic => (&ARABIC_REGULAR, &ARABIC_BOLD),
            Self::Cjk => (&CJK, &CJK),
            Self::Hangul => (&HANGUL_REGULAR, &HANGUL_BOLD),
        }
    }
}

/// The script whose font sets `c`: the first in the chain with a glyph for it. Characters no
/// face has stay with Noto Sans, which prints its "missing glyph" box.
pub(crate) fn script_of(c: char) -> Script {
    if c.is_ascii() {
        return Script::Latin;
    }
    SCRIPTS.into_iter().find(|script| script.faces().0.glyph(c).is_some()).unwrap_or(Script::Latin)
}

fn read_cmap(bytes: &[u8]) -> Result<HashMap<u32, u16>, allsorts::error::ParseError> {
    let file = ReadScope::new(bytes).read::<FontFile<'_>>()?;
    let provider = file.table_provider(0).map_err(|_| allsorts::error::ParseError::BadValue)?;
    let data = provider.read_table_data(tag::CMAP)?;
    let cmap = ReadScope::new(&data).read::<Cmap<'_>>()?;
    let mut map = HashMap::new();
    if let Some((_, subtable)) = read_cmap_subtable(&cmap)? {
        subtable.mappings_fn(|c, gid| {
            map.insert(c, gid);
        })?;
    }
    Ok(map)
}

/// `face` cut down to the glyphs of `chars` (and the "missing glyph" glyph), with a Unicode
/// cmap of just those characters.
fn subset_face(face: &Face, chars: &BTreeSet<char>) -> Result<Vec<u8>, PdfError> {
    let mut glyphs: Vec<u16> = chars.iter().filter_map(|&c| face.glyph(c)).collect();
    glyphs.push(0);
    glyphs.sort_unstable();
    glyphs.dedup();
    let fail = |err: &dyn std::fmt::Display| PdfError::Render(format!("font subsetting failed: {err}"));
    let file = ReadScope::new(face.bytes).read::<FontFile<'_>>().map_err(|e| fail(&e))?;
    let provider = file.table_provider(0).map_err(|e| fail(&e))?;
    // Only what genpdf (rusttype) and a PDF viewer read: outlines, metrics and the cmap.
    let profile = SubsetProfile::Custom(vec![tag::CMAP, tag::HEAD, tag::HHEA, tag::HMTX, tag::MAXP, tag::POST]);
    subset(&provider, &glyphs, &profile, CmapTarget::Unicode).map_err(|e| fail(&e))
}

/// Which characters each script's font sets in one document.
#[derive(Debug, Default)]
pub(crate) struct FontPlan {
    chars: HashMap<Script, BTreeSet<char>>,
}

impl FontPlan {
    /// Plans the fonts for a document whose every string is in `texts`. Printable ASCII is
    /// always included, so that whatever the layout adds itself (page numbers, punctuation) has
    /// its glyphs.
    pub(crate) fn for_text<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut plan = Self::default();
        let ascii = (' '..='~').collect::<BTreeSet<char>>();
        plan.chars.insert(Script::Latin, ascii);
        for text in texts {
            for c in text.chars().filter(|c| !c.is_control()) {
                plan.chars.entry(script_of(c)).or_default().insert(c);
            }
        }
        plan
    }

    /// The scripts this document needs besides Latin, in chain order.
    pub(crate) fn fallbacks(&self) -> impl Iterator<Item = Script> + '_ {
        SCRIPTS.into_iter().skip(1).filter(|script| self.chars.contains_key(script))
    }

    /// `script`'s regular and bold faces, subset to this document's characters. The italic
    /// slots name PDF built-in fonts, which take no space: the layout never uses italics. A
    /// script without a bold face gets a built-in font in its bold slot too, and
    /// [`FontPlan::add_family`] points that slot at the regular face, so the face is embedded
    /// once.
    pub(crate) fn family(&self, script: Script) -> Result<FontFamily<FontData>, PdfError> {
        // Spaces inside a run of this script are set in its font too.
        let mut chars = self.chars.get(&script).cloned().unwrap_or_default();
        chars.insert(' ');
        let (regular, bold) = script.faces();
        let single_weight = std::ptr::eq(regular, bold);
        let regular = subset_face(regular, &chars)?;
        let embedded = |bytes: Vec<u8>| FontData::new(bytes, None).map_err(PdfError::from_genpdf);
        let builtin = |bytes: Vec<u8>, builtin| FontData::new(bytes, Some(builtin)).map_err(PdfError::from_genpdf);
        let bold = if single_weight {
            builtin(regular.clone(), printpdf::BuiltinFont::HelveticaBold)?
        } else {
            embedded(subset_face(bold, &chars)?)?
        };
        Ok(FontFamily {
            italic: builtin(regular.clone(), printpdf::BuiltinFont::HelveticaOblique)?,
            bold_italic: builtin(regular.clone(), printpdf::BuiltinFont::HelveticaBoldOblique)?,
            regular: embedded(regular)?,
            bold,
        })
    }

    /// Adds `script`'s family to `document` and returns it as the layout uses it.
    pub(crate) fn add_family(
        &self,
        document: &mut genpdf::Document,
        script: Script,
    ) -> Result<FontFamily<genpdf::fonts::Font>, PdfError> {
        let mut family = document.add_font_family(self.family(script)?);
        let (regular, bold) = script.faces();
        if std::ptr::eq(regular, bold) {
            family.bold = family.regular;
        }
        Ok(family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_script_falls_back_to_a_face_that_has_it() {
        assert_eq!(script_of('A'), Script::Latin);
        assert_eq!(script_of('ü'), Script::Latin);
        assert_eq!(script_of('€'), Script::Latin);
        assert_eq!(script_of('ف'), Script::Arabic);
        assert_eq!(script_of('\u{FEB3}'), Script::Arabic, "presentation forms");
        assert_eq!(script_of('請'), Script::Cjk);
        assert_eq!(script_of('カ'), Script::Cjk);
        assert_eq!(script_of('한'), Script::Hangul);
        assert_eq!(script_of('\u{10FFFF}'), Script::Latin, "no face has it");
    }

    #[test]
    fn subsets_keep_only_the_glyphs_asked_for() {
        let chars: BTreeSet<char> = "請求書株式会社".chars().collect();
        let subset = subset_face(&CJK, &chars).expect("subset");
        assert!(subset.len() < 20_000, "{} bytes", subset.len());
        let cmap = read_cmap(&subset).expect("the subset has a cmap");
        for c in &chars {
            assert!(cmap.get(&u32::from(*c)).is_some_and(|&gid| gid != 0), "{c}");
        }
        assert!(!cmap.contains_key(&u32::from('東')));
    }
}
