//! The A3 转考（转出）登记表 and the A4 准考证, rendered in-process by the typst
//! compiler from templates in the repository, with an installed CJK font subset
//! into the PDF.

use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("../../pdf/registration-form.typ");
const TICKET_TEMPLATE: &str = include_str!("../../pdf/admission-ticket.typ");

/// Fonts looked for when none is configured, a family at a time: the first
/// family with a file installed is the one loaded (Debian's Noto Serif CJK,
/// the face of the official form; else Noto Sans CJK; else WenQuanYi Micro
/// Hei). Loading one family rather than all keeps 40 MB of unused collections
/// out of every node's memory.
const FONT_CANDIDATES: &[&[&str]] = &[
    &[
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    ],
    &[
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ],
    &["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"],
];

/// Families the template asks for, first found wins per character.
const FAMILIES: &[&str] = &[
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
];

/// Renders registration forms and admission tickets; built once at start.
pub struct FormRenderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    data: FileId,
    qr: FileId,
    photo: FileId,
    template: Source,
    ticket_template: Source,
    /// Whether the PDFs carry a structure tree (tagged PDF).
    tagged: bool,
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
            FONT_CANDIDATES
                .iter()
                .map(|family| family.iter().map(PathBuf::from).collect::<Vec<_>>())
                .find(|family| family.iter().any(|p| p.exists()))
                .unwrap_or_default()
        } else {
            font_files.to_vec()
        };
        let mut fonts = vec![];
        for path in paths.iter().filter(|p| Path::exists(p)) {
            if let Some(data) = map_font(path) {
                fonts.extend(Font::iter(data));
            }
        }
        if !fonts
            .iter()
            .any(|f| FAMILIES.contains(&f.info().family.as_str()))
        {
            return Err(PdfError::NoFont);
        }
        Ok(Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            template: Source::new(file_id("main.typ"), TEMPLATE.to_owned()),
            ticket_template: Source::new(file_id("ticket.typ"), TICKET_TEMPLATE.to_owned()),
            fonts,
            data: file_id("data.json"),
            qr: file_id("qr.svg"),
            photo: file_id("photo.jpg"),
            tagged: true,
        })
    }

    /// Writes tagged PDFs (a structure tree for assistive technology, typst's
    /// default) or not. On: untagged forms render only 3–4 % faster and 30 %
    /// smaller (BENCHMARKS.md), not worth a form that screen readers cannot
    /// follow.
    pub fn set_tagged(&mut self, tagged: bool) {
        self.tagged = tagged;
    }

    /// Renders the form from its JSON data and the QR code's SVG.
    pub fn render(&self, data: &serde_json::Value, qr_svg: &str) -> Result<Vec<u8>, PdfError> {
        let files = vec![(self.qr, Bytes::new(qr_svg.as_bytes().to_vec()))];
        self.compile(&self.template, data, files)
    }

    /// Renders an A4 admission ticket from its JSON data and the candidate's
    /// portrait (JPEG), if any.
    pub fn render_admission_ticket(
        &self,
        data: &serde_json::Value,
        photo: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, PdfError> {
        let files = photo
            .map(|p| vec![(self.photo, Bytes::new(p))])
            .unwrap_or_default();
        self.compile(&self.ticket_template, data, files)
    }

    fn compile(
        &self,
        template: &Source,
        data: &serde_json::Value,
        files: Vec<(FileId, Bytes)>,
    ) -> Result<Vec<u8>, PdfError> {
        let mut data = data.clone();
        data["fonts"] = serde_json::json!(FAMILIES);
        let world = FormWorld {
            renderer: self,
            template,
            data: Bytes::new(data.to_string().into_bytes()),
            files,
        };
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|e| PdfError::Template(format!("{e:?}")));
        // Keep the compiler's memo cache from growing with every distinct form.
        comemo::evict(2);
        let document = document?;
        let options = typst_pdf::PdfOptions {
            tagged: self.tagged,
            ..Default::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|e| PdfError::Template(format!("{e:?}")))
    }
}

/// A font file mapped into memory rather than read: the kernel brings in only
/// the pages the renderer touches, and they stay clean page cache that it may
/// drop under pressure, where a copy on the heap would hold 26 MB for each
/// Noto collection from the start. Falls back to reading the file.
fn map_font(path: &Path) -> Option<Bytes> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the mapping is read-only and private to this process. A font
    // file is replaced by its package manager by writing a new file and
    // renaming it, which leaves this mapping on the old one; a file truncated
    // in place while mapped would fault, as it would for any program using it.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Some(Bytes::new(map)),
        Err(_) => std::fs::read(path).ok().map(Bytes::new),
    }
}

struct FormWorld<'a> {
    renderer: &'a FormRenderer,
    template: &'a Source,
    data: Bytes,
    files: Vec<(FileId, Bytes)>,
}

impl World for FormWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }

    fn main(&self) -> FileId {
        self.template.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.template.id() {
            Ok(self.template.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.renderer.data {
            Ok(self.data.clone())
        } else if id == self.template.id() {
            Ok(Bytes::from_string(self.template.clone()))
        } else if let Some((_, bytes)) = self.files.iter().find(|(f, _)| *f == id) {
            Ok(bytes.clone())
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
