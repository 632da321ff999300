//! CSV as spreadsheets write and read it, with the `csv` crate: the
//! rosters the server reads ([`crate::roster`]) and every CSV it writes
//! (the results export, the roster's logins), and the neutralisation of
//! text cells a spreadsheet would run as formulas.
//!
//! One reader and one writer, set up here once, so every file the server
//! reads or writes follows the same dialect: comma separated, RFC 4180
//! quoting (a field with `,`, `"`, a line feed or a carriage return is
//! quoted, quotes doubled), `\n` at the end of each record, UTF-8. The
//! reader also takes `\r\n` or `\r` line ends, a UTF-8 byte-order mark,
//! quoted fields (with commas, quotes or line breaks inside) and spaces
//! around fields (trimmed), as spreadsheets export them, and tells each
//! record's line so errors can name it. Both are flexible about the number
//! of fields: the reader lets the caller say what a short line lacks, and
//! the writer never has an error to report for a string it is given.

/// A text cell that a spreadsheet will show as text, never run as a
/// formula: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` (the usual neutralisation; the apostrophe is
/// not shown by spreadsheets). Only text cells pass here: numbers the
/// server wrote, where a leading `-` is a sign, do not.
pub fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The CSV text of `records`, one line each (quoted where needed).
pub fn write<R, F>(records: R) -> String
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut out = Vec::new();
    {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        // Into memory and `flexible`: csv's only errors (the sink's I/O,
        // records of unequal lengths) cannot happen; logged if they ever do.
        for record in records {
            if let Err(e) = writer.write_record(record) {
                tracing::error!(error = %e, "writing CSV");
                break;
            }
        }
        if let Err(e) = writer.flush() {
            tracing::error!(error = %e, "writing CSV");
        }
    }
    // Every field was a string's bytes, so the text is UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One record read: its fields (trimmed) and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line number in the text.
    pub line: usize,
    pub fields: Vec<String>,
}

/// The records of `text`, in order. Blank lines (nothing but spaces) are
/// skipped; a line of commas is a record of empty fields. A read error
/// names its line.
pub fn read(text: &str) -> impl Iterator<Item = anyhow::Result<Record>> + '_ {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Lines::new(text);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .into_records()
        .filter_map(move |r| {
            let record = match r {
                Ok(record) => record,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Some(Err(anyhow::anyhow!("line {line}: {e}")));
                }
            };
            if record.len() <= 1 && record.get(0).is_none_or(str::is_empty) {
                return None;
            }
            let at = record.position().map_or(0, |p| p.byte());
            Some(Ok(Record {
                line: lines.of_record_at(usize::try_from(at).unwrap_or(usize::MAX)),
                fields: record.iter().map(str::to_owned).collect(),
            }))
        })
}

/// Line numbers from byte offsets. csv's own line count lags behind a
/// `\r\n` (the `\n` is read with the next record), so a roster saved with
/// Windows line ends had its errors on the wrong lines; this counts `\n`,
/// `\r\n` and a lone `\r` as one line break each, as the reader does.
/// Records come in order, so each count goes on from the last one.
struct Lines<'a> {
    text: &'a [u8],
    /// Bytes counted so far, and the line the next one is on.
    done: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            done: 0,
            line: 1,
        }
    }

    /// The line of the record csv placed at byte `at`: the line of its
    /// first byte past any line breaks (csv may place a record at the end
    /// of the previous one, or before the blank lines it skipped).
    fn of_record_at(&mut self, at: usize) -> usize {
        let mut start = at.min(self.text.len()).max(self.done);
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let chunk = self.text.get(self.done..start).unwrap_or_default();
        let breaks = chunk
            .iter()
            .enumerate()
            .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && chunk.get(i + 1) != Some(&b'\n')))
            .count();
        self.line += breaks;
        self.done = start;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for bad in ["=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        assert_eq!(spreadsheet_safe("C001"), "C001");
        assert_eq!(spreadsheet_safe("late offline_start"), "late offline_start");
    }

    #[test]
    fn only_the_cells_that_need_it_are_quoted() {
        assert_eq!(
            write([["a", "b,c", "say \"hi\""], ["", "x", ""]]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\n,x,\n"
        );
        assert_eq!(
            write([["two\nlines", "cr\rx", "plain"]]),
            "\"two\nlines\",\"cr\rx\",plain\n"
        );
        assert_eq!(write(Vec::<Vec<String>>::new()), "");
    }

    #[test]
    fn a_cell_with_a_comma_a_quote_and_a_line_break_comes_back_whole() {
        let cells = [
            "Dupont, Jean",
            "il a dit \"non\"",
            "ligne 1\nligne 2",
            "a\r\nb",
            "'=1+1",
            "é à ç",
        ];
        let text = write([cells, ["x", "y", "z", "", "", "w"]]);
        let back: Vec<Record> = read(&text).collect::<anyhow::Result<_>>().unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].line, 1);
        assert_eq!(back[0].fields, cells);
        // The first record spans three lines (two line breaks inside).
        assert_eq!(back[1].line, 4);
        assert_eq!(back[1].fields, ["x", "y", "z", "", "", "w"]);
    }

    #[test]
    fn lines_are_counted_whatever_the_line_ends() {
        let lines = |text: &str| -> Vec<usize> {
            read(text).map(|r| r.unwrap().line).collect::<Vec<usize>>()
        };
        assert_eq!(lines("a\nb\n\nc\n"), [1, 2, 4]);
        assert_eq!(lines("a\r\nb\r\n\r\nc\r\n"), [1, 2, 4]);
        assert_eq!(lines("a\rb\r\rc\r"), [1, 2, 4]);
        assert_eq!(lines("a\r\n\"b\r\nb\"\r\n  \r\nc"), [1, 2, 5]);
        assert_eq!(lines("\n\na\n"), [3]);
    }

    #[test]
    fn the_reader_takes_what_spreadsheets_export() {
        let text = "\u{feff}candidate , code\r\n\r\n  \nA1,\"ABCD, EFGH\"\r\n,\nlast";
        let records: Vec<Record> = read(text).collect::<anyhow::Result<_>>().unwrap();
        let lines: Vec<usize> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 4, 5, 6]);
        assert_eq!(records[0].fields, ["candidate", "code"]);
        assert_eq!(records[1].fields, ["A1", "ABCD, EFGH"]);
        assert_eq!(records[2].fields, ["", ""]);
        assert_eq!(records[3].fields, ["last"]);
    }
}
