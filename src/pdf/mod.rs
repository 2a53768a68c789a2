//! The A3 转考（转出）登记表, rendered in-process by the typst compiler from a
//! template in the repository, with an installed CJK font subset into the PDF.

use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("../../pdf/registration-form.typ");

/// Fonts tried in order when none is configured: Debian's Noto CJK, then
/// WenQuanYi Micro Hei.
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

/// Families the template asks for, first found wins per character.
const FAMILIES: &[&str] = &[
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
];

/// Renders registration forms; built once at start.
pub struct FormRenderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    data: FileId,
    qr: FileId,
    template: Source,
}

/// Why a form could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no CJK font found (install fonts-noto-cjk, or set pdf_font_dir)")]
    NoFont,
    #[error("the form template failed: {0}")]
    Template(String),
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a plain relative path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl FormRenderer {
    /// Loads the fonts from `font_files` (or the known Debian locations).
    pub fn new(font_files: &[PathBuf]) -> Result<Self, PdfError> {
        let paths: Vec<PathBuf> = if font_files.is_empty() {
            FONT_CANDIDATES.iter().map(PathBuf::from).collect()
        } else {
            font_files.to_vec()
        };
        let mut fonts = vec![];
        for path in paths.iter().filter(|p| Path::exists(p)) {
            if let Ok(data) = std::fs::read(path) {
                fonts.extend(Font::iter(Bytes::new(data)));
            }
        }
        if !fonts
            .iter()
            .any(|f| FAMILIES.contains(&f.info().family.as_str()))
        {
            return Err(PdfError::NoFont);
        }
        let main = file_id("main.typ");
        Ok(Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            template: Source::new(main, TEMPLATE.to_owned()),
            fonts,
            main,
            data: file_id("data.json"),
            qr: file_id("qr.svg"),
        })
    }

    /// Renders the form from its JSON data and the QR code's SVG.
    pub fn render(&self, data: &serde_json::Value, qr_svg: &str) -> Result<Vec<u8>, PdfError> {
        let mut data = data.clone();
        data["fonts"] = serde_json::json!(FAMILIES);
        let world = FormWorld {
            renderer: self,
            data: Bytes::new(data.to_string().into_bytes()),
            qr: Bytes::new(qr_svg.as_bytes().to_vec()),
        };
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|e| PdfError::Template(format!("{e:?}")));
        // Keep the compiler's memo cache from growing with every distinct form.
        comemo::evict(2);
        let document = document?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
            .map_err(|e| PdfError::Template(format!("{e:?}")))
    }
}

struct FormWorld<'a> {
    renderer: &'a FormRenderer,
    data: Bytes,
    qr: Bytes,
}

impl World for FormWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }

    fn main(&self) -> FileId {
        self.renderer.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.renderer.main {
            Ok(self.renderer.template.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.renderer.data {
            Ok(self.data.clone())
        } else if id == self.renderer.qr {
            Ok(self.qr.clone())
        } else if id == self.renderer.main {
            Ok(Bytes::from_string(self.renderer.template.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}
