//! One table layout shared by the terminal/text summary and Markdown.

/// [`super::escape::markdown`], under the name the simulate report uses.
pub use super::escape::markdown as md_escape;

/// Rows of cells under a header.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per row: whether it reports a failure (a failed gate, a missing
    /// link), set by whoever builds the row so formats can highlight it
    /// without reading the cells' words.
    pub bad: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            bad: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
        self.bad.push(false);
    }

    /// A row that reports a failure.
    pub fn bad_row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
        self.bad.push(true);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
        }
        w
    }

    /// Aligned columns, each line indented by `indent`.
    pub fn to_text(&self, indent: &str) -> String {
        let w = self.widths();
        let line = |cells: &[String]| {
            let mut s = indent.to_string();
            for (i, c) in cells.iter().enumerate() {
                let pad = w[i].saturating_sub(c.chars().count());
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(&self.headers);
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }

    /// A GitHub-flavoured Markdown table; `|` and HTML in cells escaped
    /// (GitHub renders inline HTML).
    pub fn to_markdown(&self) -> String {
        let cell = |c: &str| md_escape(c).replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "| {} |\n|{}|\n",
            self.headers
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | "),
            self.headers
                .iter()
                .map(|_| " --- ")
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out
    }
}
