//! One CSV line split into fields with their 1-based columns, so errors can
//! point at the field (quotes as RFC 4180: `"a,b"` and `""` inside).

/// `(column, field)` for each field of `line`.
pub(crate) fn split(line: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut start = 1;
    let mut quoted = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted && chars.peek().map(|p| p.1) == Some('"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push((start, std::mem::take(&mut field)));
                start = line[..i].chars().count() + 2;
            }
            c => field.push(c),
        }
    }
    out.push((start, field));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_and_quotes() {
        assert_eq!(
            super::split(r#"a,"b,""c""",d"#),
            vec![(1, "a".into()), (3, "b,\"c\"".into()), (13, "d".into())]
        );
    }
}
