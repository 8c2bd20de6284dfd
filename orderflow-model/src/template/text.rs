//! Definitions written as text inside a template (`DefinitionString`, `Fn::Sub`, `Fn::Join`):
//! the text assembled with, for each of its bytes, the byte of the template it came from, so
//! diagnostics point into the file the user wrote and not into an extracted copy.

use crate::json::{Json, JsonKind, Span};
use crate::source::SourceFile;

/// Text assembled from pieces of a template, each byte mapped back to a template byte.
#[derive(Debug, Default)]
pub(crate) struct MappedText {
    pub text: String,
    /// For each byte of `text`, the template bytes it was read from (an escape is several).
    origins: Vec<(u32, u32)>,
}

impl MappedText {
    /// Appends `decoded`, the value of a string written at `span` of `file`, aligning its
    /// characters with the raw text there (quotes, escapes, YAML block indentation skipped).
    pub fn push_string(&mut self, decoded: &str, file: &SourceFile, span: Span) {
        let raw = file.snippet(span).as_bytes();
        let base = span.start as usize;
        let mut cursor = 0usize;
        for c in decoded.chars() {
            let (at, end) = align(raw, &mut cursor, c);
            let to_u32 = |offset: usize| u32::try_from(base + offset).unwrap_or(u32::MAX);
            let origin = (to_u32(at), to_u32(end));
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).len();
            self.text.push(c);
            self.origins.extend(std::iter::repeat_n(origin, bytes));
        }
    }

    /// Appends text that has no place of its own (a placeholder standing for an intrinsic
    /// function), all of it mapped to `span`'s start.
    pub fn push_synthetic(&mut self, text: &str, span: Span) {
        self.text.push_str(text);
        self.origins
            .extend(std::iter::repeat_n((span.start, span.start), text.len()));
    }

    /// The template span of the text's bytes `span`.
    pub fn origin(&self, span: Span) -> Span {
        let start = self
            .origins
            .get(span.start as usize)
            .or(self.origins.last())
            .map_or(0, |o| o.0);
        let end = match (span.end as usize).checked_sub(1) {
            Some(last) if span.end > span.start => self.origins.get(last).map_or(start, |o| o.1),
            _ => start,
        };
        Span {
            start,
            end: end.max(start),
        }
    }

    /// Moves every span of `json` (parsed from [`MappedText::text`]) into the template.
    pub fn relocate(&self, json: &mut Json) {
        json.span = self.origin(json.span);
        match &mut json.kind {
            JsonKind::Array(items) => items.iter_mut().for_each(|i| self.relocate(i)),
            JsonKind::Object(members) => {
                for m in members {
                    m.key_span = self.origin(m.key_span);
                    self.relocate(&mut m.value);
                }
            }
            _ => {}
        }
    }
}

/// The range in `raw` of the character `c` that comes next, advancing `cursor` past it.
///
/// Raw text holds more than the value: quotes, escapes (`\n`, `\"`, `\u00e9`) and, in a YAML
/// block scalar, the indicator and indentation. Those are skipped; a character that cannot be
/// found close by is mapped to where the cursor is, so the mapping never fails.
fn align(raw: &[u8], cursor: &mut usize, c: char) -> (usize, usize) {
    let mut buf = [0u8; 4];
    let want = c.encode_utf8(&mut buf).as_bytes();
    let mut at = *cursor;
    while at < raw.len() {
        if raw[at..].starts_with(want) {
            *cursor = at + want.len();
            return (at, *cursor);
        }
        match raw[at] {
            b'\\' => {
                // An escape stands for this character.
                let len = if raw.get(at + 1) == Some(&b'u') { 6 } else { 2 };
                *cursor = (at + len).min(raw.len());
                return (at, *cursor);
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' => at += 1,
            _ => break,
        }
    }
    // Not next: look a little further (a block scalar's `|-` header), else stay.
    let window = raw.len().min(*cursor + 64);
    if let Some(found) = raw
        .get(*cursor..window)
        .and_then(|w| w.windows(want.len()).position(|w| w == want))
    {
        let at = *cursor + found;
        *cursor = at + want.len();
        return (at, *cursor);
    }
    let at = (*cursor).min(raw.len().saturating_sub(1));
    (at, at + 1)
}

/// JSON text with every `${…}` written outside a string replaced, byte for byte, by a number:
/// `"TimeoutSeconds": ${Timeout}` is valid once substituted at deploy time, and must parse here
/// with every other offset unchanged. `value` gives the number to write for a name when known.
pub(crate) fn neutralize_bare_placeholders(
    text: &str,
    value: impl Fn(&str) -> Option<String>,
) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 2,
            b'"' => {
                in_string = !in_string;
                i += 1;
            }
            b'$' if !in_string && bytes.get(i + 1) == Some(&b'{') => {
                let Some(len) = text[i..].find('}') else {
                    break;
                };
                let name = &text[i + 2..i + len];
                let width = len + 1;
                let number = value(name)
                    .filter(|v| v.len() <= width && v.parse::<f64>().is_ok())
                    .unwrap_or_else(|| "1".into());
                out.push_str(&text[copied..i]);
                out.push_str(&number);
                out.extend(std::iter::repeat_n(' ', width - number.len()));
                i += width;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON inside the `DefinitionString` of `template` (`json` parsed from it), with its
    /// spans moved into the template.
    fn relocated(file: &SourceFile, json: &Json) -> Json {
        let value = json.get("DefinitionString").expect("present");
        let mut text = MappedText::default();
        text.push_string(value.as_str().unwrap_or(""), file, value.span);
        let mut inner = crate::json::parse(&text.text).expect("valid JSON inside");
        text.relocate(&mut inner);
        inner
    }

    #[test]
    fn a_json_string_literal_maps_back_through_its_escapes() {
        let template = r#"{"DefinitionString": "{\"StartAt\": \"A\",\n \"x\": \"\u00e9\"}"}"#;
        let file = SourceFile::new("t.json", template);
        let inner = relocated(&file, &crate::json::parse(template).expect("valid JSON"));
        let start_at = inner.get("StartAt").expect("present");
        assert_eq!(file.snippet(start_at.span), "\\\"A\\\"");
        let x = inner.get("x").expect("present");
        assert_eq!(file.snippet(x.span), "\\\"\\u00e9\\\"");
    }

    #[test]
    fn a_yaml_block_scalar_maps_back_past_its_indentation() {
        let template = "DefinitionString: |-\n    {\n      \"StartAt\": \"A\"\n    }\n";
        let file = SourceFile::new("t.yaml", template);
        let inner = relocated(&file, &crate::yaml::parse(template).expect("valid YAML"));
        let start_at = inner.get("StartAt").expect("present");
        assert_eq!(file.snippet(start_at.span), "\"A\"");
        assert_eq!(file.line_col(start_at.span.start), (3, 18));
    }

    #[test]
    fn bare_placeholders_become_numbers_of_the_same_width() {
        let text = r#"{"T": ${Timeout}, "R": "${FnArn}", "S": ${Seconds}}"#;
        let out = neutralize_bare_placeholders(text, |n| (n == "Seconds").then(|| "30".into()));
        assert_eq!(out.len(), text.len());
        assert_eq!(
            out,
            r#"{"T": 1         , "R": "${FnArn}", "S": 30        }"#
        );
    }
}
