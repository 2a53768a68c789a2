//! Reading an import file into lines of text cells: CSV (UTF-8) or XLSX (the
//! first worksheet), told apart by content, not by name.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// A file as read: the header cells and every non-blank line after it.
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    /// (line number in the file, counting the header as line 1; cells)
    pub rows: Vec<(usize, Vec<String>)>,
}

/// The beginning of every XLSX file (a ZIP archive).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads a CSV or XLSX file; the Chinese reason when it cannot be read at all.
pub fn read_table(bytes: &[u8]) -> Result<Table, String> {
    if bytes.starts_with(ZIP_MAGIC) {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "文件不是UTF-8编码的CSV文件，请另存为“CSV UTF-8”格式或XLSX格式".to_owned())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    // Line numbers counted from byte offsets: the reader skips blank lines
    // without counting them.
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        // A record's position may be at the blank lines before it.
        let mut byte = byte.min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        line += text.as_bytes()[counted_to..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = counted_to.max(byte);
        line
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(p.byte() as usize));
            format!("第{line}行无法按CSV格式读取")
        })?;
        let line = line_at(record.position().map_or(0, |p| p.byte() as usize));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        push(&mut table, line, cells);
    }
    Ok(table)
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, String> {
    let unreadable = || "XLSX文件无法读取，请确认文件完整且为Excel 2007及以上格式".to_owned();
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| "XLSX文件中没有工作表".to_owned())?
        .map_err(|_| unreadable())?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut table = Table::default();
    for (i, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); first_col];
        cells.extend(row.iter().map(cell_text));
        push(&mut table, first_row + i + 1, cells);
    }
    Ok(table)
}

/// Adds a line: the first non-blank one is the header; blank lines are skipped.
fn push(table: &mut Table, line: usize, cells: Vec<String>) {
    if cells.iter().all(String::is_empty) {
        return;
    }
    if table.headers.is_empty() {
        table.headers = cells;
    } else {
        table.rows.push((line, cells));
    }
}

/// The text of a cell. Whole numbers lose Excel's ".0"; dates become YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_and_blank_lines() {
        let t =
            read_table("\u{feff}专业代码,专业名称\n\n050105, 汉语言文学 \n".as_bytes()).unwrap();
        assert_eq!(t.headers, ["专业代码", "专业名称"]);
        assert_eq!(
            t.rows,
            vec![(3, vec!["050105".into(), "汉语言文学".into()])]
        );
    }

    #[test]
    fn gbk_is_refused_with_a_reason() {
        let err = read_table(&[0xbf, 0xce, 0xb3, 0xcc]).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
    }
}
